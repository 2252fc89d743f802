//! Crawls: start, status (pagination forwarded, `next` rewritten, every status), cancel,
//! errors, the legacy aliases, and ids that try to reach another upstream path.

use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{fake, spawn, spawn_with};

#[tokio::test]
async fn a_started_crawl_points_at_this_proxy() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/crawl",
        fake::crawl_started(fake::CRAWL_ID),
    )
    .await;
    for path in ["/api/v1/crawl", "/api/crawl"] {
        let reply = app
            .post(path, json!({"url": "https://example.com", "limit": 10}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(
            reply.body,
            json!({"success": true, "data": {"id": fake::CRAWL_ID, "url": format!("/api/v1/crawl/{}", fake::CRAWL_ID)}})
        );
    }
    assert_eq!(app.upstream_calls().await.len(), 2);

    let public = spawn_with(&[(
        "FIRECRAWL_PROXY_PUBLIC_URL",
        "http://localhost:9080/api/firecrawl/",
    )])
    .await;
    fake::on(
        &public.firecrawl,
        "POST",
        "/v1/crawl",
        fake::crawl_started(fake::CRAWL_ID),
    )
    .await;
    let reply = public
        .post("/api/v1/crawl", json!({"url": "https://example.com"}))
        .await;
    assert_eq!(
        reply.body["data"]["url"],
        format!(
            "http://localhost:9080/api/firecrawl/api/v1/crawl/{}",
            fake::CRAWL_ID
        )
    );
}

#[tokio::test]
async fn an_unusable_crawl_id_from_firecrawl_is_bad_gateway() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/crawl",
        fake::crawl_started("../../admin"),
    )
    .await;
    app.post("/api/v1/crawl", json!({"url": "https://example.com"}))
        .await
        .envelope(502, "UPSTREAM_ERROR");
    let app = spawn().await;
    let no_id = ResponseTemplate::new(200).set_body_json(json!({"success": true}));
    fake::on(&app.firecrawl, "POST", "/v1/crawl", no_id).await;
    let reply = app
        .post("/api/v1/crawl", json!({"url": "https://example.com"}))
        .await;
    reply.envelope(502, "UPSTREAM_ERROR");
    assert_eq!(
        reply.body["error"],
        "Firecrawl error: the answer did not include a usable crawl id"
    );
}

#[tokio::test]
async fn status_forwards_paging_and_rewrites_next() {
    let app = spawn_with(&[(
        "FIRECRAWL_PROXY_PUBLIC_URL",
        "https://dash.example/api/firecrawl",
    )])
    .await;
    let id = fake::CRAWL_ID;
    Mock::given(method("GET"))
        .and(path(format!("/v1/crawl/{id}")))
        .and(query_param("skip", "1"))
        .and(query_param("limit", "1"))
        .respond_with(fake::status_page(id, "scraping", Some(2)))
        .mount(&app.firecrawl)
        .await;
    let reply = app
        .get(&format!("/api/v1/crawl/{id}?skip=1&limit=1&_t=123&other=x"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = &reply.body["data"];
    assert_eq!(data["status"], "scraping");
    assert_eq!(data["total"], 3);
    assert_eq!(data["completed"], 1);
    assert_eq!(data["data"][0]["markdown"], "# Hello");
    assert_eq!(
        data["next"],
        format!("https://dash.example/api/firecrawl/api/v1/crawl/{id}?skip=2&limit=1")
    );
    assert!(
        data.get("success").is_none(),
        "Firecrawl's own flag is not repeated inside data"
    );
    assert_eq!(
        app.upstream_calls().await,
        [("GET".to_string(), format!("/v1/crawl/{id}?skip=1&limit=1"))],
        "only skip and limit are forwarded"
    );

    app.get(&format!("/api/v1/crawl/{id}?skip=-1"))
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get(&format!("/api/v1/crawl/{id}?limit=0"))
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get(&format!("/api/v1/crawl/{id}?skip=abc"))
        .await
        .envelope(400, "VALIDATION_ERROR");
    assert_eq!(app.upstream_calls().await.len(), 1);
}

#[tokio::test]
async fn next_is_root_relative_by_default_and_absent_on_the_last_page() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/abc",
        fake::status_page("abc", "completed", Some(100)),
    )
    .await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/last",
        fake::status_page("last", "completed", None),
    )
    .await;
    let reply = app.get("/api/v1/crawl/abc").await;
    assert_eq!(
        reply.body["data"]["next"],
        "/api/v1/crawl/abc?skip=100&limit=1"
    );
    let reply = app.get("/api/crawl/status/last").await;
    assert_eq!(reply.status, 200);
    assert!(reply.body["data"].get("next").is_none(), "{}", reply.text);
    assert!(!reply.text.contains("firecrawl-api"));
}

