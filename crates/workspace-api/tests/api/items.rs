//! Items: CRUD, validation, ETags, limits (the list is in `item_list.rs`).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    create_read_update_delete,
    create_validation_reports_every_field,
    unknown_keys_dropped_on_create_rejected_on_update,
    category_must_exist_and_be_active,
    non_uuid_ids_are_not_found,
    etags_and_if_match,
    metadata_and_tags_limits,
    stats_count_items,
    bare_paths_and_trailing_slash,
);

async fn create_read_update_delete(app: TestApp) {
    let created = app
        .json(
            Method::POST,
            "/api/items",
            json!({"title": "  Spaced  ", "description": "desc", "category": "dashboard", "priority": "high",
                   "tags": [" a ", "b", "a"], "metadata": {"estimate": 8}, "status": "review"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["message"], "Item created successfully");
    let item = &created.body["data"];
    let id = item["id"].as_str().expect("string id");
    assert_eq!(
        uuid::Uuid::parse_str(id).expect("uuid").get_version_num(),
        7
    );
    assert_eq!(item["title"], "Spaced");
    assert_eq!(item["tags"], json!(["a", "b"]));
    assert_eq!(item["metadata"], json!({"estimate": 8}));
    assert_eq!(item["status"], "review");
    let created_at = item["createdAt"].as_str().expect("createdAt");
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    assert_eq!(created.header("etag"), Some("\"v1\""));

    let read = app.get(&format!("/api/items/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["data"], *item);

    let updated = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"status": "completed", "tags": []}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["message"], "Item updated successfully");
    assert_eq!(updated.body["data"]["status"], "completed");
    assert_eq!(updated.body["data"]["tags"], json!([]));
    assert_eq!(updated.body["data"]["title"], "Spaced");
    assert_eq!(updated.body["data"]["createdAt"], item["createdAt"]);
    assert_eq!(updated.header("etag"), Some("\"v2\""));

    let empty = app
        .json(Method::PUT, &format!("/api/items/{id}"), json!({}))
        .await;
    assert_eq!(empty.status, StatusCode::OK, "PUT {{}} is accepted");

    let deleted = app.delete(&format!("/api/items/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(
        deleted.body,
        json!({"success": true, "message": "Item deleted successfully"})
    );
    let again = app.delete(&format!("/api/items/{id}")).await;
    again.envelope(404, "NOT_FOUND");
    assert_eq!(
        again.body["message"],
        format!("Item with id {id} not found")
    );
}

async fn create_validation_reports_every_field(app: TestApp) {
    let reply = app.json(Method::POST, "/api/items", json!({"description": "  ", "category": "Bad Cat", "priority": "SUPER_HIGH", "tags": "x"})).await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        reply.error_fields(),
        ["title", "description", "category", "priority", "tags"]
    );
    assert_eq!(
        reply.body["errors"][0]["message"],
        "Invalid input: expected string, received undefined"
    );
    assert_eq!(
        reply.body["errors"][1]["message"],
        "Description is required"
    );
    assert_eq!(
        reply.body["errors"][4]["message"],
        "Invalid input: expected array, received string"
    );

    let not_object = app.json(Method::POST, "/api/items", json!([])).await;
    not_object.envelope(400, "VALIDATION_ERROR");

    let bad_json = app
        .send(
            app.request(Method::POST, "/api/items")
                .header("content-type", "application/json")
                .body("{\"title\": "),
        )
        .await;
    bad_json.envelope(400, "INVALID_JSON");

    let form = app
        .send(
            app.request(Method::POST, "/api/items")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("title=x"),
        )
        .await;
    form.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(
        app.count_rows("workspace_items").await,
        0,
        "nothing was written"
    );
    assert_eq!(app.count_rows("workspace_audit_log").await, 0);
}

async fn unknown_keys_dropped_on_create_rejected_on_update(app: TestApp) {
    let created = app
        .json(
            Method::POST,
            "/api/items",
            json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low",
                   "id": "mine", "createdAt": "1999-01-01T00:00:00.000Z", "createdBy": "mallory", "foo": 1}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let item = &created.body["data"];
    assert_ne!(item["id"], "mine");
    assert_ne!(item["createdAt"], "1999-01-01T00:00:00.000Z");
    assert_eq!(item["createdBy"], "anonymous");
    assert!(item.get("foo").is_none());

    let id = item["id"].as_str().expect("id");
    let reply = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"title": "x", "id": "1", "updatedAt": "now"}),
        )
        .await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(reply.error_fields(), ["id", "updatedAt"]);
    assert_eq!(
        reply.body["errors"][0]["message"],
        "Unrecognized key: \"id\""
    );
    assert_eq!(
        app.get(&format!("/api/items/{id}")).await.body["data"]["title"],
        "t",
        "failed update changed nothing"
    );
}

