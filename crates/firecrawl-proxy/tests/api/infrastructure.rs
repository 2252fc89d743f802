//! The fleet stack as the proxy wears it: health (degraded, never unhealthy, when
//! Firecrawl is down), readiness, metrics (the fleet's and `tradingsystem_firecrawl_*`),
//! the service description, OpenAPI, unknown routes, inbound auth, and configuration
//! errors.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::{fake, refused_url, spawn, spawn_with};

#[tokio::test]
async fn health_reports_firecrawl_and_readiness_ignores_it() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v0/health/readiness",
        ResponseTemplate::new(200).set_body_json(json!({"status": "ok"})),
    )
    .await;
    let health = app.get("/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "healthy");
    assert_eq!(health.body["service"], "firecrawl-proxy");
    assert_eq!(health.body["checks"]["firecrawl"]["status"], "healthy");
    assert!(health.body["checks"]["firecrawl"]["responseTime"].is_u64());
    for key in ["version", "timestamp", "uptime", "responseTime"] {
        assert!(health.body.get(key).is_some(), "{key}");
    }
    assert_eq!(
        app.upstream_calls().await,
        [("GET".to_string(), "/v0/health/readiness".to_string())]
    );

    let down = spawn_with(&[("FIRECRAWL_PROXY_BASE_URL", &refused_url().await)]).await;
    let health = down.get("/health").await;
    assert_eq!(health.status, 200, "degraded is still 200");
    assert_eq!(health.body["status"], "degraded");
    assert_eq!(health.body["checks"]["firecrawl"]["status"], "degraded");
    assert_eq!(
        health.body["checks"]["firecrawl"]["message"],
        "Firecrawl service unavailable"
    );
    assert!(!health.text.contains("127.0.0.1"));
    let ready = down.get("/ready").await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(down.get("/healthz").await.body["status"], "healthy");
}

#[tokio::test]
async fn an_unready_or_slow_firecrawl_degrades_health() {
    let app = spawn_with(&[("FIRECRAWL_PROXY_TIMEOUT", "300")]).await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v0/health/readiness",
        ResponseTemplate::new(503),
    )
    .await;
    let health = app.get("/health").await;
    assert_eq!(
        (health.status.as_u16(), &health.body["status"]),
        (200, &json!("degraded"))
    );
    assert_eq!(
        health.body["checks"]["firecrawl"]["message"],
        "Firecrawl is not ready (HTTP 503)"
    );

    let slow = spawn_with(&[("FIRECRAWL_PROXY_TIMEOUT", "300")]).await;
    fake::slow(
        &slow.firecrawl,
        "GET",
        "/v0/health/readiness",
        ResponseTemplate::new(200),
        Duration::from_secs(3),
    )
    .await;
    let health = slow.get("/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["checks"]["firecrawl"]["status"], "degraded");
    assert_eq!(
        health.body["checks"]["firecrawl"]["message"],
        "Firecrawl did not answer within 300 ms"
    );
}

