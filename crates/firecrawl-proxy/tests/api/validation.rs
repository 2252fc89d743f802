//! The request rules (url, formats, `waitFor` 0–30000, `timeout` 1000–120000, crawl
//! limits, crawl ids): every rejected request is a
//! 400 in the fleet envelope naming each bad field, and never reaches Firecrawl; every
//! accepted edge value does reach it, with only the known keys.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fake, spawn};

async fn with_scrape_and_crawl() -> TestApp {
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
        fake::crawl_started(fake::CRAWL_ID),
    )
    .await;
    app
}

/// Asserts a 400 naming exactly `fields`, and returns the reply's messages by field.
async fn rejected(
    app: &TestApp,
    path: &str,
    body: Value,
    fields: &[&str],
) -> crate::helpers::Reply {
    let reply = app.post(path, body.clone()).await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(reply.error_fields(), fields, "{body}: {}", reply.text);
    reply
}

async fn accepted(app: &TestApp, path: &str, body: Value) {
    let reply = app.post(path, body.clone()).await;
    assert_eq!(reply.status, 200, "{body}: {}", reply.text);
}

#[tokio::test]
async fn scrape_url_is_required_http_and_bounded() {
    let app = with_scrape_and_crawl().await;
    for body in [json!({}), json!({"url": null}), json!({"url": "  "})] {
        let reply = rejected(&app, "/api/v1/scrape", body, &["url"]).await;
        assert_eq!(reply.field_message("url"), "URL is required");
        assert_eq!(
            reply.body["error"],
            "Validation failed: url: URL is required"
        );
    }
    for url in [
        json!("ftp://example.com/file"),
        json!("example.com"),
        json!("http:example.com"),
        json!("http://"),
        json!("http://exa mple.com"),
        json!("javascript:alert(1)"),
        json!(42),
    ] {
        let reply = rejected(&app, "/api/v1/scrape", json!({"url": url}), &["url"]).await;
        assert_eq!(
            reply.field_message("url"),
            "URL must be valid and use http/https"
        );
    }
    let prefix = "https://example.com/";
    let too_long = format!("{prefix}{}", "a".repeat(2049 - prefix.len()));
    let reply = rejected(&app, "/api/v1/scrape", json!({"url": too_long}), &["url"]).await;
    assert_eq!(reply.field_message("url"), "URL exceeds maximum length");
    assert!(
        app.upstream_calls().await.is_empty(),
        "nothing rejected reaches Firecrawl"
    );

    let longest = format!("{prefix}{}", "a".repeat(2048 - prefix.len()));
    for url in [
        longest.as_str(),
        "http://localhost:8080/page",
        "http://127.0.0.1/x",
        "http://[::1]:3000/",
        "HTTPS://Example.COM/Path?q=1#frag",
    ] {
        accepted(&app, "/api/v1/scrape", json!({"url": url})).await;
    }
    let sent: Vec<Value> = app
        .upstream_bodies()
        .await
        .iter()
        .map(|b| b["url"].clone())
        .collect();
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[0], longest.as_str());
    assert_eq!(
        sent[4], "HTTPS://Example.COM/Path?q=1#frag",
        "the URL is forwarded as given"
    );
}

#[tokio::test]
async fn scrape_options_have_types_enums_and_bounds() {
    let app = with_scrape_and_crawl().await;
    let url = "https://example.com";
    let cases: [(Value, &str); 14] = [
        (json!({"formats": ["markdown", "pdf"]}), "formats.1"),
        (json!({"formats": "markdown"}), "formats"),
        (json!({"formats": [""]}), "formats.0"),
        (json!({"formats": [1]}), "formats.0"),
        (json!({"onlyMainContent": "yes"}), "onlyMainContent"),
        (json!({"waitFor": -1}), "waitFor"),
        (json!({"waitFor": 30001}), "waitFor"),
        (json!({"waitFor": 1.5}), "waitFor"),
        (json!({"timeout": 999}), "timeout"),
        (json!({"timeout": 120001}), "timeout"),
        (json!({"timeout": "5000"}), "timeout"),
        (json!({"includeTags": "main"}), "includeTags"),
        (json!({"excludeTags": ["nav", ""]}), "excludeTags.1"),
        (json!({"includeTags": ["x".repeat(2049)]}), "includeTags.0"),
    ];
    for (mut body, field) in cases {
        body["url"] = json!(url);
        rejected(&app, "/api/v1/scrape", body, &[field]).await;
    }
    let reply = rejected(
        &app,
        "/api/v1/scrape",
        json!({"url": url, "waitFor": 30001}),
        &["waitFor"],
    )
    .await;
    assert_eq!(
        reply.field_message("waitFor"),
        "waitFor must be an integer from 0 to 30000"
    );
    // Every problem at once, in the order the fields are checked.
    rejected(
        &app,
        "/api/v1/scrape",
        json!({"url": "ftp://x", "formats": ["nope"], "waitFor": -5, "timeout": 10}),
        &["url", "formats.0", "waitFor", "timeout"],
    )
    .await;
    assert!(app.upstream_calls().await.is_empty());

    // The edges are accepted, the whole enum too, and 120000 (the dashboard's maximum,
    // above the original proxy's 60000).
    for body in [
        json!({"url": url, "waitFor": 0, "timeout": 1000}),
        json!({"url": url, "waitFor": 30000, "timeout": 120000}),
        json!({"url": url, "formats": ["markdown", "html", "rawHtml", "links", "screenshot", "screenshot@fullPage", "json"]}),
        json!({"url": url, "formats": [], "onlyMainContent": false, "includeTags": ["main"], "excludeTags": []}),
    ] {
        accepted(&app, "/api/v1/scrape", body).await;
    }
    assert_eq!(app.upstream_calls().await.len(), 4);
}

