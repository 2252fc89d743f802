//! The fleet stack as workspace-api wears it: health, metrics, envelopes for every
//! framework-level failure, CORS, rate limiting, auth, compression, OpenAPI. Only the
//! health checks, which ask the database, run on both backends; the rest tests the HTTP
//! stack and runs once.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_with};
use crate::{both_backends, stack_only};

both_backends!(health_ready_and_liveness, health_checks_are_metrics);

stack_only!(
    unknown_paths_and_methods_are_json,
    oversized_and_mistyped_bodies,
    correlation_id_echo,
    cors_preflight_and_headers,
    metrics_label_routes_not_paths,
    compression_for_large_bodies,
    openapi_is_served,
    api_reference_is_served_offline,
);

async fn health_ready_and_liveness(app: TestApp) {
    let health = app.get("/health").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "healthy");
    assert_eq!(health.body["service"], "workspace-api");
    assert_eq!(health.body["checks"]["database"]["status"], "healthy");
    for key in ["version", "timestamp", "uptime", "responseTime"] {
        assert!(health.body.get(key).is_some(), "{key}");
    }
    assert!(health.body["checks"]["database"]["responseTime"].is_u64());
    let ready = app.get("/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["checks"]["schema"]["status"], "healthy");
    let live = app.get("/healthz").await;
    assert_eq!(live.body["status"], "healthy");
    assert!(live.body["uptime"].is_f64());
}

async fn unknown_paths_and_methods_are_json(app: TestApp) {
    let missing = app.get("/api/nope?x=1").await;
    missing.envelope(404, "ROUTE_NOT_FOUND");
    assert_eq!(missing.body["message"], "Cannot GET /api/nope");
    // `/` is the service's description, as on every service of the fleet.
    let info = app.get("/").await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.text);
    assert_eq!(info.body["data"]["service"], "workspace-api");
    assert_eq!(info.body["data"]["endpoints"]["items"], "/api/items");
    app.get("/api/workspace/items")
        .await
        .envelope(404, "ROUTE_NOT_FOUND");

    // The original's test 13 expected 404; a known path with the wrong method is a 405.
    let wrong = app.delete("/api/items/").await;
    wrong.envelope(405, "METHOD_NOT_ALLOWED");
    let allow = wrong.header("allow").expect("Allow header");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    app.send(app.request(Method::PATCH, "/api/items/x"))
        .await
        .envelope(405, "METHOD_NOT_ALLOWED");
    app.send(app.request(Method::POST, "/health"))
        .await
        .envelope(405, "METHOD_NOT_ALLOWED");
}

async fn oversized_and_mistyped_bodies(app: TestApp) {
    let huge = json!({"title": "t", "description": "x".repeat(1_100_000), "category": "dashboard", "priority": "low"});
    app.json(Method::POST, "/api/items", huge)
        .await
        .envelope(413, "PAYLOAD_TOO_LARGE");
    let text = app
        .send(
            app.request(Method::POST, "/api/items")
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    text.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    let none = app
        .send(app.request(Method::POST, "/api/categories").body("{}"))
        .await;
    none.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(app.count_rows("workspace_items").await, 0);
}

async fn correlation_id_echo(app: TestApp) {
    let given = app
        .send(
            app.request(Method::GET, "/api/items")
                .header("x-correlation-id", "abc-123.X_y"),
        )
        .await;
    assert_eq!(given.header("x-correlation-id"), Some("abc-123.X_y"));
    let via_request_id = app
        .send(
            app.request(Method::GET, "/api/nope")
                .header("x-request-id", "req-9"),
        )
        .await;
    assert_eq!(via_request_id.body["requestId"], "req-9");
    let hostile = app
        .send(
            app.request(Method::GET, "/api/items")
                .header("x-correlation-id", "bad id <script>"),
        )
        .await;
    let generated = hostile.header("x-correlation-id").expect("generated");
    assert_ne!(generated, "bad id <script>");
    assert!(uuid::Uuid::parse_str(generated).is_ok());
    let long = app
        .send(
            app.request(Method::GET, "/api/items")
                .header("x-correlation-id", "a".repeat(129)),
        )
        .await;
    assert_ne!(long.header("x-correlation-id").map(str::len), Some(129));
}

async fn cors_preflight_and_headers(app: TestApp) {
    let preflight = app
        .send(
            app.request(Method::OPTIONS, "/api/items/x")
                .header("origin", "http://localhost:3103")
                .header("access-control-request-method", "PUT")
                .header("access-control-request-headers", "content-type,if-match"),
        )
        .await;
    assert!(preflight.status.is_success(), "{:?}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:3103")
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("PUT"))
    );
    let foreign = app
        .send(
            app.request(Method::GET, "/api/items")
                .header("origin", "http://evil.example"),
        )
        .await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    assert_eq!(foreign.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(foreign.header("x-frame-options"), Some("DENY"));
    assert_eq!(foreign.header("referrer-policy"), Some("no-referrer"));
}

