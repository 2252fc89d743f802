//! What health checks store: a check's figures, the systems the rounds check, the
//! status counts, and which instance takes a round.

use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::db::{Codec, on_reader, on_tx};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use super::dialect::Dialect;
use super::systems::system_row;
use crate::domain::system::{System, SystemStatus};
use crate::service::HealthReport;

const SET_CHECK_FIGURES: &str = "UPDATE documentation_systems SET last_checked = $2, response_time_ms = $3, \
     last_http_status = $4, last_message = $5 WHERE id = $1";
const SYSTEMS_TO_CHECK: &str = concat!(
    "SELECT ",
    system_columns!(),
    " FROM documentation_systems WHERE url IS NOT NULL AND status <> 'maintenance' ORDER BY id"
);
const STATUS_COUNTS: &str =
    "SELECT status, COUNT(*) AS n FROM documentation_systems GROUP BY status";
const LAST_ROUND: &str = "SELECT last_round_at FROM documentation_health_rounds WHERE id = 1";
const SET_LAST_ROUND: &str =
    "UPDATE documentation_health_rounds SET last_round_at = $1 WHERE id = 1";

/// Rounds that come a little early (timers of replicas drift) still count as due.
const ROUND_SLACK: f64 = 0.9;

impl Store {
    pub async fn set_check_figures(&self, id: Uuid, r: &HealthReport) -> sqlx::Result<()> {
        let mut tx = self.db.begin_write().await?;
        on_tx!(&mut tx, |conn, D| async {
            sqlx::query(SET_CHECK_FIGURES)
                .bind(D::uuid(id))
                .bind(r.last_checked.map(D::time))
                .bind(r.response_time_ms)
                .bind(r.http_status)
                .bind(r.message.as_str())
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })?;
        tx.commit().await
    }

    /// Systems with a URL, except those in maintenance.
    pub async fn systems_to_check(&self) -> sqlx::Result<Vec<System>> {
        on_reader!(self.db, |pool, D| async {
            sqlx::query(SYSTEMS_TO_CHECK)
                .fetch_all(pool)
                .await?
                .iter()
                .map(system_row::<D>)
                .collect()
        })
    }

    pub async fn status_counts(&self) -> sqlx::Result<Vec<(SystemStatus, i64)>> {
        on_reader!(self.db, |pool, D| async {
            let mut counts = Vec::new();
            for row in sqlx::query(STATUS_COUNTS).fetch_all(pool).await? {
                if let Some(status) = SystemStatus::parse(&D::get_text(&row, "status")?) {
                    counts.push((status, D::get_i64(&row, "n")?));
                }
            }
            Ok::<_, sqlx::Error>(counts)
        })
    }

    /// Whether this instance takes the round due now: under a lock every instance on the
    /// database contends for (PostgreSQL's advisory lock; SQLite's one writer), the last
    /// round's time is read and, when a round is due, moved to now.
    pub async fn take_round(&self, interval: Duration) -> sqlx::Result<bool> {
        let now = Utc::now();
        let mut tx = self.db.begin_write().await?;
        let taken = on_tx!(&mut tx, |conn, D| async {
            let locked: bool = sqlx::query(D::ROUND_LOCK)
                .fetch_one(&mut *conn)
                .await?
                .try_get("locked")?;
            if !locked {
                return Ok::<_, sqlx::Error>(false);
            }
            let row = sqlx::query(LAST_ROUND).fetch_one(&mut *conn).await?;
            let last: Option<DateTime<Utc>> = D::get_opt_time(&row, "last_round_at")?;
            let due = last.is_none_or(|at| {
                (now - at).to_std().unwrap_or_default() >= interval.mul_f64(ROUND_SLACK)
            });
            if due {
                sqlx::query(SET_LAST_ROUND)
                    .bind(D::time(now))
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(due)
        })?;
        tx.commit().await?;
        Ok(taken)
    }
}
