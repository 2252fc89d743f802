//! Serving an [`App`] with graceful shutdown (decision 12): stop accepting, drain for at
//! most the grace period, then return so `main` can close pools and exit 0.
//!
//! Connections are served by hyper's HTTP/1 connection directly rather than through
//! `axum::serve`, which wraps each in hyper-util's protocol-detecting builder and, for
//! every request, clones the whole app and drives it through a `Oneshot`: that was about
//! 6 % of a service's CPU per `/healthz` (see `scripts/bench-workspace.sh`). The services
//! speak HTTP/1.1 only, as the originals did.

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::Service as _;

use self::socket::Socket;
use crate::app::App;

mod socket;

/// Binds `0.0.0.0:port` (port 0 picks a free one, for tests); the error names the port.
pub async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    use anyhow::Context as _;
    TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .with_context(|| format!("binding port {port}"))
}

/// Serves until `shutdown` resolves, then lets open requests finish for at most `grace`.
pub async fn serve(
    mut listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let mut connections = Connections::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // axum's `Listener::accept` retries failed accepts (and waits a second when out
        // of file descriptors).
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        // Responses are written whole; nothing gains from Nagle's delay, and a streamed
        // (compressed) body would wait on the client's delayed ACK.
        let _ = stream.set_nodelay(true);
        let mut app = app.clone();
        app.set_peer(peer.ip());
        connections.open(stream, peer, app);
    }
    drop(listener);
    connections.drain(grace).await;
    Ok(())
}

/// The open connections, each with its own stop signal, so that serving a request
/// touches nothing another connection touches. (A shared `watch` channel, as axum's serve
/// and hyper-util's `GracefulShutdown` use, makes every poll of every connection take
/// the channel's one lock.)
#[derive(Default)]
struct Connections {
    tasks: JoinSet<()>,
    stops: HashMap<tokio::task::Id, oneshot::Sender<()>>,
}

impl Connections {
    fn open(&mut self, stream: TcpStream, peer: SocketAddr, app: App) {
        while let Some(ended) = self.tasks.try_join_next_with_id() {
            let id = ended.map_or_else(|e| e.id(), |(id, ())| id);
            self.stops.remove(&id);
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let connection = http1::Builder::new()
            .serve_connection(Socket::new(stream), Connection(RefCell::new(app)));
        let task = self.tasks.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                biased;
                ended = connection.as_mut() => ended,
                // The sender dropped: finish the request in flight, then close.
                () = Stopped::new(stopped) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(target: "http", "connection from {peer} ended: {e}");
            }
        });
        self.stops.insert(task.id(), stop);
    }

    /// Stops every connection and waits at most `grace` for them to close; dropping the
    /// set then aborts those still open.
    async fn drain(mut self, grace: Duration) {
        self.stops.clear();
        let all_closed = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all_closed).await.is_err() {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "shutdown grace period over; dropping open connections"
            );
        }
    }
}

/// Resolves once a connection's stop sender drops. Only the first poll registers with the
/// channel, since the connection's task always wakes through the same waker; later polls
/// are a `try_recv`, one load, where `Receiver::poll` also does tokio's cooperative
/// budgeting, on every poll of every connection (about 40 ns a request).
struct Stopped {
    receiver: oneshot::Receiver<()>,
    registered: bool,
}

impl Stopped {
    fn new(receiver: oneshot::Receiver<()>) -> Self {
        Self {
            receiver,
            registered: false,
        }
    }
}

impl Future for Stopped {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.registered {
            self.registered = true;
            return Pin::new(&mut self.receiver).poll(cx).map(|_| ());
        }
        match self.receiver.try_recv() {
            Err(oneshot::error::TryRecvError::Empty) => Poll::Pending,
            _ => Poll::Ready(()),
        }
    }
}

/// One connection's app, as hyper calls it: through `&self`, and on HTTP/1 one request at
/// a time, so the cell lends the app only for the synchronous part of each call.
struct Connection(RefCell<App>);

impl hyper::service::Service<hyper::Request<Incoming>> for Connection {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = <App as tower::Service<Request>>::Future;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.0.borrow_mut().call(request.map(Body::new))
    }
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::routing::RouteTable;

    /// Serves an app with a `/slow` route (answers after `delay`) until the returned
    /// sender fires.
    async fn start(
        delay: Duration,
        grace: Duration,
    ) -> (
        SocketAddr,
        oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let slow = move || async move {
            tokio::time::sleep(delay).await;
            "done"
        };
        let app = crate::app::test_app(
            RouteTable::new().get("/slow", slow),
            Duration::from_secs(30),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let server = tokio::spawn(serve(listener, app, shutdown, grace));
        (addr, stop, server)
    }

    /// Drops the stop sender and waits for `serve` to return; how long that took.
    async fn stop_and_wait(
        stop: oneshot::Sender<()>,
        server: tokio::task::JoinHandle<std::io::Result<()>>,
    ) -> Duration {
        let started = Instant::now();
        drop(stop);
        server.await.expect("join").expect("served");
        started.elapsed()
    }

    /// A new connection to `addr` with a GET of `path` sent on it.
    async fn connect_and_get(addr: SocketAddr, path: &str) -> TcpStream {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        stream
    }

    /// Reads one response whose body has a `content-length`, leaving the connection open.
    async fn read_response(stream: &mut TcpStream) -> String {
        let mut bytes = Vec::new();
        loop {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length: "))
                    .and_then(|n| n.parse::<usize>().ok())
                    .expect("a content-length");
                if bytes.len() >= end + 4 + length {
                    return text;
                }
            }
            let mut chunk = [0; 1024];
            let read = stream.read(&mut chunk).await.expect("read");
            assert!(read > 0, "connection closed mid-response: {text}");
            bytes.extend_from_slice(&chunk[..read]);
        }
    }

    #[tokio::test]
    async fn shutdown_lets_the_request_in_flight_finish_then_closes() {
        let (addr, stop, server) = start(Duration::from_millis(150), Duration::from_secs(5)).await;
        let mut stream = connect_and_get(addr, "/slow").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(stop);

        let response = read_response(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("done"), "{response}");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.expect("read");
        assert!(rest.is_empty(), "the connection closes after its request");
        server.await.expect("join").expect("served");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "no longer accepting"
        );
    }

    #[tokio::test]
    async fn an_idle_keep_alive_connection_does_not_hold_up_shutdown() {
        let (addr, stop, server) = start(Duration::ZERO, Duration::from_secs(5)).await;
        let mut stream = connect_and_get(addr, "/healthz").await;
        assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));

        let stopping = stop_and_wait(stop, server).await;
        assert!(stopping < Duration::from_secs(1), "{stopping:?}");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.expect("read");
        assert!(rest.is_empty(), "the idle connection was closed");
    }

    #[tokio::test]
    async fn the_grace_period_bounds_the_drain() {
        let (addr, stop, server) = start(Duration::from_secs(10), Duration::from_millis(20)).await;
        let mut stream = connect_and_get(addr, "/slow").await;
        tokio::time::sleep(Duration::from_millis(30)).await;

        let stopping = stop_and_wait(stop, server).await;
        assert!(stopping < Duration::from_secs(2), "{stopping:?}");
        let mut rest = Vec::new();
        let read = stream.read_to_end(&mut rest).await;
        assert!(
            read.is_err() || rest.is_empty(),
            "dropped without an answer"
        );
    }
}
