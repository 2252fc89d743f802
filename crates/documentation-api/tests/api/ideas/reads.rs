//! Idea reads: the list's filters, order and pages, the kanban, unlinking on a system's
//! deletion, and bad or missing ids.

use super::*;
use crate::both_backends;

both_backends!(
    lists_filter_order_and_paginate,
    kanban_has_every_column_in_priority_order,
    deleting_a_system_unlinks_its_ideas,
    bad_ids_and_missing_ideas,
);

async fn lists_filter_order_and_paginate(app: TestApp) {
    let system = app.create_system("Prometheus").await;
    for (title, status, category, priority, assignee, due) in [
        (
            "Alpha 100%",
            "in_progress",
            "new_feature",
            "low",
            "ana",
            Some("2026-05-01"),
        ),
        ("bravo", "todo", "bug_fix", "urgent", "bob", None),
        (
            "Charlie",
            "in_progress",
            "bug_fix",
            "high",
            "ana",
            Some("2026-01-01"),
        ),
        ("delta", "done", "content", "medium", "bob", None),
    ] {
        let mut body = json!({"title": title, "status": status, "category": category, "priority": priority,
                              "assigned_to": assignee, "due_date": due, "description": format!("about {title}")});
        if title == "bravo" {
            body["system_id"] = system["id"].clone();
        }
        create_idea(&app, body).await;
    }
    let all = app.get("/api/v1/ideas").await;
    assert_eq!(
        (all.body["count"].as_i64(), all.body["total"].as_i64()),
        (Some(4), Some(4))
    );
    assert_eq!(
        titles(&all),
        ["delta", "Charlie", "bravo", "Alpha 100%"],
        "newest change first"
    );
    let by = async |q: &str| app.get(&format!("/api/v1/ideas?{q}")).await;
    assert_eq!(
        titles(&by("status=in_progress").await),
        ["Charlie", "Alpha 100%"]
    );
    assert_eq!(titles(&by("category=new_feature").await), ["Alpha 100%"]);
    assert_eq!(
        titles(&by("category=bug_fix&priority=urgent").await),
        ["bravo"]
    );
    assert_eq!(
        titles(&by(&format!("system_id={}", id_of(&system))).await),
        ["bravo"]
    );
    assert_eq!(titles(&by("assigned_to=bob").await), ["delta", "bravo"]);
    assert_eq!(titles(&by("search=CHAR").await), ["Charlie"], "any case");
    assert_eq!(
        titles(&by("search=about%20b").await),
        ["bravo"],
        "description too"
    );
    assert_eq!(
        titles(&by("search=0%25").await),
        ["Alpha 100%"],
        "% is literal"
    );
    assert!(titles(&by("search=_").await).is_empty(), "_ is literal");
    let filtered = by("status=todo&search=bra").await;
    assert_eq!(
        filtered.body["filters"],
        json!({"status": "todo", "search": "bra", "offset": 0,
                                                 "order_by": "updated_at", "order_direction": "DESC"})
    );
    assert_eq!(
        titles(&by("order_by=priority").await),
        ["bravo", "Charlie", "delta", "Alpha 100%"],
        "urgent first, by meaning"
    );
    assert_eq!(
        titles(&by("order_by=priority&order_direction=asc").await),
        ["Alpha 100%", "delta", "Charlie", "bravo"]
    );
    assert_eq!(
        titles(&by("order_by=title&order_direction=ASC").await),
        ["Alpha 100%", "bravo", "Charlie", "delta"]
    );
    assert_eq!(
        titles(&by("order_by=due_date&order_direction=asc").await),
        ["Charlie", "Alpha 100%", "bravo", "delta"],
        "no date last"
    );
    assert_eq!(
        titles(&by("order_by=due_date").await)[..2],
        ["Alpha 100%", "Charlie"]
    );
    assert_eq!(
        titles(&by("order_by=status&order_direction=asc").await)[0],
        "bravo"
    );
    let page = by("order_by=title&order_direction=asc&limit=2&offset=1").await;
    assert_eq!(titles(&page), ["bravo", "Charlie"]);
    assert_eq!(
        (page.body["count"].as_i64(), page.body["total"].as_i64()),
        (Some(2), Some(4))
    );
    let past = by("limit=2&offset=10").await;
    assert_eq!(
        (past.body["count"].as_i64(), past.body["total"].as_i64()),
        (Some(0), Some(4))
    );
    let bad = by("status=new&category=docs&priority=critical&system_id=x&limit=1001&order_by=owner&order_direction=up").await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        bad.error_fields(),
        [
            "system_id",
            "status",
            "category",
            "priority",
            "limit",
            "order_by",
            "order_direction"
        ]
    );
    by("status=todo&status=done")
        .await
        .envelope(400, "VALIDATION_ERROR");
}

