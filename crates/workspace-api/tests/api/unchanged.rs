//! An update that changes nothing is not a write: the same item and ETag come back, no
//! audit row is added, so other clients' `If-Match` still holds.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(an_update_that_changes_nothing_writes_nothing);

async fn an_update_that_changes_nothing_writes_nothing(app: TestApp) {
    let item = app.create_item("steady").await;
    let id = item["id"].as_str().expect("id").to_string();
    let path = format!("/api/items/{id}");
    let read = app.get(&path).await;
    let etag = read.header("etag").expect("etag").to_string();
    let audit_rows = app.count_rows("workspace_audit_log").await;

    let same = json!({"title": "steady", "priority": "medium", "category": "dashboard"});
    for body in [json!({}), same] {
        let reply = app
            .send(
                app.request(Method::PUT, &path)
                    .header("if-match", etag.as_str())
                    .json(&body),
            )
            .await;
        assert_eq!(reply.status, 200, "{body}: {}", reply.text);
        assert_eq!(reply.header("etag"), Some(etag.as_str()), "{body}");
        assert_eq!(reply.body["data"]["updatedAt"], item["updatedAt"], "{body}");
    }
    assert_eq!(app.count_rows("workspace_audit_log").await, audit_rows);

    // A real change still is one, and the old ETag then no longer matches.
    let changed = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", etag.as_str())
                .json(&json!({"title": "moved on"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(app.count_rows("workspace_audit_log").await, audit_rows + 1);
}
