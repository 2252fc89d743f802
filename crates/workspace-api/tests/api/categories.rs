//! Categories: every call the dashboard makes, with the original's 409 texts.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    seeded_six_and_list_options,
    create_defaults_and_conflicts,
    rename_cascades_to_items,
    update_fields_and_clear,
    toggle_and_reactivate,
    delete_while_used_then_free,
    validate_is_always_200,
);

async fn seeded_six_and_list_options(app: TestApp) {
    let list = app
        .get("/api/categories?active_only=true&order_by=display_order")
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["count"], 6);
    let names: Vec<&str> = list.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "documentacao",
            "coleta-dados",
            "banco-dados",
            "analise-dados",
            "gestao-riscos",
            "dashboard"
        ]
    );
    let first = &list.body["data"][0];
    for key in [
        "id",
        "name",
        "display_name",
        "description",
        "color",
        "display_order",
        "is_active",
    ] {
        assert!(first.get(key).is_some(), "{key}");
    }
    assert_eq!(first["id"], first["name"]);
    let by_name = app.get("/api/categories?order_by=name").await;
    assert_eq!(by_name.body["data"][0]["name"], "analise-dados");
    app.get("/api/categories?order_by=bogus")
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get("/api/categories?active_only=maybe")
        .await
        .envelope(400, "VALIDATION_ERROR");
    let stats = app.get("/api/categories/stats").await;
    assert_eq!(
        stats.body["data"],
        json!({"total": 6, "active": 6, "inactive": 0})
    );
    assert_eq!(
        app.get("/api/categories/dashboard").await.body["data"]["display_order"],
        6
    );
    app.get("/api/categories/nope")
        .await
        .envelope(404, "NOT_FOUND");
}

async fn create_defaults_and_conflicts(app: TestApp) {
    // Original test 15: defaults (colour grey, order after the last, active).
    let docs = app
        .json(
            Method::POST,
            "/api/categories",
            json!({"name": "docs", "description": "Docs"}),
        )
        .await;
    assert_eq!(docs.status, StatusCode::CREATED, "{}", docs.text);
    assert_eq!(docs.body["message"], "Category created successfully");
    let data = &docs.body["data"];
    assert_eq!(
        (
            data["id"].as_str(),
            data["display_name"].as_str(),
            data["color"].as_str()
        ),
        (Some("docs"), Some("docs"), Some("#6B7280"))
    );
    assert_eq!(
        (data["display_order"].as_i64(), data["is_active"].as_bool()),
        (Some(7), Some(true))
    );
    // Original test 14: explicit values kept, including an order of 0.
    let feature = app
        .json(Method::POST, "/api/categories", json!({"name": "feature", "display_name": "Feature", "color": "#10b981", "display_order": 0, "is_active": false}))
        .await;
    assert_eq!(feature.status, StatusCode::CREATED);
    assert_eq!(feature.body["data"]["display_order"], 0);
    assert_eq!(feature.body["data"]["color"], "#10b981");
    assert_eq!(feature.body["data"]["is_active"], false);
    // The GET shape equals the mutation shape.
    let listed = app
        .get("/api/categories?active_only=false&order_by=display_order")
        .await;
    assert_eq!(listed.body["data"][0], feature.body["data"]);

    let dup = app
        .json(Method::POST, "/api/categories", json!({"name": "docs"}))
        .await;
    dup.envelope(409, "CONFLICT");
    assert_eq!(dup.body["message"], "Category 'docs' already exists");

    let bad = app
        .json(
            Method::POST,
            "/api/categories",
            json!({"name": "Com Espaco", "color": "grey", "display_order": "abc"}),
        )
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(bad.error_fields(), ["display_order", "name", "color"]);
    app.json(Method::POST, "/api/categories", json!({}))
        .await
        .envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        app.get("/api/categories/stats").await.body["data"]["total"],
        8
    );
}

