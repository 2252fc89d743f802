//! Documentation-health runs and counters. A run is stored with its history kept
//! bounded in the same transaction: of past UTC days only each day's last run stays,
//! and nothing older than [`RETENTION_DAYS`].

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use shared::db::{Codec, on_reader, on_tx};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::docs_health::views::{Counters, DayPoint, Run};
use crate::domain::docs_health::{AuditReport, IssueType, Trigger};

/// How long runs are kept.
pub const RETENTION_DAYS: i64 = 365;
/// The counter of stored runs; fixes count under `fixed_<issue type>`.
const AUDIT_RUNS: &str = "audit_runs";

const INSERT_RUN: &str = "INSERT INTO documentation_docs_health_runs (id, created_at, run_trigger, \
     health_score, total_files, broken_links, outdated, issue_count, report) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const LATEST_RUN: &str = "SELECT id, created_at, run_trigger, report FROM documentation_docs_health_runs \
     ORDER BY created_at DESC, id DESC LIMIT 1";
const POINTS_SINCE: &str = "SELECT id, created_at, health_score, broken_links, outdated, issue_count \
     FROM documentation_docs_health_runs WHERE created_at >= $1 ORDER BY created_at, id";
const BEFORE: &str = "SELECT id, created_at FROM documentation_docs_health_runs WHERE created_at < $1 \
     ORDER BY created_at DESC, id DESC";
const DELETE_RUN: &str = "DELETE FROM documentation_docs_health_runs WHERE id = $1";
const DELETE_OLDER: &str = "DELETE FROM documentation_docs_health_runs WHERE created_at < $1";
const BUMP: &str = "INSERT INTO documentation_docs_health_counters (name, value) VALUES ($1, 1) \
     ON CONFLICT (name) DO UPDATE SET value = documentation_docs_health_counters.value + 1";
const COUNTERS: &str = "SELECT name, value FROM documentation_docs_health_counters";

fn fixed_name(kind: IssueType) -> String {
    format!("fixed_{}", kind.as_str())
}

fn day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Of runs older than today (newest first), those that are not their day's last, and
/// those past retention.
fn to_delete(older: &[(Uuid, DateTime<Utc>)], cutoff: DateTime<Utc>) -> Vec<Uuid> {
    let mut days = HashSet::new();
    older
        .iter()
        .filter(|(_, at)| *at >= cutoff && !days.insert(at.date_naive()))
        .map(|(id, _)| *id)
        .collect()
}

/// PostgreSQL's JSONB cannot hold U+0000, which a page (or a posted document) may
/// contain: it becomes U+FFFD on both engines, so both store the same report.
fn without_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => *s = s.replace('\0', "\u{fffd}"),
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_nul),
        serde_json::Value::Object(map) => map.values_mut().for_each(without_nul),
        _ => {}
    }
}

