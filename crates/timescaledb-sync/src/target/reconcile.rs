//! The target side of `reconcile`: rows per bucket, the retention a TimescaleDB policy
//! imposes, idempotent re-copies of a bucket, the stream's lock taken one bucket at a
//! time, and `sync_reconcile` (migration 0002), where `status` finds the last reconcile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Connection};

use super::{InsertPlan, LOCK_KEY, Session, bind};
use crate::error::{Error, Result};
use crate::span::Window;
use crate::streams::Stream;
use crate::types::Batch;

/// How far back the target keeps rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retention {
    /// No `timescaledb` extension: nothing drops rows, so no limit beyond `--since`.
    NotTimescale,
    /// A hypertable (or plain table) without a retention policy.
    NoPolicy,
    /// A `policy_retention` job: rows before `cutoff` (now minus `drop_after`) may be gone.
    Policy {
        drop_after: String,
        cutoff: DateTime<Utc>,
    },
}

/// What `sync_reconcile` knows about a stream.
#[derive(Debug, Default, sqlx::FromRow)]
pub struct ReconcileState {
    pub reconciled_at: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub missing_rows: Option<i64>,
    pub last_success_at: Option<DateTime<Utc>>,
}

impl Session<'_> {
    /// Target rows per bucket of `window`: every row is one distinct key (the unique
    /// key), so this is what the source's distinct keys are compared with. Buckets are
    /// epoch arithmetic rather than `time_bucket`/`date_bin`, so plain PostgreSQL of any
    /// version cuts exactly the grid QuestDB's `SAMPLE BY` does.
    pub async fn bucket_counts(
        &mut self,
        stream: &Stream,
        window: &Window,
    ) -> Result<Vec<(i64, u64)>> {
        let ts = &stream.timestamp;
        let rows: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT (extract(epoch FROM {ts}) * 1000000)::bigint / $3 * $3 AS bucket, count(*) FROM {} WHERE {ts} >= $1 AND {ts} < $2 GROUP BY 1 ORDER BY 1",
            stream.target
        )))
        .bind(DateTime::from_timestamp_micros(window.from))
        .bind(DateTime::from_timestamp_micros(window.until))
        .bind(window.bucket)
        .fetch_all(&mut self.conn)
        .await
        .map_err(Error::target)?;
        Ok(rows
            .into_iter()
            .map(|(bucket, n)| (bucket, n.max(0) as u64))
            .collect())
    }

    /// The retention policy of the stream's table, when TimescaleDB is installed.
    pub async fn retention(&mut self, stream: &Stream) -> Result<Retention> {
        let installed: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')",
        )
        .fetch_one(&mut self.conn)
        .await
        .map_err(Error::target)?;
        if !installed {
            return Ok(Retention::NotTimescale);
        }
        // drop_created_before (chunks by creation time) is read like drop_after: rows older
        // than it normally sit in chunks created before it.
        let policy: Option<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT p.drop_after, now() - p.drop_after::interval FROM timescaledb_information.jobs j, LATERAL (SELECT coalesce(j.config->>'drop_after', j.config->>'drop_created_before') AS drop_after) p WHERE j.proc_name = 'policy_retention' AND to_regclass(format('%I.%I', j.hypertable_schema, j.hypertable_name)) = to_regclass($1) ORDER BY 2 DESC LIMIT 1",
        )
        .bind(stream.target.to_string())
        .fetch_optional(&mut self.conn)
        .await
        .map_err(Error::target)?;
        Ok(match policy {
            Some((drop_after, cutoff)) => Retention::Policy { drop_after, cutoff },
            None => Retention::NoPolicy,
        })
    }

    /// Waits up to `wait` for the stream's lock (a run holds it for seconds, and a
    /// reconcile that never got it would have checked for nothing).
    pub async fn lock_within(&mut self, stream: &Stream, wait: Duration) -> Result<bool> {
        let started = Instant::now();
        loop {
            if self.try_lock(stream).await? {
                return Ok(true);
            }
            if started.elapsed() >= wait {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Releases the stream's lock, keeping the connection, so runs go on between buckets.
    pub async fn unlock(&mut self) -> Result<()> {
        if let Some(stream) = self.locked.take() {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT pg_advisory_unlock({LOCK_KEY})"
            )))
            .bind(stream)
            .execute(&mut self.conn)
            .await
            .map_err(Error::target)?;
        }
        Ok(())
    }

    /// Writes `batches` with the idempotent insert in one transaction, which commits only
    /// when `commit` (a dry run counts what would go in, then rolls back). The watermark
    /// is left alone: these rows are older than it.
    pub async fn refill(
        &mut self,
        plan: &InsertPlan,
        batches: &[Batch],
        commit: bool,
    ) -> Result<u64> {
        let mut tx = self.conn.begin().await.map_err(Error::target)?;
        let mut inserted = 0;
        for batch in batches {
            inserted += bind(
                sqlx::query(AssertSqlSafe(Arc::clone(&plan.idempotent))),
                batch,
            )
            .execute(&mut *tx)
            .await
            .map_err(Error::target)?
            .rows_affected();
        }
        if commit {
            tx.commit().await
        } else {
            tx.rollback().await
        }
        .map_err(Error::target)?;
        Ok(inserted)
    }

    pub async fn reconcile_state(&mut self, stream: &Stream) -> Result<ReconcileState> {
        if !self.exists("sync_reconcile").await? {
            return Ok(ReconcileState::default());
        }
        sqlx::query_as(
            "SELECT reconciled_at, status, missing_rows, last_success_at FROM sync_reconcile WHERE stream = $1",
        )
        .bind(stream.name.as_str())
        .fetch_optional(&mut self.conn)
        .await
        .map(Option::unwrap_or_default)
        .map_err(Error::target)
    }

    /// Notes a finished reconcile; `false` when `sync_reconcile` is missing (the sync's
    /// migrations were not applied: `TIMESCALEDB_SYNC_RUN_MIGRATIONS=false`).
    pub async fn record_reconcile(
        &mut self,
        stream: &Stream,
        at: DateTime<Utc>,
        window: Option<&Window>,
        missing: u64,
        status: &str,
        error: Option<&str>,
    ) -> Result<bool> {
        if !self.exists("sync_reconcile").await? {
            return Ok(false);
        }
        let bound = |micros: Option<i64>| micros.and_then(DateTime::from_timestamp_micros);
        sqlx::query(
            "INSERT INTO sync_reconcile (stream, reconciled_at, status, window_from, window_until, missing_rows, last_success_at, error) VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 IS NULL THEN $2 END, $7) ON CONFLICT (stream) DO UPDATE SET reconciled_at = EXCLUDED.reconciled_at, status = EXCLUDED.status, window_from = EXCLUDED.window_from, window_until = EXCLUDED.window_until, missing_rows = EXCLUDED.missing_rows, last_success_at = COALESCE(EXCLUDED.last_success_at, sync_reconcile.last_success_at), error = EXCLUDED.error",
        )
        .bind(stream.name.as_str())
        .bind(at)
        .bind(status)
        .bind(bound(window.map(|w| w.from)))
        .bind(bound(window.map(|w| w.until)))
        .bind(i64::try_from(missing).unwrap_or(i64::MAX))
        .bind(error)
        .execute(&mut self.conn)
        .await
        .map_err(Error::target)?;
        Ok(true)
    }
}
