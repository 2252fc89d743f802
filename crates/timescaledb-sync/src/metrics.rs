//! Prometheus figures of a run, for a cron job that no server scrapes: written as a
//! node-exporter textfile (`TIMESCALEDB_SYNC_TEXTFILE_DIR`, one file per stream,
//! replaced atomically) and/or pushed to a Pushgateway (`--pushgateway URL`).
//!
//! Every figure describes the last run, except the last success, which survives failed
//! runs (from `sync_control`, or from the previous textfile when PostgreSQL is down) so
//! an alert on `time() - tradingsystem_sync_last_success_timestamp_seconds` keeps working.

use std::io::Write;
use std::path::{Path, PathBuf};

use prometheus::{Encoder, Gauge, GaugeVec, Opts, Registry, TextEncoder};

use crate::reconcile::Report;
use crate::report::Summary;

const LAST_SUCCESS: &str = "tradingsystem_sync_last_success_timestamp_seconds";
const RECONCILE_LAST_SUCCESS: &str = "tradingsystem_sync_reconcile_last_success_timestamp_seconds";

/// The text exposition format of `summary`; `last_success` in seconds since the epoch.
pub fn render(summary: &Summary, last_success: Option<f64>) -> String {
    let registry = Registry::new();
    let opts =
        |name: &str, help: &str| Opts::new(name, help).const_label("stream", &summary.stream);
    let gauge = |name: &str, help: &str, value: f64| {
        let gauge = Gauge::with_opts(opts(name, help)).expect("valid metric");
        gauge.set(value);
        registry.register(Box::new(gauge)).expect("fresh registry");
    };
    let rows = GaugeVec::new(
        opts(
            "tradingsystem_sync_last_run_rows",
            "Rows of the last run: read from QuestDB, inserted, skipped as duplicates",
        ),
        &["kind"],
    )
    .expect("valid metric");
    rows.with_label_values(&["read"])
        .set(summary.rows_read as f64);
    rows.with_label_values(&["inserted"])
        .set(summary.rows_inserted as f64);
    rows.with_label_values(&["skipped"])
        .set(summary.rows_skipped as f64);
    registry.register(Box::new(rows)).expect("fresh registry");
    gauge(
        "tradingsystem_sync_last_run_batches",
        "Batches committed by the last run",
        summary.batches as f64,
    );
    gauge(
        "tradingsystem_sync_last_run_errors",
        "1 when the last run failed (its exit status is tradingsystem_sync_last_run_exit_code)",
        f64::from(u8::from(summary.exit_code != 0)),
    );
    gauge(
        "tradingsystem_sync_last_run_exit_code",
        "Exit status of the last run",
        f64::from(summary.exit_code),
    );
    gauge(
        "tradingsystem_sync_last_run_duration_seconds",
        "Duration of the last run",
        summary.duration.as_secs_f64(),
    );
    gauge(
        "tradingsystem_sync_last_run_timestamp_seconds",
        "When the last run ended",
        summary.finished_at.timestamp_micros() as f64 / 1e6,
    );
    if let Some(watermark) = summary.watermark_after {
        gauge(
            "tradingsystem_sync_watermark_timestamp_seconds",
            "Timestamp of the newest row copied",
            watermark as f64 / 1e6,
        );
    }
    if let Some(lag) = summary.lag_seconds() {
        gauge(
            "tradingsystem_sync_lag_seconds",
            "Age of the newest row copied when the last run ended",
            lag,
        );
    }
    if let Some(at) = last_success {
        gauge(LAST_SUCCESS, "When a run of the stream last succeeded", at);
    }
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut text)
        .expect("text encoding into memory");
    String::from_utf8(text).expect("the text format is UTF-8")
}

/// The figures of a reconcile; `last_success` in seconds since the epoch.
pub fn render_reconcile(report: &Report, last_success: Option<f64>) -> String {
    let registry = Registry::new();
    let opts = |name: &str, help: &str| Opts::new(name, help).const_label("stream", &report.stream);
    let gauge = |name: &str, help: &str, value: f64| {
        let gauge = Gauge::with_opts(opts(name, help)).expect("valid metric");
        gauge.set(value);
        registry.register(Box::new(gauge)).expect("fresh registry");
    };
    gauge(
        "tradingsystem_sync_reconcile_missing_rows",
        "Rows the target lacked in the last reconcile's window (then copied)",
        report.rows_missing as f64,
    );
    gauge(
        "tradingsystem_sync_reconcile_extra_rows",
        "Target rows whose key the source no longer has (never deleted)",
        report.rows_extra as f64,
    );
    gauge(
        "tradingsystem_sync_reconcile_duplicate_rows",
        "Source rows repeating another exactly, in the buckets re-read",
        report.rows_duplicate as f64,
    );
    let buckets = GaugeVec::new(
        opts(
            "tradingsystem_sync_reconcile_buckets",
            "Buckets of the last reconcile: checked, re-read (counts differed), missing rows",
        ),
        &["kind"],
    )
    .expect("valid metric");
    buckets
        .with_label_values(&["checked"])
        .set(report.buckets_checked as f64);
    buckets
        .with_label_values(&["reread"])
        .set(report.buckets_reread as f64);
    buckets
        .with_label_values(&["missing"])
        .set(report.buckets_missing as f64);
    registry
        .register(Box::new(buckets))
        .expect("fresh registry");
    gauge(
        "tradingsystem_sync_reconcile_exit_code",
        "Exit status of the last reconcile",
        f64::from(report.exit_code),
    );
    gauge(
        "tradingsystem_sync_reconcile_duration_seconds",
        "Duration of the last reconcile",
        report.duration.as_secs_f64(),
    );
    gauge(
        "tradingsystem_sync_reconcile_timestamp_seconds",
        "When the last reconcile ended",
        report.finished_at.timestamp_micros() as f64 / 1e6,
    );
    if let Some(at) = last_success {
        gauge(
            RECONCILE_LAST_SUCCESS,
            "When a reconcile of the stream last succeeded",
            at,
        );
    }
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut text)
        .expect("text encoding into memory");
    String::from_utf8(text).expect("the text format is UTF-8")
}

