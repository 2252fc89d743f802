//! `reconcile`: rows later than the overlap window are found and copied, clean streams
//! and streams with exact duplicate rows reconcile to "nothing to do", dry runs write
//! nothing, the lock is taken per bucket, and the window respects retention.

use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fake_questdb::FakeQuestDb;
use crate::helpers::*;

mod failures;
mod lock;

pub(super) const MINUTE: i64 = 60_000_000;
pub(super) const HOUR: i64 = 60 * MINUTE;
pub(super) const DAY: i64 = 24 * HOUR;

/// The hour boundary two hours ago: test rows sit around it, so the window (relative to
/// now) and the watermark (the newest row) are both known to the bucket.
fn hour_mark() -> i64 {
    let now = chrono::Utc::now().timestamp_micros();
    now - now.rem_euclid(HOUR) - 2 * HOUR
}

/// A signal a minute for the two days up to `h` (numbers 0..=2880), copied by one run.
pub(super) async fn copied_stream(sync_env: &[(&str, &str)]) -> (TestDb, FakeQuestDb, Sync, i64) {
    let h = hour_mark();
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    fake.create_table("tp_capital_signals", &SIGNAL_COLUMNS, "ts");
    fake.insert(
        "tp_capital_signals",
        (0..=2880).map(|n| signal(h - 2 * DAY + n as i64 * MINUTE, n)),
    );
    let mut sync = Sync::new(&db, &fake);
    for (name, value) in sync_env {
        sync = sync.env(name, value);
    }
    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    (db, fake, sync, h)
}

/// Rows that arrive late (`late`), then ninety minutes of new ones that move the
/// watermark on, and the 5-minute run that copies only those.
pub(super) async fn arrive_late_then_run(
    fake: &FakeQuestDb,
    sync: &Sync,
    h: i64,
    late: &[(i64, u64)],
) {
    fake.insert(
        "tp_capital_signals",
        late.iter().map(|&(at, n)| signal(at, n)),
    );
    fake.insert(
        "tp_capital_signals",
        (1..=90).map(|m| signal(h + m * MINUTE, 5000 + m as u64)),
    );
    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.summary()["rows_inserted"],
        90,
        "the late rows are not seen"
    );
}

pub(super) fn copied(late: &[u64]) -> impl Iterator<Item = u64> + '_ {
    (0..=2880).chain(5001..=5090).chain(late.iter().copied())
}

/// Page requests bounded above: the buckets reconcile re-read.
fn rereads(fake: &FakeQuestDb) -> Vec<String> {
    fake.requests()
        .into_iter()
        .map(|(sql, _)| sql)
        .filter(|sql| sql.starts_with("SELECT * FROM") && sql.contains(" AND \"ts\" < '"))
        .collect()
}

fn numbers(line: &Value, fields: &[&str]) -> Vec<Option<u64>> {
    fields.iter().map(|f| line[*f].as_u64()).collect()
}

