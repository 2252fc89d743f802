//! PostgreSQL going away and coming back, as a service behind it sees it. The test's
//! [`Switch`] stands between the service and the real server: `down` refuses new
//! connections and cuts the open ones (a stopped server), `freeze` accepts and never
//! answers (a hung server or a dead network path), `up` forwards again.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{Backend, TestApp, postgres_schema, spawn_with};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Up,
    Frozen,
}

/// A TCP relay to PostgreSQL that the test can stop, freeze and restart.
struct Switch {
    addr: SocketAddr,
    target: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl Switch {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut switch = Self {
            addr,
            target,
            mode: Arc::new(Mutex::new(Mode::Up)),
            relay: None,
        };
        switch.relay = Some(tokio::spawn(relay(listener, target, switch.mode.clone())));
        switch
    }

    /// A stopped server: the port refuses, open connections are cut.
    fn down(&mut self) {
        if let Some(relay) = self.relay.take() {
            relay.abort();
        }
    }

    fn freeze(&self) {
        *self.mode.lock().expect("mode") = Mode::Frozen;
    }

    async fn up(&mut self) {
        *self.mode.lock().expect("mode") = Mode::Up;
        if self.relay.is_none() {
            let listener = TcpListener::bind(self.addr).await.expect("rebind");
            self.relay = Some(tokio::spawn(relay(
                listener,
                self.target,
                self.mode.clone(),
            )));
        }
    }
}

/// Accepts and relays; aborting it drops the listener and every relayed connection.
async fn relay(listener: TcpListener, target: SocketAddr, mode: Arc<Mutex<Mode>>) {
    let mut connections = JoinSet::new();
    while let Ok((mut client, _)) = listener.accept().await {
        let mode = mode.clone();
        connections.spawn(async move {
            let Ok(mut server) = TcpStream::connect(target).await else {
                return;
            };
            let (client_read, client_write) = client.split();
            let (server_read, server_write) = server.split();
            // Either direction ending ends the connection.
            tokio::select! {
                () = pump(client_read, server_write, &mode) => {}
                () = pump(server_read, client_write, &mode) => {}
            }
        });
    }
}

/// Copies `from` to `to`, holding every chunk while the switch is frozen.
async fn pump(
    mut from: impl tokio::io::AsyncRead + Unpin,
    mut to: impl tokio::io::AsyncWrite + Unpin,
    mode: &Mutex<Mode>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while *mode.lock().expect("mode") == Mode::Frozen {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// The service on a fresh schema, reached through a [`Switch`].
async fn behind_a_switch() -> (TestApp, Switch) {
    let url = postgres_schema().await;
    let authority = url
        .split_once('@')
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("TEST_DATABASE_URL names a host:port");
    let target = tokio::net::lookup_host(authority)
        .await
        .expect("resolve")
        .next()
        .expect("an address");
    let switch = Switch::start(target).await;
    let relayed = url.replacen(authority, &switch.addr.to_string(), 1);
    let app = spawn_with(
        Backend::Postgres,
        &[
            ("WORKSPACE_DATABASE_URL", relayed.as_str()),
            ("REQUEST_TIMEOUT_MS", "10000"),
        ],
    )
    .await;
    (app, switch)
}

async fn create(app: &TestApp, title: &str) -> (StatusCode, Duration) {
    let started = Instant::now();
    let reply = app
        .json(
            Method::POST,
            "/api/items",
            json!({"title": title, "description": "d", "category": "dashboard", "priority": "low"}),
        )
        .await;
    let elapsed = started.elapsed();
    if reply.status != StatusCode::CREATED {
        reply.envelope(503, "SERVICE_UNAVAILABLE");
    }
    (reply.status, elapsed)
}

/// `writes` creates during the fault, each a 503 envelope within 1 s.
async fn every_write_is_a_fast_503(app: &TestApp, writes: usize) {
    for attempt in 0..writes {
        let (status, elapsed) = create(app, "during").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "attempt {attempt}");
        let fast = elapsed < Duration::from_secs(1);
        assert!(fast, "attempt {attempt}: {elapsed:?}");
    }
}

/// Brings the switch back and waits for the first create that succeeds: within 2 s.
async fn recovers(app: &TestApp, switch: &mut Switch) {
    let back = Instant::now();
    switch.up().await;
    let recovered = first_success(app, back).await;
    let quick = recovered < Duration::from_secs(2);
    assert!(quick, "recovered after {recovered:?}");
}

/// The first create that succeeds, and how long after `since` it came.
async fn first_success(app: &TestApp, since: Instant) -> Duration {
    loop {
        if create(app, "after").await.0 == StatusCode::CREATED {
            return since.elapsed();
        }
        assert!(since.elapsed() < Duration::from_secs(10), "never recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stopped_database_is_a_fast_503_and_recovery_is_automatic() {
    let (app, mut switch) = behind_a_switch().await;
    assert_eq!(create(&app, "before").await.0, StatusCode::CREATED);

    switch.down();
    every_write_is_a_fast_503(&app, 5).await;
    let started = Instant::now();
    let ready = app.get("/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/health").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    recovers(&app, &mut switch).await;
    let items = app.get("/api/items").await;
    assert_eq!(
        items.body["total"], 2,
        "nothing lost, nothing doubled: {}",
        items.text
    );
}

#[tokio::test]
async fn a_frozen_database_is_a_fast_503_too() {
    let (app, mut switch) = behind_a_switch().await;
    assert_eq!(create(&app, "before").await.0, StatusCode::CREATED);

    switch.freeze();
    every_write_is_a_fast_503(&app, 3).await;
    recovers(&app, &mut switch).await;
}
