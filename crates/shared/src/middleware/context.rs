//! The outermost middleware: correlation id (decision 4), HTTP metrics labelled by the
//! matched route template (decision 6), the one log line per request (decision 13) and
//! the security headers of decision 12.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::Level;
use tracing::level_filters::LevelFilter;

use crate::error::with_request_id;
use crate::health::BoxFuture;
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

/// The layer form of [`RequestContext`].
#[derive(Clone)]
pub struct RequestContextLayer(pub Arc<RequestContext>);

impl<S> Layer<S> for RequestContextLayer {
    type Service = RequestContextService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestContextService {
            ctx: self.0.clone(),
            inner,
        }
    }
}

/// Calls the inner service directly (no per-request clone of the stack below, which a
/// `from_fn` middleware would make) and finishes the bookkeeping when its future ends.
#[derive(Clone)]
pub struct RequestContextService<S> {
    ctx: Arc<RequestContext>,
    inner: S,
}

impl<S, B> Service<Request> for RequestContextService<S>
where
    S: Service<Request, Response = Response<B>, Error = Infallible>,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<B>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
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
        let route: Option<MatchedPath> = req.extensions().get::<MatchedPath>().cloned();
        let ctx = self.ctx.clone();
        let future = with_request_id(id.clone(), self.inner.call(req));
        Box::pin(async move {
            let Ok(mut response) = future.await;
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&id) {
                headers.insert(CORRELATION_ID, value);
            }
            // Security headers of decision 12, on every response.
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            let route = route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
            ctx.finish(&method, route, response.status(), started.elapsed(), &id);
            Ok(response)
        })
    }
}

impl RequestContext {
    fn finish(
        &self,
        method: &Method,
        route: &str,
        status: StatusCode,
        elapsed: Duration,
        id: &str,
    ) {
        if route != "/metrics" {
            self.metrics
                .observe_http(method.as_str(), route, status, elapsed);
        }
        // Probes arrive every few seconds from Docker and Prometheus: they are logged at
        // debug so the request log stays about the users' traffic.
        let is_probe = is_infrastructure_path(route);
        let level = if is_probe { Level::DEBUG } else { Level::INFO };
        if self.log_level < level {
            return;
        }
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let service = self.metrics.service();
        if is_probe {
            tracing::debug!(target: "http", service, method = %method, route, status = status.as_u16(), latency_ms, request_id = id, "request");
        } else {
            tracing::info!(target: "http", service, method = %method, route, status = status.as_u16(), latency_ms, request_id = id, "request");
        }
    }
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
