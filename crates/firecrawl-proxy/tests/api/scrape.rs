//! `POST /api/v1/scrape`: the envelope, the outbound key, the legacy alias, and the
//! upstream deadline stretched to the scrape's own budget.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{fake, spawn, spawn_with};

#[tokio::test]
async fn a_scrape_is_wrapped_as_success_and_data() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
    )
    .await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({"success": true, "data": fake::document("https://example.com")})
    );
    // A trailing slash is tolerated; the legacy alias makes the same v1 call.
    for path in ["/api/v1/scrape/", "/api/scrape"] {
        let again = app.post(path, json!({"url": "https://example.com"})).await;
        assert_eq!(again.body, reply.body, "{path}");
    }
    let calls = app.upstream_calls().await;
    assert_eq!(
        calls,
        vec![("POST".to_string(), "/v1/scrape".to_string()); 3]
    );
}

#[tokio::test]
async fn an_answer_without_data_is_the_document_itself() {
    let app = spawn().await;
    let bare = ResponseTemplate::new(200)
        .set_body_json(json!({"markdown": "# Bare", "metadata": {"statusCode": 200}}));
    fake::on(&app.firecrawl, "POST", "/v1/scrape", bare).await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    assert_eq!(
        reply.body,
        json!({"success": true, "data": {"markdown": "# Bare", "metadata": {"statusCode": 200}}})
    );
}

#[tokio::test]
async fn bearer_is_sent_only_when_a_key_is_configured() {
    let keyed = spawn_with(&[("FIRECRAWL_PROXY_API_KEY", "fc-secret-123")]).await;
    Mock::given(method("POST"))
        .and(path("/v1/scrape"))
        .and(header("authorization", "Bearer fc-secret-123"))
        .respond_with(fake::scrape_ok("https://example.com"))
        .mount(&keyed.firecrawl)
        .await;
    let reply = keyed
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(!reply.text.contains("fc-secret-123"));

    let fallback = spawn_with(&[("FIRECRAWL_API_KEY", "fc-fallback")]).await;
    fake::on(
        &fallback.firecrawl,
        "GET",
        "/v1/crawl/abc",
        fake::status_page("abc", "completed", None),
    )
    .await;
    fallback.get("/api/v1/crawl/abc").await;
    let seen = fallback
        .firecrawl
        .received_requests()
        .await
        .expect("recorded");
    assert_eq!(
        seen[0].headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer fc-fallback"[..])
    );

    let open = spawn().await;
    fake::on(
        &open.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
    )
    .await;
    // The inbound credentials of a caller are not Firecrawl's: never passed on.
    let reply = open
        .send(
            open.request(reqwest::Method::POST, "/api/v1/scrape")
                .bearer_auth("callers-own-token")
                .json(&json!({"url": "https://example.com"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let seen = open.firecrawl.received_requests().await.expect("recorded");
    assert_eq!(seen.len(), 1);
    assert!(seen[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn the_deadline_covers_the_scrapes_own_timeout_and_wait() {
    // Configured upstream timeout 300 ms, but the scrape asks Firecrawl for up to
    // 1000 + 200 ms: the proxy must wait for that (plus its margin), not give up at 300.
    let app = spawn_with(&[("FIRECRAWL_PROXY_TIMEOUT", "300")]).await;
    fake::slow(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
        Duration::from_millis(1_200),
    )
    .await;
    let reply = app
        .post(
            "/api/v1/scrape",
            json!({"url": "https://example.com", "timeout": 1000, "waitFor": 200}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // Calls that do not scrape keep the configured deadline.
    fake::slow(
        &app.firecrawl,
        "GET",
        "/v1/crawl/abc",
        fake::status_page("abc", "completed", None),
        Duration::from_millis(1_200),
    )
    .await;
    app.get("/api/v1/crawl/abc")
        .await
        .envelope(504, "UPSTREAM_TIMEOUT");
}