#[tokio::test]
async fn every_crawl_status_is_accepted() {
    let app = spawn().await;
    for status in ["scraping", "completed", "failed", "cancelled"] {
        fake::on(
            &app.firecrawl,
            "GET",
            &format!("/v1/crawl/job-{status}"),
            fake::status_page("x", status, None),
        )
        .await;
        let reply = app.get(&format!("/api/v1/crawl/job-{status}")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["success"], true);
        assert_eq!(reply.body["data"]["status"], status);
    }
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/gone",
        fake::error(404, None, "Job not found"),
    )
    .await;
    let reply = app.get("/api/v1/crawl/gone").await;
    reply.envelope(404, "NOT_FOUND");
    assert_eq!(reply.body["error"], "Job not found");
}

#[tokio::test]
async fn cancel_and_errors() {
    let app = spawn().await;
    let id = fake::CRAWL_ID;
    fake::on(
        &app.firecrawl,
        "DELETE",
        &format!("/v1/crawl/{id}"),
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "status": "cancelled"})),
    )
    .await;
    let errors = json!({"errors": [{"id": "j1", "timestamp": "2026-01-01T00:00:00.000Z", "url": "https://example.com/a", "error": "404"}], "robotsBlocked": ["https://example.com/private"]});
    fake::on(
        &app.firecrawl,
        "GET",
        &format!("/v1/crawl/{id}/errors"),
        ResponseTemplate::new(200).set_body_json(errors.clone()),
    )
    .await;
    let cancelled = app.delete(&format!("/api/v1/crawl/{id}")).await;
    assert_eq!(
        cancelled.body,
        json!({"success": true, "data": {"status": "cancelled"}})
    );
    let listed = app.get(&format!("/api/v1/crawl/{id}/errors")).await;
    assert_eq!(listed.body, json!({"success": true, "data": errors}));
    app.delete("/api/v1/crawl/bad.id")
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get("/api/v1/crawl/bad.id/errors")
        .await
        .envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        app.upstream_calls().await,
        [
            ("DELETE".to_string(), format!("/v1/crawl/{id}")),
            ("GET".to_string(), format!("/v1/crawl/{id}/errors")),
        ]
    );
}

#[tokio::test]
async fn ids_never_reach_another_upstream_path() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/AbC-123_x",
        fake::status_page("AbC-123_x", "completed", None),
    )
    .await;
    let long = "a".repeat(101);
    let invalid = [
        "/api/v1/crawl/a%2Fb",
        "/api/v1/crawl/..%2F..%2Fv0%2Fscrape",
        "/api/v1/crawl/%2E%2E",
        "/api/v1/crawl/..",
        "/api/v1/crawl/.",
        "/api/v1/crawl/a.b",
        "/api/v1/crawl/abc%3Fskip%3D1",
        "/api/v1/crawl/abc%23x",
        "/api/v1/crawl/%C3%A9t%C3%A9",
        "/api/v1/crawl/a%20b",
        "/api/v1/crawl/ongoing",
        "/api/v1/crawl/active",
        "/api/crawl/status/..%2F..%2Fv1%2Fscrape",
        "/api/crawl/status/%2E%2E",
        "/api/v1/crawl/%2E%2E/errors",
    ];
    for target in invalid {
        assert_eq!(app.raw_get(target).await, 400, "{target}");
    }
    assert_eq!(app.raw_get(&format!("/api/v1/crawl/{long}")).await, 400);
    // Extra segments match no route at all.
    for target in [
        "/api/v1/crawl/a/b",
        "/api/crawl/status/../../v1/scrape",
        "/api/v1/crawl/../scrape",
    ] {
        assert_eq!(app.raw_get(target).await, 404, "{target}");
    }
    assert!(
        app.upstream_calls().await.is_empty(),
        "{:?}",
        app.upstream_calls().await
    );

    let reply = app.get("/api/v1/crawl/AbC-123_x").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        app.raw_get(&format!("/api/v1/crawl/{}", "a".repeat(100)))
            .await,
        404,
        "100 characters pass (unknown upstream)"
    );
    assert_eq!(
        app.upstream_calls().await,
        [
            ("GET".to_string(), "/v1/crawl/AbC-123_x".to_string()),
            ("GET".to_string(), format!("/v1/crawl/{}", "a".repeat(100))),
        ]
    );
}
