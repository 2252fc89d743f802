//! The audit trail: written in the same transaction as each change.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    item_history_records_every_change,
    audit_list_filters,
    failed_writes_leave_no_audit_row,
    actor_from_header
);

async fn item_history_records_every_change(app: TestApp) {
    let item = app.create_item("audited").await;
    let id = item["id"].as_str().expect("id");
    app.json(
        Method::PUT,
        &format!("/api/items/{id}"),
        json!({"status": "review"}),
    )
    .await;
    app.json(
        Method::PUT,
        &format!("/api/items/{id}"),
        json!({"title": "edited", "priority": "high"}),
    )
    .await;
    let history = app.get(&format!("/api/items/{id}/history")).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    let actions: Vec<&str> = history.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["action"].as_str().expect("a"))
        .collect();
    assert_eq!(
        actions,
        ["updated", "status_changed", "created"],
        "newest first"
    );
    let edit = &history.body["data"][0];
    assert_eq!(edit["changedFields"], json!(["priority", "title"]));
    assert_eq!(edit["oldValues"]["title"], "audited");
    assert_eq!(edit["newValues"]["title"], "edited");
    assert_eq!(edit["actor"], "anonymous");
    assert!(edit["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(edit["ipAddress"], "127.0.0.1");

    app.delete(&format!("/api/items/{id}")).await;
    let after = app.get(&format!("/api/items/{id}/history")).await;
    assert_eq!(
        after.body["data"][0]["action"], "deleted",
        "history outlives the item"
    );
    app.get("/api/items/01936f5e-0000-7000-8000-000000000000/history")
        .await
        .envelope(404, "NOT_FOUND");
}

async fn audit_list_filters(app: TestApp) {
    app.create_item("one").await;
    app.json(Method::POST, "/api/categories", json!({"name": "extra"}))
        .await;
    app.send(app.request(Method::PATCH, "/api/categories/extra/toggle"))
        .await;
    let all = app.get("/api/audit").await;
    assert_eq!(all.body["total"], 3);
    let categories = app.get("/api/audit?entity_type=category").await;
    assert_eq!(categories.body["total"], 2);
    assert_eq!(categories.body["data"][0]["entityId"], "extra");
    let created = app.get("/api/audit?action=created&limit=1").await;
    assert_eq!(
        (
            created.body["count"].as_i64(),
            created.body["total"].as_i64()
        ),
        (Some(1), Some(2))
    );
    app.get("/api/audit?action=nope")
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get("/api/audit?limit=0")
        .await
        .envelope(400, "VALIDATION_ERROR");
}

async fn failed_writes_leave_no_audit_row(app: TestApp) {
    let item = app.create_item("x").await;
    let id = item["id"].as_str().expect("id");
    let before = app.count_rows("workspace_audit_log").await;
    app.json(
        Method::PUT,
        &format!("/api/items/{id}"),
        json!({"category": "nope"}),
    )
    .await
    .envelope(400, "INVALID_CATEGORY");
    app.send(
        app.request(Method::PUT, &format!("/api/items/{id}"))
            .header("if-match", "\"v9\"")
            .json(&json!({"title": "y"})),
    )
    .await
    .envelope(412, "PRECONDITION_FAILED");
    app.delete("/api/categories/dashboard")
        .await
        .envelope(409, "CATEGORY_IN_USE");
    app.json(
        Method::PUT,
        "/api/categories/dashboard",
        json!({"name": "banco-dados"}),
    )
    .await
    .envelope(409, "CONFLICT");
    assert_eq!(app.count_rows("workspace_audit_log").await, before);
    assert_eq!(
        app.get(&format!("/api/items/{id}")).await.body["data"]["category"],
        "dashboard"
    );
    assert_eq!(app.count_rows("workspace_categories").await, 6);
}

async fn actor_from_header(app: TestApp) {
    let reply = app
        .send(app.request(Method::POST, "/api/items").header("x-user-id", "marcelo").header("user-agent", "ua-test").json(
            &json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low"}),
        ))
        .await;
    assert_eq!(reply.body["data"]["createdBy"], "marcelo");
    let audit = app.get("/api/audit").await;
    assert_eq!(audit.body["data"][0]["actor"], "marcelo");
    assert_eq!(audit.body["data"][0]["userAgent"], "ua-test");
}
