//! The original service's 15 tests and the dashboard's smoke checks, adapted to the fleet
//! envelope and to the decisions that supersede them (test 1's `filters`, test 13 → 405,
//! tests 14–15 as HTTP checks, in `categories.rs`).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(original_item_tests, dashboard_smoke);

async fn original_item_tests(app: TestApp) {
    // 1. returns all items (filters now echo the effective values).
    app.create_item("one").await;
    app.create_item("two").await;
    let list = app.get("/api/items").await;
    assert_eq!(
        (
            list.status,
            list.body["success"].as_bool(),
            list.body["count"].as_i64()
        ),
        (StatusCode::OK, Some(true), Some(2))
    );
    assert_eq!(
        list.body["filters"],
        json!({"offset": 0, "sort": "createdAt", "order": "desc"})
    );

    // 3. valid create → 201 with the exact envelope.
    let body = json!({"title": "New Test Item", "description": "Test description", "category": "dashboard", "priority": "high", "tags": ["test", "new"]});
    let created = app.json(Method::POST, "/api/items", body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let keys: Vec<&String> = created.body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["success", "data", "message"]);
    assert_eq!(created.body["data"]["status"], "new");
    // 4. missing title.
    let no_title = app
        .json(
            Method::POST,
            "/api/items",
            json!({"description": "d", "category": "dashboard", "priority": "low"}),
        )
        .await;
    no_title.envelope(400, "VALIDATION_ERROR");
    assert!(
        no_title.body["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains("Invalid input")
    );
    // 5. invalid priority; 6. invalid category.
    let priority = app.json(Method::POST, "/api/items", json!({"title": "t", "description": "d", "category": "dashboard", "priority": "invalid"})).await;
    assert_eq!(priority.error_fields(), ["priority"]);
    let category = app.json(Method::POST, "/api/items", json!({"title": "t", "description": "d", "category": "InvalidCategory", "priority": "low"})).await;
    assert_eq!(category.error_fields(), ["category"]);
    // 7. without tags → [].
    let untagged = app
        .json(
            Method::POST,
            "/api/items",
            json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low"}),
        )
        .await;
    assert_eq!(untagged.body["data"]["tags"], json!([]));

    // 8. update; 9. missing item; 10. invalid status.
    let id = created.body["data"]["id"].as_str().expect("id");
    let updated = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"title": "Updated Title", "priority": "critical", "status": "in-progress"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["message"], "Item updated successfully");
    assert_eq!(updated.body["data"]["status"], "in-progress");
    let missing = app
        .json(
            Method::PUT,
            "/api/items/nonexistent",
            json!({"title": "Updated"}),
        )
        .await;
    missing.envelope(404, "NOT_FOUND");
    assert_eq!(
        missing.body["message"],
        "Item with id nonexistent not found"
    );
    let status = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"status": "invalid-status"}),
        )
        .await;
    assert_eq!(status.error_fields(), ["status"]);

    // 11. delete; 12. delete missing; 13. `DELETE /api/items/` is the collection's path
    // (the trailing slash is ignored), which has no DELETE: a 405 envelope, not the
    // original's 404.
    let deleted = app.delete(&format!("/api/items/{id}")).await;
    assert_eq!(
        deleted.body,
        json!({"success": true, "message": "Item deleted successfully"})
    );
    let gone = app.delete("/api/items/nonexistent").await;
    assert_eq!(gone.body["message"], "Item with id nonexistent not found");
    app.delete("/api/items/")
        .await
        .envelope(405, "METHOD_NOT_ALLOWED");
}

async fn dashboard_smoke(app: TestApp) {
    let health = app.get("/health").await;
    assert!(health.status.is_success());
    assert_eq!(health.body["status"], "healthy");
    assert_eq!(health.body["checks"]["database"]["status"], "healthy");
    let categories = app.get("/api/categories").await;
    assert_eq!(categories.body["success"], true);
    assert!(categories.body["count"].as_i64().expect("count") >= 6);
    let items = app.get("/api/items").await;
    assert_eq!(items.body["success"], true);
    assert!(items.body["data"].is_array());
    // Fixture: special characters and Unicode in the title.
    let unicode = app
        .json(Method::POST, "/api/items", json!({"title": "Análise de “risco” — 日本 🚀 <b>", "description": "ç", "category": "gestao-riscos", "priority": "critical"}))
        .await;
    assert_eq!(
        unicode.body["data"]["title"],
        "Análise de “risco” — 日本 🚀 <b>"
    );
}
