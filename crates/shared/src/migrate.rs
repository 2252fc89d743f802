//! The `migrate` subcommand of the services with a database: brings the schema up to date
//! with the URL the service is configured with (an admin's, in a least-privilege
//! deployment, whose app roles may not change the schema) and exits, so the bookkeeping
//! `/ready` checks and the TimescaleDB steps are exactly those of a self-migrating start.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use shared_db::{Db, Migrated, Schema};

use crate::import::redact_password;

/// `<binary> migrate [--wait SECS]`.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// How long to wait for a database that does not answer yet (a server still starting).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub wait: u64,
}

/// What the command prints on stdout, one JSON line.
#[derive(Serialize)]
struct Report<'a> {
    service: &'a str,
    database: String,
    backend: &'a str,
    #[serde(flatten)]
    migrated: Migrated,
}

/// Connects to `url` (relative SQLite paths under `root`), migrates, prints the report.
/// Exit 0 when the schema is up to date, 1 when the database failed or never answered.
pub fn run_main(
    service: &'static str,
    format: shared_config::LogFormat,
    log_targets: &[(&str, tracing::level_filters::LevelFilter)],
    url: &str,
    root: &std::path::Path,
    schema: Schema,
    args: &MigrateArgs,
) -> ExitCode {
    shared_config::telemetry::init_stderr(format, log_targets);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let metrics = crate::metrics::Metrics::new(service);
    let run = async {
        let db = Db::connect(url, root, 1, metrics).await?;
        let migrated = db.migrate_now(schema, Duration::from_secs(args.wait)).await;
        db.close().await;
        migrated.map(|migrated| (db.backend().name(), migrated))
    };
    match runtime.block_on(run) {
        Ok((backend, migrated)) => {
            let report = Report {
                service,
                database: redact_password(url),
                backend,
                migrated,
            };
            match serde_json::to_string(&report) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("cannot write the report: {e}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{service} migrate: {e}");
            ExitCode::FAILURE
        }
    }
}
