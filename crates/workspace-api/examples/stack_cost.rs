//! The stack's own cost per request, without sockets or a load generator: calls
//! workspace-api's `/healthz` (the whole app a binary serves, on a throwaway SQLite file)
//! and the same handler in a bare axum router, alternately, on one thread, and prints
//! the best of seven rounds of each. `scripts/bench-workspace.sh` runs it beside wrk,
//! whose figures include the kernel and the client sharing the machine's two cores.
//! `N` sets the calls per round (default 200000).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use http_body_util::BodyExt;
use shared::config::Env;
use shared::health::Health;
use tower::{Service, ServiceExt};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/stack-cost.db", dir.path().display());
    let root = dir.path().to_string_lossy().into_owned();
    let env = Env::from_pairs(&root, [("WORKSPACE_DATABASE_URL", url.as_str())]);
    let config = workspace_api::Config::from_env(&env, true)?;
    let app = workspace_api::router(workspace_api::AppState::build(&config).await?);
    let health = Arc::new(Health::new("bare-axum", "0"));
    let bare = axum::Router::new().route(
        "/healthz",
        axum::routing::get(move || async move { health.live() }),
    );
    let calls: u32 = std::env::var("N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let (mut bare_ns, mut full_ns) = (f64::MAX, f64::MAX);
    for _ in 0..7 {
        bare_ns = bare_ns.min(ns_per_call(&bare, calls).await);
        full_ns = full_ns.min(ns_per_call(&app, calls).await);
    }
    println!(
        "in-process /healthz: bare {bare_ns:.0} ns, full stack {full_ns:.0} ns, stack {:.0} ns per call",
        full_ns - bare_ns
    );
    Ok(())
}

/// Mean nanoseconds per call of `/healthz` on a clone of `service`, body read, headers
/// as wrk sends them.
async fn ns_per_call<S>(service: &S, calls: u32) -> f64
where
    S: Service<Request, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone,
{
    let started = Instant::now();
    for _ in 0..calls {
        let request = Request::get("/healthz")
            .header("host", "127.0.0.1")
            .body(Body::empty())
            .expect("a valid request");
        let Ok(response) = service.clone().oneshot(request).await;
        let _ = response.into_body().collect().await;
    }
    started.elapsed().as_nanos() as f64 / f64::from(calls)
}
