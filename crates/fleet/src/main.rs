//! `fleet`: the development launcher. Every API of the fleet in one process, each on its
//! own port with its own config, state, metrics registry and rate limiter, exactly as
//! its own binary would run it. The separate binaries stay the deployment unit.
//!
//! Config errors of every service are reported together (exit 78); one service failing
//! stops the others; SIGTERM/SIGINT drains them all.

use std::process::ExitCode;

use shared::config::{ConfigError, Env, exit_on_config_error};
use shared::server::FdBudget;
use tokio::sync::watch;

// mimalloc: the request path allocates small, short-lived objects on every worker
// thread, where glibc malloc showed up as ~10% of CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let env = Env::load();
    // The fleet never reads the legacy single-service `PORT`: one port cannot serve three.
    let workspace = workspace_api::Config::from_env(&env, false);
    let documentation = documentation_api::Config::from_env(&env, false);
    let firecrawl = firecrawl_proxy::Config::from_env(&env, false);
    let (workspace, documentation, firecrawl) = match (workspace, documentation, firecrawl) {
        (Ok(w), Ok(d), Ok(f)) => (w, d, f),
        (w, d, f) => {
            let lines = [w.err(), d.err(), f.err()]
                .into_iter()
                .flatten()
                .flat_map(|ConfigError(lines)| lines);
            exit_on_config_error(&ConfigError(lines.collect()))
        }
    };
    let fleet_level = workspace
        .http
        .log_level
        .max(documentation.http.log_level)
        .max(firecrawl.http.log_level);
    let targets = [
        ("fleet", fleet_level),
        ("workspace_api", workspace.http.log_level),
        ("documentation_api", documentation.http.log_level),
        ("firecrawl_proxy", firecrawl.http.log_level),
    ];
    let listeners = 3;
    shared::server::run_main(
        &env,
        workspace.http.log_format,
        &targets,
        listeners,
        |budget| run(workspace, documentation, firecrawl, budget),
    )
}

async fn run(
    workspace: workspace_api::Config,
    documentation: documentation_api::Config,
    firecrawl: firecrawl_proxy::Config,
    budget: FdBudget,
) -> anyhow::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stopping| *stopping).await;
    };
    let mut services = tokio::task::JoinSet::new();
    let signal = until_stopped(stopped.clone());
    services.spawn(async move {
        (
            "workspace-api",
            workspace_api::serve(workspace, budget, signal).await,
        )
    });
    let signal = until_stopped(stopped.clone());
    services.spawn(async move {
        (
            "documentation-api",
            documentation_api::serve(documentation, budget, signal).await,
        )
    });
    let signal = until_stopped(stopped);
    services.spawn(async move {
        (
            "firecrawl-proxy",
            firecrawl_proxy::serve(firecrawl, budget, signal).await,
        )
    });

    let mut failure = None;
    tokio::select! {
        () = shared::server::shutdown_signal() => {}
        Some(Ok((name, result))) = services.join_next() => {
            failure = result.err().map(|e| e.context(format!("{name} stopped")));
        }
    }
    let _ = stop.send(true);
    while let Some(joined) = services.join_next().await {
        if let Ok((name, Err(e))) = joined {
            tracing::error!(target: "fleet", service = name, "{e:#}");
        }
    }
    failure.map_or(Ok(()), Err)
}
