//! The PostgreSQL / TimescaleDB side: one dedicated connection per stream run, holding a
//! session-level advisory lock for the whole run; the `sync_control` watermark; target
//! tables created from the source's columns (`table.rs`); and batches written with one
//! `INSERT ... SELECT FROM UNNEST(<one array per column>) [ON CONFLICT DO NOTHING]` that
//! commits together with the watermark ([`Session::write`]).
//!
//! Table and column names come from validated [`crate::streams::Ident`]s (double-quoted
//! when formatted); every value is a bound parameter.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Connection, PgConnection, Postgres};

use crate::config::TargetSettings;
use crate::error::{Error, Result};
use crate::streams::Stream;
use crate::types::{Batch, Values};

mod reconcile;
mod table;

pub use reconcile::{ReconcileState, Retention};

/// The sync's migrations, recorded in their own table so that sharing a database (and
/// its `_sqlx_migrations`) with another service never confuses either migrator.
pub fn migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("../../migrations/timescaledb-sync");
    migrator.dangerous_set_table_name("_timescaledb_sync_migrations");
    migrator
}

/// What `sync_control` knows about a stream.
#[derive(Debug, Default, sqlx::FromRow)]
pub struct StreamState {
    pub last_synced: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_status: Option<String>,
    pub last_run_rows: Option<i64>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// The two inserts of one stream: `plain` for batches entirely newer than the watermark,
/// `idempotent` (`ON CONFLICT DO NOTHING`) for the rest.
pub struct InsertPlan {
    plain: Arc<str>,
    idempotent: Arc<str>,
}

/// The advisory lock key of stream `$1`: per database and schema, like `sync_control`.
const LOCK_KEY: &str = "hashtextextended('timescaledb-sync:' || current_database() || ':' || coalesce(current_schema(), '') || ':' || $1, 0)";

pub struct Session<'a> {
    conn: PgConnection,
    settings: &'a TargetSettings,
    /// The stream whose lock this session holds.
    locked: Option<String>,
}

impl<'a> Session<'a> {
    /// A dedicated connection (never pooled: the session lock lives as long as it does).
    pub async fn open(settings: &'a TargetSettings) -> Result<Self> {
        let conn = tokio::time::timeout(
            settings.connect_timeout,
            PgConnection::connect_with(&settings.options),
        )
        .await
        .map_err(|_| {
            Error::Target(format!(
                "no connection within {} ms",
                settings.connect_timeout.as_millis()
            ))
        })?
        .map_err(Error::target)?;
        Ok(Self {
            conn,
            settings,
            locked: None,
        })
    }

