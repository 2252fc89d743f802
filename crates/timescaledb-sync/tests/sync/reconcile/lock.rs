//! `reconcile` beside the 5-minute runs (the stream's lock, taken per bucket) and the
//! retention limit of its window.

use super::{DAY, HOUR, MINUTE, arrive_late_then_run, copied, copied_stream};
use crate::helpers::*;

#[tokio::test]
async fn the_lock_is_taken_per_bucket_so_runs_go_on() {
    let (db, fake, sync, h) = copied_stream(&[("TIMESCALEDB_SYNC_OVERLAP_SECONDS", "60")]).await;
    let late = [(h - 10 * HOUR, 9001), (h - 5 * HOUR, 9002)];
    arrive_late_then_run(&fake, &sync, h, &late).await;
    // Stall reconcile's re-read of the second bucket: the first one is written by then.
    fake.stall_at(fake.requests().len() + 3);
    let reconcile = sync.command(&["reconcile"]).spawn().expect("spawn");
    fake.stalled().await;
    fake.insert("tp_capital_signals", [signal(h + 91 * MINUTE, 6000)]);
    let run = sync.run(&["run"]).await;
    assert_eq!(
        run.code, 0,
        "a run between buckets is not refused: {}",
        run.stderr
    );
    assert_eq!(run.summary()["rows_inserted"], 1);
    fake.release();
    let out = outcome(reconcile.wait_with_output().await.expect("reconcile"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.summary()["rows_missing"], 2);
    db.assert_signals("tp_capital_signals", copied(&[9001, 9002, 6000]))
        .await;
}

#[tokio::test]
async fn a_reconcile_that_cannot_get_the_lock_exits_5_and_copies_nothing() {
    let (db, fake, sync, h) = copied_stream(&[]).await;
    arrive_late_then_run(&fake, &sync, h, &[(h - 5 * HOUR, 9001)]).await;
    // A run stalled on its first page holds the stream's lock.
    fake.stall_at(fake.requests().len() + 1);
    let run = sync.command(&["run"]).spawn().expect("spawn");
    fake.stalled().await;
    let out = sync.run(&["reconcile", "--lock-wait", "1"]).await;
    assert_eq!(out.code, 5, "{}", out.stderr);
    let line = out.summary();
    assert_eq!(
        (line["status"].as_str(), line["rows_copied"].as_u64()),
        (Some("locked"), Some(0))
    );
    assert!(
        line["error"]
            .as_str()
            .expect("error")
            .contains("holds the lock"),
        "{line}"
    );
    fake.release();
    assert_eq!(outcome(run.wait_with_output().await.expect("run")).code, 0);
    db.assert_signals("tp_capital_signals", copied(&[])).await;
    let status = sync.run(&["status"]).await.summary().clone();
    assert_eq!(status["last_reconcile_status"], "locked");
    assert_eq!(sync.run(&["reconcile"]).await.summary()["rows_copied"], 1);
}

/// CI has no TimescaleDB, so there this checks the plain-PostgreSQL branch (no limit but
/// `--since`); the retention-policy branch runs only against a server with the extension
/// installed in the test database.
#[tokio::test]
async fn the_window_stops_at_a_retention_policy_only_where_timescaledb_is_installed() {
    let (db, _fake, sync, _h) = copied_stream(&[]).await;
    let timescale: bool = db
        .scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')")
        .await;
    let now = || chrono::Utc::now().timestamp_micros();
    let before = now();
    if timescale {
        sqlx::query("SELECT add_retention_policy('tp_capital_signals', INTERVAL '1 day')")
            .execute(&db.pool)
            .await
            .expect("retention policy");
        let line = sync
            .run(&["reconcile", "--since", "30d"])
            .await
            .summary()
            .clone();
        assert_eq!(line["retention"]["drop_after"], "1 day", "{line}");
        let from =
            chrono::DateTime::parse_from_rfc3339(line["window_from"].as_str().expect("from"))
                .expect("timestamp")
                .timestamp_micros();
        assert!(
            from > before - DAY && from <= now() - DAY + 2 * HOUR,
            "{line}"
        );
    } else {
        let line = sync
            .run(&["reconcile", "--since", "30d"])
            .await
            .summary()
            .clone();
        assert_eq!(line["retention"], "timescaledb not installed", "{line}");
        // From 30 days ago, floored to the hour (as of before or after the command ran).
        let floors: Vec<String> = [before, now()]
            .iter()
            .map(|t| iso(t - 30 * DAY - (t - 30 * DAY).rem_euclid(HOUR)))
            .collect();
        assert!(
            floors.contains(&line["window_from"].as_str().expect("from").to_string()),
            "{line}"
        );
    }
}
