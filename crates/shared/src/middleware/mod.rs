//! The middleware every service wears, as one service around the router ([`stack`]):
//! correlation id, CORS, rate limit, auth, deadline, panic guard, compression, security
//! headers, metrics and the request log line.

mod auth;
mod context;
mod cors;
mod hygiene;
mod rate_limit;
mod stack;
mod stack_future;

pub use auth::{Actor, Auth, RequestMeta, is_mutating};
pub use context::{CORRELATION_ID, CorrelationId, REQUEST_ID, is_valid_correlation_id};
pub use cors::CorsPolicy;
pub use hygiene::not_found;
pub use rate_limit::{ClientIp, ClientRateLimiter, RateLimitHeaders};
pub use stack::{Stack, StackService};
pub use stack_future::StackFuture;
