//! What a run tells its operator: the one-line JSON summary per stream on stdout, and a
//! progress line on stderr while a long run goes on (only when stderr is a terminal).

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::{EXIT_OK, Error, Result};
use crate::types::format_micros;

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// QuestDB had no more rows.
    End,
    MaxRows,
    MaxDuration,
}

#[derive(Debug)]
pub struct Summary {
    pub stream: String,
    pub dry_run: bool,
    pub rows_read: u64,
    pub rows_inserted: u64,
    /// Rows the target already had (the overlap window, a rerun after a crash).
    pub rows_skipped: u64,
    pub batches: u64,
    /// Watermarks in µs since the epoch.
    pub watermark_before: Option<i64>,
    pub watermark_after: Option<i64>,
    pub duration: Duration,
    pub stop: Option<Stop>,
    pub error: Option<String>,
    pub exit_code: i32,
    /// The last successful run of the stream, this one included.
    pub last_success: Option<DateTime<Utc>>,
    pub finished_at: DateTime<Utc>,
}

impl Summary {
    pub fn new(stream: &str, dry_run: bool) -> Self {
        Self {
            stream: stream.to_string(),
            dry_run,
            rows_read: 0,
            rows_inserted: 0,
            rows_skipped: 0,
            batches: 0,
            watermark_before: None,
            watermark_after: None,
            duration: Duration::ZERO,
            stop: None,
            error: None,
            exit_code: EXIT_OK,
            last_success: None,
            finished_at: Utc::now(),
        }
    }

    pub fn finish(&mut self, result: Result<Stop>, duration: Duration) {
        self.duration = duration;
        self.finished_at = Utc::now();
        match result {
            Ok(stop) => self.stop = Some(stop),
            Err(e) => self.fail(&e),
        }
    }

    fn fail(&mut self, error: &Error) {
        self.exit_code = error.exit_code();
        self.error = Some(error.to_string());
    }

    pub fn status(&self) -> &'static str {
        match self.exit_code {
            EXIT_OK => "ok",
            crate::error::EXIT_LOCKED => "locked",
            _ => "error",
        }
    }

    /// Seconds between the newest copied row and the end of the run.
    pub fn lag_seconds(&self) -> Option<f64> {
        let watermark = self.watermark_after?;
        Some((self.finished_at.timestamp_micros() - watermark) as f64 / 1e6)
    }

    pub fn to_json(&self) -> Value {
        let mut line = json!({
            "stream": self.stream,
            "status": self.status(),
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "rows_inserted": self.rows_inserted,
            "rows_skipped": self.rows_skipped,
            "batches": self.batches,
            "watermark_before": self.watermark_before.map(format_micros),
            "watermark_after": self.watermark_after.map(format_micros),
            "lag_seconds": self.lag_seconds(),
            "duration_ms": self.duration.as_millis() as u64,
            "stopped_by": match self.stop {
                Some(Stop::End) => "end",
                Some(Stop::MaxRows) => "max_rows",
                Some(Stop::MaxDuration) => "max_duration",
                None => "error",
            },
            "exit_code": self.exit_code,
        });
        if let Some(error) = &self.error {
            line["error"] = json!(error);
        }
        line
    }
}

/// Prints one JSON line on stdout (flushed: cron may append it to a log as it comes).
pub fn print_line(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// A progress line redrawn at most twice a second.
pub struct Progress {
    enabled: bool,
    drawn: Option<Duration>,
}

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            drawn: None,
        }
    }

    pub fn tick(&mut self, summary: &Summary, elapsed: Duration) {
        if !self.enabled
            || self
                .drawn
                .is_some_and(|at| elapsed - at < Duration::from_millis(500))
        {
            return;
        }
        self.drawn = Some(elapsed);
        let rate = summary.rows_read as f64 / elapsed.as_secs_f64().max(1e-3);
        let newest = summary
            .watermark_after
            .map(format_micros)
            .unwrap_or_default();
        eprint!(
            "\r\x1b[2K{}: {} rows read, {} inserted, {:.0} rows/s, at {newest}",
            summary.stream, summary.rows_read, summary.rows_inserted, rate
        );
    }

    pub fn clear(&mut self) {
        if self.drawn.take().is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}
