//! `documentation-api import --from postgres://…`: the original's Prisma tables (with
//! file bytes in a BYTEA `content` column, timestamps without time zone) in a source
//! schema of their own, imported into both backends and read back through the API field
//! by field (bytes by checksum); a second run and a dry run change nothing.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::config::Env;
use shared::import::{ImportArgs, Summary};

use crate::helpers::TestApp;

pub const PRISMA: &str = "
CREATE TABLE documentation_systems (
    id TEXT PRIMARY KEY, name VARCHAR(255) NOT NULL, description TEXT, type VARCHAR(100) NOT NULL,
    url VARCHAR(512), status VARCHAR(50) NOT NULL DEFAULT 'unknown', last_checked TIMESTAMP(3),
    response_time_ms INT, version VARCHAR(100), owner VARCHAR(255), tags JSONB NOT NULL DEFAULT '[]',
    metadata JSONB, icon VARCHAR(255), color VARCHAR(100), host VARCHAR(255), port INT,
    created_by VARCHAR(255), designated_timestamp TIMESTAMP(3),
    created_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE documentation_ideas (
    id TEXT PRIMARY KEY, title VARCHAR(255) NOT NULL, description TEXT,
    status VARCHAR(50) NOT NULL DEFAULT 'backlog', category VARCHAR(100) NOT NULL,
    priority VARCHAR(50) NOT NULL DEFAULT 'medium', assigned_to VARCHAR(255), created_by VARCHAR(255) NOT NULL,
    system_id VARCHAR(255) REFERENCES documentation_systems(id) ON DELETE SET NULL ON UPDATE CASCADE,
    tags JSONB NOT NULL DEFAULT '[]', estimated_hours INT, actual_hours INT, due_date TIMESTAMP(3),
    completed_at TIMESTAMP(3), designated_timestamp TIMESTAMP(3),
    created_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE documentation_files (
    id TEXT PRIMARY KEY, filename VARCHAR(255) NOT NULL, original_name VARCHAR(255) NOT NULL,
    mime_type VARCHAR(255) NOT NULL, size_bytes BIGINT NOT NULL, file_path VARCHAR(1024) NOT NULL,
    description TEXT, idea_id VARCHAR(255) REFERENCES documentation_ideas(id) ON DELETE SET NULL,
    system_id VARCHAR(255) REFERENCES documentation_systems(id) ON DELETE SET NULL,
    uploaded_by VARCHAR(255), is_public BOOLEAN NOT NULL DEFAULT false, download_count INT NOT NULL DEFAULT 0,
    checksum VARCHAR(255), content BYTEA,
    created_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
    designated_timestamp TIMESTAMP(3));
CREATE TABLE documentation_audit_log (
    id TEXT PRIMARY KEY, entity_type VARCHAR(50) NOT NULL, entity_id VARCHAR(255) NOT NULL,
    action VARCHAR(50) NOT NULL, user_id VARCHAR(255), changes JSONB, ip_address VARCHAR(255),
    user_agent VARCHAR(255), created_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP);
";

const S1: &str = "0b5d7e1a-8c1f-4a51-9a43-1f6e2d3c4b5a";
const S2: &str = "1c6e8f2b-9d20-4b62-8b54-2a7f3e4d5c6b";
const I1: &str = "2d7f9a3c-ae31-4c73-9c65-3b8a4f5e6d7c";
const I2: &str = "3e8a0b4d-bf42-4d84-8d76-4c9b5a6f7e8d";
const F1: &str = "4f9b1c5e-c053-4e95-9e87-5dac6b7a8f9e";
const F2: &str = "5a0c2d6f-d164-4fa6-8f98-6ebd7c8b9a0f";
const RUNBOOK: &[u8] = b"# Runbook\n\nRestart the sync first.\n";

fn rows() -> String {
    format!(
        "
INSERT INTO documentation_systems (id, name, description, type, url, status, last_checked, response_time_ms,
    version, owner, tags, metadata, port, created_by, created_at, updated_at) VALUES
 ('{S1}', 'Workspace API', 'Kanban', 'api', 'http://localhost:3200/health', 'online', '2025-11-01 10:00:00.250', 12,
  '1.0.0', 'ana', '[\"backend\", \"kanban\"]', '{{\"team\": \"core\"}}', 3200, 'ana', '2025-10-01 09:00:00.123', '2025-10-02 09:00:00.456'),
 ('{S2}', 'workspace api', NULL, 'database', NULL, 'degraded', NULL, NULL,
  NULL, NULL, '[]', NULL, 99999, NULL, '2025-10-03 09:00:00', '2025-10-03 09:00:00'),
 ('sys-1', 'Docs hub', NULL, 'docs', NULL, 'unknown', NULL, NULL, NULL, NULL, '[]', NULL, NULL, NULL,
  '2025-10-04 09:00:00.789', '2025-10-04 09:00:00.789');
INSERT INTO documentation_ideas (id, title, description, status, category, priority, assigned_to, created_by,
    system_id, tags, estimated_hours, due_date, completed_at, created_at, updated_at) VALUES
 ('{I1}', 'Dark mode', 'For the hub', 'done', 'new_feature', 'urgent', 'bia', 'ana', '{S1}', '[\"ui\"]', 5,
  '2025-12-01 00:00:00', '2025-11-05 10:00:00.5', '2025-10-05 09:00:00.100', '2025-11-05 10:00:00.500'),
 ('{I2}', 'Later', NULL, 'blocked', 'research', 'medium', NULL, 'carl', NULL, '[]', NULL,
  NULL, NULL, '2025-10-06 09:00:00', '2025-10-06 09:00:00');
INSERT INTO documentation_files (id, filename, original_name, mime_type, size_bytes, file_path, description,
    idea_id, system_id, uploaded_by, is_public, download_count, checksum, content, created_at, updated_at) VALUES
 ('{F1}', '1700000000-runbook.md', 'runbook.md', 'text/markdown', {len}, '/app/uploads/1700000000-runbook.md',
  'On-call runbook', '{I1}', '{S1}', 'ana', true, 3, NULL, decode('{hex}', 'hex'),
  '2025-10-07 09:00:00.321', '2025-10-07 09:00:00.321'),
 ('{F2}', 'gone.pdf', 'gone.pdf', 'application/pdf', 10, '/nowhere/gone.pdf', NULL, NULL, NULL, NULL,
  false, 0, NULL, NULL, '2025-10-08 09:00:00', '2025-10-08 09:00:00');
INSERT INTO documentation_audit_log (id, entity_type, entity_id, action, user_id, changes, created_at) VALUES
 ('6b1d3e70-e275-4ab7-9aa9-7fce8d9cab10', 'system', '{S1}', 'create', 'ana', '{{\"name\": \"Workspace API\"}}', '2025-10-01 09:00:00.123'),
 ('7c2e4f81-f386-4bc8-8bba-80df9eadbc21', 'idea', '{I1}', 'archive', NULL, NULL, '2025-11-06 09:00:00');
",
        len = RUNBOOK.len(),
        hex = RUNBOOK.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// A schema of the test server holding the original's tables and `rows`, as a URL.
pub async fn source(rows: &str) -> String {
    let schema = shared::testing::fresh_schema("src").await;
    let pool = sqlx::PgPool::connect(&schema.url).await.expect("source");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{PRISMA}{rows}")))
        .execute(&pool)
        .await
        .expect("source schema");
    pool.close().await;
    schema.url
}

pub async fn import(app: &TestApp, from: &str, dry_run: bool) -> Summary {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = Env::from_pairs(
        dir.path(),
        [("DOCUMENTATION_DATABASE_URL", app.database_url.as_str())],
    );
    let config = documentation_api::Config::from_env(&env, false).expect("config");
    let args = ImportArgs {
        from: from.to_string(),
        dry_run,
    };
    let mut summary = Summary::new(args.from_label(), dry_run);
    documentation_api::import(&config, &args, &mut summary)
        .await
        .expect("the import runs to the end");
    summary
}

async fn data(app: &TestApp, path: &str) -> Value {
    let reply = app.get(path).await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
    reply.body["data"].clone()
}

/// Everything an import leaves behind, as the API shows it.
async fn snapshot(app: &TestApp) -> Value {
    json!({
        "systems": data(app, "/api/v1/systems?order_by=created_at&order_direction=asc").await,
        "ideas": data(app, "/api/v1/ideas").await,
        "files": data(app, "/api/v1/files").await,
        "audit": app.get("/api/v1/audit?limit=1").await.body["total"],
    })
}

async fn original_tables_with_file_bytes(app: TestApp) {
    let from = source(&rows()).await;
    let summary = import(&app, &from, false).await;
    // The file whose bytes are gone is skipped, so the run says it is incomplete.
    assert_eq!(summary.exit_code(), 1, "{summary:?}");
    assert_eq!(summary.counts("files").skipped, 1);
    assert_eq!(summary.skips[0].id, F2);
    for (entity, created) in [("systems", 3), ("ideas", 2), ("files", 1), ("audit_log", 2)] {
        assert_eq!(summary.counts(entity).created, created, "{entity}");
    }

    let s1 = data(&app, &format!("/api/v1/systems/{S1}")).await;
    for (key, want) in [
        ("name", json!("Workspace API")),
        ("type", json!("api")),
        ("status", json!("online")),
        ("url", json!("http://localhost:3200/health")),
        ("tags", json!(["backend", "kanban"])),
        ("metadata", json!({"team": "core"})),
        ("port", json!(3200)),
        ("version", json!("1.0.0")),
        ("owner", json!("ana")),
        ("response_time_ms", json!(12)),
        ("last_checked", json!("2025-11-01T10:00:00.250Z")),
        ("created_by", json!("ana")),
        ("created_at", json!("2025-10-01T09:00:00.123Z")),
        ("updated_at", json!("2025-10-02T09:00:00.456Z")),
    ] {
        assert_eq!(s1[key], want, "system {key}");
    }
    // Names are unique here: the second takes its old id's start; what did not map is kept.
    let s2 = data(&app, &format!("/api/v1/systems/{S2}")).await;
    assert_eq!(s2["name"], "workspace api (1c6e8f2b)");
    assert_eq!(
        (&s2["type"], &s2["status"], &s2["port"]),
        (&json!("tool"), &json!("unknown"), &Value::Null)
    );
    assert_eq!(
        s2["metadata"]["legacy"],
        json!({"type": "database", "status": "degraded", "port": 99999, "name": "workspace api"})
    );
    let systems = data(
        &app,
        "/api/v1/systems?order_by=created_at&order_direction=asc",
    )
    .await;
    let s3 = &systems[2];
    assert_eq!(s3["metadata"]["legacyId"], "sys-1");
    let s3_id = uuid::Uuid::parse_str(s3["id"].as_str().expect("id")).expect("uuid");
    assert_eq!(s3_id.get_version_num(), 7);

    let i1 = data(&app, &format!("/api/v1/ideas/{I1}")).await;
    for (key, want) in [
        ("title", json!("Dark mode")),
        ("status", json!("done")),
        ("category", json!("new_feature")),
        ("priority", json!("urgent")),
        ("assigned_to", json!("bia")),
        ("created_by", json!("ana")),
        ("system_id", json!(S1)),
        ("tags", json!(["ui"])),
        ("estimated_hours", json!(5)),
        ("due_date", json!("2025-12-01T00:00:00.000Z")),
        ("completed_at", json!("2025-11-05T10:00:00.500Z")),
        ("created_at", json!("2025-10-05T09:00:00.100Z")),
    ] {
        assert_eq!(i1[key], want, "idea {key}");
    }
    let i2 = data(&app, &format!("/api/v1/ideas/{I2}")).await;
    assert_eq!(
        (&i2["status"], &i2["category"]),
        (&json!("backlog"), &json!("improvement"))
    );
    let i2_audit = app.audit_of(I2).await;
    assert_eq!(i2_audit[0]["action"], "imported");
    assert_eq!(i2_audit[0]["user_id"], "import");
    assert_eq!(
        i2_audit[0]["changes"]["legacy"],
        json!({"status": "blocked", "category": "research"})
    );

    let f1 = data(&app, &format!("/api/v1/files/{F1}/metadata")).await;
    for (key, want) in [
        ("original_name", json!("runbook.md")),
        ("size_bytes", json!(RUNBOOK.len())),
        ("idea_id", json!(I1)),
        ("system_id", json!(S1)),
        ("uploaded_by", json!("ana")),
        ("is_public", json!(true)),
        ("download_count", json!(3)),
        ("description", json!("On-call runbook")),
        ("created_at", json!("2025-10-07T09:00:00.321Z")),
    ] {
        assert_eq!(f1[key], want, "file {key}");
    }
    let want_sum = format!("{:x}", Sha256::digest(RUNBOOK));
    assert_eq!(f1["checksum"], want_sum);
    let bytes = app
        .request(reqwest::Method::GET, &format!("/api/v1/files/{F1}"))
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(format!("{:x}", Sha256::digest(&bytes)), want_sum);

    // The original's own audit rows are history here, their actors kept.
    let s1_audit = app.audit_of(S1).await;
    let by = |action: &str| s1_audit.iter().find(|r| r["action"] == action).cloned();
    assert_eq!(by("create").expect("the original's row")["user_id"], "ana");
    assert_eq!(
        by("imported").expect("the import's row")["user_id"],
        "import"
    );
    let archived = app.audit_of(I1).await;
    assert!(
        archived
            .iter()
            .any(|r| r["action"] == "update" && r["changes"]["legacy"]["action"] == "archive")
    );

    let before = snapshot(&app).await;
    let again = import(&app, &from, false).await;
    for entity in ["systems", "ideas", "files", "audit_log"] {
        assert_eq!(again.counts(entity).created, 0, "{entity}");
    }
    assert_eq!(again.counts("systems").already_present, 3);
    assert_eq!(snapshot(&app).await, before);
}

async fn dry_run_writes_nothing(app: TestApp) {
    let from = source(&rows()).await;
    let empty = snapshot(&app).await;
    let summary = import(&app, &from, true).await;
    assert_eq!(summary.counts("systems").created, 3);
    assert_eq!(summary.counts("ideas").created, 2);
    assert_eq!(snapshot(&app).await, empty);
    assert_eq!(app.count_rows("documentation_audit_log").await, 0);
}

crate::both_backends!(original_tables_with_file_bytes, dry_run_writes_nothing);
