//! Normal runs: first, incremental, late rows, limits, dry runs, query sources, several
//! streams, and long runs of equal timestamps.

use serde_json::json;

use crate::fake_questdb::FakeQuestDb;
use crate::helpers::*;

#[tokio::test]
async fn first_run_creates_the_table_and_copies_every_row() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..1200).await);
    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_BATCH_SIZE", "500")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(s["stream"], "tp_capital_signals");
    assert_eq!(s["status"], "ok");
    assert_eq!(
        (
            s["rows_read"].as_u64(),
            s["rows_inserted"].as_u64(),
            s["rows_skipped"].as_u64()
        ),
        (Some(1200), Some(1200), Some(0))
    );
    assert_eq!(s["batches"], 3);
    assert_eq!(s["watermark_before"], json!(null));
    assert_eq!(s["watermark_after"], iso(T0 + 1199 * 1_000_000));
    assert_eq!(s["stopped_by"], "end");
    assert!(s["duration_ms"].is_u64() && s["lag_seconds"].is_f64());
    db.assert_signals("tp_capital_signals", 0..1200).await;
    assert_eq!(
        db.watermark("tp_capital_signals")
            .await
            .map(|t| t.timestamp_micros()),
        Some(T0 + 1199 * 1_000_000)
    );

    // The real columns, typed; NaN/null stops are NULL; the key includes the timestamp.
    let types: Vec<(String, String)> = sqlx::query_as(
        "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tp_capital_signals'::regclass AND attnum > 0 ORDER BY attnum",
    )
    .fetch_all(&db.pool)
    .await
    .expect("columns");
    let types: Vec<(&str, &str)> = types
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(types[0], ("ts", "timestamp with time zone"));
    assert_eq!(types[1], ("channel", "text"));
    assert_eq!(types[4], ("buy_min", "double precision"));
    assert_eq!(types[12], ("ingested_at", "timestamp with time zone"));
    assert_eq!(types[13], ("row_hash", "bytea"));
    let key: String = db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'tp_capital_signals'::regclass AND contype = 'u'").await;
    assert_eq!(key, "UNIQUE (ts, row_hash)");
    assert_eq!(
        db.count("tp_capital_signals WHERE stop IS NULL").await,
        (0..1200).filter(|n| n % 7 == 0).count() as i64
    );

    // Keyset pages: from the epoch, then from the last timestamp skipping the one row there.
    let requests = fake.requests();
    assert!(
        requests[0]
            .0
            .contains("WHERE \"ts\" >= '1970-01-01T00:00:00.000000Z' ORDER BY \"ts\""),
        "{requests:?}"
    );
    assert_eq!(requests[0].1, "1,500");
    assert!(
        requests[1]
            .0
            .contains(&format!(">= '{}'", iso(T0 + 499 * 1_000_000)))
    );
    assert_eq!(requests[1].1, "2,501");
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn an_incremental_run_rereads_only_the_overlap() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..100).await);
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_SYNC_OVERLAP_SECONDS", "30");
    assert_eq!(sync.run(&["run"]).await.code, 0);
    add_signals(&fake, 100..150);
    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.summary();
    // Rows 69..150: the 31 already copied inside the 30 s overlap, then 50 new ones.
    assert_eq!(
        (
            s["rows_read"].as_u64(),
            s["rows_inserted"].as_u64(),
            s["rows_skipped"].as_u64()
        ),
        (Some(81), Some(50), Some(31))
    );
    assert_eq!(s["watermark_before"], iso(T0 + 99 * 1_000_000));
    assert_eq!(s["watermark_after"], iso(T0 + 149 * 1_000_000));
    db.assert_signals("tp_capital_signals", 0..150).await;

    // Nothing new: still a success, nothing inserted, the watermark stays.
    let s = sync.run(&["run"]).await.summary().clone();
    assert_eq!(
        (s["status"].as_str(), s["rows_inserted"].as_u64()),
        (Some("ok"), Some(0))
    );
    assert_eq!(s["watermark_after"], iso(T0 + 149 * 1_000_000));
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn late_rows_inside_the_overlap_are_copied_older_ones_are_not() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..100).await);
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_SYNC_OVERLAP_SECONDS", "30");
    assert_eq!(sync.run(&["run"]).await.code, 0);
    // Out-of-order ingestion: one row 8.5 s behind the watermark, one 89 s behind.
    fake.insert(
        "tp_capital_signals",
        [signal(T0 + 90_500_000, 1000), signal(T0 + 10_000_000, 1001)],
    );
    let s = sync.run(&["run"]).await.summary().clone();
    assert_eq!(s["rows_inserted"], 1);
    assert_eq!(
        s["watermark_after"],
        iso(T0 + 99 * 1_000_000),
        "never backward"
    );
    // Rows later than the overlap window are not seen by runs; `reconcile` finds them.
    db.assert_signals("tp_capital_signals", (0..100).chain([1000]))
        .await;
}

