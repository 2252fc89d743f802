//! The HTTP foundation of the TradingSystem fleet's services: everything cross-cutting
//! an API service needs lives here once. (The parts a worker without HTTP needs as well
//! are their own crates, `shared-config` and `shared-db`, re-exported here.)
//!
//! A service binary reads as a sentence (config → telemetry → state → router → serve):
//!
//! * [`config`]: the env hierarchy of docs/decisions.md#d4 and typed, all-errors-at-once
//!   parsing that exits with status 78, plus the HTTP services' shared settings;
//! * [`telemetry`]: text or JSON logs;
//! * [`app::AppCore`]: metrics registry, rate limiter, auth and the full middleware
//!   stack around a service's routes ([`middleware`]), plus `/health`, `/healthz`,
//!   `/ready`, `/metrics` and `/openapi.{json,yaml}`;
//! * [`error::ApiError`]: the one error envelope; [`extract`]: extractors that use it;
//! * [`db`]: PostgreSQL or embedded SQLite by URL, migrations, TimescaleDB detection;
//! * [`server`]: serving with timeouts, a connection cap and graceful shutdown.

pub mod api_docs;
pub mod app;
pub mod audit;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod import;
pub mod metrics;
pub mod middleware;
pub mod migrate;
pub mod openapi;
pub mod query;
pub mod routing;
pub mod server;
pub mod target;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod validate;

pub use app::{App, AppCore};
pub use error::{ApiError, FieldError};
pub use shared_config::telemetry;
