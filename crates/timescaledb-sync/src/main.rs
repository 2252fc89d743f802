//! `timescaledb-sync`: arguments → config → telemetry → run → exit status.

use std::process::ExitCode;

use clap::Parser;
use shared_config::{Env, exit_on_config_error};
use timescaledb_sync::cli::Cli;
use timescaledb_sync::config::Config;

fn main() -> ExitCode {
    // Arguments first: `--help` and usage errors (exit 2) need no configuration.
    let cli = Cli::parse();
    // The env files are read here, before the runtime's threads exist.
    let env = Env::load();
    let config = Config::from_env(&env).unwrap_or_else(|e| exit_on_config_error(&e));
    shared_config::telemetry::init_stderr(
        config.log_format,
        &[("timescaledb_sync", config.log_level)],
    );
    for warning in env.warnings().iter().chain(&config.warnings) {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let status = runtime.block_on(timescaledb_sync::execute(config, cli.command));
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}
