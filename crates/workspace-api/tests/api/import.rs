//! `workspace-api import`: the originals' data (a LowDB file with its quirks, the deployed
//! PostgreSQL schema with SERIAL ids, the UUID variant with JSON tags) read back through
//! the API field by field; a second run and a dry run change nothing.

use serde_json::{Value, json};
use shared::config::Env;
use shared::import::{ImportArgs, Summary};
use workspace_api::Config;

use crate::helpers::{Backend, TestApp, spawn};

/// Runs the import in this process on `app`'s database.
pub async fn import(app: &TestApp, from: &str, dry_run: bool) -> Summary {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = Env::from_pairs(
        dir.path(),
        [("WORKSPACE_DATABASE_URL", app.database_url.as_str())],
    );
    let config = Config::from_env(&env, false).expect("valid config");
    let args = ImportArgs {
        from: from.to_string(),
        dry_run,
    };
    let mut summary = Summary::new(args.from_label(), dry_run);
    workspace_api::import(&config, &args, &mut summary)
        .await
        .expect("the import runs to the end");
    summary
}

/// A LowDB file as the original wrote it: no `categories` key (so its six defaults),
/// items in insertion order, optional fields missing, a status of the migration script
/// and a category nobody defined.
fn library() -> Value {
    json!({"items": [
        {"title": "Backtest the signal", "description": "Over 2025", "category": "feature",
         "priority": "high", "tags": ["signals", "backtest"], "metadata": {"estimate": 3},
         "status": "in-progress", "createdBy": null, "updatedBy": null,
         "createdAt": "2025-11-20T10:00:00.123Z", "updatedAt": "2025-11-21T08:30:00.456Z",
         "id": "item-1763632800123-24fp6eb"},
        {"title": "Fix the chart", "category": "bug", "priority": "critical",
         "createdAt": "2025-11-22T09:00:00.000Z", "id": "item-1763802000000-a1b2c3d"},
        {"title": "Old idea", "description": "from the migration script", "category": "idea",
         "priority": "low", "status": "pending", "tags": [],
         "createdAt": "2025-11-23T09:00:00.000Z", "updatedAt": "2025-11-23T09:00:00.000Z",
         "id": "item-1763888400000-zzzzzzz"}
    ]})
}

fn write_library(dir: &tempfile::TempDir, data: &Value) -> String {
    let path = dir.path().join("library.json");
    let text = serde_json::to_string_pretty(data).expect("json");
    std::fs::write(&path, text).expect("write library.json");
    path.display().to_string()
}

pub async fn items(app: &TestApp) -> Vec<Value> {
    let reply = app.get("/api/items?sort=createdAt&order=asc").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["data"].as_array().expect("items").clone()
}

async fn category(app: &TestApp, name: &str) -> Value {
    let reply = app.get(&format!("/api/categories/{name}")).await;
    assert_eq!(reply.status, 200, "{name}: {}", reply.text);
    reply.body["data"].clone()
}

pub async fn imported_audit_rows(app: &TestApp) -> i64 {
    let reply = app.get("/api/audit?action=imported&limit=1").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["total"].as_i64().expect("total")
}

/// Every field the dashboard reads, but the id (checked on its own).
fn fields(item: &Value) -> Value {
    let mut item = item.clone();
    let object = item.as_object_mut().expect("item object");
    object.remove("id");
    item
}

