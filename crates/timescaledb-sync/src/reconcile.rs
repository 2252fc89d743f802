//! `reconcile`: finds rows the 5-minute runs never copied (later than the overlap
//! window) and copies them.
//!
//! 1. The window: from `--since` ago, never before the target's retention cutoff, to the
//!    last bucket that ends before `watermark - overlap` (the next run re-reads the rest).
//! 2. Both ends count rows per bucket, as the target can hold them: distinct `(ts, keys)`
//!    for keyed streams on both sides; for hash-keyed streams QuestDB counts rows (it
//!    cannot hash them as the sync does) and the target counts its `(ts, row hash)` keys.
//! 3. Only buckets whose counts differ are re-read from QuestDB, hashed like a run does,
//!    and written with the idempotent insert, so the rows the target lacks go in and the
//!    rest are skipped. The re-read also gives the bucket's distinct keys, so a bucket
//!    that differed only because the source repeats rows exactly (one target row per
//!    `(ts, row hash)`) is reported as duplicates, not as missing rows.
//! 4. The stream's lock is taken per bucket, after its rows are read, so a cron run that
//!    starts meanwhile is refused at most for one bucket's write.
//!
//! Counts compare cardinalities: a bucket whose target has as many rows the source no
//! longer holds as it lacks looks clean. Rows are never deleted from the target.

mod report;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use crate::config::TargetSettings;
use crate::error::{Error, Result};
use crate::questdb::{Cursor, QuestDb};
use crate::span::{Span, Window};
use crate::streams::{Key, Stream};
use crate::target::{InsertPlan, Retention, Session};
use crate::types::{Batch, Layout, Values};

pub use report::{BucketReport, Report};

/// Buckets one reconcile may compare (a year of minutes is about half a million).
pub const MAX_BUCKETS: i64 = 100_000;

#[derive(Debug, Clone)]
pub struct ReconcileOptions {
    pub since: Span,
    pub bucket: Span,
    /// Count and re-read, then roll every insert back.
    pub dry_run: bool,
    /// How long to wait for the stream's lock before each bucket's write.
    pub lock_wait: Duration,
}

/// Reconciles `stream` and reports what it found and fixed; never fails: the error, if
/// any, is in the report with its exit code.
pub async fn reconcile_stream(
    questdb: &QuestDb,
    target: &TargetSettings,
    stream: &Stream,
    options: &ReconcileOptions,
) -> Report {
    let started = Instant::now();
    let mut report = Report::new(stream.name.as_str(), options);
    let mut session = match Session::open(target).await {
        Ok(session) => session,
        Err(e) => {
            report.finish(Err(e), started.elapsed());
            return report;
        }
    };
    let result = reconcile(questdb, &mut session, stream, options, &mut report).await;
    report.finish(result, started.elapsed());
    if !options.dry_run {
        record(&mut session, stream, &report).await;
    }
    session.close().await;
    report
}

/// Notes the reconcile in `sync_reconcile` for `status`; a failure here is logged, never
/// the reconcile's failure.
async fn record(session: &mut Session<'_>, stream: &Stream, report: &Report) {
    let recorded = session
        .record_reconcile(
            stream,
            report.finished_at,
            report.window.as_ref(),
            report.rows_missing,
            report.status(),
            report.error.as_deref(),
        )
        .await;
    let name = stream.name.as_str();
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            stream = name,
            "sync_reconcile does not exist and TIMESCALEDB_SYNC_RUN_MIGRATIONS=false: this reconcile is not recorded"
        ),
        Err(e) => {
            tracing::warn!(stream = name, error = %e, "could not record the reconcile in sync_reconcile")
        }
    }
}

