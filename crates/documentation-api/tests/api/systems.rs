//! The systems registry: CRUD with its rules, lists, searches, statistics, and the audit
//! row of every write (and none of a refused one).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    create_read_update_delete,
    creates_validate_and_default,
    names_are_unique_whatever_their_case,
    updates_refuse_unknown_keys_and_change_nothing_when_equal,
    lists_filter_order_and_paginate,
    search_views_and_statistics,
    bad_ids_and_missing_systems,
);

async fn create_read_update_delete(app: TestApp) {
    let created = app
        .post(
            "/api/v1/systems",
            json!({"name": "Grafana", "type": "webapp", "url": "http://localhost:3000", "port": 3000,
                   "color": "#ff0000", "tags": "monitoring, dashboards,monitoring", "owner": "ops",
                   "metadata": {"team": "sre"}, "id": "chosen-by-client", "created_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["message"], "System created successfully");
    let system = &created.body["data"];
    let id = system["id"].as_str().expect("id");
    assert_ne!(id, "chosen-by-client", "ids are the server's");
    assert!(uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 7));
    assert_eq!(system["tags"], json!(["monitoring", "dashboards"]));
    assert_eq!(system["status"], "unknown");
    assert_eq!(system["port"], 3000);
    assert_eq!(system["created_by"], "anonymous");
    assert_ne!(system["created_at"], "2001-01-01T00:00:00.000Z");

    let read = app.get(&format!("/api/v1/systems/{id}")).await;
    assert_eq!(read.body["data"], *system, "{}", read.text);

    let updated = app
        .request(Method::PUT, &format!("/api/v1/systems/{id}"))
        .header("x-user-id", "maria")
        .json(&json!({"status": "maintenance", "tags": ["a"], "description": null}));
    let updated = app.send(updated).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["message"], "System updated successfully");
    assert_eq!(updated.body["data"]["status"], "maintenance");
    assert_eq!(updated.body["data"]["description"], json!(null));
    assert_eq!(updated.body["data"]["updated_by"], "maria");
    assert_eq!(updated.body["data"]["created_by"], "anonymous");

    let deleted = app.delete(&format!("/api/v1/systems/{id}")).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(
        deleted.body,
        json!({"success": true, "message": "System deleted successfully"})
    );
    app.get(&format!("/api/v1/systems/{id}"))
        .await
        .envelope(404, "NOT_FOUND");

    let audit = app.audit_of(id).await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|a| a["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["delete", "update", "create"], "newest first");
    assert_eq!(audit[1]["user_id"], "maria");
    assert_eq!(audit[1]["changes"]["fields"], json!(["status", "tags"]));
    assert_eq!(audit[1]["changes"]["before"]["status"], "unknown");
    assert_eq!(audit[1]["changes"]["after"]["status"], "maintenance");
    assert_eq!(audit[2]["changes"]["before"], json!(null));
    assert_eq!(audit[0]["changes"]["after"], json!(null));
    assert_eq!(audit[0]["entity_type"], "system");
}

async fn creates_validate_and_default(app: TestApp) {
    let tool = app
        .post("/api/v1/systems", json!({"name": "  Jupyter  "}))
        .await;
    assert_eq!(tool.status, StatusCode::CREATED, "{}", tool.text);
    assert_eq!(
        tool.body["data"]["type"], "tool",
        "the dashboard sends no type"
    );
    assert_eq!(tool.body["data"]["name"], "Jupyter");

    let bad = app
        .post(
            "/api/v1/systems",
            json!({"name": "", "type": "database", "url": "ftp://x", "port": 70000, "tags": [1], "metadata": []}),
        )
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        bad.error_fields(),
        ["name", "type", "url", "tags.0", "metadata", "port"]
    );

    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://metadata.google.internal/",
    ] {
        let refused = app
            .post("/api/v1/systems", json!({"name": "metadata", "url": url}))
            .await;
        refused.envelope(400, "VALIDATION_ERROR");
        assert_eq!(refused.error_fields(), ["url"], "{url}");
    }
    for url in [
        "http://localhost:8080/health",
        "http://10.0.0.5",
        "https://[::1]:8443/x",
    ] {
        let name = format!("local {url}");
        let allowed = app
            .post("/api/v1/systems", json!({"name": name, "url": url}))
            .await;
        assert_eq!(
            allowed.status,
            StatusCode::CREATED,
            "{url}: {}",
            allowed.text
        );
    }
    assert_eq!(app.count_rows("documentation_systems").await, 4);
    assert_eq!(
        app.count_rows("documentation_audit_log").await,
        4,
        "one row per create, none for refusals"
    );
}

