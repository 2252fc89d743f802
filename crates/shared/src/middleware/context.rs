//! The outermost middleware: correlation id (decision 4), HTTP metrics labelled by the
//! matched route template (decision 6) and the one log line per request (decision 13).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Level;
use tracing::level_filters::LevelFilter;

use crate::error::with_request_id;
use crate::metrics::{Metrics, UNMATCHED_ROUTE};

pub const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the request-context middleware needs: the app's metrics and its log level.
#[derive(Clone)]
pub struct RequestContext {
    pub metrics: Metrics,
    pub log_level: LevelFilter,
}

/// The id of this request: the caller's when well-formed, otherwise a fresh UUIDv7.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub Arc<str>);

pub async fn request_context(
    State(ctx): State<Arc<RequestContext>>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id: Arc<str> = [&CORRELATION_ID, &REQUEST_ID]
        .into_iter()
        .find_map(|name| req.headers().get(name))
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid_correlation_id(v))
        .map(Arc::from)
        .unwrap_or_else(|| Arc::from(uuid::Uuid::now_v7().to_string()));
    req.extensions_mut().insert(CorrelationId(id.clone()));
    let method = req.method().clone();
    let route: Arc<str> = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| Arc::from(p.as_str()))
        .unwrap_or_else(|| Arc::from(UNMATCHED_ROUTE));

    let mut response = with_request_id(id.clone(), next.run(req)).await;

    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(CORRELATION_ID, value);
    }
    let status = response.status();
    let elapsed = started.elapsed();
    let is_probe = is_infrastructure_path(&route);
    if route.as_ref() != "/metrics" {
        ctx.metrics
            .observe_http(method.as_str(), &route, status, elapsed);
    }
    // Probes arrive every few seconds from Docker and Prometheus: they are logged at debug
    // so the request log stays about the users' traffic.
    let level = if is_probe { Level::DEBUG } else { Level::INFO };
    if ctx.log_level >= level {
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let service = ctx.metrics.service();
        if is_probe {
            tracing::debug!(target: "http", service, method = %method, route = %route, status = status.as_u16(), latency_ms, request_id = %id, "request");
        } else {
            tracing::info!(target: "http", service, method = %method, route = %route, status = status.as_u16(), latency_ms, request_id = %id, "request");
        }
    }
    response
}

/// ≤ 128 characters of `[A-Za-z0-9._-]`: anything else is replaced, never echoed.
pub fn is_valid_correlation_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Health, readiness, metrics and API description routes: exempt from rate limiting,
/// logged at debug.
pub fn is_infrastructure_path(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/healthz" | "/ready" | "/metrics" | "/openapi.json" | "/openapi.yaml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_bounded_and_plain() {
        assert!(is_valid_correlation_id("abc-123_x.y"));
        assert!(is_valid_correlation_id(&"a".repeat(128)));
        assert!(!is_valid_correlation_id(&"a".repeat(129)));
        assert!(!is_valid_correlation_id(""));
        assert!(!is_valid_correlation_id("a b"));
        assert!(!is_valid_correlation_id("a\u{e9}"));
        assert!(!is_valid_correlation_id("<script>"));
    }
}
