//! QuestDB → PostgreSQL conversions end to end: every supported type, NULLs, NaN (JSON
//! null), millisecond, microsecond and nanosecond timestamps.

use serde_json::{Value, json};

use crate::fake_questdb::FakeQuestDb;
use crate::helpers::*;

const COLUMNS: [(&str, &str); 16] = [
    ("ts", "TIMESTAMP"),
    ("flag", "BOOLEAN"),
    ("b", "BYTE"),
    ("s", "SHORT"),
    ("i", "INT"),
    ("l", "LONG"),
    ("f", "FLOAT"),
    ("d", "DOUBLE"),
    ("c", "CHAR"),
    ("sym", "SYMBOL"),
    ("v", "VARCHAR"),
    ("day", "DATE"),
    ("ns", "TIMESTAMP_NS"),
    ("u", "UUID"),
    ("ip", "IPv4"),
    ("arr", "DOUBLE[]"),
];

#[tokio::test]
async fn every_supported_type_lands_in_its_postgres_type() {
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    fake.create_table("all_types", &COLUMNS, "ts");
    let full: Vec<Value> = json!([
        iso(T0),
        true,
        -8,
        300,
        -70000,
        9_007_199_254_740_993_i64,
        1.5,
        -2.25,
        "x",
        "sym é",
        "text with 'quotes' and \"dq\"",
        "2025-01-01T12:00:00.123Z",
        "2025-01-01T00:00:00.123456789Z",
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "192.168.1.20",
        [1.5, null, 3]
    ])
    .as_array()
    .expect("row")
    .clone();
    // QuestDB writes NULL and NaN both as JSON null.
    let mut empty = vec![json!(iso(T0 + 1))];
    empty.extend(std::iter::repeat_n(Value::Null, COLUMNS.len() - 1));
    fake.insert("all_types", [full, empty]);

    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_STREAM", "all_types")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.summary()["rows_inserted"], 2);

    let types: Vec<String> = sqlx::query_scalar(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'all_types'::regclass AND attnum > 0 ORDER BY attnum",
    )
    .fetch_all(&db.pool)
    .await
    .expect("types");
    assert_eq!(
        types,
        [
            "timestamp with time zone",
            "boolean",
            "smallint",
            "smallint",
            "integer",
            "bigint",
            "real",
            "double precision",
            "text",
            "text",
            "text",
            "timestamp with time zone",
            "timestamp with time zone",
            "uuid",
            "inet",
            "double precision[]",
            "bytea"
        ]
    );

    let row: Value = db
        .scalar(&format!(
            "SELECT json_build_object('flag', flag, 'b', b, 's', s, 'i', i, 'l', l::text, 'f', f, 'd', d, 'c', c, 'sym', sym, 'v', v, \
             'day', to_char(day AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), 'ns', to_char(ns AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), \
             'u', u, 'ip', host(ip), 'arr', arr)::jsonb FROM all_types WHERE ts = '{}'",
            iso(T0)
        ))
        .await;
    assert_eq!(
        row,
        json!({"flag": true, "b": -8, "s": 300, "i": -70000, "l": "9007199254740993", "f": 1.5, "d": -2.25, "c": "x",
               "sym": "sym é", "v": "text with 'quotes' and \"dq\"", "day": "2025-01-01 12:00:00.123000",
               "ns": "2025-01-01 00:00:00.123456", "u": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "ip": "192.168.1.20",
               "arr": [1.5, null, 3]})
    );
    let nulls: i64 = db
        .scalar(&format!(
            "SELECT count(*) FROM all_types WHERE ts = '{}' AND num_nulls(flag, b, s, i, l, f, d, c, sym, v, day, ns, u, ip, arr) = 15",
            iso(T0 + 1)
        ))
        .await;
    assert_eq!(nulls, 1, "every NULL/NaN arrived as NULL");
    assert!(fake.unexpected().is_empty());
}

#[tokio::test]
async fn nanosecond_designated_timestamps_page_and_key_correctly() {
    let db = TestDb::new().await;
    let fake = FakeQuestDb::start().await;
    fake.create_table(
        "ticks",
        &[("ts", "TIMESTAMP_NS"), ("price", "DOUBLE")],
        "ts",
    );
    // Two ticks within one microsecond: equal once stored, told apart by the hash of
    // their full nanosecond values.
    let tick = |ns: &str, price: f64| {
        vec![
            json!(format!("2025-01-01T00:00:00.000001{ns}Z")),
            json!(price),
        ]
    };
    fake.insert(
        "ticks",
        [tick("100", 1.0), tick("900", 1.0), tick("900", 1.0)],
    );
    let out = Sync::new(&db, &fake)
        .env("TIMESCALEDB_STREAM", "ticks")
        .run(&["run"])
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.summary();
    assert_eq!(
        (s["rows_read"].as_u64(), s["rows_inserted"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(s["watermark_after"], "2025-01-01T00:00:00.000001Z");
}
