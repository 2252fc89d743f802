//! The database layer of `shared-db` (backend by URL, pools, migrations, TimescaleDB
//! steps), plus its `/health` and `/ready` checks.

pub use shared_db::*;
use sqlx::migrate::Migrator;

use crate::health::{BoxFuture, CheckOutcome, HealthCheck};

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
