//! `firecrawl-proxy`: config → telemetry → state → serve.

use std::process::ExitCode;

use firecrawl_proxy::Config;
use shared::config::{Env, exit_on_config_error};

fn main() -> ExitCode {
    let env = Env::load();
    let config = Config::from_env(&env, true).unwrap_or_else(|e| exit_on_config_error(&e));
    let targets = [("firecrawl_proxy", config.http.log_level)];
    shared::server::run_main(&env, config.http.log_format, &targets, || {
        firecrawl_proxy::serve(config, shared::server::shutdown_signal())
    })
}
