//! A service's schema and how it is brought up to date: embedded migrations per
//! backend, recorded in the service's own table, then the optional TimescaleDB steps; an
//! unreachable PostgreSQL at start-up is retried in the background.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::{Backend, Db, DbError, Pools};

/// A service's schema: its embedded migrations per backend, and its optional TimescaleDB
/// steps (hypertables, compression, retention), run on PostgreSQL after the migrations.
#[derive(Clone, Copy)]
pub struct Schema {
    pub postgres: &'static Migrator,
    pub sqlite: &'static Migrator,
    pub timescale: fn(PgPool) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// `migrator` recording what it applied in `table` instead of sqlx's `_sqlx_migrations`,
/// so that services sharing one schema keep apart which migrations each has run.
pub fn with_table(mut migrator: Migrator, table: &'static str) -> Migrator {
    migrator.dangerous_set_table_name(table);
    migrator
}

impl Db {
    /// Brings `schema` up to date. A PostgreSQL that does not answer yet is not fatal:
    /// the service starts unready (`/ready` 503) while this keeps trying in the
    /// background, every second doubling to 30 s, until the schema is applied.
    pub async fn prepare(&self, schema: Schema) -> Result<(), DbError> {
        match self.apply(schema).await {
            Ok(()) => Ok(()),
            Err(e) if self.backend() == Backend::Postgres => {
                tracing::warn!(error = %e, "database not ready; migrating in the background");
                tokio::spawn(self.clone().retry(schema));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn apply(&self, schema: Schema) -> Result<(), DbError> {
        self.migrate(schema.postgres, schema.sqlite).await?;
        if let Pools::Postgres(pool) = &self.pools {
            (schema.timescale)(pool.clone()).await;
        }
        Ok(())
    }

    async fn retry(self, schema: Schema) {
        let mut delay = Duration::from_secs(1);
        loop {
            tokio::time::sleep(delay).await;
            match self.apply(schema).await {
                Ok(()) => {
                    tracing::info!("database schema ready");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_s = delay.as_secs(), "database still not ready");
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}