impl Store {
    /// Stores a run, counts it, and prunes the history; answers what was stored.
    pub async fn insert_health_run(
        &self,
        at: DateTime<Utc>,
        trigger: Trigger,
        report: &AuditReport,
    ) -> sqlx::Result<Run> {
        let id = Uuid::now_v7();
        let mut json = serde_json::to_value(report).map_err(|e| sqlx::Error::Encode(e.into()))?;
        without_nul(&mut json);
        let score = report.score().health_score;
        let t = &report.totals;
        let now = Utc::now();
        let cutoff = now - Duration::days(RETENTION_DAYS);
        let today = day_start(now.date_naive());
        self.db
            .timed("docs_health.insert_run", async {
                let mut tx = self.db.begin_write().await?;
                on_tx!(&mut tx, |conn, D| async {
                    sqlx::query(INSERT_RUN)
                        .bind(D::uuid(id))
                        .bind(D::time(at))
                        .bind(trigger.as_str())
                        .bind(score)
                        .bind(t.total_files)
                        .bind(t.links_broken)
                        .bind(t.outdated)
                        .bind(report.history_issue_count())
                        .bind(D::json(&json))
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(BUMP)
                        .bind(AUDIT_RUNS)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(DELETE_OLDER)
                        .bind(D::time(cutoff))
                        .execute(&mut *conn)
                        .await?;
                    let older = sqlx::query(BEFORE)
                        .bind(D::time(today))
                        .fetch_all(&mut *conn)
                        .await?
                        .iter()
                        .map(|row| Ok((D::get_uuid(row, "id")?, D::get_time(row, "created_at")?)))
                        .collect::<sqlx::Result<Vec<_>>>()?;
                    for old in to_delete(&older, cutoff) {
                        sqlx::query(DELETE_RUN)
                            .bind(D::uuid(old))
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok::<_, sqlx::Error>(())
                })?;
                tx.commit().await
            })
            .await?;
        Ok(Run {
            id,
            at,
            trigger,
            report: report.clone(),
        })
    }

    /// The newest stored run.
    pub async fn latest_health_run(&self) -> sqlx::Result<Option<Run>> {
        self.db
            .timed("docs_health.latest_run", async {
                on_reader!(self.db, |pool, D| async {
                    let Some(row) = sqlx::query(LATEST_RUN).fetch_optional(pool).await? else {
                        return Ok(None);
                    };
                    let bad = |what: &str| {
                        sqlx::Error::Decode(
                            format!("unexpected {what} of a docs health run").into(),
                        )
                    };
                    let trigger = Trigger::parse(&D::get_text(&row, "run_trigger")?)
                        .ok_or_else(|| bad("trigger"))?;
                    let report = D::get_json(&row, "report")?
                        .and_then(|v| serde_json::from_value(v).ok())
                        .ok_or_else(|| bad("report"))?;
                    Ok::<_, sqlx::Error>(Some(Run {
                        id: D::get_uuid(&row, "id")?,
                        at: D::get_time(&row, "created_at")?,
                        trigger,
                        report,
                    }))
                })
            })
            .await
    }

    /// The last run of each UTC day since `since`, oldest first.
    pub async fn health_history(&self, since: DateTime<Utc>) -> sqlx::Result<Vec<DayPoint>> {
        self.db
            .timed("docs_health.history", async {
                on_reader!(self.db, |pool, D| async {
                    let mut points: Vec<DayPoint> = Vec::new();
                    for row in sqlx::query(POINTS_SINCE)
                        .bind(D::time(since))
                        .fetch_all(pool)
                        .await?
                    {
                        let point = DayPoint {
                            date: D::get_time(&row, "created_at")?.date_naive(),
                            health_score: D::get_f64(&row, "health_score")?.unwrap_or(0.0),
                            broken_links: D::get_i64(&row, "broken_links")?,
                            outdated: D::get_i64(&row, "outdated")?,
                            issue_count: D::get_i64(&row, "issue_count")?,
                        };
                        match points.last_mut() {
                            Some(last) if last.date == point.date => *last = point,
                            _ => points.push(point),
                        }
                    }
                    Ok::<_, sqlx::Error>(points)
                })
            })
            .await
    }

    pub async fn record_health_fix(&self, kind: IssueType) -> sqlx::Result<()> {
        let name = fixed_name(kind);
        self.db
            .timed("docs_health.record_fix", async {
                let mut tx = self.db.begin_write().await?;
                on_tx!(&mut tx, |conn, D| async {
                    sqlx::query(BUMP)
                        .bind(name.as_str())
                        .execute(&mut *conn)
                        .await
                        .map(|_| ())
                })?;
                tx.commit().await
            })
            .await
    }

    pub async fn health_counters(&self) -> sqlx::Result<Counters> {
        self.db
            .timed("docs_health.counters", async {
                on_reader!(self.db, |pool, D| async {
                    let mut counters = Counters {
                        audit_runs: 0,
                        fixed: IssueType::ALL.iter().map(|(_, k)| (*k, 0)).collect(),
                    };
                    for row in sqlx::query(COUNTERS).fetch_all(pool).await? {
                        let name = D::get_text(&row, "name")?;
                        let value: i64 = row.try_get("value")?;
                        if name == AUDIT_RUNS {
                            counters.audit_runs = value;
                        }
                        for (kind, n) in &mut counters.fixed {
                            if name == fixed_name(*kind) {
                                *n = value;
                            }
                        }
                    }
                    Ok::<_, sqlx::Error>(counters)
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_run_of_each_past_day_within_retention() {
        let at = |d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2026, 3, d)
                .and_then(|d| d.and_hms_opt(h, 0, 0))
                .expect("date")
                .and_utc()
        };
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        // Newest first, as BEFORE reads them.
        let older = [
            (ids[0], at(5, 18)),
            (ids[1], at(5, 9)),
            (ids[2], at(4, 9)),
            (ids[3], at(1, 9)),
        ];
        assert_eq!(to_delete(&older, at(2, 0)), vec![ids[1]]);
    }
}
