//! Category writes that race other writes. A rename locks two category names and every
//! item filed under the old one; item writes lock their item and then its category. On
//! PostgreSQL such writers can cross; whichever way they meet, each client gets the answer
//! it would have had alone, never a 500 for a deadlock the database broke.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgConnection;
use tokio::task::JoinSet;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, spawn};

both_backends!(crossed_renames_refuse_cleanly, rename_races_item_updates);

const PAIRS: usize = 8;

async fn create_category(app: &TestApp, name: &str) {
    let made = app
        .json(
            Method::POST,
            "/api/categories",
            json!({"name": name, "display_name": name}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
}

/// Sends every request at once; answers (status, body) in completion order.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<(StatusCode, Value)> {
    let mut sent = JoinSet::new();
    for request in requests {
        sent.spawn(async move {
            let reply = request.send().await.expect("request");
            let status = reply.status();
            (status, reply.json::<Value>().await.expect("json"))
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = sent.join_next().await {
        answers.push(done.expect("task"));
    }
    answers
}

/// `alpha` to `zeta` and `zeta` to `alpha` at once, many times: both names exist, so
/// every one is a 409, and both categories are still there.
async fn crossed_renames_refuse_cleanly(app: TestApp) {
    create_category(&app, "alpha").await;
    create_category(&app, "zeta").await;
    let requests = (0..PAIRS)
        .flat_map(|_| {
            [
                app.request(Method::PUT, "/api/categories/alpha")
                    .json(&json!({"name": "zeta"})),
                app.request(Method::PUT, "/api/categories/zeta")
                    .json(&json!({"name": "alpha"})),
            ]
        })
        .collect();
    for (status, body) in race(requests).await {
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["code"], "CONFLICT", "{body}");
    }
    for name in ["alpha", "zeta"] {
        let kept = app.get(&format!("/api/categories/{name}")).await;
        assert_eq!(kept.status, StatusCode::OK, "{name}: {}", kept.text);
    }
}

/// A rename of `dashboard` while its items are being edited: every edit lands, and every
/// item ends up under the new name with its edit.
async fn rename_races_item_updates(app: TestApp) {
    let mut ids = Vec::new();
    for i in 0..PAIRS {
        let item = app.create_item(&format!("item {i}")).await;
        ids.push(item["id"].as_str().expect("id").to_string());
    }
    let mut requests: Vec<_> = ids
        .iter()
        .map(|id| {
            app.request(Method::PUT, &format!("/api/items/{id}"))
                .json(&json!({"title": format!("edited {id}")}))
        })
        .collect();
    requests.insert(
        PAIRS / 2,
        app.request(Method::PUT, "/api/categories/dashboard")
            .json(&json!({"name": "paineis"})),
    );
    for (status, body) in race(requests).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for id in &ids {
        let item = app.get(&format!("/api/items/{id}")).await;
        assert_eq!(item.body["data"]["category"], "paineis", "{}", item.text);
        assert_eq!(item.body["data"]["title"], format!("edited {id}"));
    }
}

/// PostgreSQL breaks a deadlock by rolling one transaction back. Here the rename is made
/// the one rolled back, for certain: another session holds `zeta`, which the rename waits
/// for while it holds `alpha`, then asks for `alpha`. The rename is run again, waits for
/// that session (which frees `zeta` and commits), and passes.
mod a_deadlocked_rename_is_run_again {
    use super::*;

    #[tokio::test]
    async fn postgres() {
        let app = spawn(Backend::Postgres).await;
        create_category(&app, "alpha").await;
        create_category(&app, "zeta").await;
        let audit_before = app.count_rows("workspace_audit_log").await;

        let mut other = shared::testing::open_transaction(&app.database_url).await;
        lock(&mut other, "zeta").await;

        let rename = app
            .request(Method::PUT, "/api/categories/alpha")
            .json(&json!({"name": "zeta"}))
            .send();
        let rename = tokio::spawn(rename);
        shared::testing::wait_until_blocking(&mut other).await;
        sqlx::query("DELETE FROM workspace_categories WHERE name = 'zeta'")
            .execute(&mut other)
            .await
            .expect("delete");
        // Waits for the rename, which holds `alpha`: the deadlock.
        lock(&mut other, "alpha").await;
        sqlx::query("COMMIT")
            .execute(&mut other)
            .await
            .expect("commit");

        let reply = rename.await.expect("task").expect("response");
        let status = reply.status();
        let body: Value = reply.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["name"], "zeta");
        app.get("/api/categories/alpha")
            .await
            .envelope(404, "NOT_FOUND");
        assert_eq!(
            app.count_rows("workspace_audit_log").await,
            audit_before + 1,
            "one audit row: the attempt rolled back left none"
        );
    }

    async fn lock(conn: &mut PgConnection, name: &str) {
        sqlx::query("SELECT 1 FROM workspace_categories WHERE name = $1 FOR UPDATE")
            .bind(name)
            .execute(conn)
            .await
            .expect("lock");
    }
}
