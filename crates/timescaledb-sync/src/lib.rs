//! **timescaledb-sync**: copies QuestDB tables into PostgreSQL/TimescaleDB for cron.
//!
//! The Python original could not finish a single run (docs/decisions.md#changes). This
//! one is idempotent and crash-safe by construction:
//!
//! * a session-level advisory lock per stream, on a connection held for the whole run,
//!   so two runs of one stream never overlap ([`target::Session::try_lock`], exit 5);
//! * reads start `overlap` before the watermark of `sync_control` and page through
//!   QuestDB `/exec` in timestamp order ([`questdb`]), converting each column straight
//!   from JSON into typed vectors ([`page`], [`types`]);
//! * each batch is one `INSERT ... ON CONFLICT DO NOTHING` on a unique key that includes
//!   the timestamp (a row hash when the source has no key), committed in the same
//!   transaction as the watermark, which only moves forward ([`target`], [`sync`]);
//! * one JSON summary per stream on stdout, logs on stderr, exit codes per failure side
//!   ([`error`]), Prometheus figures in a textfile or a Pushgateway ([`metrics`]);
//! * rows arriving later than the overlap are found by a daily `reconcile`, which
//!   compares per-bucket counts of both ends and re-copies the buckets that differ
//!   ([`reconcile`]).

pub mod cli;
pub mod config;
pub mod dsn;
pub mod error;
pub mod metrics;
pub mod page;
pub mod questdb;
pub mod reconcile;
pub mod report;
pub mod span;
pub mod streams;
pub mod sync;
pub mod target;
pub mod types;

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

use cli::{Command, ReconcileArgs, RunArgs};
use config::Config;
use error::{EXIT_OK, EXIT_USAGE, Error};
use metrics::Textfile;
use questdb::{Cursor, QuestDb};
use report::{Summary, print_line};
use streams::Stream;
use target::Session;
use types::format_micros;

/// Runs `command` and returns the process's exit status.
pub async fn execute(config: Config, command: Command) -> i32 {
    let streams: Vec<&Stream> = match command.stream() {
        None => config.streams.iter().collect(),
        Some(name) => match config.streams.iter().find(|s| s.name.as_str() == name) {
            Some(stream) => vec![stream],
            None => {
                let known: Vec<&str> = config.streams.iter().map(|s| s.name.as_str()).collect();
                eprintln!(
                    "error: unknown stream {name:?}; configured: {}",
                    known.join(", ")
                );
                return EXIT_USAGE;
            }
        },
    };
    let questdb = match QuestDb::new(&config.questdb) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("{e}");
            return e.exit_code();
        }
    };
    match &command {
        Command::Run(args) => run(&config, &questdb, &streams, args).await,
        Command::Reconcile(args) => reconcile(&config, &questdb, &streams, args).await,
        Command::Status(_) => status(&config, &streams).await,
        Command::Check(_) => check(&config, &questdb, &streams).await,
        Command::Migrate(_) => migrate(&config, &questdb, &streams).await,
    }
}

/// `migrate`: one JSON line per stream saying whether its target table was there or
/// created; the status is the first failure's.
async fn migrate(config: &Config, questdb: &QuestDb, streams: &[&Stream]) -> i32 {
    let settings = config::TargetSettings {
        run_migrations: true,
        ..config.target.clone()
    };
    let mut exit = EXIT_OK;
    for stream in streams {
        let mut line = json!({"stream": stream.name.as_str(), "command": "migrate"});
        match migrate_stream(&settings, questdb, stream).await {
            Ok(target) => line["target"] = json!(target),
            Err(e) => {
                tracing::error!(stream = stream.name.as_str(), "{e}");
                line["error"] = json!(e.to_string());
                line["exit_code"] = json!(e.exit_code());
                if exit == EXIT_OK {
                    exit = e.exit_code();
                }
            }
        }
        print_line(&line);
    }
    exit
}

