//! [`AppCore`]: what every service instance carries besides its own state, and
//! [`AppCore::into_app`], which turns a service's API routes into the full application
//! (infrastructure routes, JSON fallback, middleware stack, body limit).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use tower::Layer;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_http::timeout::TimeoutLayer;

use crate::config::HttpSettings;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::middleware::{self, Auth, ClientRateLimiter, Gate, StackParts, envelope};
use crate::openapi::OpenApiDoc;
use crate::routing::RouteTable;
use crate::server::ServeOptions;

/// The complete application a binary serves and a test calls: the fleet's middleware
/// around the router, with trailing slashes trimmed before it matches (`/api/items/` is
/// `/api/items`, as the originals' Express routers were not strict about slashes).
pub type App = NormalizePath<Router>;

/// Identity, settings, metrics and limiter of one service instance.
#[derive(Clone)]
pub struct AppCore {
    pub name: &'static str,
    pub version: &'static str,
    pub settings: Arc<HttpSettings>,
    pub metrics: Metrics,
    limiter: Arc<ClientRateLimiter>,
    auth: Arc<Auth>,
}

impl AppCore {
    pub fn new(name: &'static str, version: &'static str, settings: HttpSettings) -> Self {
        let limiter = Arc::new(ClientRateLimiter::new(
            settings.rate_limit_max,
            settings.rate_limit_window,
            settings.trusted_proxies.clone(),
        ));
        let auth = Arc::new(Auth::new(settings.auth_tokens.clone()));
        Self {
            name,
            version,
            metrics: Metrics::new(name),
            settings: Arc::new(settings),
            limiter,
            auth,
        }
    }

    pub fn auth_enabled(&self) -> bool {
        self.auth.enabled()
    }

    /// How [`crate::server::serve`] runs this service's connections.
    pub fn serve_options(&self) -> ServeOptions {
        ServeOptions {
            grace: self.settings.shutdown_grace,
            header_read_timeout: self.settings.header_read_timeout,
            max_connections: self.settings.max_connections,
            metrics: self.metrics.http().clone(),
        }
    }

    /// The full application around a service's routes (already given their state).
    pub fn into_app(&self, api: RouteTable, health: Health, openapi: OpenApiDoc) -> App {
        if tokio::runtime::Handle::try_current().is_ok() {
            self.limiter.spawn_pruner();
        }
        let metrics = self.metrics.clone();
        let health = Arc::new(health.with_gauge(self.metrics.health_checks().clone()));
        let (health_a, health_b, health_c, health_d) =
            (health.clone(), health.clone(), health.clone(), health);
        let (json_doc, yaml_doc) = (openapi.clone(), openapi);
        let infrastructure = Router::new()
            .route(
                "/health",
                get(move || async move { health_a.health().await }),
            )
            .route("/healthz", get(move || async move { health_b.live() }))
            .route("/ready", get(move || async move { health_c.ready().await }))
            // A scrape runs the health checks first, so alerts on a dependency do not
            // depend on someone polling /health.
            .route(
                "/metrics",
                get(move || async move {
                    health_d.refresh().await;
                    metrics.render()
                }),
            )
            .route(
                "/openapi.json",
                get(move || async move { json_doc.json_response() }),
            )
            .route(
                "/openapi.yaml",
                get(move || async move { yaml_doc.yaml_response() }),
            )
            .merge(crate::api_docs::routes());
        // Only the API's handlers read bodies, and only they run under the deadline:
        // probes answer fast or not at all.
        let api = api
            .into_router()
            .layer(DefaultBodyLimit::max(self.settings.body_limit_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                self.settings.request_timeout,
            ));
        let router = api
            .merge(infrastructure)
            .fallback(envelope::not_found)
            .method_not_allowed_fallback(envelope::method_not_allowed)
            // Turns every handler into a ready route now, rather than on each request.
            .with_state(());
        let parts = StackParts {
            metrics: self.metrics.http().clone(),
            log_level: self.settings.log_level,
            gate: Arc::new(Gate {
                limiter: self.limiter.clone(),
                auth: self.auth.clone(),
            }),
            deadline: self.settings.request_timeout,
            cors: self.settings.cors_origins.clone(),
        };
        NormalizePathLayer::trim_trailing_slash().layer(middleware::around(router, parts))
    }
}

/// An app around `api` with the given deadline and a generous rate limit, and its core,
/// for unit tests.
#[cfg(test)]
pub(crate) fn test_app(api: RouteTable, deadline: std::time::Duration) -> (App, AppCore) {
    use crate::config::{ConfigReader, Env, ServicePrefix};
    let env = Env::from_pairs(".", [("RATE_LIMIT_MAX", "1000")]);
    let mut reader = ConfigReader::new(&env);
    let mut settings = HttpSettings::read(&mut reader, ServicePrefix("TEST_"), 1, &[], 120);
    settings.request_timeout = deadline;
    let core = AppCore::new("test", "0", reader.finish(settings).expect("valid"));
    let doc = OpenApiDoc::from_yaml("openapi: 3.1.0\npaths: {}\n").expect("doc");
    (core.into_app(api, Health::new("test", "0"), doc), core)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn call(app: App, path: &str) -> (axum::http::StatusCode, serde_json::Value) {
        let request = axum::extract::Request::builder()
            .uri(path)
            .body(axum::body::Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, serde_json::from_slice(&bytes).expect("json body"))
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_envelope_without_details() {
        async fn boom() -> &'static str {
            panic!("secret detail at /srv/x.rs")
        }
        let (app, _) = test_app(RouteTable::new().get("/boom", boom), Duration::from_secs(5));
        let (status, body) = call(app, "/boom").await;
        assert_eq!(status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "INTERNAL_ERROR");
        assert_eq!(body["error"], "Internal server error");
        assert!(body["requestId"].as_str().is_some_and(|id| id != "-"));
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_past_the_deadline_is_a_503_envelope() {
        async fn slow() -> &'static str {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }
        let (app, _) = test_app(
            RouteTable::new().get("/slow", slow),
            Duration::from_millis(200),
        );
        let started = tokio::time::Instant::now();
        let (status, body) = call(app, "/slow").await;
        assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "SERVICE_UNAVAILABLE", "{body}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("200 ms")),
            "{body}"
        );
        assert_eq!(started.elapsed(), Duration::from_millis(200));
    }
}