async fn metrics_label_routes_not_paths(app: TestApp) {
    let item = app.create_item("m").await;
    app.get(&format!("/api/items/{}", item["id"].as_str().expect("id")))
        .await;
    app.get("/api/items/not-an-id").await;
    app.get("/no/such/path/123").await;
    let metrics = app.send(app.request(Method::GET, "/metrics")).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4"))
    );
    let text = &metrics.text;
    assert!(text.contains(r#"tradingsystem_http_requests_total{method="GET",route="/api/items/{id}",service="workspace-api",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"route="/api/items/{id}",service="workspace-api",status="404"} 1"#));
    assert!(text.contains(r#"route="unmatched",service="workspace-api",status="404"} 1"#));
    assert!(
        !text.contains("not-an-id") && !text.contains("/no/such"),
        "raw paths never become labels"
    );
    assert!(
        !text.contains(r#"route="/metrics""#),
        "/metrics is not counted"
    );
    assert!(text.contains(r#"tradingsystem_db_queries_total{operation="items.create",service="workspace-api",status="ok"} 1"#));
    assert!(text.contains("tradingsystem_db_query_duration_seconds_bucket"));
    assert!(text.contains("tradingsystem_db_pool_connections"));
    assert!(text.contains("process_resident_memory_bytes"));
    assert!(text.contains("tradingsystem_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/items\",service=\"workspace-api\",status=\"201\",le=\"0.005\"}"));
}

async fn compression_for_large_bodies(app: TestApp) {
    for i in 0..10 {
        app.create_item(&format!("item number {i} with a reasonably long title"))
            .await;
    }
    let gz = app
        .send(
            app.request(Method::GET, "/api/items")
                .header("accept-encoding", "gzip"),
        )
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let small = app
        .send(
            app.request(Method::GET, "/healthz")
                .header("accept-encoding", "gzip"),
        )
        .await;
    assert_eq!(
        small.header("content-encoding"),
        None,
        "bodies under 1 KiB stay plain"
    );
    let plain = app.get("/api/items").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.body["total"], 10);
}

async fn openapi_is_served(app: TestApp) {
    let json = app.get("/openapi.json").await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.body["openapi"], "3.1.0");
    let yaml = app.get("/openapi.yaml").await;
    assert!(yaml.text.starts_with("openapi: 3.1.0"));
}

async fn api_reference_is_served_offline(app: TestApp) {
    let bare = app.get("/api-docs/").await;
    assert_eq!(bare.status, StatusCode::SEE_OTHER);
    assert_eq!(bare.header("location"), Some("/api-docs/index.html"));

    let index = app.get("/api-docs/index.html").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(
        index
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    assert!(index.text.contains("swagger-ui"), "{}", index.text);
    // Every asset the page links is served by the binary, none from elsewhere.
    for asset in [
        "swagger-ui.css",
        "index.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-initializer.js",
    ] {
        assert!(index.text.contains(asset), "index links {asset}");
        let file = app.get(&format!("/api-docs/{asset}")).await;
        assert_eq!(file.status, StatusCode::OK, "{asset}");
        assert!(!file.text.is_empty(), "{asset}");
    }
    assert!(
        !index.text.contains("http://") && !index.text.contains("https://"),
        "{}",
        index.text
    );
    let initializer = app.get("/api-docs/swagger-initializer.js").await;
    assert!(
        initializer.text.contains(r#""/openapi.json""#),
        "{}",
        initializer.text
    );
    assert!(
        initializer.text.contains(r#""validatorUrl": "none""#)
            || initializer.text.contains(r#""validatorUrl":"none""#),
        "{}",
        initializer.text
    );
    app.get("/api-docs/../../etc/passwd")
        .await
        .envelope(404, "ROUTE_NOT_FOUND");
    app.get("/api-docs/no-such-file.js")
        .await
        .envelope(404, "NOT_FOUND");
}

async fn health_checks_are_metrics(app: TestApp) {
    let text = app.get("/metrics").await.text;
    assert!(
        text.contains(
            r#"tradingsystem_health_check_up{check="database",service="workspace-api"} 1"#
        ),
        "a scrape runs the health checks: {text}"
    );
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_routed() {
    shared::testing::assert_routes_documented(
        &workspace_api::openapi(),
        workspace_api::api_routes().table(),
    );
}

mod rate_limiting {
    use super::*;

    async fn limited(backend: Backend) {
        let app = spawn_with(
            backend,
            &[
                ("WORKSPACE_API_RATE_LIMIT_MAX", "3"),
                ("RATE_LIMIT_MAX", "1000"),
            ],
        )
        .await;
        for remaining in ["2", "1", "0"] {
            let ok = app.get("/api/categories").await;
            assert_eq!(ok.status, StatusCode::OK);
            assert_eq!(ok.header("ratelimit-limit"), Some("3"));
            assert_eq!(ok.header("ratelimit-remaining"), Some(remaining));
            assert!(ok.header("ratelimit-reset").is_some());
        }
        let limited = app.get("/api/items").await;
        limited.envelope(429, "RATE_LIMITED");
        let retry: u64 = limited
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=20).contains(&retry), "{retry}");
        assert_eq!(limited.header("ratelimit-remaining"), Some("0"));
        // Probes and scrapes are never limited.
        for path in [
            "/health",
            "/healthz",
            "/ready",
            "/metrics",
            "/openapi.json",
            "/api-docs/index.html",
        ] {
            assert_eq!(app.get(path).await.status, StatusCode::OK, "{path}");
        }
        // From loopback (a trusted proxy by default) the forwarded client gets its own bucket.
        let forwarded = app
            .send(
                app.request(Method::GET, "/api/items")
                    .header("x-forwarded-for", "198.51.100.7"),
            )
            .await;
        assert_eq!(forwarded.status, StatusCode::OK);
        assert!(
            app.get("/metrics")
                .await
                .text
                .contains(r#"route="/api/items",service="workspace-api",status="429"} 1"#)
        );
    }

    async fn spoofing_does_not_help(backend: Backend) {
        // Loopback is not trusted here, so X-Forwarded-For is the client's own claim.
        let app = spawn_with(
            backend,
            &[("RATE_LIMIT_MAX", "2"), ("TRUSTED_PROXIES", "10.0.0.0/8")],
        )
        .await;
        for i in 0..2 {
            app.send(
                app.request(Method::GET, "/api/items")
                    .header("x-forwarded-for", format!("203.0.113.{i}")),
            )
            .await;
        }
        let spoofed = app
            .send(
                app.request(Method::GET, "/api/items")
                    .header("x-forwarded-for", "203.0.113.99"),
            )
            .await;
        spoofed.envelope(429, "RATE_LIMITED");
    }

    #[tokio::test]
    async fn sqlite() {
        limited(Backend::Sqlite).await;
        spoofing_does_not_help(Backend::Sqlite).await;
    }
}

mod auth {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123";

    async fn tokens_guard_mutations(backend: Backend) {
        let app = spawn_with(backend, &[("AUTH_TOKENS", &format!("dashboard:{TOKEN}"))]).await;
        assert_eq!(
            app.get("/api/items").await.status,
            StatusCode::OK,
            "reads stay open"
        );
        let body =
            json!({"title": "t", "description": "d", "category": "dashboard", "priority": "low"});
        let anonymous = app.json(Method::POST, "/api/items", body.clone()).await;
        anonymous.envelope(401, "UNAUTHORIZED");
        assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
        let wrong = app
            .send(
                app.request(Method::POST, "/api/items")
                    .bearer_auth("wrong-token-000000")
                    .json(&body),
            )
            .await;
        wrong.envelope(401, "UNAUTHORIZED");
        let bearer = app
            .send(
                app.request(Method::POST, "/api/items")
                    .bearer_auth(TOKEN)
                    .header("x-user-id", "spoof")
                    .json(&body),
            )
            .await;
        assert_eq!(bearer.status, StatusCode::CREATED);
        assert_eq!(
            bearer.body["data"]["createdBy"], "dashboard",
            "the token's name is the actor, not X-User-Id"
        );
        let key = app
            .send(
                app.request(Method::DELETE, "/api/categories/documentacao")
                    .header("x-api-key", TOKEN),
            )
            .await;
        assert_eq!(key.status, StatusCode::OK);
        assert_eq!(
            app.get("/api/audit").await.body["data"][0]["actor"],
            "dashboard"
        );
    }

    #[tokio::test]
    async fn sqlite() {
        tokens_guard_mutations(Backend::Sqlite).await;
    }
}
