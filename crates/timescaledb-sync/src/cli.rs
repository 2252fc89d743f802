//! The command line. Settings that describe the deployment live in the environment
//! (shared loader); flags only say what this invocation does.

use clap::{Args, Parser, Subcommand};

use crate::span::Span;

const AFTER_HELP: &str = "\
Examples:
  timescaledb-sync run                          copy new rows of every stream (cron, every 5 min)
  timescaledb-sync run --stream tp_capital_signals --max-duration 240
  timescaledb-sync run --dry-run --max-rows 1000   read and convert, write nothing
  timescaledb-sync reconcile                    find and copy rows later than the overlap (cron, daily)
  timescaledb-sync reconcile --since 30d --bucket 6h --dry-run
  timescaledb-sync status                       watermark, lag, last run and reconcile per stream
  timescaledb-sync check                        both ends reachable, schemas compatible
  timescaledb-sync migrate                      create sync_control and missing target tables, then exit

Configuration (environment or config/.env.defaults, .env, .env.local under the root):
  QUESTDB_REST_URL (http://localhost:9000), TIMESCALEDB_DSN (URL or libpq key=value),
  TIMESCALEDB_STREAM, QUESTDB_QUERY, TIMESCALEDB_BATCH_SIZE (5000),
  TIMESCALEDB_SYNC_LOG_LEVEL, TIMESCALEDB_SYNC_TEXTFILE_DIR, TIMESCALEDB_SYNC_* ;
  several streams: config/sync-streams.toml (see config/sync-streams.example.toml).

Output: one JSON line per stream on stdout; logs on stderr.

Exit status:
  0   ok, or nothing new
  2   usage error (bad flag, unknown stream, a reconcile of over 100000 buckets)
  3   source error (QuestDB unreachable, timed out, refused the query, unusable rows)
  4   target error (PostgreSQL unreachable or failing, incompatible table)
  5   another run holds the stream's lock (reconcile: still held after --lock-wait)
  78  configuration error (one line per bad variable)
With several streams, each runs in turn and the status is the first failure's.";

#[derive(Debug, Parser)]
#[command(
    name = "timescaledb-sync",
    version,
    about = "Copy QuestDB tables into PostgreSQL/TimescaleDB, incrementally and idempotently.",
    long_about = "Copy QuestDB tables into PostgreSQL/TimescaleDB, incrementally and idempotently.\n\n\
Each run reads every stream from its watermark minus an overlap window, in pages ordered by \
the designated timestamp, and commits each batch together with the new watermark, so a run \
killed at any point is simply continued by the next one. Rows already copied are skipped by \
the target's unique key.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy new rows of each stream (or one) from QuestDB into PostgreSQL.
    #[command(after_help = AFTER_HELP)]
    Run(RunArgs),
    /// Count rows per time bucket on both ends and re-copy the buckets that differ.
    ///
    /// Catches rows that arrived later than the overlap window, which runs never see.
    /// Looks back --since (never past the target's TimescaleDB retention), up to the
    /// last bucket the next run will not re-read anyway; takes the stream's lock only
    /// while writing one bucket.
    #[command(after_help = AFTER_HELP)]
    Reconcile(ReconcileArgs),
    /// Print each stream's watermark, lag, last run and last reconcile, one JSON line per stream.
    Status(StreamArg),
    /// Check that QuestDB and PostgreSQL answer and that each stream's tables fit.
    Check(StreamArg),
    /// Apply the sync's migrations and create each stream's missing target table (its
    /// columns read from QuestDB), whatever TIMESCALEDB_SYNC_RUN_MIGRATIONS says: for an
    /// admin's DSN where the sync itself runs without the right to create tables.
    Migrate(StreamArg),
}

impl Command {
    pub fn stream(&self) -> Option<&str> {
        match self {
            Self::Run(args) => args.stream.stream.as_deref(),
            Self::Reconcile(args) => args.stream.stream.as_deref(),
            Self::Status(arg) | Self::Check(arg) | Self::Migrate(arg) => arg.stream.as_deref(),
        }
    }
}

#[derive(Debug, Args)]
pub struct StreamArg {
    /// Only this stream (a name from the configuration).
    #[arg(long, value_name = "NAME")]
    pub stream: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub stream: StreamArg,
    /// Read and convert rows but write nothing (no lock, table, row or watermark).
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after reading this many rows (per stream); the next run continues.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_rows: Option<u64>,
    /// Stop after the batch that passes this many seconds (per stream).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_duration: Option<u64>,
    /// Also PUT the run's metrics to this Prometheus Pushgateway (plain http://).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub pushgateway: Option<reqwest::Url>,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub stream: StreamArg,
    /// How far back to look: <n>s, m, h or d.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = crate::span::parse_since)]
    pub since: Span,
    /// Bucket size, dividing the next unit up (1m, 15m, 1h, 6h, 1d ...).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::span::parse_bucket)]
    pub bucket: Span,
    /// Count and re-read, report what is missing, write nothing (inserts rolled back).
    #[arg(long)]
    pub dry_run: bool,
    /// Seconds to wait for the stream's lock before each bucket's write (a run holds it).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub lock_wait: u64,
    /// Also PUT the reconcile's metrics to this Prometheus Pushgateway (plain http://).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub pushgateway: Option<reqwest::Url>,
}

fn parse_http_url(raw: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| e.to_string())?;
    if url.scheme() == "http" && url.host().is_some() {
        Ok(url)
    } else {
        Err("expected an http:// URL such as http://localhost:9091".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_consistent_and_documents_exit_codes() {
        Cli::command().debug_assert();
        let help = Cli::command().render_long_help().to_string();
        for needle in [
            "Examples:",
            "Exit status:",
            "78  configuration",
            "5   another run",
        ] {
            assert!(help.contains(needle), "{needle} missing from --help");
        }
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "timescaledb-sync",
            "run",
            "--stream",
            "s",
            "--dry-run",
            "--max-rows",
            "10",
            "--max-duration",
            "5",
        ])
        .expect("valid");
        let Command::Run(args) = &cli.command else {
            panic!("run")
        };
        assert_eq!(
            (args.max_rows, args.max_duration, args.dry_run),
            (Some(10), Some(5), true)
        );
        assert_eq!(cli.command.stream(), Some("s"));
        let cli = Cli::try_parse_from(["timescaledb-sync", "reconcile"]).expect("valid");
        let Command::Reconcile(args) = &cli.command else {
            panic!("reconcile")
        };
        assert_eq!(
            (
                args.since.to_string(),
                args.bucket.to_string(),
                args.lock_wait
            ),
            ("7d".to_string(), "1h".to_string(), 300)
        );
        for bad in [
            &["timescaledb-sync", "run", "--max-rows", "0"][..],
            &["timescaledb-sync", "reconcile", "--bucket", "7m"][..],
            &["timescaledb-sync", "reconcile", "--since", "7"][..],
            &["timescaledb-sync", "run", "--pushgateway", "https://x"][..],
            &["timescaledb-sync", "sync"][..],
        ] {
            let error = Cli::try_parse_from(bad).expect_err("invalid");
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }
}
