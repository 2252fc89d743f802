//! The middleware every service wears, built from tower-http layers and a few
//! `axum::middleware::from_fn` functions. Outermost first, a request passes:
//!
//! 1. [`accept_caller_id`] (a plain request map), tower-http's `SetRequestId` and
//!    `PropagateRequestId`: the caller's valid correlation id, or a fresh UUIDv7, echoed
//!    in `x-correlation-id`;
//! 2. [`frame::frame`]: that id becomes the current one for every error envelope
//!    rendered inside, a bare deadline answer becomes an envelope, and the metrics and
//!    log line are recorded by matched route template;
//! 3. the security headers (`SetResponseHeader`);
//! 4. CORS (`CorsLayer`): preflights are answered here, before the gate;
//! 5. [`gate::admit`]: rate limit, then authentication of mutating requests;
//! 6. `CatchPanic` (a generic 500 envelope) and `Compression` (above 1 KiB, never a
//!    response marked [`Uncompressed`]);
//! 7. the router, where API routes also carry the body limit and the deadline
//!    (`Timeout` with 503, never 408) — probes answer fast or not at all.
//!
//! Trailing slashes are trimmed by `NormalizePath` around the whole router, before it
//! matches (see [`crate::app`]). Only two pieces are `from_fn` middleware: each such
//! layer clones and boxes the rest of the stack on every request, so what can be a plain
//! request map or a library layer is one.

mod auth;
mod context;
mod cors;
pub mod envelope;
mod frame;
mod gate;
mod observe;
mod rate_limit;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::HttpBody;
use axum::http::{HeaderValue, Response, header};
use tower::ServiceBuilder;
use tower::util::MapRequestLayer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::level_filters::LevelFilter;

pub use auth::{Actor, Auth, RequestMeta, is_mutating};
pub use context::{
    CORRELATION_ID, CorrelationId, MakeUuidV7, REQUEST_ID, accept_caller_id,
    is_valid_correlation_id,
};
pub use cors::cors_layer;
pub use gate::Gate;
pub use rate_limit::{ClientIp, ClientRateLimiter, RateLimitHeaders};

use crate::config::CorsOrigins;
use crate::metrics::HttpMetrics;

/// A response extension that keeps the response out of compression: byte downloads,
/// whose `Content-Length`, `Content-Range` and `ETag` describe the stored bytes
/// themselves and would be false of a compressed body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Uncompressed;

#[derive(Clone, Copy, Debug)]
struct NotMarkedUncompressed;

impl Predicate for NotMarkedUncompressed {
    fn should_compress<B: HttpBody>(&self, response: &Response<B>) -> bool {
        response.extensions().get::<Uncompressed>().is_none()
    }
}

/// What the stack of one app instance is built from.
pub struct StackParts {
    pub metrics: HttpMetrics,
    pub log_level: LevelFilter,
    pub gate: Arc<Gate>,
    pub deadline: Duration,
    pub cors: CorsOrigins,
}

/// `router` with the fleet's middleware around every route and the fallback.
pub fn around(router: Router, parts: StackParts) -> Router {
    let frame = Arc::new(frame::Frame {
        observe: observe::Observe {
            metrics: parts.metrics,
            log_level: parts.log_level,
        },
        deadline: parts.deadline,
    });
    // Below 1 KiB the compression headers cost more than they save.
    let compress_when = DefaultPredicate::new()
        .and(SizeAbove::new(1024))
        .and(NotMarkedUncompressed);
    let stack = ServiceBuilder::new()
        .layer(MapRequestLayer::new(accept_caller_id))
        .layer(SetRequestIdLayer::new(CORRELATION_ID, MakeUuidV7))
        .layer(PropagateRequestIdLayer::new(CORRELATION_ID))
        .layer(axum::middleware::from_fn_with_state(frame, frame::frame))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(cors_layer(&parts.cors))
        .layer(axum::middleware::from_fn_with_state(
            parts.gate,
            gate::admit,
        ))
        .layer(CatchPanicLayer::custom(envelope::panic_response))
        .layer(CompressionLayer::new().compress_when(compress_when));
    router.layer(stack)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse;
    use tower::ServiceExt;

    use super::Uncompressed;
    use crate::routing::RouteTable;

    async fn encoding_of(path: &str) -> (StatusCode, Option<String>, usize) {
        async fn plain() -> String {
            "x".repeat(4096)
        }
        async fn marked() -> axum::response::Response {
            let mut response = "x".repeat(4096).into_response();
            response.extensions_mut().insert(Uncompressed);
            response
        }
        let api = RouteTable::new()
            .get("/plain", plain)
            .get("/marked", marked);
        let (app, _) = crate::app::test_app(api, Duration::from_secs(5));
        let request = Request::builder()
            .uri(path)
            .header("accept-encoding", "gzip")
            .body(axum::body::Body::empty())
            .expect("request");
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        let encoding = response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .expect("body")
            .to_bytes();
        (status, encoding, body.len())
    }

    #[tokio::test]
    async fn marked_responses_are_never_compressed() {
        let (status, encoding, len) = encoding_of("/plain").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(encoding.as_deref(), Some("gzip"));
        assert!(len < 4096, "{len}");
        let (status, encoding, len) = encoding_of("/marked").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(encoding, None);
        assert_eq!(len, 4096);
    }
}
