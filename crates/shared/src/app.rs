//! [`AppCore`]: what every service instance carries besides its own state, and
//! [`AppCore::into_app`], which turns a service's API routes into the full application
//! (infrastructure routes, JSON fallback, middleware stack, trailing-slash tolerance).

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::get;
use tower::Layer;
use tower::util::{MapResponse, MapResponseLayer};
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

use crate::config::HttpSettings;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::middleware::{self, Auth, ClientRateLimiter, RequestContext, StackParts};
use crate::openapi::OpenApiDoc;

/// The complete application a binary serves and a test calls.
pub type App = NormalizePath<MapResponse<Router, fn(Response) -> Response>>;

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

    /// The full application around `api` (routes already given their state).
    pub fn into_app(&self, api: Router, health: Health, openapi: OpenApiDoc) -> App {
        if tokio::runtime::Handle::try_current().is_ok() {
            self.limiter.spawn_pruner();
        }
        let metrics = self.metrics.clone();
        let health = Arc::new(health);
        let (health_a, health_b, health_c) = (health.clone(), health.clone(), health);
        let (json_doc, yaml_doc) = (openapi.clone(), openapi);
        let infrastructure = Router::new()
            .route(
                "/health",
                get(move || async move { health_a.health().await }),
            )
            .route("/healthz", get(move || async move { health_b.live() }))
            .route("/ready", get(move || async move { health_c.ready().await }))
            .route("/metrics", get(move || async move { metrics.render() }))
            .route(
                "/openapi.json",
                get(move || async move { json_doc.json_response() }),
            )
            .route(
                "/openapi.yaml",
                get(move || async move { yaml_doc.yaml_response() }),
            );
        let router = api.merge(infrastructure).fallback(middleware::not_found);
        let parts = StackParts {
            context: Arc::new(RequestContext {
                metrics: self.metrics.clone(),
                log_level: self.settings.log_level,
            }),
            limiter: self.limiter.clone(),
            auth: self.auth.clone(),
        };
        // `with_state(())` turns every handler into a ready route now; served through our
        // own wrappers, a stateless router would otherwise rebuild the handler and its
        // whole layer stack on every request.
        let router = middleware::apply_stack(router, &self.settings, &parts).with_state(());
        let with_405 = MapResponseLayer::new(
            middleware::method_not_allowed_envelope as fn(Response) -> Response,
        )
        .layer(router);
        NormalizePathLayer::trim_trailing_slash().layer(with_405)
    }
}

/// Lets tests drive an [`App`] without a socket (`tower::ServiceExt::oneshot`).
pub fn request_builder() -> axum::http::request::Builder {
    Request::builder()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigReader, Env, ServicePrefix};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn core() -> AppCore {
        let env = Env::from_pairs(".", [("RATE_LIMIT_MAX", "1000")]);
        let mut reader = ConfigReader::new(&env);
        let settings = HttpSettings::read(&mut reader, ServicePrefix("TEST_"), 1, &[], 120);
        AppCore::new("test", "0", reader.finish(settings).expect("valid"))
    }

    async fn call(app: App, path: &str) -> (axum::http::StatusCode, serde_json::Value) {
        let request = Request::builder()
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
        let api = Router::new().route("/boom", get(boom));
        let doc = OpenApiDoc::from_yaml("openapi: 3.1.0\npaths: {}\n").expect("doc");
        let app = core().into_app(api, Health::new("test", "0"), doc);
        let (status, body) = call(app, "/boom").await;
        assert_eq!(status, axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "INTERNAL_ERROR");
        assert_eq!(body["error"], "Internal server error");
        assert!(body["requestId"].as_str().is_some_and(|id| id != "-"));
        assert!(!body.to_string().contains("secret"), "{body}");
    }
}