async fn lowdb_file_with_its_quirks(app: TestApp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = write_library(&dir, &library());
    let summary = import(&app, &from, false).await;
    assert_eq!(summary.exit_code(), 0, "{summary:?}");
    let items_counts = summary.counts("items");
    assert_eq!((items_counts.read, items_counts.created), (3, 3));
    // The six defaults of LowDB, plus `idea`, created for the item that names it.
    assert_eq!(summary.counts("categories").read, 6);
    assert_eq!(summary.counts("categories").created, 7);
    assert!(
        summary
            .reports
            .iter()
            .any(|n| n.id == "idea" && n.message.contains("created inactive")),
        "{:?}",
        summary.reports
    );

    let got = items(&app).await;
    assert_eq!(got.len(), 3);
    let legacy_ids = [
        "item-1763632800123-24fp6eb",
        "item-1763802000000-a1b2c3d",
        "item-1763888400000-zzzzzzz",
    ];
    for (item, legacy) in got.iter().zip(legacy_ids) {
        let id = uuid::Uuid::parse_str(item["id"].as_str().expect("id")).expect("uuid");
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(item["metadata"]["legacyId"], json!(legacy));
        // The id is served: GET by id finds the item.
        let one = app.get(&format!("/api/items/{id}")).await;
        assert_eq!(one.status, 200, "{}", one.text);
        assert_eq!(one.body["data"], *item);
    }
    assert_eq!(
        fields(&got[0]),
        json!({"title": "Backtest the signal", "description": "Over 2025", "category": "feature",
            "priority": "high", "status": "in-progress", "tags": ["signals", "backtest"],
            "metadata": {"estimate": 3, "legacyId": legacy_ids[0]},
            "createdAt": "2025-11-20T10:00:00.123Z", "updatedAt": "2025-11-21T08:30:00.456Z",
            "createdBy": null, "updatedBy": null})
    );
    assert_eq!(
        fields(&got[1]),
        json!({"title": "Fix the chart", "description": "", "category": "bug",
            "priority": "critical", "status": "new", "tags": [],
            "metadata": {"legacyId": legacy_ids[1]},
            "createdAt": "2025-11-22T09:00:00.000Z", "updatedAt": "2025-11-22T09:00:00.000Z",
            "createdBy": null, "updatedBy": null})
    );
    assert_eq!(got[2]["status"], "new");
    assert_eq!(got[2]["metadata"]["legacy"], json!({"status": "pending"}));

    let bug = category(&app, "bug").await;
    assert_eq!(
        (
            &bug["display_name"],
            &bug["color"],
            &bug["display_order"],
            &bug["is_active"]
        ),
        (&json!("Bug"), &json!("#ef4444"), &json!(2), &json!(true))
    );
    let idea = category(&app, "idea").await;
    assert_eq!(idea["is_active"], false);
    // Every entity has its `imported` audit row by `import`.
    assert_eq!(imported_audit_rows(&app).await, 3 + 7);
    let history = app
        .get(&format!(
            "/api/items/{}/history",
            got[0]["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(history.body["data"][0]["actor"], "import");
    assert_eq!(history.body["data"][0]["action"], "imported");

    // A second run finds everything and changes nothing.
    let before = (items(&app).await, imported_audit_rows(&app).await);
    let again = import(&app, &from, false).await;
    assert_eq!(again.counts("items").created, 0);
    assert_eq!(again.counts("items").already_present, 3);
    assert_eq!(again.counts("categories").created, 0);
    assert_eq!(again.exit_code(), 0);
    assert_eq!((items(&app).await, imported_audit_rows(&app).await), before);
}

async fn dry_run_writes_nothing(app: TestApp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = write_library(&dir, &library());
    let categories = app.get("/api/categories").await.body;
    let summary = import(&app, &from, true).await;
    assert!(summary.dry_run);
    assert_eq!(summary.counts("items").created, 3);
    assert_eq!(summary.counts("categories").created, 7);
    assert!(items(&app).await.is_empty());
    assert_eq!(app.count_rows("workspace_audit_log").await, 0);
    assert_eq!(app.get("/api/categories").await.body, categories);
}

/// Bad rows are skipped with their reason (exit 1), the others imported.
async fn skipped_rows_are_counted_with_reasons(app: TestApp) {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = write_library(
        &dir,
        &json!({"categories": [{"id": "Not A Slug", "name": "x"}, {"id": "ok", "name": "OK", "active": false}],
            "items": [{"id": "item-1-a", "category": "ok"},
                      {"id": "item-2-a", "title": "nul\u{0}", "category": "ok"},
                      {"id": "item-1763888400000-b", "title": "Kept", "category": "ok"}]}),
    );
    let summary = import(&app, &from, false).await;
    assert_eq!(summary.exit_code(), 1);
    assert_eq!(
        summary.counts("items").skipped_reasons["item without a title"],
        1
    );
    assert_eq!(
        summary.counts("items").skipped_reasons["text holds U+0000, which PostgreSQL cannot store"],
        1
    );
    assert_eq!(summary.counts("categories").skipped, 1);
    assert_eq!(items(&app).await.len(), 1);
    assert_eq!(category(&app, "ok").await["is_active"], false);
}

crate::both_backends!(
    lowdb_file_with_its_quirks,
    dry_run_writes_nothing,
    skipped_rows_are_counted_with_reasons
);

#[tokio::test]
async fn bad_sources_are_usage_errors() {
    let app = spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::from_env(
        &Env::from_pairs(
            dir.path(),
            [("WORKSPACE_DATABASE_URL", app.database_url.as_str())],
        ),
        false,
    )
    .expect("config");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{not json").expect("write");
    for from in ["/nowhere/library.json", broken.to_str().expect("path")] {
        let args = ImportArgs {
            from: from.into(),
            dry_run: false,
        };
        let mut summary = Summary::new(from, false);
        let result = workspace_api::import(&config, &args, &mut summary).await;
        assert!(
            matches!(result, Err(shared::import::ImportError::Usage(_))),
            "{from}: {result:?}"
        );
    }
}