#[tokio::test]
async fn only_known_keys_are_forwarded() {
    let app = with_scrape_and_crawl().await;
    let scrape = json!({
        "url": "https://example.com", "formats": ["markdown"], "onlyMainContent": true,
        "waitFor": 100, "timeout": 5000, "includeTags": ["main"], "excludeTags": ["nav"],
        "mobile": true, "actions": [{"type": "wait"}], "__proto__": {"x": 1}
    });
    accepted(&app, "/api/v1/scrape", scrape).await;
    let crawl = json!({
        "url": "https://example.com", "limit": 5, "maxDepth": 2, "excludePaths": ["^/blog"],
        "includePaths": ["docs/.*"], "allowBackwardLinks": false, "allowExternalLinks": true,
        "scrapeOptions": {"formats": ["markdown"], "onlyMainContent": true, "url": "http://evil", "headers": {"a": "b"}},
        "webhook": "http://10.0.0.1/hook"
    });
    accepted(&app, "/api/v1/crawl", crawl).await;
    let bodies = app.upstream_bodies().await;
    assert_eq!(
        bodies[0],
        json!({"url": "https://example.com", "formats": ["markdown"], "onlyMainContent": true,
               "waitFor": 100, "timeout": 5000, "includeTags": ["main"], "excludeTags": ["nav"]})
    );
    assert_eq!(
        bodies[1],
        json!({"url": "https://example.com", "limit": 5, "maxDepth": 2, "excludePaths": ["^/blog"],
               "includePaths": ["docs/.*"], "scrapeOptions": {"formats": ["markdown"], "onlyMainContent": true},
               "allowBackwardLinks": false, "allowExternalLinks": true})
    );
}

#[tokio::test]
async fn crawl_rules() {
    let app = with_scrape_and_crawl().await;
    let url = "https://example.com";
    rejected(&app, "/api/v1/crawl", json!({"limit": 5}), &["url"]).await;
    let cases: [(Value, &str); 11] = [
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 1001}), "limit"),
        (json!({"maxDepth": 0}), "maxDepth"),
        (json!({"maxDepth": 11}), "maxDepth"),
        (json!({"excludePaths": "blog"}), "excludePaths"),
        (json!({"includePaths": [3]}), "includePaths.0"),
        (json!({"scrapeOptions": ["markdown"]}), "scrapeOptions"),
        (json!({"scrapeOptions": "markdown"}), "scrapeOptions"),
        (
            json!({"scrapeOptions": {"formats": ["pdf"]}}),
            "scrapeOptions.formats.0",
        ),
        (
            json!({"scrapeOptions": {"timeout": 500}}),
            "scrapeOptions.timeout",
        ),
        (json!({"allowBackwardLinks": "yes"}), "allowBackwardLinks"),
    ];
    for (mut body, field) in cases {
        body["url"] = json!(url);
        rejected(&app, "/api/v1/crawl", body, &[field]).await;
    }
    rejected(
        &app,
        "/api/v1/crawl",
        json!({"url": url, "allowExternalLinks": 1}),
        &["allowExternalLinks"],
    )
    .await;
    assert!(app.upstream_calls().await.is_empty());
    for body in [
        json!({"url": url, "limit": 1, "maxDepth": 1}),
        json!({"url": url, "limit": 1000, "maxDepth": 10, "scrapeOptions": {}}),
        json!({"url": "http://localhost:3000"}),
    ] {
        accepted(&app, "/api/v1/crawl", body).await;
    }
}

#[tokio::test]
async fn bodies_that_are_not_json_objects() {
    let app = with_scrape_and_crawl().await;
    let text = app
        .send(
            app.request(Method::POST, "/api/v1/scrape")
                .header("content-type", "text/plain")
                .body(r#"{"url":"https://example.com"}"#),
        )
        .await;
    text.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    let broken = app
        .send(
            app.request(Method::POST, "/api/v1/crawl")
                .header("content-type", "application/json")
                .body("{\"url\":"),
        )
        .await;
    broken.envelope(400, "INVALID_JSON");
    rejected(
        &app,
        "/api/v1/scrape",
        json!(["https://example.com"]),
        &["body"],
    )
    .await;
    let huge = json!({"url": "https://example.com", "includeTags": ["x".repeat(1_100_000)]});
    app.post("/api/v1/scrape", huge)
        .await
        .envelope(413, "PAYLOAD_TOO_LARGE");
    assert!(app.upstream_calls().await.is_empty());
}