async fn names_are_unique_whatever_their_case(app: TestApp) {
    let first = app.create_system("Ärger Überwachung").await;
    let taken = app
        .post("/api/v1/systems", json!({"name": "äRGER üBERWACHUNG"}))
        .await;
    taken.envelope(409, "CONFLICT");
    assert_eq!(
        taken.body["error"],
        "System with name 'äRGER üBERWACHUNG' already exists"
    );
    let other = app.create_system("Other").await;
    let rename = app
        .json(
            Method::PUT,
            &format!("/api/v1/systems/{}", other["id"].as_str().expect("id")),
            json!({"name": "ärger überwachung"}),
        )
        .await;
    rename.envelope(409, "CONFLICT");
    // The refused writes left nothing: two systems, two audit rows.
    assert_eq!(app.count_rows("documentation_systems").await, 2);
    assert_eq!(app.count_rows("documentation_audit_log").await, 2);
    let same = app
        .json(
            Method::PUT,
            &format!("/api/v1/systems/{}", first["id"].as_str().expect("id")),
            json!({"name": "ÄRGER ÜBERWACHUNG"}),
        )
        .await;
    assert_eq!(
        same.status,
        StatusCode::OK,
        "its own name in another case: {}",
        same.text
    );
}

async fn updates_refuse_unknown_keys_and_change_nothing_when_equal(app: TestApp) {
    let system = app.create_system("Prometheus").await;
    let path = format!("/api/v1/systems/{}", system["id"].as_str().expect("id"));
    let unknown = app.json(Method::PUT, &path, json!({"nmae": "typo"})).await;
    unknown.envelope(400, "VALIDATION_ERROR");
    assert_eq!(unknown.error_fields(), ["nmae"]);
    let empty = app
        .json(Method::PUT, &path, json!({"id": "x", "created_at": "y"}))
        .await;
    empty.envelope(400, "VALIDATION_ERROR");
    assert_eq!(empty.body["error"], "No valid fields to update");
    let same = app
        .json(
            Method::PUT,
            &path,
            json!({"name": "Prometheus", "type": "api"}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);
    assert_eq!(same.body["data"], system, "unchanged, stamps included");
    assert_eq!(
        app.audit_of(system["id"].as_str().expect("id")).await.len(),
        1,
        "no audit row for no change"
    );
    let blank = app.json(Method::PUT, &path, json!({"name": "   "})).await;
    blank.envelope(400, "VALIDATION_ERROR");
    let status = app
        .json(Method::PUT, &path, json!({"status": "online"}))
        .await;
    assert_eq!(status.status, StatusCode::OK);
    let audit = app.audit_of(system["id"].as_str().expect("id")).await;
    assert_eq!(audit[0]["action"], "status_change", "only the status moved");
}

async fn lists_filter_order_and_paginate(app: TestApp) {
    for (name, kind, owner, status) in [
        ("alpha", "api", "ops", "online"),
        ("Bravo", "docs", "ops", "offline"),
        ("charlie", "api", "dev", "online"),
        ("delta 100%", "tool", "dev", "error"),
    ] {
        let reply = app
            .post(
                "/api/v1/systems",
                json!({"name": name, "type": kind, "owner": owner, "status": status}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let all = app.get("/api/v1/systems").await;
    assert_eq!(
        (all.body["count"].as_i64(), all.body["total"].as_i64()),
        (Some(4), Some(4))
    );
    let names = |reply: &shared::testing::Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|s| s["name"].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(
        names(&all),
        ["delta 100%", "charlie", "Bravo", "alpha"],
        "newest change first"
    );
    let by_name = app
        .get("/api/v1/systems?order_by=name&order_direction=asc")
        .await;
    assert_eq!(
        names(&by_name),
        ["alpha", "Bravo", "charlie", "delta 100%"],
        "names order whatever their case"
    );
    let page = app
        .get("/api/v1/systems?order_by=name&order_direction=ASC&limit=2&offset=1")
        .await;
    assert_eq!(names(&page), ["Bravo", "charlie"]);
    assert_eq!(
        (page.body["count"].as_i64(), page.body["total"].as_i64()),
        (Some(2), Some(4))
    );
    let past = app.get("/api/v1/systems?limit=2&offset=10").await;
    assert_eq!(
        (past.body["count"].as_i64(), past.body["total"].as_i64()),
        (Some(0), Some(4))
    );
    let filtered = app
        .get("/api/v1/systems?type=api&owner=ops&status=online")
        .await;
    assert_eq!(names(&filtered), ["alpha"]);
    assert_eq!(filtered.body["filters"]["type"], "api");
    let search = app.get("/api/v1/systems?search=BRA").await;
    assert_eq!(names(&search), ["Bravo"]);
    let literal = app.get("/api/v1/systems?search=0%25").await;
    assert_eq!(
        names(&literal),
        ["delta 100%"],
        "% is a character, not a wildcard"
    );
    let bad = app
        .get("/api/v1/systems?limit=0&status=up&order_by=owner&order_direction=sideways")
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        bad.error_fields(),
        ["status", "limit", "order_by", "order_direction"]
    );
    app.get("/api/v1/systems?limit=1&limit=2")
        .await
        .envelope(400, "VALIDATION_ERROR");
}

async fn search_views_and_statistics(app: TestApp) {
    for (name, kind, status) in [
        ("api one", "api", "online"),
        ("api two", "api", "error"),
        ("docs", "docs", "maintenance"),
    ] {
        app.post(
            "/api/v1/systems",
            json!({"name": name, "type": kind, "status": status}),
        )
        .await;
    }
    let found = app.get("/api/v1/systems/search?q=api").await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(
        (found.body["count"].as_i64(), found.body["query"].as_str()),
        (Some(2), Some("api"))
    );
    let short = app.get("/api/v1/systems/search?q=%20a%20").await;
    short.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        short.body["error"],
        "Search query must be at least 2 characters long"
    );
    let online = app.get("/api/v1/systems/status/online").await;
    assert_eq!(
        (
            online.body["count"].as_i64(),
            online.body["status"].as_str()
        ),
        (Some(1), Some("online"))
    );
    let apis = app.get("/api/v1/systems/type/api").await;
    assert_eq!(
        (apis.body["count"].as_i64(), apis.body["type"].as_str()),
        (Some(2), Some("api"))
    );
    app.get("/api/v1/systems/status/sleeping")
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get("/api/v1/systems/type/database")
        .await
        .envelope(400, "VALIDATION_ERROR");
    let stats = app.get("/api/v1/systems/statistics").await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    let data = &stats.body["data"];
    assert_eq!(data["total"], 3);
    assert_eq!(data["by_type"], json!({"api": 2, "docs": 1}));
    assert_eq!(
        data["by_status"],
        json!({"error": 1, "maintenance": 1, "online": 1})
    );
    assert_eq!(data["by_owner"], json!({"unknown": 3}));
    assert_eq!(
        (
            data["active"].as_i64(),
            data["degraded"].as_i64(),
            data["maintenance"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(data["avg_response_time"], 0, "no system checked yet");
}

async fn bad_ids_and_missing_systems(app: TestApp) {
    let bad = app.get("/api/v1/systems/not-a-uuid").await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(bad.error_fields(), ["id"]);
    assert_eq!(bad.field_message("id"), "ID must be a valid UUID");
    let missing = "01936f5e-0000-7000-8000-000000000000";
    app.get(&format!("/api/v1/systems/{missing}"))
        .await
        .envelope(404, "NOT_FOUND");
    let put = app
        .json(
            Method::PUT,
            &format!("/api/v1/systems/{missing}"),
            json!({"name": "x"}),
        )
        .await;
    put.envelope(404, "NOT_FOUND");
    assert_eq!(put.body["error"], "System not found");
    app.delete(&format!("/api/v1/systems/{missing}"))
        .await
        .envelope(404, "NOT_FOUND");
    assert_eq!(app.count_rows("documentation_audit_log").await, 0);
}
