//! `workspace-api`: config → telemetry → state → serve.

use std::process::ExitCode;

use shared::config::{Env, exit_on_config_error};
use workspace_api::Config;

fn main() -> ExitCode {
    let env = Env::load();
    let config = Config::from_env(&env, true).unwrap_or_else(|e| exit_on_config_error(&e));
    let targets = [("workspace_api", config.http.log_level)];
    shared::server::run_main(&env, config.http.log_format, &targets, || {
        workspace_api::serve(config, shared::server::shutdown_signal())
    })
}
