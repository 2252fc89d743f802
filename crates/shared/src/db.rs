//! The database layer of `shared-db` (backend by URL, pools, migrations, TimescaleDB
//! steps), plus its `/health` and `/ready` checks.

pub use shared_db::*;
use sqlx::migrate::Migrator;

use crate::error::ApiError;
use crate::health::{BoxFuture, CheckOutcome, HealthCheck};

/// A database failure as a client sees it: 503 while the database cannot be reached or
/// keeps rolling the write back for conflicting ones (a retry shortly may pass), else
/// 500; the cause goes to the log, never to the client.
pub fn api_error(error: &sqlx::Error) -> ApiError {
    if is_unavailable(error) {
        ApiError::unavailable("The database is unavailable, please retry shortly").with_cause(error)
    } else if is_conflict(error) {
        ApiError::unavailable("Conflicting changes are being made at the same time, please retry")
            .with_cause(error)
    } else {
        ApiError::internal(error)
    }
}

/// `/health`'s `database` check: `SELECT 1`, never a table scan.
pub struct DatabaseCheck(pub Db);

impl HealthCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }
    fn check(&self) -> BoxFuture<'_, CheckOutcome> {
        Box::pin(async move {
            match self.0.ping().await {
                Ok(()) => CheckOutcome::healthy(format!("{} connected", self.0.backend().name())),
                Err(e) => CheckOutcome::unhealthy(format!(
                    "{} unreachable: {}",
                    self.0.backend().name(),
                    shared_db::short(&e)
                )),
            }
        })
    }
}

/// `/ready`'s `schema` check: every embedded migration applied.
pub struct SchemaCheck {
    pub db: Db,
    pub postgres: &'static Migrator,
    pub sqlite: &'static Migrator,
}

impl HealthCheck for SchemaCheck {
    fn name(&self) -> &'static str {
        "schema"
    }
    fn check(&self) -> BoxFuture<'_, CheckOutcome> {
        Box::pin(async move {
            match self.db.schema_matches(self.postgres, self.sqlite).await {
                Ok(()) => CheckOutcome::healthy("schema up to date"),
                Err(problem) => CheckOutcome::unhealthy(problem),
            }
        })
    }
}