async fn rename_cascades_to_items(app: TestApp) {
    let item = app.create_item("follows").await;
    let renamed = app
        .json(
            Method::PUT,
            "/api/categories/dashboard",
            json!({"name": "paineis", "display_name": "Painéis"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    assert_eq!(renamed.body["data"]["id"], "paineis");
    assert_eq!(renamed.body["message"], "Category updated successfully");
    let moved = app
        .get(&format!("/api/items/{}", item["id"].as_str().expect("id")))
        .await;
    assert_eq!(moved.body["data"]["category"], "paineis");
    app.get("/api/categories/dashboard")
        .await
        .envelope(404, "NOT_FOUND");

    let onto = app
        .json(
            Method::PUT,
            "/api/categories/paineis",
            json!({"name": "banco-dados"}),
        )
        .await;
    onto.envelope(409, "CONFLICT");
    assert_eq!(
        onto.body["message"],
        "Category 'banco-dados' already exists"
    );
    app.json(
        Method::PUT,
        "/api/categories/missing",
        json!({"display_name": "x"}),
    )
    .await
    .envelope(404, "NOT_FOUND");
}

async fn update_fields_and_clear(app: TestApp) {
    let reply = app
        .json(
            Method::PUT,
            "/api/categories/documentacao",
            json!({"color": "#123456", "display_order": 42, "description": null}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(
        (data["color"].as_str(), data["display_order"].as_i64()),
        (Some("#123456"), Some(42))
    );
    assert_eq!(data["description"], json!(null));
    assert_eq!(
        app.get("/api/categories/documentacao").await.body["data"],
        *data,
        "persisted"
    );
    app.json(
        Method::PUT,
        "/api/categories/documentacao",
        json!({"color": "blue"}),
    )
    .await
    .envelope(400, "VALIDATION_ERROR");
}

async fn toggle_and_reactivate(app: TestApp) {
    let off = app
        .send(app.request(Method::PATCH, "/api/categories/dashboard/toggle"))
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(off.body["data"]["is_active"], false);
    assert_eq!(
        app.get("/api/categories").await.body["count"],
        5,
        "hidden from the active list"
    );
    let all = app.get("/api/categories?active_only=false").await;
    assert_eq!(all.body["count"], 6, "the CRUD card still sees it");
    assert_eq!(
        app.json(
            Method::POST,
            "/api/categories/validate",
            json!({"name": "dashboard"})
        )
        .await
        .body["valid"],
        false
    );
    let on = app
        .send(app.request(Method::PATCH, "/api/categories/dashboard/toggle"))
        .await;
    assert_eq!(
        on.body["data"]["is_active"], true,
        "re-activated from the UI"
    );
    app.send(app.request(Method::PATCH, "/api/categories/nope/toggle"))
        .await
        .envelope(404, "NOT_FOUND");
}

async fn delete_while_used_then_free(app: TestApp) {
    let a = app.create_item("a").await;
    app.create_item("b").await;
    let used = app.delete("/api/categories/dashboard").await;
    used.envelope(409, "CATEGORY_IN_USE");
    assert_eq!(
        used.body["message"],
        "Cannot delete category 'dashboard' - 2 items are using it"
    );
    let free = app.delete("/api/categories/documentacao").await;
    assert_eq!(
        free.body,
        json!({"success": true, "message": "Category deleted successfully"})
    );
    app.delete("/api/categories/documentacao")
        .await
        .envelope(404, "NOT_FOUND");
    app.delete(&format!("/api/items/{}", a["id"].as_str().expect("id")))
        .await;
    assert_eq!(
        app.delete("/api/categories/dashboard").await.body["message"],
        "Cannot delete category 'dashboard' - 1 items are using it"
    );
}

async fn validate_is_always_200(app: TestApp) {
    for body in [
        json!({"name": "dashboard"}),
        json!({"name": "nope"}),
        json!({}),
        json!({"name": ["dashboard"]}),
        json!([]),
    ] {
        let reply = app
            .json(Method::POST, "/api/categories/validate", body.clone())
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.body["valid"],
            body == json!({"name": "dashboard"}),
            "{body}"
        );
    }
    let empty = app
        .send(app.request(Method::POST, "/api/categories/validate"))
        .await;
    assert_eq!(
        (empty.status, empty.body["valid"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let cache = app
        .send(app.request(Method::POST, "/api/categories/invalidate-cache"))
        .await;
    assert_eq!(cache.body["message"], "Categories cache invalidated");
}
