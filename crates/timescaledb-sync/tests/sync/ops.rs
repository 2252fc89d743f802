//! What operators see: `status`, `check`, `--help`, the node-exporter textfile and the
//! Pushgateway.

use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn the_textfile_is_written_atomically_and_keeps_the_last_success() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..120).await);
    let metrics_dir = tempfile::tempdir().expect("tempdir");
    let dir = metrics_dir.path().to_str().expect("utf-8");
    let sync = Sync::new(&db, &fake)
        .env("TIMESCALEDB_SYNC_TEXTFILE_DIR", dir)
        .env("TIMESCALEDB_BATCH_SIZE", "50");
    assert_eq!(sync.run(&["run"]).await.code, 0);
    let file = metrics_dir
        .path()
        .join("timescaledb_sync_tp_capital_signals.prom");
    let text = std::fs::read_to_string(&file).expect("textfile");
    for line in [
        r#"tradingsystem_sync_last_run_rows{kind="read",stream="tp_capital_signals"} 120"#,
        r#"tradingsystem_sync_last_run_rows{kind="inserted",stream="tp_capital_signals"} 120"#,
        r#"tradingsystem_sync_last_run_rows{kind="skipped",stream="tp_capital_signals"} 0"#,
        r#"tradingsystem_sync_last_run_batches{stream="tp_capital_signals"} 3"#,
        r#"tradingsystem_sync_last_run_errors{stream="tp_capital_signals"} 0"#,
        "# TYPE tradingsystem_sync_lag_seconds gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
    assert!(metric(&text, "tradingsystem_sync_last_run_duration_seconds").is_some());
    assert_eq!(
        metric(&text, "tradingsystem_sync_watermark_timestamp_seconds"),
        Some((T0 + 119_000_000) as f64 / 1e6)
    );
    let success =
        metric(&text, "tradingsystem_sync_last_success_timestamp_seconds").expect("last success");
    let entries = std::fs::read_dir(metrics_dir.path()).expect("dir").count();
    assert_eq!(entries, 1, "no temporary file left behind");

    // A failing run (QuestDB gone) rewrites the file: an error, and the same last success.
    let failing =
        Sync::with_urls(&db.url, "http://127.0.0.1:9").env("TIMESCALEDB_SYNC_TEXTFILE_DIR", dir);
    assert_eq!(failing.run(&["run"]).await.code, 3);
    let text = std::fs::read_to_string(&file).expect("textfile");
    assert_eq!(
        metric(&text, "tradingsystem_sync_last_run_errors"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "tradingsystem_sync_last_run_exit_code"),
        Some(3.0)
    );
    let kept = metric(&text, "tradingsystem_sync_last_success_timestamp_seconds").expect("kept");
    assert!((kept - success).abs() < 1e-5, "{kept} vs {success}");

    // Even with PostgreSQL down too, from the previous file.
    let down = Sync::with_urls("postgres://postgres@127.0.0.1:9/x", "http://127.0.0.1:9")
        .env("TIMESCALEDB_SYNC_TEXTFILE_DIR", dir);
    assert_eq!(down.run(&["run"]).await.code, 4);
    let text = std::fs::read_to_string(&file).expect("textfile");
    let kept = metric(&text, "tradingsystem_sync_last_success_timestamp_seconds").expect("kept");
    assert!((kept - success).abs() < 1e-5, "{kept} vs {success}");
}

#[tokio::test]
async fn metrics_are_pushed_to_the_pushgateway() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..10).await);
    let gateway = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(
            "/metrics/job/timescaledb-sync/stream/tp_capital_signals",
        ))
        .and(header("content-type", "text/plain; version=0.0.4"))
        .and(body_string_contains(
            r#"tradingsystem_sync_last_run_rows{kind="inserted",stream="tp_capital_signals"} 10"#,
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&gateway)
        .await;
    let out = Sync::new(&db, &fake)
        .run(&["run", "--pushgateway", &gateway.uri()])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    gateway.verify().await;
}

#[tokio::test]
async fn status_shows_watermark_lag_and_last_run() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..10).await);
    let sync = Sync::new(&db, &fake);
    let before = sync.run(&["status"]).await;
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert_eq!(
        before.summary()["watermark"],
        serde_json::Value::Null,
        "never run: nothing yet"
    );
    assert_eq!(sync.run(&["run"]).await.code, 0);
    let line = sync.run(&["status"]).await.summary().clone();
    assert_eq!(line["stream"], "tp_capital_signals");
    assert_eq!(line["watermark"], iso(T0 + 9_000_000));
    assert!(line["lag_seconds"].as_f64().expect("lag") > 0.0);
    assert_eq!(
        (
            line["last_run_status"].as_str(),
            line["last_run_rows"].as_i64()
        ),
        (Some("ok"), Some(10))
    );
    assert!(line["last_run_at"].is_string() && line["last_success_at"].is_string());
    assert_eq!(line["last_error"], serde_json::Value::Null);
}

#[tokio::test]
async fn check_reports_both_ends() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..10).await);
    let sync = Sync::new(&db, &fake);
    let out = sync.run(&["check"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = out.summary();
    assert_eq!(
        (line["status"].as_str(), line["source"].as_str()),
        (Some("ok"), Some("ok, 13 columns"))
    );
    assert_eq!(line["target"], "missing, created by the first run");
    assert!(
        !db.exists("tp_capital_signals").await,
        "check creates nothing"
    );
    assert_eq!(sync.run(&["run"]).await.code, 0);
    assert_eq!(sync.run(&["check"]).await.summary()["target"], "ok");
    assert_eq!(
        Sync::with_urls(&db.url, "http://127.0.0.1:9")
            .run(&["check"])
            .await
            .code,
        3
    );
}

#[tokio::test]
async fn help_documents_examples_and_exit_codes() {
    let out = tokio::process::Command::new(BIN)
        .arg("--help")
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "run",
        "reconcile",
        "status",
        "check",
        "Examples:",
        "0   ok, or nothing new",
        "3   source error",
        "4   target error",
        "5   another run",
        "78  configuration",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
    let out = tokio::process::Command::new(BIN)
        .args(["run", "--help"])
        .output()
        .await
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--stream",
        "--dry-run",
        "--max-rows",
        "--max-duration",
        "--pushgateway",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
    let out = tokio::process::Command::new(BIN)
        .args(["reconcile", "--help"])
        .output()
        .await
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--since",
        "[default: 7d]",
        "--bucket",
        "[default: 1h]",
        "--dry-run",
        "--lock-wait",
        "--pushgateway",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}
