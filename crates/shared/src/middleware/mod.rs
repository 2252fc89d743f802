//! The middleware stack every service wears, outermost first:
//! request context (correlation id, metrics, log line, security headers) → panic guard →
//! CORS → compression → gate (rate limit, auth, deadline) → body limit. The 405 envelope
//! wraps the router from outside (see [`method_not_allowed_envelope`]).

mod auth;
mod context;
mod gate;
mod hygiene;
mod rate_limit;

pub use auth::{Actor, Auth, RequestMeta, is_mutating};
pub use context::{
    CORRELATION_ID, CorrelationId, RequestContext, RequestContextLayer, is_infrastructure_path,
    is_valid_correlation_id,
};
pub use gate::GateLayer;
pub use hygiene::{method_not_allowed_envelope, not_found};
pub use rate_limit::{ClientIp, ClientRateLimiter, RateLimitHeaders};

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, header};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{CorsOrigins, HttpSettings};

/// Everything the stack needs from one app instance.
pub struct StackParts {
    pub context: Arc<RequestContext>,
    pub limiter: Arc<ClientRateLimiter>,
    pub auth: Arc<Auth>,
}

/// Wraps `router` (every route, and the fallback) in the fleet's stack. The layers are
/// composed once with a `ServiceBuilder` (outermost first) and applied in one
/// `Router::layer` call: each separate call would box every route again, and a request
/// would pay one allocation per level.
pub fn apply_stack(router: Router, settings: &HttpSettings, parts: &StackParts) -> Router {
    let stack = ServiceBuilder::new()
        .layer(RequestContextLayer(parts.context.clone()))
        .layer(CatchPanicLayer::custom(hygiene::panic_response))
        .layer(cors(&settings.cors_origins))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024))),
        )
        .layer(GateLayer {
            limiter: parts.limiter.clone(),
            auth: parts.auth.clone(),
            deadline: settings.request_timeout,
        })
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes));
    router.layer(stack)
}

/// The CORS policy of decision 12: `*` allows any origin without credentials; a list
/// allows those origins with credentials.
pub fn cors(origins: &CorsOrigins) -> CorsLayer {
    let base = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::IF_MATCH,
            header::ACCEPT,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("x-user-id"),
            CORRELATION_ID,
        ])
        .expose_headers([
            header::ETAG,
            CORRELATION_ID,
            header::RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600));
    match origins {
        CorsOrigins::Any => base.allow_origin(AllowOrigin::any()),
        CorsOrigins::List(list) => base
            .allow_origin(AllowOrigin::list(list.iter().cloned()))
            .allow_credentials(true),
    }
}
