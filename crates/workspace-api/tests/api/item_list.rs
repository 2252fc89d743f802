//! The item list: filters, sort and pagination, bad queries, and a cache that every
//! write (this instance's, another's, many at once) keeps true.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, spawn_sharing};

both_backends!(
    list_filters_sort_and_paginate,
    list_rejects_bad_queries,
    list_reflects_every_write,
    another_instance_write_invalidates_the_list,
    concurrent_writes_lose_nothing,
);

async fn list_filters_sort_and_paginate(app: TestApp) {
    for (title, priority, tags) in [
        ("Alpha", "low", vec!["x"]),
        ("beta", "critical", vec!["needle"]),
        ("Gamma", "high", vec![]),
        ("delta", "medium", vec![]),
    ] {
        let reply = app
            .json(Method::POST, "/api/items", json!({"title": title, "description": "d", "category": "dashboard", "priority": priority, "tags": tags}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    app.json(Method::POST, "/api/items", json!({"title": "other", "description": "find ME here", "category": "banco-dados", "priority": "low"})).await;

    let all = app.get("/api/items").await;
    assert_eq!(
        (all.body["count"].as_i64(), all.body["total"].as_i64()),
        (Some(5), Some(5))
    );
    assert_eq!(
        all.body["data"][0]["title"], "other",
        "newest first by default"
    );
    assert_eq!(
        all.body["filters"],
        json!({"offset": 0, "sort": "createdAt", "order": "desc"})
    );

    let page = app
        .get("/api/items?limit=2&offset=1&sort=title&order=asc")
        .await;
    assert_eq!(page.body["count"], 2);
    assert_eq!(page.body["total"], 5);
    let titles: Vec<&str> = page.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| i["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["beta", "delta"], "case-insensitive title order");
    assert_eq!(
        page.body["filters"],
        json!({"limit": 2, "offset": 1, "sort": "title", "order": "asc"})
    );

    let beyond = app.get("/api/items?limit=2&offset=10").await;
    assert_eq!(
        (beyond.body["count"].as_i64(), beyond.body["total"].as_i64()),
        (Some(0), Some(5))
    );

    let by_priority = app.get("/api/items?sort=priority&category=dashboard").await;
    let priorities: Vec<&str> = by_priority.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| i["priority"].as_str().expect("p"))
        .collect();
    assert_eq!(priorities, ["critical", "high", "medium", "low"]);

    assert_eq!(
        app.get("/api/items?search=NEEDLE").await.body["data"][0]["title"],
        "beta",
        "tags are searched"
    );
    assert_eq!(
        app.get("/api/items?search=find%20me").await.body["total"],
        1,
        "description, case-insensitive"
    );
    assert_eq!(
        app.get("/api/items?search=%25").await.body["total"],
        0,
        "% is literal"
    );
    assert_eq!(
        app.get("/api/items?priority=low&category=banco-dados")
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/items?category=unknown-slug").await.body["total"],
        0
    );
    assert_eq!(
        app.get("/api/items?status=new&_t=12345").await.body["total"],
        5,
        "_t is ignored"
    );
}

async fn list_rejects_bad_queries(app: TestApp) {
    for (query, field, message) in [
        ("foo=bar", "foo", "Unrecognized key: \"foo\""),
        ("limit=0", "limit", "Too small: expected number to be >0"),
        (
            "limit=1001",
            "limit",
            "Too big: expected number to be <=1000",
        ),
        (
            "limit=abc",
            "limit",
            "Invalid input: expected number, received NaN",
        ),
        (
            "limit=1.5",
            "limit",
            "Invalid input: expected int, received number",
        ),
        (
            "offset=-1",
            "offset",
            "Too small: expected number to be >=0",
        ),
        (
            "category=Bad",
            "category",
            "Category must be lowercase letters, numbers, and hyphens only",
        ),
        (
            "status=a&status=b",
            "status",
            "Invalid input: expected a single value for \"status\"",
        ),
        (
            "sort=id",
            "sort",
            "Invalid option: expected one of \"createdAt\"|\"updatedAt\"|\"priority\"|\"title\"",
        ),
    ] {
        let reply = app.get(&format!("/api/items?{query}")).await;
        reply.envelope(400, "VALIDATION_ERROR");
        assert_eq!(reply.body["errors"][0]["field"], field, "{query}");
        assert_eq!(reply.body["errors"][0]["message"], message, "{query}");
    }
}

async fn list_reflects_every_write(app: TestApp) {
    assert_eq!(app.get("/api/items").await.body["total"], 0);
    let item = app.create_item("one").await;
    let id = item["id"].as_str().expect("id");
    assert_eq!(
        app.get("/api/items").await.body["total"],
        1,
        "a create invalidates the cached list"
    );
    app.json(
        Method::PUT,
        &format!("/api/items/{id}"),
        json!({"title": "renamed"}),
    )
    .await;
    assert_eq!(
        app.get("/api/items").await.body["data"][0]["title"],
        "renamed"
    );
    app.delete(&format!("/api/items/{id}")).await;
    assert_eq!(app.get("/api/items").await.body["total"], 0);
}

async fn another_instance_write_invalidates_the_list(app: TestApp) {
    let other = spawn_sharing(&app).await;
    assert_eq!(app.get("/api/items").await.body["total"], 0, "cached empty");
    let item = other.post("/api/items", json!({"title": "elsewhere", "description": "d", "category": "dashboard", "priority": "low"})).await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.text);
    assert_eq!(
        app.get("/api/items").await.body["total"],
        1,
        "another instance's create is seen at once"
    );
    let id = item.body["data"]["id"].as_str().expect("id");
    other
        .json(
            Method::PUT,
            &format!("/api/items/{id}"),
            json!({"title": "moved on"}),
        )
        .await;
    assert_eq!(
        app.get("/api/items").await.body["data"][0]["title"],
        "moved on"
    );
    // Each instance writes on top of what the other wrote, If-Match included.
    let path = format!("/api/items/{id}");
    let mine = app
        .json(Method::PUT, &path, json!({"status": "review"}))
        .await;
    assert_eq!(mine.header("etag"), Some("\"v3\""));
    other
        .json(Method::PUT, &path, json!({"priority": "high"}))
        .await;
    let on_top = app
        .send(
            app.request(Method::PUT, &path)
                .header("if-match", "\"v4\"")
                .json(&json!({"title": "third"})),
        )
        .await;
    assert_eq!(on_top.status, StatusCode::OK, "{}", on_top.text);
    assert_eq!(on_top.header("etag"), Some("\"v5\""));
    let data = &on_top.body["data"];
    assert_eq!(
        (&data["status"], &data["priority"], &data["title"]),
        (&json!("review"), &json!("high"), &json!("third"))
    );
    other.delete(&path).await;
    app.json(Method::PUT, &path, json!({"title": "gone"}))
        .await
        .envelope(404, "NOT_FOUND");
}

/// Writers racing on one item and on the table: every update applies to the version
/// before it, and every write leaves its audit row.
async fn concurrent_writes_lose_nothing(app: TestApp) {
    const WRITERS: usize = 12;
    let item = app.create_item("contended").await;
    let path = format!("/api/items/{}", item["id"].as_str().expect("id"));
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..WRITERS {
        let update = app
            .request(Method::PUT, &path)
            .json(&json!({"title": format!("update {i}")}));
        let create = app.request(Method::POST, "/api/items").json(&json!({
            "title": format!("new {i}"), "description": "d", "category": "dashboard", "priority": "low"
        }));
        for request in [update, create] {
            writes.spawn(async move {
                let reply = request.send().await.expect("request");
                let etag = reply.headers().get("etag").cloned();
                (reply.status(), etag)
            });
        }
    }
    let mut etags = Vec::new();
    while let Some(done) = writes.join_next().await {
        let (status, etag) = done.expect("task");
        assert!(status.is_success(), "{status}");
        etags.push(etag.expect("etag"));
    }
    etags.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    etags.dedup();
    // Twelve creates at "v1", twelve updates at "v2" to "v13", each once.
    assert_eq!(etags.len(), WRITERS + 1, "{etags:?}");
    let current = app.get(&path).await;
    assert_eq!(
        current.header("etag"),
        Some(format!("\"v{}\"", WRITERS + 1).as_str())
    );
    let history = app.get(&format!("{path}/history")).await;
    assert_eq!(history.body["count"], WRITERS + 1);
    assert_eq!(app.get("/api/items").await.body["total"], WRITERS + 1);
    assert_eq!(
        app.count_rows("workspace_audit_log").await,
        i64::try_from(2 * WRITERS + 1).expect("small")
    );
}