/// Which command's textfile: each replaces its own file whole, so `run` and
/// `reconcile` keep separate ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Textfile {
    Run,
    Reconcile,
}

impl Textfile {
    fn stem(self, stream: &str) -> String {
        match self {
            Self::Run => format!("timescaledb_sync_{stream}"),
            Self::Reconcile => format!("timescaledb_sync_reconcile_{stream}"),
        }
    }

    fn last_success(self) -> &'static str {
        match self {
            Self::Run => LAST_SUCCESS,
            Self::Reconcile => RECONCILE_LAST_SUCCESS,
        }
    }
}

pub fn textfile_path(dir: &Path, kind: Textfile, stream: &str) -> PathBuf {
    dir.join(format!("{}.prom", kind.stem(stream)))
}

/// The last success recorded by the previous textfile of `stream`, if any.
pub fn previous_last_success(dir: &Path, kind: Textfile, stream: &str) -> Option<f64> {
    let text = std::fs::read_to_string(textfile_path(dir, kind, stream)).ok()?;
    let name = kind.last_success();
    text.lines()
        .find(|line| line.starts_with(name))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

/// Writes the textfile next to its final name, then renames it over the old one, so
/// node-exporter never reads half a file (it only reads `*.prom`).
pub fn write_textfile(
    dir: &Path,
    kind: Textfile,
    stream: &str,
    text: &str,
) -> std::io::Result<PathBuf> {
    let path = textfile_path(dir, kind, stream);
    let temp = dir.join(format!(
        ".{}.prom.{}.tmp",
        kind.stem(stream),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map(|()| path)
}

/// PUT to `<base>/metrics/job/<job>/stream/<stream>`, replacing that group (the job is
/// `timescaledb-sync` for runs, `timescaledb-sync-reconcile` for reconciles).
pub async fn push(
    base: &reqwest::Url,
    kind: Textfile,
    stream: &str,
    text: String,
) -> Result<(), String> {
    let job = match kind {
        Textfile::Run => "timescaledb-sync",
        Textfile::Reconcile => "timescaledb-sync-reconcile",
    };
    let url = format!(
        "{}/metrics/job/{job}/stream/{stream}",
        base.as_str().trim_end_matches('/')
    );
    let client = shared_http_client::builder()
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    let response = client
        .put(&url)
        .header("content-type", "text/plain; version=0.0.4")
        .timeout(std::time::Duration::from_secs(10))
        .body(text)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url}: HTTP {}", response.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_textfile_is_replaced_whole_and_keeps_the_last_success() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut summary = Summary::new("s1", false);
        summary.rows_read = 10;
        summary.rows_inserted = 7;
        summary.rows_skipped = 3;
        summary.batches = 2;
        summary.watermark_after = Some(1_700_000_000_000_000);
        summary.duration = Duration::from_millis(1500);
        let text = render(&summary, Some(1_700_000_100.5));
        for line in [
            r#"tradingsystem_sync_last_run_rows{kind="inserted",stream="s1"} 7"#,
            r#"tradingsystem_sync_last_run_rows{kind="skipped",stream="s1"} 3"#,
            r#"tradingsystem_sync_last_run_batches{stream="s1"} 2"#,
            r#"tradingsystem_sync_last_run_errors{stream="s1"} 0"#,
            r#"tradingsystem_sync_last_run_duration_seconds{stream="s1"} 1.5"#,
            r#"tradingsystem_sync_watermark_timestamp_seconds{stream="s1"} 1700000000"#,
            r#"tradingsystem_sync_last_success_timestamp_seconds{stream="s1"} 1700000100.5"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        write_textfile(dir.path(), Textfile::Run, "s1", &text).expect("write");
        assert_eq!(
            previous_last_success(dir.path(), Textfile::Run, "s1"),
            Some(1_700_000_100.5)
        );
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["timescaledb_sync_s1.prom"],
            "no temporary file is left"
        );
    }
}