async fn kanban_has_every_column_in_priority_order(app: TestApp) {
    let empty = app.get("/api/v1/ideas/kanban").await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(
        empty.body["data"],
        json!({"backlog": [], "todo": [], "in_progress": [], "review": [], "done": [], "cancelled": []})
    );
    for (title, status, priority) in [
        ("low", "backlog", "low"),
        ("high old", "backlog", "high"),
        ("urgent", "backlog", "urgent"),
        ("medium", "backlog", "medium"),
        ("high new", "backlog", "high"),
        ("dropped", "cancelled", "low"),
        ("shipped", "done", "high"),
    ] {
        create_idea(
            &app,
            json!({"title": title, "status": status, "priority": priority, "category": "api"}),
        )
        .await;
    }
    let board = app.get("/api/v1/ideas/kanban").await;
    let column = |name: &str| -> Vec<String> {
        board.body["data"][name]
            .as_array()
            .expect("column")
            .iter()
            .map(|i| i["title"].as_str().expect("title").to_string())
            .collect()
    };
    assert_eq!(
        column("backlog"),
        ["urgent", "high new", "high old", "medium", "low"]
    );
    assert_eq!(column("cancelled"), ["dropped"]);
    assert_eq!(column("done"), ["shipped"]);
    assert!(
        column("todo").is_empty()
            && column("in_progress").is_empty()
            && column("review").is_empty()
    );
    let keys: Vec<&String> = board.body["data"]
        .as_object()
        .expect("columns")
        .keys()
        .collect();
    assert_eq!(keys.len(), 6);
    assert_eq!(board.body["data"]["done"][0]["system"], Value::Null);
}

async fn deleting_a_system_unlinks_its_ideas(app: TestApp) {
    let system = app.create_system("Retired").await;
    let idea = create_idea(
        &app,
        json!({"title": "t", "category": "api", "system_id": system["id"]}),
    )
    .await;
    assert_eq!(idea["system"]["name"], "Retired");
    let deleted = app
        .delete(&format!("/api/v1/systems/{}", id_of(&system)))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    let read = app.get(&format!("/api/v1/ideas/{}", id_of(&idea))).await;
    assert_eq!(read.body["data"]["system_id"], Value::Null);
    assert_eq!(read.body["data"]["system"], Value::Null);
    assert_eq!(read.body["data"]["title"], "t", "the idea stays");
}

async fn bad_ids_and_missing_ideas(app: TestApp) {
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"title": "x"}))),
        (Method::DELETE, None),
    ] {
        let mut request = app.request(method.clone(), "/api/v1/ideas/not-a-uuid");
        if let Some(body) = &body {
            request = request.json(body);
        }
        let bad = app.send(request).await;
        bad.envelope(400, "VALIDATION_ERROR");
        assert_eq!(bad.error_fields(), ["id"], "{method}");
        let mut request = app.request(method.clone(), &format!("/api/v1/ideas/{MISSING}"));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let missing = app.send(request).await;
        missing.envelope(404, "NOT_FOUND");
        assert_eq!(missing.body["error"], "Idea not found", "{method}");
    }
    assert_eq!(app.count_rows("documentation_audit_log").await, 0);
}
