//! A failing reconcile: the exit status of the side that failed, in its JSON line, its
//! textfile (which keeps the last success) and `status`.

use super::{HOUR, arrive_late_then_run, copied, copied_stream};
use crate::helpers::*;

#[tokio::test]
async fn a_failing_reconcile_exits_with_the_side_that_failed() {
    let metrics = tempfile::tempdir().expect("tempdir");
    let dir = metrics.path().to_str().expect("utf-8");
    let (db, fake, sync, h) = copied_stream(&[("TIMESCALEDB_SYNC_TEXTFILE_DIR", dir)]).await;
    assert_eq!(sync.run(&["reconcile"]).await.code, 0);
    let file = metrics
        .path()
        .join("timescaledb_sync_reconcile_tp_capital_signals.prom");
    let last_success = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("tradingsystem_sync_reconcile_last_success_timestamp_seconds"))
            .map(str::to_string)
    };
    let succeeded = last_success(&std::fs::read_to_string(&file).expect("textfile"));
    assert!(succeeded.is_some());
    arrive_late_then_run(&fake, &sync, h, &[(h - 5 * HOUR, 9001)]).await;
    let questdb_down =
        Sync::with_urls(&db.url, "http://127.0.0.1:9").env("TIMESCALEDB_SYNC_TEXTFILE_DIR", dir);
    let out = questdb_down.run(&["reconcile"]).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(
        (
            out.summary()["status"].as_str(),
            out.summary()["result"].as_str()
        ),
        (Some("error"), Some("error"))
    );
    // The textfile says so, and keeps the last success for alerts on its age.
    let text = std::fs::read_to_string(&file).expect("textfile");
    assert!(
        text.lines().any(
            |l| l == r#"tradingsystem_sync_reconcile_exit_code{stream="tp_capital_signals"} 3"#
        ),
        "{text}"
    );
    assert_eq!(last_success(&text), succeeded);
    assert_eq!(
        sync.run(&["status"]).await.summary()["last_reconcile_status"],
        "error"
    );
    let postgres_down = Sync::with_urls("postgres://postgres@127.0.0.1:9/x", &fake.url);
    assert_eq!(postgres_down.run(&["reconcile"]).await.code, 4);
    // Too many buckets for one reconcile is a usage error, found before any work.
    let out = sync
        .run(&["reconcile", "--since", "3650d", "--bucket", "1m"])
        .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    db.assert_signals("tp_capital_signals", copied(&[])).await;
}
