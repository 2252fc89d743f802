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

/// What a `migrate` command did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Migrated {
    /// Versions this run applied.
    pub applied: Vec<i64>,
    /// Every version now recorded as applied.
    pub versions: Vec<i64>,
    /// PostgreSQL only: the schema the tables are in (the first of the `search_path`).
    pub schema: Option<String>,
    /// PostgreSQL only: the TimescaleDB features found (their steps were run or skipped).
    pub timescale: Option<crate::Timescale>,
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

    /// Brings `schema` up to date now, for a `migrate` command: waits up to `wait` for a
    /// PostgreSQL that does not answer yet, then reports what it applied.
    pub async fn migrate_now(&self, schema: Schema, wait: Duration) -> Result<Migrated, DbError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut delay = Duration::from_millis(500);
        let before = loop {
            match self.applied_versions(schema).await {
                Ok(before) => break before,
                Err(e) if tokio::time::Instant::now() + delay < deadline => {
                    tracing::info!(error = %e, "waiting for the database");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        };
        self.apply(schema).await?;
        let after = self.applied_versions(schema).await?;
        let (schema_name, timescale) = match &self.pools {
            Pools::Postgres(pool) => (
                sqlx::query_scalar("SELECT current_schema()::text")
                    .fetch_one(pool)
                    .await
                    .map_err(DbError::Connect)?,
                Some(crate::Timescale::detect(pool).await),
            ),
            Pools::Sqlite { .. } => (None, None),
        };
        Ok(Migrated {
            applied: after
                .iter()
                .filter(|v| !before.contains(v))
                .copied()
                .collect(),
            versions: after,
            schema: schema_name,
            timescale,
        })
    }

    /// The migration versions recorded as applied (none when the table does not exist
    /// yet); an error only when the database does not answer.
    async fn applied_versions(&self, schema: Schema) -> Result<Vec<i64>, DbError> {
        let (migrator, exists_sql) = match self.backend() {
            Backend::Postgres => (schema.postgres, "SELECT to_regclass($1) IS NOT NULL"),
            Backend::Sqlite => (
                schema.sqlite,
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1)",
            ),
        };
        let table = migrator.table_name.as_ref();
        // The table name is a constant of the binary (see [`with_table`]), never input.
        let list = sqlx::AssertSqlSafe(format!(
            "SELECT version FROM {table} WHERE success ORDER BY version"
        ));
        let versions = match &self.pools {
            Pools::Postgres(pool) => {
                if sqlx::query_scalar(exists_sql)
                    .bind(table)
                    .fetch_one(pool)
                    .await
                    .map_err(DbError::Connect)?
                {
                    sqlx::query_scalar(list)
                        .fetch_all(pool)
                        .await
                        .map_err(DbError::Connect)?
                } else {
                    Vec::new()
                }
            }
            Pools::Sqlite { writer, .. } => {
                if sqlx::query_scalar(exists_sql)
                    .bind(table)
                    .fetch_one(writer)
                    .await
                    .map_err(DbError::Connect)?
                {
                    sqlx::query_scalar(list)
                        .fetch_all(writer)
                        .await
                        .map_err(DbError::Connect)?
                } else {
                    Vec::new()
                }
            }
        };
        Ok(versions)
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