#[tokio::test]
async fn metrics_count_firecrawl_traffic() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
    )
    .await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/crawl",
        fake::crawl_started("job1"),
    )
    .await;
    for status in ["scraping", "completed", "cancelled"] {
        fake::on(
            &app.firecrawl,
            "GET",
            &format!("/v1/crawl/{status}-id"),
            fake::status_page("x", status, None),
        )
        .await;
    }
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/weird-id",
        fake::status_page("x", "paused", None),
    )
    .await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/failed-id",
        ResponseTemplate::new(200).set_body_json(json!({"success": false, "error": "x"})),
    )
    .await;
    for _ in 0..2 {
        app.post("/api/v1/scrape", json!({"url": "https://example.com"}))
            .await;
    }
    app.post(
        "/api/v1/scrape",
        json!({"url": "https://unknown.example", "timeout": 5000}),
    )
    .await;
    let app_failure = app
        .post("/api/v1/crawl", json!({"url": "https://example.com"}))
        .await;
    assert_eq!(app_failure.status, 200);
    for id in [
        "scraping-id",
        "completed-id",
        "cancelled-id",
        "failed-id",
        "weird-id",
        "missing-id",
    ] {
        app.get(&format!("/api/v1/crawl/{id}")).await;
    }
    let text = app.metrics().await;
    for line in [
        r#"tradingsystem_firecrawl_scrape_total{service="firecrawl-proxy",status="success"} 3"#,
        r#"tradingsystem_firecrawl_crawl_jobs_total{service="firecrawl-proxy",status="success"} 1"#,
        r#"tradingsystem_firecrawl_crawl_status_checks_total{crawl_status="scraping",service="firecrawl-proxy"} 1"#,
        r#"tradingsystem_firecrawl_crawl_status_checks_total{crawl_status="completed",service="firecrawl-proxy"} 1"#,
        r#"tradingsystem_firecrawl_crawl_status_checks_total{crawl_status="cancelled",service="firecrawl-proxy"} 1"#,
        r#"tradingsystem_firecrawl_crawl_status_checks_total{crawl_status="failed",service="firecrawl-proxy"} 1"#,
        r#"tradingsystem_firecrawl_crawl_status_checks_total{crawl_status="unknown",service="firecrawl-proxy"} 1"#,
        r#"tradingsystem_firecrawl_crawl_status_checks_total{crawl_status="error",service="firecrawl-proxy"} 1"#,
        r#"tradingsystem_firecrawl_scrape_duration_seconds_bucket{service="firecrawl-proxy",status="success",le="120"} 3"#,
        r#"tradingsystem_firecrawl_upstream_in_flight{service="firecrawl-proxy"} 0"#,
        r#"tradingsystem_http_requests_total{method="GET",route="/api/v1/crawl/{id}",service="firecrawl-proxy",status="200"} 5"#,
        r#"tradingsystem_http_requests_total{method="GET",route="/api/v1/crawl/{id}",service="firecrawl-proxy",status="404"} 1"#,
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(line), "missing {line}\n{text}");
    }
    assert!(
        !text.contains("missing-id") && !text.contains("paused"),
        "raw ids and statuses never become labels"
    );

    // A failed scrape and a failed crawl start count as failures.
    let down = spawn_with(&[("FIRECRAWL_PROXY_BASE_URL", &refused_url().await)]).await;
    down.post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    down.post("/api/v1/crawl", json!({"url": "https://example.com"}))
        .await;
    down.post("/api/v1/crawl", json!({})).await;
    let text = down.metrics().await;
    assert!(
        text.contains(
            r#"tradingsystem_firecrawl_scrape_total{service="firecrawl-proxy",status="failure"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"tradingsystem_firecrawl_crawl_jobs_total{service="firecrawl-proxy",status="failure"} 1"#), "{text}");
}

#[tokio::test]
async fn the_root_describes_the_service() {
    let app = spawn().await;
    let info = app.get("/").await;
    assert_eq!(info.status, 200);
    assert_eq!(info.body["success"], true);
    assert_eq!(info.body["data"]["service"], "firecrawl-proxy");
    assert_eq!(info.body["data"]["endpoints"]["scrape"], "/api/v1/scrape");
    assert_eq!(
        info.body["data"]["endpoints"]["crawlStatus"],
        "/api/v1/crawl/{id}"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json() {
    let app = spawn().await;
    let missing = app.get("/api/v2/scrape").await;
    missing.envelope(404, "ROUTE_NOT_FOUND");
    assert_eq!(missing.body["error"], "Cannot GET /api/v2/scrape");
    let wrong = app.get("/api/v1/scrape").await;
    wrong.envelope(405, "METHOD_NOT_ALLOWED");
    assert_eq!(wrong.header("allow"), Some("POST"));
    app.send(app.request(Method::PUT, "/api/v1/crawl/abc"))
        .await
        .envelope(405, "METHOD_NOT_ALLOWED");
    assert!(app.upstream_calls().await.is_empty());
}

#[tokio::test]
async fn inbound_tokens_guard_mutations_only() {
    const TOKEN: &str = "0123456789abcdef0123";
    let app = spawn_with(&[("AUTH_TOKENS", &format!("dashboard:{TOKEN}"))]).await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
    )
    .await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/abc",
        fake::status_page("abc", "completed", None),
    )
    .await;
    let anonymous = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    anonymous.envelope(401, "UNAUTHORIZED");
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        app.get("/api/v1/crawl/abc").await.status,
        200,
        "reads stay open"
    );
    let signed = app
        .send(
            app.request(Method::POST, "/api/v1/scrape")
                .bearer_auth(TOKEN)
                .json(&json!({"url": "https://example.com"})),
        )
        .await;
    assert_eq!(signed.status, 200);
    let seen = app.firecrawl.received_requests().await.expect("recorded");
    assert!(
        seen.iter()
            .all(|r| r.headers.get("authorization").is_none()),
        "the inbound token stays here"
    );
}

#[tokio::test]
async fn openapi_is_served() {
    let app = spawn().await;
    let json = app.get("/openapi.json").await;
    assert_eq!(json.status, 200);
    assert_eq!(json.body["openapi"], "3.1.0");
    assert!(json.body["paths"]["/api/v1/crawl/{id}"]["delete"].is_object());
    let yaml = app.get("/openapi.yaml").await;
    assert!(yaml.text.starts_with("openapi: 3.1.0"));
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_routed() {
    shared::testing::assert_routes_documented(
        &firecrawl_proxy::openapi(),
        firecrawl_proxy::api_routes().table(),
    );
}

#[test]
fn every_status_the_proxy_can_give_is_documented_on_upstream_routes() {
    let doc = firecrawl_proxy::openapi();
    let paths = &doc.document()["paths"];
    for (path, verb) in [
        ("/api/v1/scrape", "post"),
        ("/api/v1/crawl", "post"),
        ("/api/v1/crawl/{id}", "get"),
        ("/api/v1/crawl/{id}", "delete"),
        ("/api/v1/crawl/{id}/errors", "get"),
        ("/api/scrape", "post"),
        ("/api/crawl", "post"),
        ("/api/crawl/status/{id}", "get"),
    ] {
        let responses = &paths[path][verb]["responses"];
        for status in [
            "200", "400", "404", "409", "422", "429", "500", "502", "503", "504",
        ] {
            assert!(
                responses.get(status).is_some(),
                "{verb} {path} does not document {status}"
            );
        }
    }
}

#[test]
fn configuration_errors_name_each_variable_and_exit_78() {
    // An empty root: no env file of the developer's machine can interfere.
    let root = tempfile::tempdir().expect("temp root");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_firecrawl-proxy"))
        .env_clear()
        .env("TRADINGSYSTEM_ROOT", root.path())
        .env("FIRECRAWL_PROXY_BASE_URL", "firecrawl:3002")
        .env("FIRECRAWL_PROXY_TIMEOUT", "30s")
        .env("FIRECRAWL_PROXY_API_KEY", "two words")
        .output()
        .expect("run the binary");
    assert_eq!(output.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].starts_with(
            "config error: FIRECRAWL_PROXY_BASE_URL: invalid value \"firecrawl:3002\""
        ),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("config error: FIRECRAWL_PROXY_API_KEY: invalid value <redacted>"),
        "{stderr}"
    );
    assert!(
        lines[2].starts_with("config error: FIRECRAWL_PROXY_TIMEOUT: invalid value \"30s\""),
        "{stderr}"
    );
    assert!(!stderr.contains("two words"));
}
