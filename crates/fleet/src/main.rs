//! `fleet`: the development launcher. Every API of the fleet in one process, each on its
//! own port with its own config, state, metrics registry and rate limiter, exactly as
//! its own binary would run it. The separate binaries stay the deployment unit.
//!
//! Config errors of every service are reported together (exit 78); one service failing
//! to start stops the others; SIGTERM/SIGINT drains them all.

use std::process::ExitCode;

use shared::config::{ConfigError, Env, exit_on_config_error};
use tokio::sync::watch;

fn main() -> ExitCode {
    let env = Env::load();
    // The fleet never reads the legacy single-service `PORT`: one port cannot serve three.
    let workspace = workspace_api::Config::from_env(&env, false);
    let workspace = match workspace {
        Ok(config) => config,
        Err(ConfigError(lines)) => exit_on_config_error(&ConfigError(lines)),
    };
    shared::telemetry::init(workspace.http.log_format, &[("workspace_api", workspace.http.log_level), ("fleet", workspace.http.log_level)]);
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
    runtime.block_on(async move {
        let (stop, stopped) = watch::channel(false);
        let until_stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let mut services = tokio::task::JoinSet::new();
        services.spawn(async move { ("workspace-api", workspace_api::serve(workspace, until_stopped(stopped.clone())).await) });
        tracing::info!(target: "fleet", root = %env.root().display(), "fleet started");

        let mut failed = false;
        tokio::select! {
            () = shared::server::shutdown_signal() => {}
            Some(Ok((name, result))) = services.join_next() => {
                if let Err(e) = result {
                    tracing::error!(target: "fleet", service = name, "{e:#}");
                    failed = true;
                }
            }
        }
        let _ = stop.send(true);
        while let Some(joined) = services.join_next().await {
            if let Ok((name, Err(e))) = joined {
                tracing::error!(target: "fleet", service = name, "{e:#}");
                failed = true;
            }
        }
        if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
    })
}