async fn category_must_exist_and_be_active(app: TestApp) {
    let unknown = app
        .json(
            Method::POST,
            "/api/items",
            json!({"title": "t", "description": "d", "category": "nope", "priority": "low"}),
        )
        .await;
    unknown.envelope(400, "INVALID_CATEGORY");
    assert_eq!(unknown.error_fields(), ["category"]);
    assert!(
        unknown.body["message"]
            .as_str()
            .expect("msg")
            .starts_with("Invalid category 'nope'. Valid categories: documentacao, ")
    );

    let item = app.create_item("kept").await;
    let id = item["id"].as_str().expect("id");
    let toggled = app
        .send(app.request(Method::PATCH, "/api/categories/dashboard/toggle"))
        .await;
    assert_eq!(toggled.body["data"]["is_active"], false);

    let blocked = app
        .json(
            Method::POST,
            "/api/items",
            json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low"}),
        )
        .await;
    blocked.envelope(400, "INVALID_CATEGORY");
    // The edit dialog resends the item's own category: that must keep working.
    let same = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"title": "edited", "category": "dashboard"}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);
    let moved = app
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"category": "nope"}),
        )
        .await;
    moved.envelope(400, "INVALID_CATEGORY");
    // As the original: a bad category on a missing id is a 400, not a 404.
    let missing = app
        .json(
            Method::PUT,
            "/api/items/01936f5e-0000-7000-8000-000000000000",
            json!({"category": "nope"}),
        )
        .await;
    missing.envelope(400, "INVALID_CATEGORY");
    let missing = app
        .json(
            Method::PUT,
            "/api/items/01936f5e-0000-7000-8000-000000000000",
            json!({"category": "banco-dados"}),
        )
        .await;
    missing.envelope(404, "NOT_FOUND");
}

async fn non_uuid_ids_are_not_found(app: TestApp) {
    for id in [
        "abc",
        "1",
        "stats-x",
        "00000000-0000-0000-0000-000000000000",
        "..%2F..",
    ] {
        let reply = app.get(&format!("/api/items/{id}")).await;
        reply.envelope(404, "NOT_FOUND");
    }
    let reply = app
        .json(
            Method::PUT,
            "/api/items/nonexistent",
            json!({"title": "Updated"}),
        )
        .await;
    reply.envelope(404, "NOT_FOUND");
    assert_eq!(reply.body["message"], "Item with id nonexistent not found");
}

async fn etags_and_if_match(app: TestApp) {
    let item = app.create_item("versioned").await;
    let path = format!("/api/items/{}", item["id"].as_str().expect("id"));
    let etag = app
        .get(&path)
        .await
        .header("etag")
        .expect("etag")
        .to_string();

    let not_modified = app
        .send(
            app.request(Method::GET, &path)
                .header("if-none-match", &etag),
        )
        .await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);

    let ok = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", &etag)
                .json(&json!({"title": "v2"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let stale = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", &etag)
                .json(&json!({"title": "lost update"})),
        )
        .await;
    stale.envelope(412, "PRECONDITION_FAILED");
    let stale_delete = app
        .send(
            app.request(Method::DELETE, &path)
                .header("if-match", "\"v1\""),
        )
        .await;
    stale_delete.envelope(412, "PRECONDITION_FAILED");
    assert_eq!(
        app.get(&path).await.body["data"]["title"],
        "v2",
        "412 changed nothing"
    );

    let any = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", "*")
                .json(&json!({"title": "v3"})),
        )
        .await;
    assert_eq!(any.status, StatusCode::OK);
    let weak = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", "W/\"v3\"")
                .json(&json!({"title": "v4"})),
        )
        .await;
    weak.envelope(412, "PRECONDITION_FAILED");
    let listed = app
        .send(
            app.request(Method::DELETE, &path)
                .header("if-match", "\"v1\", \"v3\""),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK);
}

async fn metadata_and_tags_limits(app: TestApp) {
    let base =
        json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low"});
    let mut too_many = base.clone();
    too_many["tags"] = json!((0..51).map(|i| format!("tag{i}")).collect::<Vec<_>>());
    app.json(Method::POST, "/api/items", too_many)
        .await
        .envelope(400, "VALIDATION_ERROR");
    let mut long_tag = base.clone();
    long_tag["tags"] = json!(["x".repeat(51)]);
    app.json(Method::POST, "/api/items", long_tag)
        .await
        .envelope(400, "VALIDATION_ERROR");
    let mut bad_element = base.clone();
    bad_element["tags"] = json!(["ok", 5]);
    let reply = app.json(Method::POST, "/api/items", bad_element).await;
    assert_eq!(reply.error_fields(), ["tags.1"]);
    let mut big = base.clone();
    big["metadata"] = json!({"blob": "x".repeat(17 * 1024)});
    assert_eq!(
        app.json(Method::POST, "/api/items", big)
            .await
            .error_fields(),
        ["metadata"]
    );
    let mut array = base.clone();
    array["metadata"] = json!([1]);
    assert_eq!(
        app.json(Method::POST, "/api/items", array)
            .await
            .error_fields(),
        ["metadata"]
    );
    let mut nested = base;
    nested["metadata"] = json!({"a": {"b": [1, 2, {"c": null}]}, "n": 1.5});
    let created = app.json(Method::POST, "/api/items", nested).await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "a non-empty metadata object works (the original 500'd)"
    );
    assert_eq!(
        created.body["data"]["metadata"]["a"]["b"][2]["c"],
        json!(null)
    );
}

async fn stats_count_items(app: TestApp) {
    app.create_item("a").await;
    app.create_item("b").await;
    let reply = app.get("/api/items/stats").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["data"]["total"], 2);
    assert_eq!(reply.body["data"]["byCategory"]["dashboard"], 2);
    assert_eq!(reply.body["data"]["byStatus"]["new"], 2);
    assert_eq!(reply.body["data"]["byPriority"]["medium"], 2);
}

async fn bare_paths_and_trailing_slash(app: TestApp) {
    let item = app.create_item("bare").await;
    let id = item["id"].as_str().expect("id");
    assert_eq!(app.get("/items").await.body["total"], 1);
    assert_eq!(app.get("/items/").await.body["total"], 1);
    assert_eq!(
        app.get(&format!("/items/{id}/")).await.body["data"]["id"],
        id
    );
    assert_eq!(app.get("/categories").await.body["count"], 6);
    assert_eq!(app.get("/audit").await.body["success"], true);
}