#[tokio::test]
async fn rows_later_than_the_overlap_are_found_and_copied() {
    let metrics = tempfile::tempdir().expect("tempdir");
    let dir = metrics.path().to_str().expect("utf-8");
    let (db, fake, sync, h) = copied_stream(&[("TIMESCALEDB_SYNC_TEXTFILE_DIR", dir)]).await;
    // The issue's two rows: 20 minutes and 19 days behind the watermark when they arrived.
    let late = [
        (h - 20 * MINUTE + 7, 9001),
        (h - 19 * DAY + 30 * MINUTE, 9002),
    ];
    arrive_late_then_run(&fake, &sync, h, &late).await;
    db.assert_signals("tp_capital_signals", copied(&[])).await;

    // The default week finds the 20-minute one.
    let out = sync.run(&["reconcile"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = out.summary();
    assert_eq!(
        (line["status"].as_str(), line["result"].as_str()),
        (Some("ok"), Some("fixed"))
    );
    assert_eq!(
        line["window_until"],
        iso(h + HOUR),
        "up to watermark - overlap"
    );
    assert_eq!(line["retention"], "timescaledb not installed");
    assert_eq!(
        numbers(
            line,
            &[
                "buckets_reread",
                "buckets_missing",
                "rows_missing",
                "rows_copied"
            ]
        ),
        [Some(1), Some(1), Some(1), Some(1)]
    );
    // Every base row, the late one, and the new rows before watermark - overlap.
    assert_eq!(line["rows_source"].as_u64(), Some(2881 + 1 + 59));
    assert_eq!(
        line["differences"],
        json!([{"bucket": iso(h - HOUR), "source": 61, "target": 60, "missing": 1, "extra": 0}])
    );
    assert_eq!(rereads(&fake).len(), 1, "only the bucket that differs");
    db.assert_signals("tp_capital_signals", copied(&[9001]))
        .await;

    // Looking back 30 days finds the other; then there is nothing left to do.
    let line = sync
        .run(&["reconcile", "--since", "30d"])
        .await
        .summary()
        .clone();
    assert_eq!(
        (line["result"].as_str(), line["rows_missing"].as_u64()),
        (Some("fixed"), Some(1))
    );
    db.assert_signals("tp_capital_signals", copied(&[9001, 9002]))
        .await;
    let line = sync
        .run(&["reconcile", "--since", "30d"])
        .await
        .summary()
        .clone();
    assert_eq!(line["result"], "nothing to do");
    assert_eq!(
        numbers(&line, &["buckets_reread", "rows_missing"]),
        [Some(0), Some(0)]
    );
    assert_eq!(rereads(&fake).len(), 2);

    // Runs go on as before (their plain insert meets no reconciled row).
    fake.insert("tp_capital_signals", [signal(h + 91 * MINUTE, 6000)]);
    assert_eq!(sync.run(&["run"]).await.summary()["rows_inserted"], 1);

    // The textfile of reconcile, beside the run's; status shows the last reconcile.
    let text = std::fs::read_to_string(
        metrics
            .path()
            .join("timescaledb_sync_reconcile_tp_capital_signals.prom"),
    )
    .expect("reconcile textfile");
    for line in [
        r#"tradingsystem_sync_reconcile_missing_rows{stream="tp_capital_signals"} 0"#,
        r#"tradingsystem_sync_reconcile_buckets{kind="reread",stream="tp_capital_signals"} 0"#,
        r#"tradingsystem_sync_reconcile_exit_code{stream="tp_capital_signals"} 0"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
    assert!(text.contains("tradingsystem_sync_reconcile_last_success_timestamp_seconds"));
    assert!(
        metrics
            .path()
            .join("timescaledb_sync_tp_capital_signals.prom")
            .exists()
    );
    let status = sync.run(&["status"]).await.summary().clone();
    assert!(status["last_reconciled_at"].is_string(), "{status}");
    assert_eq!(status["last_reconcile_status"], "ok");
    assert_eq!(status["last_reconcile_missing_rows"], 0);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn a_clean_stream_reconciles_to_nothing_to_do() {
    let (db, fake, sync, h) = copied_stream(&[]).await;
    let gateway = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(
            "/metrics/job/timescaledb-sync-reconcile/stream/tp_capital_signals",
        ))
        .and(body_string_contains(
            r#"tradingsystem_sync_reconcile_missing_rows{stream="tp_capital_signals"} 0"#,
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&gateway)
        .await;
    let before = fake.requests().len();
    let out = sync
        .run(&["reconcile", "--pushgateway", &gateway.uri()])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    gateway.verify().await;
    let line = out.summary();
    assert_eq!(line["result"], "nothing to do");
    assert_eq!(line["window_until"], iso(h - HOUR));
    // Every row of the window compared, none re-read or written.
    assert_eq!(line["rows_source"], line["rows_target"]);
    assert_eq!(line["rows_source"].as_u64(), Some(2820));
    assert_eq!(
        numbers(
            line,
            &[
                "buckets_reread",
                "rows_missing",
                "rows_duplicate",
                "rows_extra"
            ]
        ),
        [Some(0), Some(0), Some(0), Some(0)]
    );
    let requests = fake.requests();
    assert_eq!(
        requests.len(),
        before + 1,
        "one counting query: {requests:?}"
    );
    assert!(
        requests[before]
            .0
            .contains(" SAMPLE BY 1h ALIGN TO CALENDAR")
    );
    assert_eq!(db.count("tp_capital_signals").await, 2881);
    assert_eq!(
        sync.run(&["status"]).await.summary()["last_reconcile_status"],
        "ok"
    );
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn exact_duplicate_source_rows_are_not_missing_rows() {
    let h = hour_mark();
    let (db, fake) = (TestDb::new().await, FakeQuestDb::start().await);
    fake.create_table("tp_capital_signals", &SIGNAL_COLUMNS, "ts");
    // Three hours of a signal a minute, each of the first hour's stored twice by QuestDB.
    let rows = (0..180).map(|n| signal(h - 3 * HOUR + n as i64 * MINUTE, n));
    let repeats = (0..60).map(|n| signal(h - 3 * HOUR + n as i64 * MINUTE, n));
    fake.insert("tp_capital_signals", rows.chain(repeats));
    let sync = Sync::new(&db, &fake);
    assert_eq!(sync.run(&["run"]).await.summary()["rows_inserted"], 180);
    for _ in 0..2 {
        let out = sync.run(&["reconcile", "--bucket", "30m"]).await;
        assert_eq!(out.code, 0, "{}", out.stderr);
        let line = out.summary();
        assert_eq!(line["result"], "nothing to do", "{line}");
        // Source rows outnumber target rows in two buckets: re-read, explained, left alone.
        assert_eq!(
            numbers(
                line,
                &[
                    "buckets_reread",
                    "rows_duplicate",
                    "rows_missing",
                    "rows_extra"
                ]
            ),
            [Some(2), Some(60), Some(0), Some(0)]
        );
        assert_eq!(line["differences"], json!([]));
    }
    db.assert_signals("tp_capital_signals", 0..180).await;
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn a_keyed_stream_compares_distinct_keys() {
    let h = hour_mark();
    let (db, fake) = (TestDb::new().await, FakeQuestDb::start().await);
    fake.create_table(
        "events",
        &[("at", "TIMESTAMP"), ("id", "LONG"), ("kind", "SYMBOL")],
        "at",
    );
    let event = |at: i64, id: i64, kind: &str| vec![json!(iso(at)), json!(id), json!(kind)];
    // A key repeated with another payload: the target keeps one row, QuestDB counts one key.
    fake.insert(
        "events",
        (0..120)
            .map(|i| event(h - 3 * HOUR + i * MINUTE, i, "a"))
            .chain([event(h - 3 * HOUR, 0, "again")]),
    );
    let sync = Sync::new(&db, &fake).streams_file(
        "[[stream]]\nname = \"events\"\ntimestamp_column = \"at\"\nkey_columns = [\"id\"]\n",
    );
    assert_eq!(sync.run(&["run"]).await.code, 0);
    fake.insert("events", [event(h - HOUR - 30 * MINUTE, 999, "late")]);
    fake.insert(
        "events",
        (1..=90).map(|m| event(h + m * MINUTE, 1000 + m, "new")),
    );
    assert_eq!(sync.run(&["run"]).await.summary()["rows_inserted"], 90);

    let line = sync.run(&["reconcile"]).await.summary().clone();
    assert_eq!(line["result"], "fixed", "{line}");
    assert_eq!(
        numbers(&line, &["buckets_reread", "rows_missing", "rows_duplicate"]),
        [Some(1), Some(1), Some(0)],
        "the repeated key is not a difference"
    );
    assert_eq!(db.count("events WHERE id = 999").await, 1);
    let sql = fake
        .requests()
        .into_iter()
        .map(|(q, _)| q)
        .find(|q| q.contains("SAMPLE BY"));
    assert!(sql.expect("counting query").starts_with(
        r#"SELECT "at", count() FROM (SELECT DISTINCT "at", "id" FROM "events" WHERE"#
    ));
    assert_eq!(
        sync.run(&["reconcile"]).await.summary()["result"],
        "nothing to do"
    );
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn a_dry_run_reports_what_is_missing_and_writes_nothing() {
    let (db, fake, sync, h) = copied_stream(&[]).await;
    arrive_late_then_run(&fake, &sync, h, &[(h - 5 * HOUR, 9001)]).await;
    let line = sync
        .run(&["reconcile", "--dry-run"])
        .await
        .summary()
        .clone();
    assert_eq!(
        (line["result"].as_str(), line["dry_run"].as_bool()),
        (Some("would fix"), Some(true))
    );
    assert_eq!(
        numbers(&line, &["rows_missing", "rows_copied"]),
        [Some(1), Some(0)]
    );
    db.assert_signals("tp_capital_signals", copied(&[])).await;
    assert_eq!(
        db.count("sync_reconcile").await,
        0,
        "a dry run is not recorded as a reconcile"
    );
    let line = sync.run(&["reconcile"]).await.summary().clone();
    assert_eq!(line["rows_copied"], 1);
    db.assert_signals("tp_capital_signals", copied(&[9001]))
        .await;
}
