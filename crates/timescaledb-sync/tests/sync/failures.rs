//! Failures and their exit codes: QuestDB errors and timeouts (3), PostgreSQL down or an
//! incompatible table (4), configuration (78), usage (2), unusable identifiers.

use crate::fake_questdb::FakeQuestDb;
use crate::helpers::*;

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[tokio::test]
async fn a_query_questdb_refuses_exits_3_with_its_message() {
    let (db, fake) = (TestDb::new().await, FakeQuestDb::start().await);
    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_STREAM", "missing_table")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(
        (s["status"].as_str(), s["exit_code"].as_i64()),
        (Some("error"), Some(3))
    );
    let error = s["error"].as_str().expect("error");
    assert!(
        error.contains("table does not exist [table=missing_table]")
            && error.contains("position 14"),
        "{error}"
    );
    assert!(
        out.stderr.contains("table does not exist"),
        "logged on stderr too"
    );
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn a_questdb_timeout_exits_3_and_keeps_what_was_committed() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..300).await);
    fake.stall_at(3);
    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_BATCH_SIZE", "100")
        .env("TIMESCALEDB_SYNC_QUESTDB_TIMEOUT_MS", "300")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    let s = out.summary();
    assert!(
        s["error"]
            .as_str()
            .expect("error")
            .contains("no answer within 300 ms"),
        "{s}"
    );
    assert_eq!(s["rows_inserted"], 200);
    assert_eq!(db.count("tp_capital_signals").await, 200);
    let last_run: String = db.scalar("SELECT last_run_status FROM sync_control").await;
    assert_eq!(last_run, "error");
    fake.release();
}

#[tokio::test]
async fn questdb_unreachable_exits_3() {
    let db = TestDb::new().await;
    let out = Sync::with_urls(&db.url, &format!("http://127.0.0.1:{}", closed_port()))
        .run(&["run"])
        .await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.summary()["error"]
            .as_str()
            .expect("error")
            .contains("cannot connect")
    );
}

#[tokio::test]
async fn postgres_down_exits_4() {
    let fake = fake_with_signals(0..10).await;
    let dsn = format!("postgres://postgres@127.0.0.1:{}/nowhere", closed_port());
    for command in [&["run"][..], &["status"], &["check"]] {
        let out = Sync::with_urls(&dsn, &fake.url).run(command).await;
        assert_eq!(out.code, 4, "{command:?}: {}", out.stderr);
    }
}

#[tokio::test]
async fn an_incompatible_target_table_exits_4_and_check_says_why() {
    let (db, fake) = (TestDb::new().await, fake_with_signals(0..10).await);
    // The real columns, but `channel` holds numbers.
    let columns: Vec<String> = SIGNAL_COLUMNS
        .iter()
        .map(|(name, questdb)| {
            let pg = match (*name, *questdb) {
                ("channel", _) => "integer",
                (_, "TIMESTAMP") => "timestamptz",
                (_, "DOUBLE") => "double precision",
                _ => "text",
            };
            format!("{name} {pg}")
        })
        .collect();
    let ddl = format!(
        "CREATE TABLE tp_capital_signals ({}, row_hash bytea, UNIQUE (ts, row_hash))",
        columns.join(", ")
    );
    sqlx::query(sqlx::AssertSqlSafe(ddl))
        .execute(&db.pool)
        .await
        .expect("create");
    let sync = Sync::new(&db, &fake);
    let out = sync.run(&["check"]).await;
    assert_eq!(out.code, 4, "{}", out.stderr);
    let line = out.summary();
    assert_eq!(line["source"], "ok, 13 columns");
    let error = line["error"].as_str().expect("error");
    assert!(
        error.contains("cannot take the source's rows")
            && error.contains("column \"channel\" is of type integer"),
        "{error}"
    );
    assert_eq!(sync.run(&["run"]).await.code, 4);
    assert_eq!(db.count("tp_capital_signals").await, 0);
}

#[tokio::test]
async fn unusable_source_columns_exit_3_naming_the_column() {
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    fake.create_table("blobs", &[("ts", "TIMESTAMP"), ("payload", "BINARY")], "ts");
    fake.create_table("odd", &[("ts", "TIMESTAMP"), ("bad name", "INT")], "ts");
    fake.create_table("no_ts", &[("ts", "LONG")], "ts");
    for (stream, needle) in [
        ("blobs", "source column payload has type BINARY"),
        ("odd", "source column \\\"bad name\\\" is not an identifier"),
        ("no_ts", "timestamp column ts has type LONG"),
    ] {
        let out = Sync::new(&db, &fake)
            .env("TIMESCALEDB_STREAM", stream)
            .run(&["run"])
            .await;
        assert_eq!(out.code, 3, "{stream}: {}", out.stderr);
        assert!(
            out.summary()["error"].to_string().contains(needle),
            "{stream}: {}",
            out.summary()
        );
        assert!(!db.exists(stream).await, "no table for {stream}");
    }
}

#[tokio::test]
async fn configuration_errors_exit_78_naming_each_variable() {
    let sync = Sync::with_urls("host=db password=s3cret colour=blue", "ftp://questdb")
        .env("TIMESCALEDB_BATCH_SIZE", "lots")
        .env("TIMESCALEDB_STREAM", "tp-capital")
        .env("TIMESCALEDB_SYNC_LOG_LEVEL", "chatty");
    let out = sync.run(&["run"]).await;
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(out.lines.is_empty());
    let lines: Vec<&str> = out.stderr.lines().collect();
    for name in [
        "QUESTDB_REST_URL",
        "TIMESCALEDB_DSN",
        "TIMESCALEDB_BATCH_SIZE",
        "TIMESCALEDB_STREAM",
        "TIMESCALEDB_SYNC_LOG_LEVEL",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("config error: {name}:"))),
            "{name} in {}",
            out.stderr
        );
    }
    assert_eq!(lines.len(), 5, "{}", out.stderr);
    assert!(!out.stderr.contains("s3cret"));
}

#[tokio::test]
async fn identifiers_in_the_streams_file_are_validated_exit_78() {
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    let out = Sync::new(&db, &fake)
        .streams_file("[[stream]]\nname = \"ok\"\ntarget_table = \"t; DROP TABLE sync_control\"\ntimestamp_column = \"ts\\\"\"\n")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 78, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("target_table \"t; DROP TABLE sync_control\" is invalid"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("timestamp_column \"ts\\\"\" is invalid"),
        "{}",
        out.stderr
    );
    assert!(fake.requests().is_empty(), "nothing reached QuestDB");
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let (db, fake) = (TestDb::new().await, FakeQuestDb::start().await);
    let sync = Sync::new(&db, &fake);
    let out = sync.run(&["run", "--stream", "nope"]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("unknown stream \"nope\"; configured: tp_capital_signals"),
        "{}",
        out.stderr
    );
    for args in [&["run", "--max-rows", "zero"][..], &["copy"], &[]] {
        assert_eq!(sync.run(args).await.code, 2, "{args:?}");
    }
}
