//! Everything Firecrawl (or the network) can answer, mapped onto the fleet envelope: the
//! client's own faults keep Firecrawl's status and sentence, Firecrawl's failures are 502,
//! an unreachable Firecrawl 503, a slow one 504, and no answer ever shows a client an
//! internal address.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::{TestApp, fake, refused_url, spawn, spawn_with};

/// The proxy's answer to a scrape when Firecrawl answers `answer`.
async fn scrape_answered(answer: ResponseTemplate) -> (TestApp, crate::helpers::Reply) {
    let app = spawn().await;
    fake::on(&app.firecrawl, "POST", "/v1/scrape", answer).await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    (app, reply)
}

fn assert_no_internal_address(app: &TestApp, reply: &crate::helpers::Reply) {
    let address = app.firecrawl.address().to_string();
    for leaked in [
        address.as_str(),
        fake::INTERNAL,
        "firecrawl-api",
        "127.0.0.1",
    ] {
        assert!(
            !reply.text.contains(leaked),
            "{leaked} leaked: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn client_faults_keep_their_status_and_firecrawls_sentence() {
    for (status, code) in [
        (400, "BAD_REQUEST"),
        (404, "NOT_FOUND"),
        (409, "CONFLICT"),
        (422, "UNPROCESSABLE_ENTITY"),
    ] {
        let sentence = format!("Firecrawl says no ({status})");
        let (_, reply) = scrape_answered(fake::error(status, Some("BAD_REQUEST"), &sentence)).await;
        reply.envelope(status, code);
        assert_eq!(reply.body["error"], sentence.as_str());
    }
    // Without a sentence, a readable one of ours (never "Error").
    let (_, reply) = scrape_answered(ResponseTemplate::new(400)).await;
    reply.envelope(400, "BAD_REQUEST");
    assert_eq!(
        reply.body["error"],
        "Firecrawl rejected the request (HTTP 400)"
    );
}

#[tokio::test]
async fn firecrawls_own_failures_are_bad_gateway() {
    for status in [401, 402, 403, 500, 502, 503] {
        let (app, reply) = scrape_answered(fake::error(
            status,
            Some("UNKNOWN_ERROR"),
            &format!(
                "(Internal server error) - worker {}/v1/scrape failed, see http://{}/x",
                fake::INTERNAL,
                "127.0.0.1:6379"
            ),
        ))
        .await;
        reply.envelope(502, "UPSTREAM_ERROR");
        let error = reply.body["error"].as_str().expect("error");
        assert!(
            error.starts_with("Firecrawl error: (Internal server error) - worker [internal URL]"),
            "{error}"
        );
        assert_no_internal_address(&app, &reply);
    }
    let (_, reply) =
        scrape_answered(ResponseTemplate::new(500).set_body_string("<html>oops</html>")).await;
    reply.envelope(502, "UPSTREAM_ERROR");
    assert_eq!(reply.body["error"], "Firecrawl error: HTTP 500");
    let (_, reply) = scrape_answered(ResponseTemplate::new(200).set_body_string("not json")).await;
    reply.envelope(502, "UPSTREAM_ERROR");
    assert_eq!(reply.body["error"], "Firecrawl error: invalid response");
    let (_, reply) = scrape_answered(fake::error(200, None, "Scrape failed")).await;
    reply.envelope(502, "UPSTREAM_ERROR");
    assert_eq!(reply.body["error"], "Firecrawl error: Scrape failed");
}

#[tokio::test]
async fn a_scrape_timeout_upstream_is_a_gateway_timeout() {
    let (_, reply) =
        scrape_answered(fake::error(408, Some("SCRAPE_TIMEOUT"), "Scrape timed out")).await;
    reply.envelope(504, "UPSTREAM_TIMEOUT");
    assert_eq!(
        reply.body["error"],
        "Firecrawl request timed out: Scrape timed out"
    );
}

#[tokio::test]
async fn redirects_are_not_followed_to_another_host() {
    let elsewhere = wiremock::MockServer::start().await;
    let (_, reply) = scrape_answered(
        ResponseTemplate::new(302)
            .insert_header("location", format!("{}/v1/scrape", elsewhere.uri())),
    )
    .await;
    reply.envelope(502, "UPSTREAM_ERROR");
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[tokio::test]
async fn connection_refused_is_service_unavailable() {
    let app = spawn_with(&[("FIRECRAWL_PROXY_BASE_URL", &refused_url().await)]).await;
    let calls = [
        app.post("/api/v1/scrape", json!({"url": "https://example.com"}))
            .await,
        app.post("/api/v1/crawl", json!({"url": "https://example.com"}))
            .await,
        app.get("/api/v1/crawl/abc").await,
        app.delete("/api/v1/crawl/abc").await,
        app.get("/api/v1/crawl/abc/errors").await,
    ];
    for reply in &calls {
        reply.envelope(503, "UPSTREAM_UNAVAILABLE");
        assert_eq!(reply.body["error"], "Firecrawl service unavailable");
        assert!(!reply.text.contains("127.0.0.1"), "{}", reply.text);
    }
}

#[tokio::test]
async fn a_hanging_firecrawl_is_a_gateway_timeout() {
    let app = spawn_with(&[("FIRECRAWL_PROXY_TIMEOUT", "300")]).await;
    let hang = Duration::from_secs(5);
    fake::slow(
        &app.firecrawl,
        "POST",
        "/v1/crawl",
        fake::crawl_started("abc"),
        hang,
    )
    .await;
    fake::slow(
        &app.firecrawl,
        "GET",
        "/v1/crawl/abc",
        fake::status_page("abc", "scraping", None),
        hang,
    )
    .await;
    for (verb, path) in [("POST", "/api/v1/crawl"), ("GET", "/api/v1/crawl/abc")] {
        let started = Instant::now();
        let reply = if verb == "POST" {
            app.post(path, json!({"url": "https://example.com"})).await
        } else {
            app.get(path).await
        };
        reply.envelope(504, "UPSTREAM_TIMEOUT");
        assert_eq!(reply.body["error"], "Firecrawl request timed out");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "{took:?}"
        );
    }
}

#[tokio::test]
async fn a_failed_crawl_reported_with_200_is_a_successful_read() {
    let app = spawn().await;
    let failed = ResponseTemplate::new(200).set_body_json(json!({
        "success": false, "status": "failed",
        "error": format!("Crawl failed during kickoff: {}/v1/crawl unreachable", fake::INTERNAL)
    }));
    fake::on(&app.firecrawl, "GET", "/v1/crawl/abc", failed).await;
    let reply = app.get("/api/v1/crawl/abc").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body,
        json!({"success": true, "data": {"status": "failed", "error": "Crawl failed during kickoff: [internal URL] unreachable"}})
    );
    // Without a sentence or a status, the proxy supplies both.
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/abc",
        ResponseTemplate::new(200).set_body_json(json!({"success": false})),
    )
    .await;
    let reply = app.get("/api/v1/crawl/abc").await;
    assert_eq!(
        reply.body,
        json!({"success": true, "data": {"status": "failed", "error": "The crawl failed"}})
    );
}
