//! Configuration: everything of `shared-config` (the env hierarchy, the reader that
//! collects every bad variable, exit 78), plus the HTTP settings every API service
//! shares ([`HttpSettings`]).

mod http;

pub use http::{AuthToken, CorsOrigins, HttpSettings};
pub use shared_config::*;
