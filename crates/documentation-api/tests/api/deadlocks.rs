//! PostgreSQL breaks a deadlock by rolling one of its transactions back; a write of this
//! service that is rolled back so is run again, and its client never hears of it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, spawn};

/// Deleting a system locks it, then the ideas whose link the delete clears. Another
/// session holds such an idea, and once the delete waits for it, asks for the system: a
/// deadlock the delete (waiting first) is rolled back from. It is run again, waits for
/// that session to commit, and passes.
mod a_deadlocked_delete_is_run_again {
    use super::*;

    #[tokio::test]
    async fn postgres() {
        let app = spawn(Backend::Postgres).await;
        let system = app.create_system("Contended").await;
        let system_id: Uuid = system["id"].as_str().expect("id").parse().expect("uuid");
        let idea = app
            .json(
                Method::POST,
                "/api/v1/ideas",
                json!({"title": "linked", "category": "api", "system_id": system_id}),
            )
            .await;
        assert_eq!(idea.status, StatusCode::CREATED, "{}", idea.text);
        let idea_id: Uuid = idea.body["data"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");

        let mut other = shared::testing::open_transaction(&app.database_url).await;
        sqlx::query("SELECT 1 FROM documentation_ideas WHERE id = $1 FOR UPDATE")
            .bind(idea_id)
            .execute(&mut other)
            .await
            .expect("lock the idea");

        let delete = tokio::spawn(
            app.request(Method::DELETE, &format!("/api/v1/systems/{system_id}"))
                .send(),
        );
        shared::testing::wait_until_blocking(&mut other).await;
        sqlx::query("SELECT 1 FROM documentation_systems WHERE id = $1 FOR UPDATE")
            .bind(system_id)
            .execute(&mut other)
            .await
            .expect("lock the system");
        sqlx::query("COMMIT")
            .execute(&mut other)
            .await
            .expect("commit");

        let reply = delete.await.expect("task").expect("response");
        let status = reply.status();
        let body: Value = reply.json().await.expect("json");
        assert_eq!(status, StatusCode::OK, "{body}");
        app.get(&format!("/api/v1/systems/{system_id}"))
            .await
            .envelope(404, "NOT_FOUND");
        let read = app.get(&format!("/api/v1/ideas/{idea_id}")).await;
        assert_eq!(read.body["data"]["system_id"], Value::Null, "{}", read.text);
        let actions: Vec<Value> = app
            .audit_of(&system_id.to_string())
            .await
            .iter()
            .map(|row| row["action"].clone())
            .collect();
        assert_eq!(actions.len(), 2, "created and deleted once: {actions:?}");
    }
}
