//! What a reconcile tells its operator: one JSON line per stream on stdout, and the
//! figures of its textfile ([`crate::metrics::render_reconcile`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::ReconcileOptions;
use crate::error::{EXIT_LOCKED, EXIT_OK, Result};
use crate::span::{Span, Window};
use crate::target::Retention;
use crate::types::format_micros;

/// Buckets listed one by one in the JSON line; the totals count them all.
const LISTED_BUCKETS: usize = 20;

/// One bucket whose counts differed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketReport {
    pub start: i64,
    /// Rows (hash-keyed) or distinct keys (keyed) QuestDB counted.
    pub source: u64,
    /// Rows the target held.
    pub target: u64,
    /// Rows re-read from QuestDB, and the distinct target keys among them.
    pub read: u64,
    pub distinct: u64,
    /// Rows the target lacked (inserted, or on a dry run, rolled back).
    pub missing: u64,
}

impl BucketReport {
    /// Target rows whose key the source no longer has (never deleted).
    pub fn extra(&self) -> u64 {
        (self.target + self.missing).saturating_sub(self.distinct)
    }
}

#[derive(Debug)]
pub struct Report {
    pub stream: String,
    pub dry_run: bool,
    pub since: Span,
    pub bucket: Span,
    pub window: Option<Window>,
    pub retention: Option<Retention>,
    pub buckets_checked: u64,
    pub buckets_reread: u64,
    pub buckets_missing: u64,
    pub rows_source: u64,
    pub rows_target: u64,
    /// Source rows repeating another exactly, in the buckets re-read.
    pub rows_duplicate: u64,
    pub rows_missing: u64,
    pub rows_extra: u64,
    pub buckets: Vec<BucketReport>,
    pub duration: Duration,
    pub error: Option<String>,
    pub exit_code: i32,
    pub finished_at: DateTime<Utc>,
}

impl Report {
    pub fn new(stream: &str, options: &ReconcileOptions) -> Self {
        Self {
            stream: stream.to_string(),
            dry_run: options.dry_run,
            since: options.since,
            bucket: options.bucket,
            window: None,
            retention: None,
            buckets_checked: 0,
            buckets_reread: 0,
            buckets_missing: 0,
            rows_source: 0,
            rows_target: 0,
            rows_duplicate: 0,
            rows_missing: 0,
            rows_extra: 0,
            buckets: Vec::new(),
            duration: Duration::ZERO,
            error: None,
            exit_code: EXIT_OK,
            finished_at: Utc::now(),
        }
    }

    pub fn add(&mut self, bucket: BucketReport) {
        self.buckets_reread += 1;
        self.buckets_missing += u64::from(bucket.missing > 0);
        self.rows_duplicate += bucket.read - bucket.distinct;
        self.rows_missing += bucket.missing;
        self.rows_extra += bucket.extra();
        if bucket.missing > 0 || bucket.extra() > 0 {
            tracing::info!(
                stream = self.stream.as_str(),
                bucket = format_micros(bucket.start),
                source = bucket.source,
                target = bucket.target,
                missing = bucket.missing,
                extra = bucket.extra(),
                "bucket differs"
            );
        }
        self.buckets.push(bucket);
    }

    pub fn finish(&mut self, result: Result<()>, duration: Duration) {
        self.duration = duration;
        self.finished_at = Utc::now();
        if let Err(e) = result {
            self.exit_code = e.exit_code();
            self.error = Some(e.to_string());
        }
    }

    pub fn status(&self) -> &'static str {
        match self.exit_code {
            EXIT_OK => "ok",
            EXIT_LOCKED => "locked",
            _ => "error",
        }
    }

    /// In one phrase: whether anything was missing, and whether it was copied.
    pub fn result(&self) -> &'static str {
        match (self.error.is_some(), self.rows_missing > 0, self.dry_run) {
            (true, _, _) => "error",
            (false, false, _) => "nothing to do",
            (false, true, false) => "fixed",
            (false, true, true) => "would fix",
        }
    }

    pub fn to_json(&self) -> Value {
        let retention = match &self.retention {
            None => Value::Null,
            Some(Retention::NotTimescale) => json!("timescaledb not installed"),
            Some(Retention::NoPolicy) => json!("no retention policy"),
            Some(Retention::Policy { drop_after, cutoff }) => json!({
                "drop_after": drop_after,
                "cutoff": format_micros(cutoff.timestamp_micros()),
            }),
        };
        let listed: Vec<Value> = self
            .buckets
            .iter()
            .filter(|b| b.missing > 0 || b.extra() > 0)
            .take(LISTED_BUCKETS)
            .map(|b| {
                json!({
                    "bucket": format_micros(b.start),
                    "source": b.source,
                    "target": b.target,
                    "missing": b.missing,
                    "extra": b.extra(),
                })
            })
            .collect();
        let mut line = json!({
            "stream": self.stream,
            "command": "reconcile",
            "status": self.status(),
            "result": self.result(),
            "dry_run": self.dry_run,
            "since": self.since.to_string(),
            "bucket": self.bucket.to_string(),
            "window_from": self.window.map(|w| format_micros(w.from)),
            "window_until": self.window.map(|w| format_micros(w.until)),
            "retention": retention,
            "buckets_checked": self.buckets_checked,
            "buckets_reread": self.buckets_reread,
            "buckets_missing": self.buckets_missing,
            "rows_source": self.rows_source,
            "rows_target": self.rows_target,
            "rows_duplicate": self.rows_duplicate,
            "rows_missing": self.rows_missing,
            "rows_copied": if self.dry_run { 0 } else { self.rows_missing },
            "rows_extra": self.rows_extra,
            "differences": listed,
            "duration_ms": self.duration.as_millis() as u64,
            "exit_code": self.exit_code,
        });
        if let Some(error) = &self.error {
            line["error"] = json!(error);
        }
        line
    }
}
