//! The command line. Settings that describe the deployment live in the environment
//! (shared loader); flags only say what this invocation does.

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  timescaledb-sync run                          copy new rows of every stream (cron, every 5 min)
  timescaledb-sync run --stream tp_capital_signals --max-duration 240
  timescaledb-sync run --dry-run --max-rows 1000   read and convert, write nothing
  timescaledb-sync status                       watermark, lag and last run per stream
  timescaledb-sync check                        both ends reachable, schemas compatible

Configuration (environment or config/.env.defaults, .env, .env.local under the root):
  QUESTDB_REST_URL (http://localhost:9000), TIMESCALEDB_DSN (URL or libpq key=value),
  TIMESCALEDB_STREAM, QUESTDB_QUERY, TIMESCALEDB_BATCH_SIZE (5000),
  TIMESCALEDB_SYNC_LOG_LEVEL, TIMESCALEDB_SYNC_TEXTFILE_DIR, TIMESCALEDB_SYNC_* ;
  several streams: config/sync-streams.toml (see config/sync-streams.example.toml).

Output: one JSON line per stream on stdout; logs on stderr.

Exit status:
  0   ok, or nothing new
  2   usage error (bad flag, unknown stream)
  3   source error (QuestDB unreachable, timed out, refused the query, unusable rows)
  4   target error (PostgreSQL unreachable or failing, incompatible table)
  5   another run holds the stream's lock
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
    /// Print each stream's watermark, lag and last run, one JSON line per stream.
    Status(StreamArg),
    /// Check that QuestDB and PostgreSQL answer and that each stream's tables fit.
    Check(StreamArg),
}

impl Command {
    pub fn stream(&self) -> Option<&str> {
        match self {
            Self::Run(args) => args.stream.stream.as_deref(),
            Self::Status(arg) | Self::Check(arg) => arg.stream.as_deref(),
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
        for bad in [
            &["timescaledb-sync", "run", "--max-rows", "0"][..],
            &["timescaledb-sync", "run", "--pushgateway", "https://x"][..],
            &["timescaledb-sync", "sync"][..],
        ] {
            let error = Cli::try_parse_from(bad).expect_err("invalid");
            assert_eq!(error.exit_code(), 2, "{bad:?}");
        }
    }
}
