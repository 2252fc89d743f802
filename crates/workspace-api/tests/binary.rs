//! The `workspace-api` binary as an operator runs it: configuration errors exit 78 naming
//! every bad variable; SIGTERM drains and exits 0.

use std::process::{Command, Stdio};
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
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    for name in [
        "WORKSPACE_API_PORT",
        "RATE_LIMIT_MAX",
        "CORS_ORIGIN",
        "WORKSPACE_DATABASE_URL",
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
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
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
    let ready = loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ =
                stream.write_all(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            if reply.starts_with("HTTP/1.1 200") {
                break true;
            }
        }
        if started.elapsed() > Duration::from_secs(20) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(ready, "never became ready on port {port}");
    assert!(
        root.path().join("data/from-dotenv.db").exists(),
        "the .env file, expanded, chose the database"
    );
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}
