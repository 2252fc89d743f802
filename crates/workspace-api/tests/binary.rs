//! The `workspace-api` binary as an operator runs it: configuration errors exit 78 naming
//! every bad variable; SIGTERM lets a request in flight finish, then exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_workspace-api");

fn base_command(root: &std::path::Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRADINGSYSTEM_ROOT", root);
    command
}

#[test]
fn bad_configuration_exits_78_naming_each_variable() {
    let root = tempfile::tempdir().expect("tempdir");
    let output = base_command(root.path())
        .env("WORKSPACE_API_PORT", "eighty")
        .env("RATE_LIMIT_MAX", "-1")
        .env("CORS_ORIGIN", "not a url")
        .env("WORKSPACE_DATABASE_URL", "mysql://db/x")
        .env("HEADER_READ_TIMEOUT_MS", "soon")
        .env("MAX_CONNECTIONS", "0")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    for name in [
        "WORKSPACE_API_PORT",
        "RATE_LIMIT_MAX",
        "CORS_ORIGIN",
        "WORKSPACE_DATABASE_URL",
        "HEADER_READ_TIMEOUT_MS",
        "MAX_CONNECTIONS",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("config error: {name}:"))),
            "{name} in {stderr}"
        );
    }
    assert!(
        !stderr.contains("mysql://db/x"),
        "database URLs are redacted"
    );
}

#[test]
fn env_files_configure_the_binary_and_sigterm_drains() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(root.path().join("config")).expect("mkdir");
    let port = free_port();
    std::fs::write(
        root.path().join("config/.env.defaults"),
        format!("WORKSPACE_API_PORT={port}\n"),
    )
    .expect("write");
    std::fs::write(
        root.path().join(".env"),
        "DB_FILE=from-dotenv.db\nWORKSPACE_DATABASE_URL=sqlite://data/${DB_FILE}\n",
    )
    .expect("write");
    let started = Instant::now();
    let mut child = base_command(root.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_ready(port, started);
    assert!(
        root.path().join("data/from-dotenv.db").exists(),
        "the .env file, expanded, chose the database"
    );
    let status = sigterm_and_wait(&mut child);
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_then_exits_0() {
    let root = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let started = Instant::now();
    let mut child = base_command(root.path())
        .env("WORKSPACE_API_PORT", port.to_string())
        .env("SHUTDOWN_GRACE_MS", "10000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_ready(port, started);

    // A create whose body is still arriving when the signal comes.
    let body = r#"{"title":"sent across a shutdown","description":"d","category":"dashboard","priority":"low"}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let head = format!(
        "POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    in_flight
        .write_all(format!("{head}{first}").as_bytes())
        .expect("write");
    std::thread::sleep(Duration::from_millis(200));
    signal_term(&child);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "exited with a request in flight"
    );

    in_flight.write_all(rest.as_bytes()).expect("write");
    let mut reply = String::new();
    let _ = in_flight.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    assert!(reply.contains("sent across a shutdown"), "{reply}");
    assert_eq!(wait_exit(&mut child).code(), Some(0));
}

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    probe.local_addr().expect("addr").port()
}

/// Waits until `/ready` answers 200 on `port` (20 s at most from `started`).
fn wait_ready(port: u16, started: Instant) {
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ =
                stream.write_all(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never became ready on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal_term(child: &Child) {
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigterm_and_wait(child: &mut Child) -> ExitStatus {
    signal_term(child);
    wait_exit(child)
}
