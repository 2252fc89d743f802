//! Inbound rate limiting per client (the proxy's default: 100 per minute) and the
//! optional cap on concurrent upstream calls.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{fake, spawn_with};

#[tokio::test]
async fn the_101st_request_in_a_window_is_limited() {
    // The proxy's own default (100), with no fleet-wide value set.
    let app = spawn_with(&[("RATE_LIMIT_MAX", "")]).await;
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
    )
    .await;
    for n in 1..=100u32 {
        let reply = app
            .post("/api/v1/scrape", json!({"url": "https://example.com"}))
            .await;
        assert_eq!(reply.status, 200, "request {n}: {}", reply.text);
        assert_eq!(reply.header("ratelimit-limit"), Some("100"));
        let remaining = (100 - n).to_string();
        assert_eq!(
            reply.header("ratelimit-remaining"),
            Some(remaining.as_str())
        );
        assert!(reply.header("ratelimit-reset").is_some());
    }
    let limited = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    limited.envelope(429, "RATE_LIMITED");
    assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        app.upstream_calls().await.len(),
        100,
        "a limited request never reaches Firecrawl"
    );
    // Probes and scrapes are never limited, however many.
    fake::on(&app.firecrawl, "GET", "/v0/health/readiness", json_ok()).await;
    for _ in 0..3 {
        for path in ["/health", "/healthz", "/ready", "/metrics", "/openapi.json"] {
            assert_eq!(app.get(path).await.status, 200, "{path}");
        }
    }
    assert!(app.metrics().await.contains(
        r#"tradingsystem_http_requests_total{method="POST",route="/api/v1/scrape",service="firecrawl-proxy",status="429"} 1"#
    ));
}

fn json_ok() -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(200).set_body_json(json!({"status": "ok"}))
}

#[tokio::test]
async fn a_spoofed_forwarded_for_gets_no_fresh_bucket() {
    // Loopback is not a trusted proxy here, so X-Forwarded-For is the client's own claim.
    let app = spawn_with(&[
        ("FIRECRAWL_PROXY_RATE_LIMIT_MAX", "2"),
        ("TRUSTED_PROXIES", "10.0.0.0/8"),
    ])
    .await;
    for i in 0..2 {
        let reply = app
            .send(
                app.request(Method::GET, "/")
                    .header("x-forwarded-for", format!("203.0.113.{i}")),
            )
            .await;
        assert_eq!(reply.status, 200);
    }
    let spoofed = app
        .send(
            app.request(Method::GET, "/")
                .header("x-forwarded-for", "198.51.100.99"),
        )
        .await;
    spoofed.envelope(429, "RATE_LIMITED");

    // From a trusted proxy (loopback by default) the forwarded client has its own bucket.
    let behind_proxy = spawn_with(&[("FIRECRAWL_PROXY_RATE_LIMIT_MAX", "1")]).await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        let reply = behind_proxy
            .send(
                behind_proxy
                    .request(Method::GET, "/")
                    .header("x-forwarded-for", client),
            )
            .await;
        assert_eq!(reply.status, 200, "{client}");
    }
}

#[tokio::test]
async fn excess_upstream_calls_wait_then_give_up() {
    // One slot; each scrape holds it for 1 s; a caller waits at most 1.5 s for it.
    let app = spawn_with(&[
        ("FIRECRAWL_PROXY_MAX_IN_FLIGHT", "1"),
        ("FIRECRAWL_PROXY_QUEUE_TIMEOUT_MS", "1500"),
    ])
    .await;
    let hold = Duration::from_millis(1_000);
    fake::slow(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
        hold,
    )
    .await;
    fake::on(&app.firecrawl, "GET", "/v0/health/readiness", json_ok()).await;
    let scrape = |delay_ms: u64| {
        let app = &app;
        async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let started = Instant::now();
            let reply = app
                .post("/api/v1/scrape", json!({"url": "https://example.com"}))
                .await;
            (reply, started.elapsed())
        }
    };
    let health = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let reply = app.get("/health").await;
        (reply, started.elapsed())
    };
    // First holds the slot until ~1.0 s; second (queued at 0.1 s) gets it at ~1.0 s and
    // ends at ~2.0 s; third (queued at 0.2 s) would get it at ~2.0 s, past its 1.5 s wait.
    let ((first, _), (second, second_took), (third, third_took), (health, health_took)) =
        tokio::join!(scrape(0), scrape(100), scrape(200), health);
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(second.status, 200, "{}", second.text);
    assert!(
        second_took >= Duration::from_millis(1_600),
        "the second waited for the slot: {second_took:?}"
    );
    third.envelope(503, "UPSTREAM_BUSY");
    assert_eq!(third.header("retry-after"), Some("1"));
    assert!(
        third_took >= Duration::from_millis(1_400) && third_took < Duration::from_millis(2_500),
        "{third_took:?}"
    );
    // The probe never queues behind scrapes.
    assert_eq!(health.body["checks"]["firecrawl"]["status"], "healthy");
    assert!(health_took < Duration::from_millis(700), "{health_took:?}");
    assert_eq!(
        app.upstream_calls()
            .await
            .iter()
            .filter(|(_, p)| p == "/v1/scrape")
            .count(),
        2
    );
}
