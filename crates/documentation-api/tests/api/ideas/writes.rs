//! Idea writes: CRUD with its rules (vocabularies, aliases, `completed_at`, the linked
//! system) and the audit row of every write (and none of a refused one).

use super::*;
use crate::both_backends;

both_backends!(
    create_read_update_delete,
    creates_validate_and_default,
    system_id_must_reference_a_system,
    completed_at_follows_done,
    updates_refuse_unknown_keys_and_change_nothing_when_equal,
);

async fn create_read_update_delete(app: TestApp) {
    let system = app.create_system("Docs Hub").await;
    let request = app
        .request(Method::POST, "/api/v1/ideas")
        .header("x-user-id", "ana")
        .json(&json!({
            "title": "  Dark mode  ", "category": "frontend", "priority": "high",
            "description": "for the night shift", "assignedTo": "bob", "systemId": system["id"],
            "tags": "ui, theme, ui", "estimatedHours": 8, "actualHours": 0, "dueDate": "2026-03-01",
            "id": "mine", "created_by": "mallory", "completed_at": "2001-01-01T00:00:00Z", "extra": 1
        }));
    let created = app.send(request).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["message"], "Idea created successfully");
    let idea = created.body["data"].clone();
    let id = id_of(&idea).to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 7));
    assert_eq!(idea["title"], "Dark mode");
    assert_eq!(idea["status"], "backlog");
    assert_eq!(idea["assigned_to"], "bob");
    assert_eq!(idea["system_id"], system["id"]);
    assert_eq!(idea["system"]["name"], "Docs Hub");
    assert_eq!(idea["tags"], json!(["ui", "theme"]));
    assert_eq!(
        (
            idea["estimated_hours"].as_i64(),
            idea["actual_hours"].as_i64()
        ),
        (Some(8), Some(0))
    );
    assert_eq!(idea["due_date"], "2026-03-01T00:00:00.000Z");
    assert_eq!(idea["completed_at"], Value::Null, "server-set");
    assert_eq!(idea["created_by"], "ana", "the header, not the body");
    assert!(idea.get("extra").is_none() && idea.get("assignedTo").is_none());

    let read = app.get(&format!("/api/v1/ideas/{id}")).await;
    assert_eq!(read.body["data"], idea, "{}", read.text);

    let request = app
        .request(Method::PUT, &format!("/api/v1/ideas/{id}"))
        .header("x-user-id", "carla")
        .json(&json!({"priority": "urgent", "description": null, "system_id": null, "due_date": "2026-04-02T10:30:00.123456+02:00"}));
    let updated = app.send(request).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["message"], "Idea updated successfully");
    let after = &updated.body["data"];
    assert_eq!(after["priority"], "urgent");
    assert_eq!(after["description"], Value::Null);
    assert_eq!(
        (after["system_id"].clone(), after["system"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(after["due_date"], "2026-04-02T08:30:00.123Z");
    assert_eq!(after["updated_by"], "carla");
    assert_eq!(after["created_by"], "ana");
    assert_eq!(
        app.get(&format!("/api/v1/ideas/{id}")).await.body["data"],
        *after
    );

    let deleted = app.delete(&format!("/api/v1/ideas/{id}")).await;
    assert_eq!(
        deleted.body,
        json!({"success": true, "message": "Idea deleted successfully"})
    );
    app.get(&format!("/api/v1/ideas/{id}"))
        .await
        .envelope(404, "NOT_FOUND");
    let audit = app.audit_of(&id).await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|a| a["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["delete", "update", "create"]);
    assert!(audit.iter().all(|a| a["entity_type"] == "idea"));
    assert_eq!(audit[1]["user_id"], "carla");
    assert_eq!(
        audit[1]["changes"]["fields"],
        json!(["description", "due_date", "priority", "system_id"])
    );
    assert_eq!(audit[2]["changes"]["after"]["title"], "Dark mode");
    assert!(
        audit[2]["changes"]["after"].get("system").is_none(),
        "the image is the idea's own"
    );
}

async fn creates_validate_and_default(app: TestApp) {
    let plain = create_idea(&app, json!({"title": "T", "category": "content"})).await;
    assert_eq!(plain["status"], "backlog");
    assert_eq!(plain["priority"], "medium");
    assert_eq!(plain["tags"], json!([]));
    assert_eq!(plain["completed_at"], Value::Null);
    assert_eq!(plain["system"], Value::Null);
    assert_eq!(plain["created_by"], "anonymous");
    for category in ["new_feature", "bug_fix", "api", "infrastructure"] {
        create_idea(
            &app,
            json!({"title": category, "category": category, "status": "cancelled"}),
        )
        .await;
    }

    let missing = app.post("/api/v1/ideas", json!({})).await;
    missing.envelope(400, "VALIDATION_ERROR");
    assert_eq!(missing.error_fields(), ["category", "title"]);
    let bad = app
        .post(
            "/api/v1/ideas",
            json!({"title": "x".repeat(256), "category": "docs", "status": "new", "priority": "critical",
                   "description": "d".repeat(2001), "assigned_to": "a".repeat(101), "system_id": "nope",
                   "tags": [1], "estimated_hours": 0, "actual_hours": 10_001, "due_date": "tomorrow"}),
        )
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        bad.error_fields(),
        [
            "title",
            "description",
            "status",
            "category",
            "priority",
            "assigned_to",
            "system_id",
            "tags.0",
            "estimated_hours",
            "actual_hours",
            "due_date"
        ]
    );
    let camel = app
        .post(
            "/api/v1/ideas",
            json!({"title": "t", "category": "api", "estimatedHours": 1001}),
        )
        .await;
    camel.envelope(400, "VALIDATION_ERROR");
    assert_eq!(camel.error_fields(), ["estimatedHours"], "named as sent");
    let blank = app
        .post("/api/v1/ideas", json!({"title": "   ", "category": "api"}))
        .await;
    blank.envelope(400, "VALIDATION_ERROR");
    assert_eq!(app.count_rows("documentation_ideas").await, 5);
    assert_eq!(
        app.count_rows("documentation_audit_log").await,
        5,
        "none for refusals"
    );
}

async fn system_id_must_reference_a_system(app: TestApp) {
    let refused = app
        .post(
            "/api/v1/ideas",
            json!({"title": "orphan", "category": "api", "system_id": MISSING}),
        )
        .await;
    refused.envelope(400, "VALIDATION_ERROR");
    assert_eq!(refused.error_fields(), ["system_id"]);
    assert_eq!(
        refused.field_message("system_id"),
        "Referenced system not found"
    );
    assert_eq!(
        app.count_rows("documentation_ideas").await,
        0,
        "nothing stored"
    );
    assert_eq!(
        app.count_rows("documentation_audit_log").await,
        0,
        "no audit row"
    );

    let idea = create_idea(&app, json!({"title": "t", "category": "api"})).await;
    let path = format!("/api/v1/ideas/{}", id_of(&idea));
    let refused = app
        .json(
            Method::PUT,
            &path,
            json!({"systemId": MISSING, "title": "new"}),
        )
        .await;
    refused.envelope(400, "VALIDATION_ERROR");
    assert_eq!(refused.error_fields(), ["system_id"]);
    assert_eq!(app.get(&path).await.body["data"], idea, "unchanged");
    assert_eq!(app.audit_of(id_of(&idea)).await.len(), 1);

    let system = app.create_system("Grafana").await;
    let linked = app
        .json(Method::PUT, &path, json!({"system_id": system["id"]}))
        .await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.text);
    assert_eq!(linked.body["data"]["system"], system);
    let listed = app.get("/api/v1/ideas").await;
    assert_eq!(listed.body["data"][0]["system"], system);
    let kanban = app.get("/api/v1/ideas/kanban").await;
    assert_eq!(kanban.body["data"]["backlog"][0]["system"], system);
}

async fn completed_at_follows_done(app: TestApp) {
    let born_done = create_idea(
        &app,
        json!({"title": "shipped", "category": "api", "status": "done"}),
    )
    .await;
    let stamp = born_done["completed_at"]
        .as_str()
        .expect("set on create as done");
    assert_eq!(stamp, born_done["created_at"].as_str().expect("created_at"));

    let idea = create_idea(
        &app,
        json!({"title": "t", "category": "api", "status": "review"}),
    )
    .await;
    assert_eq!(idea["completed_at"], Value::Null);
    let path = format!("/api/v1/ideas/{}", id_of(&idea));
    let done = app
        .json(Method::PUT, &path, json!({"status": "done"}))
        .await;
    let completed = done.body["data"]["completed_at"].clone();
    assert!(completed.is_string(), "set on entering done: {}", done.text);
    assert_eq!(completed, done.body["data"]["updated_at"]);
    let still = app
        .json(
            Method::PUT,
            &path,
            json!({"title": "renamed", "completed_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        still.body["data"]["completed_at"], completed,
        "kept while done"
    );
    let reopened = app
        .json(Method::PUT, &path, json!({"status": "in_progress"}))
        .await;
    assert_eq!(
        reopened.body["data"]["completed_at"],
        Value::Null,
        "cleared on leaving"
    );
    let audit = app.audit_of(id_of(&idea)).await;
    assert_eq!(
        audit[0]["changes"]["fields"],
        json!(["completed_at", "status"])
    );
    assert_eq!(audit[0]["action"], "update", "completed_at moved too");
}

async fn updates_refuse_unknown_keys_and_change_nothing_when_equal(app: TestApp) {
    let idea = create_idea(
        &app,
        json!({"title": "t", "category": "api", "tags": ["a"]}),
    )
    .await;
    let path = format!("/api/v1/ideas/{}", id_of(&idea));
    let unknown = app
        .json(
            Method::PUT,
            &path,
            json!({"titel": "typo", "status": "todo"}),
        )
        .await;
    unknown.envelope(400, "VALIDATION_ERROR");
    assert_eq!(unknown.error_fields(), ["titel"]);
    let empty = app
        .json(
            Method::PUT,
            &path,
            json!({"id": "x", "created_by": "y", "completed_at": null, "system": null}),
        )
        .await;
    empty.envelope(400, "VALIDATION_ERROR");
    assert_eq!(empty.body["error"], "No valid fields to update");
    // The idea sent back as it was read changes nothing.
    let same = app.json(Method::PUT, &path, idea.clone()).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);
    assert_eq!(same.body["data"], idea, "stamps included");
    assert_eq!(
        app.audit_of(id_of(&idea)).await.len(),
        1,
        "no row for no change"
    );
    let aliases = app
        .json(
            Method::PUT,
            &path,
            json!({"assignedTo": "dora", "actualHours": 3, "dueDate": null}),
        )
        .await;
    assert_eq!(aliases.status, StatusCode::OK, "{}", aliases.text);
    assert_eq!(
        (
            aliases.body["data"]["assigned_to"].as_str(),
            aliases.body["data"]["actual_hours"].as_i64()
        ),
        (Some("dora"), Some(3))
    );
    let status = app
        .json(Method::PUT, &path, json!({"status": "todo"}))
        .await;
    assert_eq!(status.body["data"]["status"], "todo");
    let audit = app.audit_of(id_of(&idea)).await;
    assert_eq!(audit[0]["action"], "status_change");
    assert_eq!(audit[1]["action"], "update");
}