async fn migrate_stream(
    settings: &config::TargetSettings,
    questdb: &QuestDb,
    stream: &Stream,
) -> Result<&'static str, Error> {
    let mut session = Session::open(settings).await?;
    let outcome = async {
        session.migrate().await?;
        if session.table_exists(stream).await? {
            return Ok("exists");
        }
        let page = questdb
            .page(stream, Cursor { since: 0, skip: 0 }, 1)
            .await?;
        session.create_table(stream, &page.layout).await?;
        Ok("created")
    }
    .await;
    session.close().await;
    outcome
}

async fn run(config: &Config, questdb: &QuestDb, streams: &[&Stream], args: &RunArgs) -> i32 {
    let options = sync::RunOptions {
        dry_run: args.dry_run,
        max_rows: args.max_rows,
        max_duration: args.max_duration.map(Duration::from_secs),
        progress: std::io::stderr().is_terminal(),
    };
    let mut exit = EXIT_OK;
    for stream in streams {
        let summary = sync::run_stream(questdb, &config.target, stream, &options).await;
        log_summary(&summary);
        print_line(&summary.to_json());
        if !options.dry_run {
            let last_success = summary
                .last_success
                .map(|at| at.timestamp_micros() as f64 / 1e6);
            let text = |last_success| metrics::render(&summary, last_success);
            let stream = summary.stream.as_str();
            publish(
                config,
                Textfile::Run,
                stream,
                last_success,
                args.pushgateway.as_ref(),
                text,
            )
            .await;
        }
        if exit == EXIT_OK {
            exit = summary.exit_code;
        }
    }
    exit
}

fn log_summary(summary: &Summary) {
    let stream = summary.stream.as_str();
    match &summary.error {
        None => tracing::info!(
            stream,
            rows_read = summary.rows_read,
            rows_inserted = summary.rows_inserted,
            rows_skipped = summary.rows_skipped,
            batches = summary.batches,
            duration_ms = summary.duration.as_millis() as u64,
            "sync finished"
        ),
        Some(error) => tracing::error!(stream, exit_code = summary.exit_code, "{error}"),
    }
}

/// Reconciles each stream in turn; the status is the first failure's.
async fn reconcile(
    config: &Config,
    questdb: &QuestDb,
    streams: &[&Stream],
    args: &ReconcileArgs,
) -> i32 {
    let options = reconcile::ReconcileOptions {
        since: args.since,
        bucket: args.bucket,
        dry_run: args.dry_run,
        lock_wait: Duration::from_secs(args.lock_wait),
    };
    let mut exit = EXIT_OK;
    for stream in streams {
        let report = reconcile::reconcile_stream(questdb, &config.target, stream, &options).await;
        let name = report.stream.as_str();
        match &report.error {
            None => tracing::info!(
                stream = name,
                buckets_checked = report.buckets_checked,
                buckets_reread = report.buckets_reread,
                rows_missing = report.rows_missing,
                rows_duplicate = report.rows_duplicate,
                rows_extra = report.rows_extra,
                result = report.result(),
                "reconcile finished"
            ),
            Some(error) => tracing::error!(stream = name, exit_code = report.exit_code, "{error}"),
        }
        print_line(&report.to_json());
        if !options.dry_run {
            let ok = report.error.is_none();
            let last_success = ok.then(|| report.finished_at.timestamp_micros() as f64 / 1e6);
            let text = |last_success| metrics::render_reconcile(&report, last_success);
            publish(
                config,
                Textfile::Reconcile,
                name,
                last_success,
                args.pushgateway.as_ref(),
                text,
            )
            .await;
        }
        if exit == EXIT_OK {
            exit = report.exit_code;
        }
    }
    exit
}