    /// `pg_try_advisory_lock` keyed by database, schema and stream: false when another
    /// run holds it. Released when this connection closes, even if the process dies.
    pub async fn try_lock(&mut self, stream: &Stream) -> Result<bool> {
        let locked = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT pg_try_advisory_lock({LOCK_KEY})"
        )))
        .bind(stream.name.as_str())
        .fetch_one(&mut self.conn)
        .await
        .map_err(Error::target)?;
        if locked {
            self.locked = Some(stream.name.as_str().to_string());
        }
        Ok(locked)
    }

    /// Applies the embedded `sync_control` migrations unless the deployment runs them itself.
    pub async fn migrate(&mut self) -> Result<()> {
        if !self.settings.run_migrations {
            return Ok(());
        }
        migrator()
            .run(&mut self.conn)
            .await
            .map_err(|e| Error::Target(format!("migrating sync_control: {e}")))
    }

    async fn exists(&mut self, relation: &str) -> Result<bool> {
        sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(relation)
            .fetch_one(&mut self.conn)
            .await
            .map_err(Error::target)
    }

    /// The stream's row of `sync_control` (empty before its first run, or before the
    /// table exists at all: a dry run on a fresh database).
    pub async fn state(&mut self, stream: &Stream) -> Result<StreamState> {
        if !self.exists("sync_control").await? {
            return Ok(StreamState::default());
        }
        sqlx::query_as(
            "SELECT last_synced, last_run_at, last_run_status, last_run_rows, last_success_at, last_error FROM sync_control WHERE stream = $1",
        )
        .bind(stream.name.as_str())
        .fetch_optional(&mut self.conn)
        .await
        .map(Option::unwrap_or_default)
        .map_err(Error::target)
    }

    pub async fn table_exists(&mut self, stream: &Stream) -> Result<bool> {
        self.exists(&stream.target.to_string()).await
    }

    /// Inserts a batch and moves the watermark to its newest timestamp (never backward)
    /// in one transaction. Returns the rows actually inserted; the rest were duplicates.
    ///
    /// A `fresh` batch (every row newer than the committed watermark) cannot collide with
    /// rows this stream copied, so it first goes in as a plain INSERT: PostgreSQL's
    /// speculative insertion for ON CONFLICT costs ~75% more per row. If it does collide
    /// (the page repeats a row, or another stream writes the same table), the transaction
    /// is rolled back and the batch written idempotently.
    pub async fn write(
        &mut self,
        stream: &Stream,
        plan: &InsertPlan,
        batch: &Batch,
        fresh: bool,
    ) -> Result<u64> {
        if fresh {
            match self.commit(&plan.plain, stream, batch).await {
                Err(e) if shared_db::is_unique_violation(&e) => {
                    tracing::debug!(
                        stream = stream.name.as_str(),
                        "a new batch repeats rows; writing it idempotently"
                    );
                }
                done => return done.map_err(Error::target),
            }
        }
        self.commit(&plan.idempotent, stream, batch)
            .await
            .map_err(Error::target)
    }

    async fn commit(
        &mut self,
        sql: &Arc<str>,
        stream: &Stream,
        batch: &Batch,
    ) -> sqlx::Result<u64> {
        let newest = batch
            .micros
            .iter()
            .max()
            .copied()
            .and_then(DateTime::from_timestamp_micros);
        let mut tx = self.conn.begin().await?;
        let inserted = bind(sqlx::query(AssertSqlSafe(Arc::clone(sql))), batch)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO sync_control (stream, last_synced, updated_at) VALUES ($1, $2, now()) ON CONFLICT (stream) DO UPDATE SET last_synced = GREATEST(sync_control.last_synced, EXCLUDED.last_synced), updated_at = now()",
        )
        .bind(stream.name.as_str())
        .bind(newest)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted)
    }

    /// Notes the end of a run at `finished_at` (the last success survives later
    /// failures). The time is the caller's, not the server's `now()`, so the textfile's
    /// last success and the one stored here are the same instant.
    pub async fn record_run(
        &mut self,
        stream: &Stream,
        finished_at: DateTime<Utc>,
        ok: bool,
        rows: u64,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_control (stream, last_run_at, last_run_status, last_run_rows, last_success_at, last_error) VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $2 END, $6) ON CONFLICT (stream) DO UPDATE SET last_run_at = EXCLUDED.last_run_at, last_run_status = EXCLUDED.last_run_status, last_run_rows = EXCLUDED.last_run_rows, last_success_at = COALESCE(EXCLUDED.last_success_at, sync_control.last_success_at), last_error = EXCLUDED.last_error",
        )
        .bind(stream.name.as_str())
        .bind(finished_at)
        .bind(if ok { "ok" } else { "error" })
        .bind(i64::try_from(rows).unwrap_or(i64::MAX))
        .bind(ok)
        .bind(error)
        .execute(&mut self.conn)
        .await
        .map(|_| ())
        .map_err(Error::target)
    }

    /// Releases the lock, then closes the connection. Unlocking first matters: the
    /// server ends a closed session asynchronously, and a run started right after this
    /// one must not find the lock still held.
    pub async fn close(mut self) {
        if let Some(stream) = self.locked.take() {
            let unlocked = sqlx::query(AssertSqlSafe(format!(
                "SELECT pg_advisory_unlock({LOCK_KEY})"
            )))
            .bind(stream)
            .execute(&mut self.conn)
            .await;
            if let Err(e) = unlocked {
                tracing::debug!(error = %e, "unlock failed; the lock ends with the connection");
            }
        }
        let _ = self.conn.close().await;
    }
}

fn bind<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    batch: &'q Batch,
) -> Query<'q, Postgres, PgArguments> {
    for values in &batch.values {
        query = match values {
            Values::Bool(v) => query.bind(v),
            Values::Int16(v) => query.bind(v),
            Values::Int32(v) => query.bind(v),
            Values::Int64(v) => query.bind(v),
            Values::Float32(v) => query.bind(v),
            Values::Float64(v) => query.bind(v),
            Values::Text(v) => query.bind(v),
            Values::Timestamp(v) => query.bind(v),
            Values::Uuid(v) => query.bind(v),
        };
    }
    if batch.layout.hashed {
        query.bind(&batch.hashes)
    } else {
        query
    }
}
