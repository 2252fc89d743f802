//! `documentation-api`: config → telemetry → state → serve.

use std::process::ExitCode;

use documentation_api::Config;
use shared::config::{Env, exit_on_config_error};

// mimalloc: the request path allocates small, short-lived objects on every worker
// thread, where glibc malloc showed up as ~10% of CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let env = Env::load();
    let config = Config::from_env(&env, true).unwrap_or_else(|e| exit_on_config_error(&e));
    let targets = [("documentation_api", config.http.log_level)];
    shared::server::run_main(&env, config.http.log_format, &targets, 1, |budget| {
        documentation_api::serve(config, budget, shared::server::shutdown_signal())
    })
}
