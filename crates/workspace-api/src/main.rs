//! `workspace-api`: config → telemetry → state → serve.

use std::process::ExitCode;

use shared::config::{Env, exit_on_config_error};
use workspace_api::Config;

fn main() -> ExitCode {
    let env = Env::load();
    let config = Config::from_env(&env, true).unwrap_or_else(|e| exit_on_config_error(&e));
    shared::telemetry::init(
        config.http.log_format,
        &[("workspace_api", config.http.log_level)],
    );
    for warning in env.warnings() {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(workspace_api::serve(
        config,
        shared::server::shutdown_signal(),
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