#[tokio::test]
async fn max_rows_stops_early_and_the_next_run_continues() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..1000).await);
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_BATCH_SIZE", "100");
    let s = sync
        .run(&["run", "--max-rows", "250"])
        .await
        .summary()
        .clone();
    assert_eq!(
        (
            s["rows_read"].as_u64(),
            s["batches"].as_u64(),
            s["stopped_by"].as_str()
        ),
        (Some(250), Some(3), Some("max_rows"))
    );
    assert_eq!(s["watermark_after"], iso(T0 + 249 * 1_000_000));
    assert_eq!(
        fake.requests()[2].1,
        "2,51",
        "the last page asks only for what is left"
    );
    assert_eq!(db.count("tp_capital_signals").await, 250);
    let s = sync.run(&["run"]).await.summary().clone();
    assert_eq!(s["stopped_by"], "end");
    db.assert_signals("tp_capital_signals", 0..1000).await;
}

#[tokio::test]
async fn max_duration_stops_after_the_batch_that_passes_it() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..300).await);
    fake.set_delay(std::time::Duration::from_millis(400));
    let sync = Sync::new(&db, &fake).env("TIMESCALEDB_BATCH_SIZE", "50");
    let s = sync
        .run(&["run", "--max-duration", "1"])
        .await
        .summary()
        .clone();
    assert_eq!(s["stopped_by"], "max_duration");
    let read = s["rows_read"].as_u64().expect("rows");
    assert!((50..300).contains(&read), "{s}");
    assert_eq!(db.count("tp_capital_signals").await, read as i64);
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..120).await);
    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_BATCH_SIZE", "50")
        .run(&["run", "--dry-run"])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(
        (
            s["dry_run"].as_bool(),
            s["rows_read"].as_u64(),
            s["rows_inserted"].as_u64()
        ),
        (Some(true), Some(120), Some(0))
    );
    assert!(!db.exists("tp_capital_signals").await, "no table");
    assert!(!db.exists("sync_control").await, "no sync_control");
    assert!(
        !db.exists("_timescaledb_sync_migrations").await,
        "no migrations"
    );
}