/// Textfile and Pushgateway; a failure here is logged, never the command's failure.
/// Without a success now, the last one comes from the previous textfile.
async fn publish(
    config: &Config,
    kind: Textfile,
    stream: &str,
    last_success: Option<f64>,
    pushgateway: Option<&reqwest::Url>,
    render: impl FnOnce(Option<f64>) -> String,
) {
    let last_success = last_success.or_else(|| {
        let dir = config.textfile_dir.as_deref()?;
        metrics::previous_last_success(dir, kind, stream)
    });
    let text = render(last_success);
    if let Some(dir) = &config.textfile_dir {
        match metrics::write_textfile(dir, kind, stream, &text) {
            Ok(path) => tracing::debug!(stream, path = %path.display(), "textfile written"),
            Err(e) => {
                tracing::warn!(stream, dir = %dir.display(), error = %e, "could not write the metrics textfile")
            }
        }
    }
    if let Some(url) = pushgateway
        && let Err(e) = metrics::push(url, kind, stream, text).await
    {
        tracing::warn!(stream, error = %e, "could not push metrics");
    }
}

/// One line per stream: watermark, lag (age of the newest copied row), last run and
/// last reconcile.
async fn status(config: &Config, streams: &[&Stream]) -> i32 {
    let mut session = match Session::open(&config.target).await {
        Ok(session) => session,
        Err(e) => return report_error(&e),
    };
    let now = chrono::Utc::now();
    for stream in streams {
        let state = match session.state(stream).await {
            Ok(state) => state,
            Err(e) => return report_error(&e),
        };
        let reconciled = match session.reconcile_state(stream).await {
            Ok(state) => state,
            Err(e) => return report_error(&e),
        };
        let rfc3339 = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| format_micros(t.timestamp_micros()))
        };
        print_line(&json!({
            "stream": stream.name.as_str(),
            "watermark": rfc3339(state.last_synced),
            "lag_seconds": state.last_synced.map(|w| (now - w).num_milliseconds() as f64 / 1e3),
            "last_run_at": rfc3339(state.last_run_at),
            "last_run_status": state.last_run_status,
            "last_run_rows": state.last_run_rows,
            "last_success_at": rfc3339(state.last_success_at),
            "last_error": state.last_error,
            "last_reconciled_at": rfc3339(reconciled.reconciled_at),
            "last_reconcile_status": reconciled.status,
            "last_reconcile_missing_rows": reconciled.missing_rows,
            "last_reconcile_success_at": rfc3339(reconciled.last_success_at),
        }));
    }
    session.close().await;
    EXIT_OK
}

/// Both ends reachable, each stream's source readable and its target able to take it.
async fn check(config: &Config, questdb: &QuestDb, streams: &[&Stream]) -> i32 {
    let mut exit = EXIT_OK;
    for stream in streams {
        let mut line = json!({ "stream": stream.name.as_str() });
        let result = check_stream(config, questdb, stream, &mut line).await;
        line["status"] = json!(if result.is_ok() { "ok" } else { "error" });
        if let Err(e) = result {
            line["error"] = json!(e.to_string());
            line["exit_code"] = json!(e.exit_code());
            tracing::error!(stream = stream.name.as_str(), "{e}");
            if exit == EXIT_OK {
                exit = e.exit_code();
            }
        }
        print_line(&line);
    }
    exit
}

async fn check_stream(
    config: &Config,
    questdb: &QuestDb,
    stream: &Stream,
    line: &mut serde_json::Value,
) -> Result<(), Error> {
    let page = questdb
        .page(stream, Cursor { since: 0, skip: 0 }, 1)
        .await?;
    line["source"] = json!(format!("ok, {} columns", page.layout.columns.len()));
    let mut session = Session::open(&config.target).await?;
    let target = if session.table_exists(stream).await? {
        session
            .check_table(stream, &page.layout)
            .await
            .map(|_| "ok")
    } else if config.target.run_migrations {
        Ok("missing, created by the first run")
    } else {
        Err(Error::Target(format!(
            "table {} does not exist and TIMESCALEDB_SYNC_RUN_MIGRATIONS=false",
            stream.target
        )))
    };
    session.close().await;
    line["target"] = json!(target?);
    Ok(())
}

fn report_error(error: &Error) -> i32 {
    tracing::error!("{error}");
    error.exit_code()
}