async fn reconcile(
    questdb: &QuestDb,
    session: &mut Session<'_>,
    stream: &Stream,
    options: &ReconcileOptions,
    report: &mut Report,
) -> Result<()> {
    let state = session.state(stream).await?;
    let watermark = state.last_synced.map(|t| t.timestamp_micros());
    if watermark.is_none() {
        // Never copied a row: the first run reads from the epoch, so nothing can be missing.
        return Ok(());
    }
    if !session.table_exists(stream).await? {
        return Err(Error::Target(format!(
            "table {} does not exist although stream {} has a watermark",
            stream.target,
            stream.name.as_str()
        )));
    }
    let retention = session.retention(stream).await?;
    let cutoff = match &retention {
        Retention::Policy { cutoff, .. } => Some(cutoff.timestamp_micros()),
        Retention::NotTimescale | Retention::NoPolicy => None,
    };
    report.retention = Some(retention);
    let overlap = i64::try_from(stream.overlap.as_micros()).unwrap_or(i64::MAX);
    let Some(window) = Window::new(
        chrono::Utc::now().timestamp_micros(),
        options.since.micros(),
        options.bucket.micros(),
        watermark,
        overlap,
        cutoff,
    ) else {
        return Ok(());
    };
    report.window = Some(window);
    if window.buckets() > MAX_BUCKETS {
        return Err(Error::Usage(format!(
            "--since {} in buckets of {} is {} buckets, more than {MAX_BUCKETS}: choose a larger --bucket",
            options.since,
            options.bucket,
            window.buckets()
        )));
    }
    if window.buckets() == 0 {
        return Ok(());
    }
    tracing::info!(
        stream = stream.name.as_str(),
        from = crate::types::format_micros(window.from),
        until = crate::types::format_micros(window.until),
        buckets = window.buckets(),
        "reconcile started"
    );
    let source = questdb.counts(stream, &window, options.bucket).await?;
    let target = session.bucket_counts(stream, &window).await?;
    report.buckets_checked = window.buckets() as u64;
    report.rows_source = source.iter().map(|(_, n)| n).sum();
    report.rows_target = target.iter().map(|(_, n)| n).sum();

    let mut plan: Option<(Layout, InsertPlan)> = None;
    for (start, source_rows, target_rows) in differing(&source, &target) {
        let batches = read_bucket(questdb, stream, start, start + window.bucket).await?;
        let (read, distinct) = distinct_keys(stream, &batches);
        let mut missing = 0;
        if read > 0 {
            let layout = batches[0].layout.as_ref();
            if plan.is_none() {
                let insert = session.check_table(stream, layout).await?;
                plan = Some((layout.clone(), insert));
            }
            let Some((checked, plan)) = plan.as_ref() else {
                unreachable!("prepared above");
            };
            if batches.iter().any(|b| b.layout.as_ref() != checked) {
                return Err(Error::Source(
                    "the source's columns changed during the reconcile".into(),
                ));
            }
            if !options.dry_run && !session.lock_within(stream, options.lock_wait).await? {
                return Err(Error::Locked {
                    stream: stream.name.as_str().to_string(),
                });
            }
            let written = session.refill(plan, &batches, !options.dry_run).await;
            session.unlock().await?;
            missing = written?;
        }
        report.add(BucketReport {
            start,
            source: source_rows,
            target: target_rows,
            read,
            distinct,
            missing,
        });
    }
    Ok(())
}

/// `(bucket, source count, target count)` of every bucket where the two differ, in time
/// order (a bucket absent from one side counts 0 there).
fn differing(source: &[(i64, u64)], target: &[(i64, u64)]) -> Vec<(i64, u64, u64)> {
    let mut buckets: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for &(bucket, n) in source {
        buckets.entry(bucket).or_default().0 += n;
    }
    for &(bucket, n) in target {
        buckets.entry(bucket).or_default().1 += n;
    }
    buckets
        .into_iter()
        .filter(|(_, (s, t))| s != t)
        .map(|(b, (s, t))| (b, s, t))
        .collect()
}

/// Every row of `[from, until)`, in pages like a run reads them.
async fn read_bucket(
    questdb: &QuestDb,
    stream: &Stream,
    from: i64,
    until: i64,
) -> Result<Vec<Batch>> {
    let mut cursor = Cursor {
        since: from,
        skip: 0,
    };
    let mut batches = Vec::new();
    loop {
        let batch = questdb
            .page_until(stream, cursor, Some(until), stream.batch_size)
            .await?;
        let full = batch.len() == stream.batch_size;
        cursor = cursor.after(&batch);
        batches.push(batch);
        if !full {
            return Ok(batches);
        }
    }
}

/// Rows read and distinct target keys among them: `(ts, row hash)`, or `(ts, keys)` with
/// the values as converted for PostgreSQL (so TIMESTAMP_NS rows equal to the µs count once).
fn distinct_keys(stream: &Stream, batches: &[Batch]) -> (u64, u64) {
    let mut keys: HashSet<Vec<u8>> = HashSet::new();
    let mut read = 0u64;
    for batch in batches {
        let columns: Vec<usize> = match &stream.key {
            Key::RowHash => Vec::new(),
            Key::Columns(names) => names
                .iter()
                .filter_map(|n| batch.layout.columns.iter().position(|c| c.name == *n))
                .collect(),
        };
        for row in 0..batch.len() {
            let mut key = batch.micros[row].to_le_bytes().to_vec();
            if let Some(hash) = batch.hashes.get(row) {
                key.extend_from_slice(hash);
            }
            for &column in &columns {
                key.extend_from_slice(cell(&batch.values[column], row).as_bytes());
                key.push(0);
            }
            keys.insert(key);
            read += 1;
        }
    }
    (read, keys.len() as u64)
}

/// An unambiguous text of one value (Debug quotes and escapes strings).
fn cell(values: &Values, row: usize) -> String {
    match values {
        Values::Bool(v) => format!("{:?}", v[row]),
        Values::Int16(v) => format!("{:?}", v[row]),
        Values::Int32(v) => format!("{:?}", v[row]),
        Values::Int64(v) => format!("{:?}", v[row]),
        Values::Float32(v) => format!("{:?}", v[row]),
        Values::Float64(v) => format!("{:?}", v[row]),
        Values::Text(v) => format!("{:?}", v[row]),
        Values::Timestamp(v) => format!("{:?}", v[row]),
        Values::Uuid(v) => format!("{:?}", v[row]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_buckets_whose_counts_differ_are_reread() {
        let source = [(0, 5), (20, 4), (10, 3)];
        let target = [(0, 5), (10, 2), (30, 1)];
        assert_eq!(
            differing(&source, &target),
            [(10, 3, 2), (20, 4, 0), (30, 0, 1)]
        );
        assert!(differing(&source, &source).is_empty());
    }
}
