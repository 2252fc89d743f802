//! The real `workspace-api import`, killed mid-run (SIGKILL, nothing to clean up), then
//! run again: the second run completes, every item exactly once with exactly one
//! `imported` audit row, and its summary and exit status say so; bad arguments exit 78.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn};
use crate::import::{imported_audit_rows, items};

const BIN: &str = env!("CARGO_BIN_EXE_workspace-api");
const ITEMS: usize = 4000;

fn command(app: &TestApp, root: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TRADINGSYSTEM_ROOT", root)
        .env("WORKSPACE_DATABASE_URL", &app.database_url)
        .args(args);
    command
}

fn library(dir: &std::path::Path) -> String {
    let base = 1_760_000_000_000_i64;
    let items: Vec<Value> = (0..ITEMS)
        .map(|i| {
            let ms = base + i64::try_from(i).expect("small") * 1000;
            let category = ["feature", "bug", "research"][i % 3];
            json!({"title": format!("Item {i}"), "description": format!("number {i}"),
                "category": category, "priority": "medium",
                "tags": [format!("t{}", i % 7)], "status": "new",
                "createdAt": chrono::DateTime::from_timestamp_millis(ms).expect("time")
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "id": format!("item-{ms}-{i:07}")})
        })
        .collect();
    let path = dir.join("library.json");
    std::fs::write(&path, json!({"items": items}).to_string()).expect("write");
    path.display().to_string()
}

async fn killed_mid_run_then_rerun_completes(app: TestApp) {
    let root = tempfile::tempdir().expect("tempdir");
    let from = library(root.path());
    let mut child = command(&app, root.path(), &["import", "--from", &from])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the import");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let progress = lines
        .find_map(|line| line.ok().filter(|l| l.starts_with("import: ")))
        .expect("a progress line before the end");
    assert!(progress.contains("rows done"), "{progress}");
    child.kill().expect("kill");
    let _ = child.wait();
    let halfway = items(&app).await.len();
    assert!(
        (1..ITEMS).contains(&halfway),
        "killed after {halfway} items"
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
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary on stdout");
    assert_eq!(summary["entities"]["items"]["read"], ITEMS);
    assert_eq!(
        summary["entities"]["items"]["created"].as_u64().expect("n")
            + summary["entities"]["items"]["already_present"]
                .as_u64()
                .expect("n"),
        ITEMS as u64
    );
    let got = items(&app).await;
    assert_eq!(got.len(), ITEMS);
    for (i, item) in got.iter().enumerate() {
        assert_eq!(item["title"], format!("Item {i}"));
        assert_eq!(item["tags"], json!([format!("t{}", i % 7)]));
    }
    // One imported row per item and per category (the six defaults): none twice.
    assert_eq!(imported_audit_rows(&app).await, (ITEMS + 6) as i64);

    // Nothing left to do.
    let output = command(&app, root.path(), &["import", "--from", &from, "--dry-run"])
        .output()
        .expect("dry run");
    assert_eq!(output.status.code(), Some(0));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(summary["entities"]["items"]["already_present"], ITEMS);
    assert_eq!(summary["dry_run"], true);
}

crate::both_backends!(killed_mid_run_then_rerun_completes);

#[tokio::test]
async fn bad_arguments_exit_78() {
    let app = spawn(Backend::Sqlite).await;
    let root = tempfile::tempdir().expect("tempdir");
    for args in [
        &["import"][..],
        &["import", "--from", "/nowhere.json"],
        &["import", "--from", "x", "--what"],
        &["serve-please"],
    ] {
        let output = command(&app, root.path(), args).output().expect("run");
        assert_eq!(output.status.code(), Some(78), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
