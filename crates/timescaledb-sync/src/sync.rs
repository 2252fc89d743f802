//! One stream's run: lock, watermark, pages, batches.
//!
//! A fetcher task reads pages from QuestDB while the current batch is written, so the
//! two ends work in parallel; the channel between them holds one page, which bounds
//! memory to about three batches. Each batch commits with its watermark, so a run killed
//! at any point leaves the target consistent: the next run starts `overlap` before the
//! last committed row and the unique key drops what was already copied.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::config::TargetSettings;
use crate::error::{Error, Result};
use crate::questdb::{Cursor, QuestDb};
use crate::report::{Progress, Stop, Summary};
use crate::streams::Stream;
use crate::target::{InsertPlan, Session};
use crate::types::{Batch, Layout};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Read and convert, write nothing (no lock, no table, no watermark).
    pub dry_run: bool,
    pub max_rows: Option<u64>,
    pub max_duration: Option<Duration>,
    /// Redraw a progress line on stderr (only when it is a terminal).
    pub progress: bool,
}

/// Runs `stream` to the end (or a limit) and reports what happened; never fails: the
/// error, if any, is in the summary with its exit code.
pub async fn run_stream(
    questdb: &QuestDb,
    target: &TargetSettings,
    stream: &Stream,
    options: &RunOptions,
) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::new(stream.name.as_str(), options.dry_run);
    let result = sync(questdb, target, stream, options, &mut summary, started).await;
    summary.finish(result, started.elapsed());
    summary
}

async fn sync(
    questdb: &QuestDb,
    target: &TargetSettings,
    stream: &Stream,
    options: &RunOptions,
    summary: &mut Summary,
    started: Instant,
) -> Result<Stop> {
    let mut session = Session::open(target).await?;
    if !options.dry_run {
        if !session.try_lock(stream).await? {
            session.close().await;
            return Err(Error::Locked {
                stream: stream.name.as_str().to_string(),
            });
        }
        session.migrate().await?;
    }
    let state = session.state(stream).await?;
    summary.last_success = state.last_success_at;
    summary.watermark_before = state.last_synced.map(|t| t.timestamp_micros());
    summary.watermark_after = summary.watermark_before;
    let overlap = i64::try_from(stream.overlap.as_micros()).unwrap_or(i64::MAX);
    let since = summary
        .watermark_before
        .map_or(0, |w| w.saturating_sub(overlap).max(0));
    tracing::info!(
        stream = stream.name.as_str(),
        watermark = summary.watermark_before.map(crate::types::format_micros),
        since = crate::types::format_micros(since),
        dry_run = options.dry_run,
        "sync started"
    );

    let outcome = copy(
        questdb,
        &mut session,
        stream,
        options,
        summary,
        Cursor { since, skip: 0 },
        started,
    )
    .await;
    if !options.dry_run {
        let error = outcome.as_ref().err().map(ToString::to_string);
        let finished_at = chrono::Utc::now();
        let recorded = session
            .record_run(
                stream,
                finished_at,
                outcome.is_ok(),
                summary.rows_inserted,
                error.as_deref(),
            )
            .await;
        if let Err(e) = recorded {
            tracing::warn!(stream = stream.name.as_str(), error = %e, "could not record the run in sync_control");
        }
        if outcome.is_ok() {
            summary.last_success = Some(finished_at);
        }
    }
    session.close().await;
    outcome
}

async fn copy(
    questdb: &QuestDb,
    session: &mut Session<'_>,
    stream: &Stream,
    options: &RunOptions,
    summary: &mut Summary,
    cursor: Cursor,
    started: Instant,
) -> Result<Stop> {
    let (pages, mut received) = mpsc::channel(1);
    let fetcher = Fetcher(tokio::spawn(fetch(
        questdb.clone(),
        stream.clone(),
        cursor,
        options.max_rows,
        pages,
    )));
    let mut progress = Progress::new(options.progress);
    let mut layout: Option<Layout> = None;
    let mut plan: Option<InsertPlan> = None;
    while let Some(page) = received.recv().await {
        let batch: Batch = page?;
        match &layout {
            None => {
                plan = prepare(session, stream, &batch.layout, options.dry_run).await?;
                layout = Some(batch.layout.as_ref().clone());
            }
            Some(seen) if seen != batch.layout.as_ref() => {
                return Err(Error::Source(
                    "the source's columns changed during the run".into(),
                ));
            }
            Some(_) => {}
        }
        if batch.is_empty() {
            continue;
        }
        let rows = batch.len() as u64;
        let newest = batch.micros.iter().max().copied();
        if let Some(plan) = &plan {
            // Rows newer than anything committed: the cheap insert first (see Session::write).
            let fresh = summary.watermark_after.is_none_or(|w| batch.micros[0] > w);
            let inserted = session.write(stream, plan, &batch, fresh).await?;
            summary.rows_inserted += inserted;
            summary.rows_skipped += rows - inserted;
        }
        summary.rows_read += rows;
        summary.batches += 1;
        summary.watermark_after = summary.watermark_after.max(newest);
        progress.tick(summary, started.elapsed());
        if options
            .max_duration
            .is_some_and(|limit| started.elapsed() >= limit)
        {
            progress.clear();
            return Ok(Stop::MaxDuration);
        }
    }
    progress.clear();
    fetcher.finish().await
}

/// The insert plan for this stream, creating the table if needed; `None` on a dry run,
/// which only checks an existing table (in a rolled-back transaction).
async fn prepare(
    session: &mut Session<'_>,
    stream: &Stream,
    layout: &Layout,
    dry_run: bool,
) -> Result<Option<InsertPlan>> {
    let exists = session.table_exists(stream).await?;
    if dry_run {
        if exists {
            session.check_table(stream, layout).await?;
        }
        return Ok(None);
    }
    if !exists {
        session.create_table(stream, layout).await?;
    }
    session.check_table(stream, layout).await.map(Some)
}

/// Reads pages until the end, `max_rows`, an error (sent on), or the writer leaving.
async fn fetch(
    questdb: QuestDb,
    stream: Stream,
    mut cursor: Cursor,
    max_rows: Option<u64>,
    pages: mpsc::Sender<Result<Batch>>,
) -> Stop {
    let mut read = 0u64;
    loop {
        let want = max_rows.map_or(stream.batch_size as u64, |max| {
            (max - read).min(stream.batch_size as u64)
        });
        if want == 0 {
            return Stop::MaxRows;
        }
        match questdb.page(&stream, cursor, want as usize).await {
            Ok(batch) => {
                let rows = batch.len() as u64;
                read += rows;
                cursor = cursor.after(&batch);
                if pages.send(Ok(batch)).await.is_err() || rows < want {
                    return Stop::End;
                }
            }
            Err(e) => {
                let _ = pages.send(Err(e)).await;
                return Stop::End;
            }
        }
    }
}

/// The fetcher task, aborted if the writer stops first (error or `--max-duration`).
struct Fetcher(tokio::task::JoinHandle<Stop>);

impl Fetcher {
    async fn finish(mut self) -> Result<Stop> {
        (&mut self.0)
            .await
            .map_err(|e| Error::Source(format!("the reader task failed: {e}")))
    }
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        self.0.abort();
    }
}