#[tokio::test]
async fn seed_names_a_configured_query_and_a_libpq_dsn() {
    let db = TestDb::new().await;
    let fake = fake_with_signals(0..40).await;
    let query = "SELECT * FROM tp_capital_signals WHERE asset <> 'none'";
    fake.register_query(query, "tp_capital_signals");
    // The same database as a libpq key=value string.
    let url = reqwest::Url::parse(&db.url).expect("url");
    let schema = db.url.rsplit('=').next().expect("schema");
    let dsn = format!(
        "host={} port={} dbname={} user={} options='-c search_path={schema}'",
        url.host_str().expect("host"),
        url.port().unwrap_or(5432),
        url.path().trim_start_matches('/'),
        url.username()
    );
    let out = Sync::with_urls(&dsn, &fake.url)
        .env("QUESTDB_QUERY", query)
        .env("TIMESCALEDB_STREAM", "signals_copy")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.summary()["stream"], "signals_copy");
    db.assert_signals("signals_copy", 0..40).await;
    let sql = &fake.requests()[0].0;
    assert!(
        sql.starts_with(&format!("SELECT * FROM ({query}) WHERE \"ts\" >= '")),
        "{sql}"
    );
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn equal_timestamps_longer_than_a_page_are_read_once_each() {
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    fake.create_table("tp_capital_signals", &SIGNAL_COLUMNS, "ts");
    fake.insert(
        "tp_capital_signals",
        (0..25)
            .map(|n| signal(T0, n))
            .chain((25..30).map(|n| signal(T0 + n as i64, n))),
    );
    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_BATCH_SIZE", "10")
        .run(&["run"])
        .await;
    assert_eq!(out.summary()["rows_inserted"], 30, "{}", out.stderr);
    db.assert_signals("tp_capital_signals", 0..30).await;
    let limits: Vec<String> = fake.requests().into_iter().map(|(_, l)| l).collect();
    assert_eq!(limits, ["1,10", "11,20", "21,30", "2,11"]);
}

#[tokio::test]
async fn the_streams_file_drives_several_streams_with_keys() {
    let db = TestDb::new().await;
    let fake = fake_with_signals(0..30).await;
    fake.create_table(
        "events",
        &[("at", "TIMESTAMP"), ("id", "LONG"), ("kind", "SYMBOL")],
        "at",
    );
    let event =
        |s: i64, id: i64, kind: &str| vec![json!(iso(T0 + s * 1_000_000)), json!(id), json!(kind)];
    // (ts, id) repeats: the key keeps the first.
    fake.insert(
        "events",
        [
            event(1, 1, "a"),
            event(1, 2, "b"),
            event(1, 1, "again"),
            event(2, 1, "c"),
        ],
    );
    let sync = Sync::new(&db, &fake).streams_file(
        r#"
[[stream]]
name = "tp_capital_signals"

[[stream]]
name = "events"
timestamp_column = "at"
key_columns = ["id"]
target_table = "event_log"
batch_size = 2
"#,
    );
    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.lines.len(), 2);
    assert_eq!(out.lines[1]["stream"], "events");
    assert_eq!(
        (
            out.lines[1]["rows_read"].as_u64(),
            out.lines[1]["rows_inserted"].as_u64()
        ),
        (Some(4), Some(3))
    );
    assert_eq!(db.count("event_log").await, 3);
    let kind: String = db
        .scalar("SELECT kind FROM event_log WHERE id = 1 AND at = '2025-01-01T00:00:01Z'")
        .await;
    assert_eq!(kind, "a");
    let key: String = db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'event_log'::regclass AND contype = 'u'").await;
    assert_eq!(key, "UNIQUE (at, id)");
    let sql = fake.requests().last().expect("requests").0.clone();
    assert!(sql.ends_with("ORDER BY \"at\", \"id\""), "{sql}");

    let out = sync.run(&["run", "--stream", "events"]).await;
    assert_eq!(out.summary()["rows_inserted"], 0);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn identical_source_rows_are_stored_once() {
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    fake.create_table("tp_capital_signals", &SIGNAL_COLUMNS, "ts");
    // A page of new rows (the cheap plain INSERT) that repeats a row: the batch falls
    // back to the idempotent insert and the copy stays exact.
    let rows = (0..10).map(|n| signal(T0 + n as i64 * 1_000_000, n));
    fake.insert(
        "tp_capital_signals",
        rows.chain([signal(T0 + 5_000_000, 5)]),
    );
    let out = Sync::new(&db, &fake).run(&["run"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(
        (
            s["rows_read"].as_u64(),
            s["rows_inserted"].as_u64(),
            s["rows_skipped"].as_u64()
        ),
        (Some(11), Some(10), Some(1))
    );
    db.assert_signals("tp_capital_signals", 0..10).await;
}
