//! Input a hostile or careless client sends: NUL characters, which PostgreSQL's text
//! cannot hold (so they must be refused alike on both backends, before any write), and
//! requests with thousands of bad keys, whose error list must stay small.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    nul_anywhere_in_a_body_is_a_400_and_writes_nothing,
    nul_in_a_query_or_path_is_a_400,
    thousands_of_unknown_keys_get_a_short_answer,
    a_known_query_key_repeated_is_a_400_naming_it,
);

fn item(overrides: Value) -> Value {
    let mut body =
        json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low"});
    if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
        body.extend(overrides.clone());
    }
    body
}

async fn nul_anywhere_in_a_body_is_a_400_and_writes_nothing(app: TestApp) {
    let existing = app.create_item("before").await;
    let id = existing["id"].as_str().expect("id").to_string();
    let items_before = app.count_rows("workspace_items").await;
    let audit_before = app.count_rows("workspace_audit_log").await;
    for (field, body) in [
        ("title", item(json!({"title": "a\u{0}b"}))),
        ("tags.1", item(json!({"tags": ["ok", "x\u{0}"]}))),
        (
            "metadata.note",
            item(json!({"metadata": {"note": "\u{0}"}})),
        ),
    ] {
        let reply = app.json(Method::POST, "/api/items", body).await;
        reply.envelope(400, "VALIDATION_ERROR");
        assert_eq!(reply.error_fields(), [field], "{}", reply.text);
    }
    let key = app
        .json(
            Method::POST,
            "/api/items",
            item(json!({"metadata": {"k\u{0}": "v"}})),
        )
        .await;
    key.envelope(400, "VALIDATION_ERROR");
    let update = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"title": "nul\u{0}"}),
        )
        .await;
    update.envelope(400, "VALIDATION_ERROR");
    let category = app
        .json(
            Method::POST,
            "/api/categories",
            json!({"name": "nul\u{0}name", "description": "d"}),
        )
        .await;
    category.envelope(400, "VALIDATION_ERROR");

    assert_eq!(app.count_rows("workspace_items").await, items_before);
    assert_eq!(app.count_rows("workspace_audit_log").await, audit_before);
    let unchanged = app.get(&format!("/api/items/{id}")).await;
    assert_eq!(unchanged.body["data"]["title"], "before");
}

async fn nul_in_a_query_or_path_is_a_400(app: TestApp) {
    for path in [
        "/api/items?search=%00",
        "/api/items?search=a%00b",
        "/api/audit?entity_id=%00",
        "/api/categories/x%00y",
        "/api/items/%00",
    ] {
        app.get(path).await.envelope(400, "VALIDATION_ERROR");
    }
}

async fn thousands_of_unknown_keys_get_a_short_answer(app: TestApp) {
    let existing = app.create_item("target").await;
    let id = existing["id"].as_str().expect("id");
    let body: serde_json::Map<String, Value> = (0..20_000)
        .map(|i| (format!("unknown_key_{i}"), json!(i)))
        .collect();
    let reply = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            Value::Object(body),
        )
        .await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(reply.body["errors"].as_array().map(Vec::len), Some(20));
    assert_eq!(reply.body["errorsTotal"], 20_000, "{}", reply.text.len());
    assert!(reply.text.len() < 8 * 1024, "{} bytes", reply.text.len());
}

async fn a_known_query_key_repeated_is_a_400_naming_it(app: TestApp) {
    for (path, key) in [
        ("/api/items?limit=1&limit=2", "limit"),
        ("/api/audit?limit=1&limit=2", "limit"),
        (
            "/api/audit?entity_type=item&entity_type=category",
            "entity_type",
        ),
        (
            "/api/categories?order_by=name&order_by=created_at",
            "order_by",
        ),
    ] {
        let reply = app.get(path).await;
        reply.envelope(400, "VALIDATION_ERROR");
        assert_eq!(reply.error_fields(), [key], "{path}: {}", reply.text);
    }
    // Unknown keys keep each route's own rule: ignored outside the item list.
    assert_eq!(app.get("/api/audit?x=1&x=2").await.status, 200);
}
