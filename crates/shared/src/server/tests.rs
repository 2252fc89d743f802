//! The server over real sockets: slow and idle clients are closed after the header-read
//! timeout, the connection cap makes new clients wait while open ones are served, and
//! shutdown drains what is in flight within the grace period.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;
use crate::routing::RouteTable;

struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
    metrics: HttpMetrics,
}

/// Serves an app with a `/slow` route (answers after `delay`) until `stop` fires.
async fn start(delay: Duration, tune: impl FnOnce(&mut ServeOptions)) -> Running {
    let slow = move || async move {
        tokio::time::sleep(delay).await;
        "done"
    };
    let (app, core) = crate::app::test_app(
        RouteTable::new().get("/slow", slow),
        Duration::from_secs(30),
    );
    let mut options = core.serve_options();
    options.grace = Duration::from_secs(5);
    tune(&mut options);
    let metrics = options.metrics.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let server = tokio::spawn(serve(
        listener,
        app,
        options,
        FdBudget::unlimited(),
        shutdown,
    ));
    Running {
        addr,
        stop,
        server,
        metrics,
    }
}

impl Running {
    /// Fires the stop signal and waits for `serve` to return; how long that took.
    async fn stop(self) -> Duration {
        let started = Instant::now();
        drop(self.stop);
        self.server.await.expect("join").expect("served");
        started.elapsed()
    }
}

/// A new connection to `addr` with a GET of `path` sent on it.
async fn connect_and_get(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    get_on(&mut stream, path).await;
    stream
}

async fn get_on(stream: &mut TcpStream, path: &str) {
    let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
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

/// Reads until the server closes the connection; what it sent before closing.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    // A reset instead of an orderly close is a close too.
    let _ = stream.read_to_end(&mut rest).await;
    rest
}

fn limited(metrics: &HttpMetrics, reason: ConnectionLimit) -> u64 {
    metrics.limited(reason).get()
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_request_line_is_closed_after_the_timeout() {
    let timeout = Duration::from_secs(5);
    let running = start(Duration::ZERO, |o| o.header_read_timeout = timeout).await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    stream.write_all(b"GET /hea").await.expect("write");
    let started = tokio::time::Instant::now();

    read_until_closed(&mut stream).await;
    let waited = started.elapsed();
    assert!(waited >= timeout, "closed after {waited:?}");
    assert!(waited < timeout * 2, "closed after {waited:?}");
    assert_eq!(limited(&running.metrics, ConnectionLimit::HeaderTimeout), 1);
    assert_eq!(running.metrics.active_connections().get(), 0);
    running.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let timeout = Duration::from_secs(5);
    let running = start(Duration::ZERO, |o| o.header_read_timeout = timeout).await;
    let mut stream = connect_and_get(running.addr, "/healthz").await;
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    assert_eq!(running.metrics.active_connections().get(), 1);
    let started = tokio::time::Instant::now();

    let rest = read_until_closed(&mut stream).await;
    let waited = started.elapsed();
    assert!(waited >= timeout, "closed after {waited:?}");
    assert!(waited < timeout * 2, "closed after {waited:?}");
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    assert_eq!(running.metrics.active_connections().get(), 0);
    running.stop().await;
}

#[tokio::test]
async fn past_the_cap_a_new_client_waits_while_open_ones_are_served() {
    let running = start(Duration::ZERO, |o| o.max_connections = 2).await;
    let mut first = connect_and_get(running.addr, "/healthz").await;
    assert!(read_response(&mut first).await.starts_with("HTTP/1.1 200"));
    let mut second = connect_and_get(running.addr, "/healthz").await;
    assert!(read_response(&mut second).await.starts_with("HTTP/1.1 200"));

    // The kernel completes the third handshake; the server does not take it yet.
    let mut third = connect_and_get(running.addr, "/healthz").await;
    let waiting = tokio::time::timeout(Duration::from_millis(300), read_response(&mut third));
    assert!(
        waiting.await.is_err(),
        "the third client was served past the cap"
    );
    get_on(&mut first, "/healthz").await;
    assert!(read_response(&mut first).await.starts_with("HTTP/1.1 200"));
    assert_eq!(running.metrics.active_connections().get(), 2);
    assert_eq!(
        limited(&running.metrics, ConnectionLimit::MaxConnections),
        1
    );

    drop(second);
    let served = tokio::time::timeout(Duration::from_secs(5), read_response(&mut third));
    let response = served.await.expect("served once a slot is free");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    running.stop().await;
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_then_closes() {
    let running = start(Duration::from_millis(150), |_| {}).await;
    let addr = running.addr;
    let mut stream = connect_and_get(addr, "/slow").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stopping = tokio::spawn(running.stop());

    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("done"), "{response}");
    assert!(
        read_until_closed(&mut stream).await.is_empty(),
        "the connection closes after its request"
    );
    stopping.await.expect("join");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_does_not_hold_up_shutdown() {
    let running = start(Duration::ZERO, |_| {}).await;
    let mut stream = connect_and_get(running.addr, "/healthz").await;
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));

    let stopping = running.stop().await;
    assert!(stopping < Duration::from_secs(1), "{stopping:?}");
    assert!(
        read_until_closed(&mut stream).await.is_empty(),
        "the idle connection was closed"
    );
}

#[tokio::test]
async fn the_grace_period_bounds_the_drain() {
    let running = start(Duration::from_secs(10), |o| {
        o.grace = Duration::from_millis(20);
    })
    .await;
    let mut stream = connect_and_get(running.addr, "/slow").await;
    tokio::time::sleep(Duration::from_millis(30)).await;

    let stopping = running.stop().await;
    assert!(stopping < Duration::from_secs(2), "{stopping:?}");
    assert!(
        read_until_closed(&mut stream).await.is_empty(),
        "dropped without an answer"
    );
}
