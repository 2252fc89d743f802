//! The real `documentation-api import`, killed mid-run (SIGKILL), then run again: the
//! second run completes, every idea exactly once with one `imported` audit row; bad
//! arguments exit 78.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn};
use crate::import::source;

const BIN: &str = env!("CARGO_BIN_EXE_documentation-api");
const IDEAS: i64 = 4000;

fn command(app: &TestApp, root: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRADINGSYSTEM_ROOT", root)
        .env("DOCUMENTATION_DATABASE_URL", &app.database_url)
        .args(args);
    command
}

async fn audit_total(app: &TestApp) -> i64 {
    let reply = app.get("/api/v1/audit?action=imported&limit=1").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["total"].as_i64().expect("total")
}

async fn killed_mid_run_then_rerun_completes(app: TestApp) {
    let from = source(&format!(
        "INSERT INTO documentation_ideas (id, title, category, created_by, created_at, updated_at)
         SELECT gen_random_uuid()::text, 'Idea ' || n, 'content', 'ana',
                TIMESTAMP '2025-01-01' + n * INTERVAL '1 second', TIMESTAMP '2025-01-01' + n * INTERVAL '1 second'
         FROM generate_series(1, {IDEAS}) AS n;"
    ))
    .await;
    let root = tempfile::tempdir().expect("tempdir");
    let mut child = command(&app, root.path(), &["import", "--from", &from])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the import");
    let stderr = child.stderr.take().expect("stderr");
    let progress = BufReader::new(stderr)
        .lines()
        .find_map(|line| line.ok().filter(|l| l.starts_with("import: ")))
        .expect("a progress line before the end");
    assert!(progress.contains("ideas"), "{progress}");
    child.kill().expect("kill");
    let _ = child.wait();
    let halfway = app.count_rows("documentation_ideas").await;
    assert!(
        (1..IDEAS).contains(&halfway),
        "killed after {halfway} ideas"
    );

    let output = command(&app, root.path(), &["import", "--from", &from])
        .output()
        .expect("rerun");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(summary["entities"]["ideas"]["read"], IDEAS);
    assert_eq!(summary["entities"]["ideas"]["already_present"], halfway);
    assert_eq!(app.count_rows("documentation_ideas").await, IDEAS);
    assert_eq!(audit_total(&app).await, IDEAS);
}

crate::both_backends!(killed_mid_run_then_rerun_completes);

#[tokio::test]
async fn bad_arguments_exit_78() {
    let app = spawn(Backend::Sqlite).await;
    let root = tempfile::tempdir().expect("tempdir");
    for args in [
        &["import"][..],
        &["import", "--from", "/data/library.json"],
        &["import", "--dry-run", "--from", "postgres://h/db", "--what"],
    ] {
        let output = command(&app, root.path(), args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(78),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
