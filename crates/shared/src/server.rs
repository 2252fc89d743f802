//! Serving an [`App`] with graceful shutdown (decision 12): stop accepting, drain for at
//! most the grace period, then return so `main` can close pools and exit 0.

use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::IncomingStream;
use tokio::net::TcpListener;

use crate::app::App;

/// Binds `0.0.0.0:port` (port 0 picks a free one, for tests); the error names the port.
pub async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    use anyhow::Context as _;
    TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .with_context(|| format!("binding port {port}"))
}

/// Serves until `shutdown` resolves, then drains for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    // Each connection gets its own copy of the app, told its peer's address.
    let per_connection = tower::service_fn(move |incoming: IncomingStream<'_, TcpListener>| {
        let mut app = app.clone();
        app.set_peer(incoming.remote_addr().ip());
        std::future::ready(Ok::<_, std::convert::Infallible>(app))
    });
    let server = axum::serve(listener, per_connection).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    let server = tokio::spawn(async move { server.await });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return flatten(result),
        _ = rx.wait_for(|stopping| *stopping) => {}
    }
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => flatten(result),
        Err(_) => {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "shutdown grace period over; dropping open connections"
            );
            server.abort();
            Ok(())
        }
    }
}

fn flatten(result: Result<std::io::Result<()>, tokio::task::JoinError>) -> std::io::Result<()> {
    result.map_err(std::io::Error::other)?
}

/// The body of every service binary's `main` once its config is parsed: telemetry for
/// `log_targets`, the env files' warnings, a runtime, then `serve` until a signal.
pub fn run_main<Fut>(
    env: &crate::config::Env,
    format: crate::config::LogFormat,
    log_targets: &[(&str, tracing::level_filters::LevelFilter)],
    serve: impl FnOnce() -> Fut,
) -> std::process::ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    crate::telemetry::init(format, log_targets);
    for warning in env.warnings() {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
