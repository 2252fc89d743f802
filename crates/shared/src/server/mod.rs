//! Serving an [`App`]: hyper's HTTP/1 connection builder with a timer, so a client that
//! never finishes its headers or idles on keep-alive is closed after
//! `HEADER_READ_TIMEOUT_MS`; at most `MAX_CONNECTIONS` open connections per listener
//! (past it, new ones wait in the kernel's backlog while open ones are served); and
//! graceful shutdown with hyper-util's `GracefulShutdown`: stop accepting, let requests
//! in flight finish for at most the grace period, then close what is left.
//!
//! The services speak HTTP/1.1 only, as the originals did, so the HTTP/1 builder is used
//! directly rather than hyper-util's protocol-detecting one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use prometheus::IntGauge;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower_http::add_extension::AddExtension;

use crate::app::App;
use crate::metrics::{ConnectionLimit, HttpMetrics};

mod fd_limit;
pub use fd_limit::FdBudget;

/// Binds `0.0.0.0:port` (port 0 picks a free one, for tests); the error names the port.
pub async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    use anyhow::Context as _;
    TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .with_context(|| format!("binding port {port}"))
}

/// How one listener's connections are run (from [`crate::AppCore::serve_options`]).
#[derive(Clone)]
pub struct ServeOptions {
    pub grace: Duration,
    pub header_read_timeout: Duration,
    /// The configured cap; [`serve`] also keeps it within the process's descriptor share.
    pub max_connections: usize,
    pub metrics: HttpMetrics,
}

/// Serves until `shutdown` resolves, then lets open requests finish for at most
/// `options.grace`. `budget` is this listener's share of the file descriptors.
pub async fn serve(
    listener: TcpListener,
    app: App,
    options: ServeOptions,
    budget: FdBudget,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cap = budget.cap(options.max_connections);
    let slots = Arc::new(Semaphore::new(cap));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = accept(&listener, &slots, &options.metrics) => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer, slot) = accepted;
        // Responses are written whole; nothing gains from Nagle's delay.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(AddExtension::new(app.clone(), ConnectInfo(peer)));
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let open = OpenConnection::new(slot, options.metrics.active_connections().clone());
        let limited = options.metrics.limited(ConnectionLimit::HeaderTimeout);
        connections.spawn(async move {
            let _open = open;
            if let Err(e) = connection.await {
                if e.is_timeout() {
                    limited.inc();
                }
                tracing::debug!(target: "http", "connection from {peer} ended: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(options.grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_ms = options.grace.as_millis() as u64,
            "shutdown grace period over; closing open connections"
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// The next connection, once a slot is free. Accept errors (out of descriptors, a
/// connection reset before it was accepted) are counted and retried after a short
/// pause, so they never end or spin the loop.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
    metrics: &HttpMetrics,
) -> (TcpStream, SocketAddr, OwnedSemaphorePermit) {
    let slot = match slots.clone().try_acquire_owned() {
        Ok(slot) => slot,
        Err(_) => {
            metrics.limited(ConnectionLimit::MaxConnections).inc();
            tracing::warn!(target: "http", "connection cap reached; new connections wait");
            slots
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed")
        }
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => return (stream, peer, slot),
            Err(e) => {
                metrics.limited(ConnectionLimit::AcceptError).inc();
                tracing::warn!(target: "http", "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Holds a connection's slot and its place in the gauge until the connection's task
/// ends or is aborted.
struct OpenConnection {
    _slot: OwnedSemaphorePermit,
    gauge: IntGauge,
}

impl OpenConnection {
    fn new(slot: OwnedSemaphorePermit, gauge: IntGauge) -> Self {
        gauge.inc();
        Self { _slot: slot, gauge }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// The body of every service binary's `main` once its config is parsed: telemetry for
/// `log_targets`, the env files' warnings, the descriptor limit raised and shared among
/// the process's `listeners`, a runtime, then `serve` until a signal.
pub fn run_main<Fut>(
    env: &crate::config::Env,
    format: crate::config::LogFormat,
    log_targets: &[(&str, tracing::level_filters::LevelFilter)],
    listeners: usize,
    serve: impl FnOnce(FdBudget) -> Fut,
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
    let budget = FdBudget::raise(listeners);
    match runtime.block_on(serve(budget)) {
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

#[cfg(test)]
mod tests;
