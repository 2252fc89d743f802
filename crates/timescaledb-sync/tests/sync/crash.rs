//! Crash safety: the real binary killed (SIGKILL) between batches and in the middle of
//! one, then run again; and two runs of one stream at the same time.

use std::time::{Duration, Instant};

use crate::helpers::*;

const SECOND: i64 = 1_000_000;

#[tokio::test]
async fn killed_between_batches_then_rerun_copies_each_row_once() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..1000).await);
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_BATCH_SIZE", "100");
    fake.stall_at(4);
    let mut child = sync.command(&["run"]).spawn().expect("spawn");
    fake.stalled().await;
    // Pages 1-3 are committed while the reader waits for page 4.
    eventually("three batches committed", || async {
        db.watermark("tp_capital_signals")
            .await
            .map(|t| t.timestamp_micros())
            == Some(T0 + 299 * SECOND)
    })
    .await;
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("wait");
    fake.release();
    db.wait_for_no_sync_backend().await;
    db.assert_signals("tp_capital_signals", 0..300).await;

    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(s["watermark_before"], iso(T0 + 299 * SECOND));
    // From the watermark minus the 10-minute overlap: everything, 300 of it already there.
    assert_eq!(
        (s["rows_inserted"].as_u64(), s["rows_skipped"].as_u64()),
        (Some(700), Some(300))
    );
    db.assert_signals("tp_capital_signals", 0..1000).await;
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn killed_in_the_middle_of_a_batch_then_rerun_copies_each_row_once() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..1000).await);
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_BATCH_SIZE", "100");
    fake.stall_at(6);
    let mut child = sync.command(&["run"]).spawn().expect("spawn");
    fake.stalled().await;
    eventually("five batches committed", || async {
        db.watermark("tp_capital_signals")
            .await
            .map(|t| t.timestamp_micros())
            == Some(T0 + 499 * SECOND)
    })
    .await;
    // Hold the stream's sync_control row: batch 6 inserts its rows, then waits on the
    // watermark update inside its open transaction.
    let mut hold = db.pool.begin().await.expect("begin");
    let holder: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *hold)
        .await
        .expect("pid");
    sqlx::query("SELECT 1 FROM sync_control WHERE stream = 'tp_capital_signals' FOR UPDATE")
        .execute(&mut *hold)
        .await
        .expect("lock the row");
    fake.release();
    let waiting = || async {
        sqlx::query_scalar::<_, i32>(
            "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
        )
        .bind(holder)
        .fetch_optional(&db.pool)
        .await
        .expect("pg_stat_activity")
    };
    eventually("batch 6 blocked inside its transaction", || async {
        waiting().await.is_some()
    })
    .await;
    let sync_backend = waiting().await.expect("the sync's backend");
    // It is past the batch's INSERT (it has a transaction id, so it wrote rows) and
    // waits on the watermark update: the kill lands between the two, uncommitted.
    let (query, wrote): (String, bool) = sqlx::query_as(
        "SELECT query, backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = $1",
    )
    .bind(sync_backend)
    .fetch_one(&db.pool)
    .await
    .expect("the sync's backend");
    assert!(query.starts_with("INSERT INTO sync_control"), "{query}");
    assert!(wrote, "batch 6's rows are written, not committed");
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("wait");
    hold.rollback().await.expect("rollback");
    // The killed client's backend rolls back and ends (releasing the session lock).
    db.wait_for_no_sync_backend().await;
    db.assert_signals("tp_capital_signals", 0..500).await;
    assert_eq!(
        db.watermark("tp_capital_signals")
            .await
            .map(|t| t.timestamp_micros()),
        Some(T0 + 499 * SECOND)
    );

    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.summary()["rows_inserted"], 500);
    db.assert_signals("tp_capital_signals", 0..1000).await;
    let duplicates: i64 = db
        .scalar("SELECT count(*) - count(DISTINCT (ts, row_hash)) FROM tp_capital_signals")
        .await;
    assert_eq!(duplicates, 0);
}

#[tokio::test]
async fn a_second_run_of_the_same_stream_exits_5_at_once() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..300).await);
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_BATCH_SIZE", "100");
    fake.stall_at(2);
    let first = sync.command(&["run"]).spawn().expect("spawn");
    fake.stalled().await;

    let started = Instant::now();
    let second = sync.run(&["run"]).await;
    assert!(started.elapsed() < Duration::from_secs(5), "exits at once");
    assert_eq!(second.code, 5, "{}", second.stderr);
    assert_eq!(second.summary()["status"], "locked");
    assert!(
        second
            .stderr
            .contains("another timescaledb-sync run holds the lock of stream 'tp_capital_signals'"),
        "{}",
        second.stderr
    );

    fake.release();
    let first = outcome(first.wait_with_output().await.expect("first run"));
    assert_eq!(first.code, 0, "{}", first.stderr);
    db.assert_signals("tp_capital_signals", 0..300).await;
    // The lock went with the first run's connection.
    assert_eq!(sync.run(&["run"]).await.code, 0);
}
