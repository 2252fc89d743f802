use serde::de::DeserializeSeed;

use super::*;
use crate::page::PageSeed;
use crate::streams::Stream;

fn decode(stream: &Stream, json: &str) -> Result<Batch, String> {
    let mut de = serde_json::Deserializer::from_str(json);
    PageSeed {
        stream,
        capacity: 4,
    }
    .deserialize(&mut de)
    .map_err(|e| e.to_string())
}

const SIGNAL_COLUMNS: &str = r#"[{"name":"ts","type":"TIMESTAMP"},{"name":"channel","type":"SYMBOL"},{"name":"buy_min","type":"DOUBLE"},{"name":"raw_message","type":"STRING"}]"#;

fn page(rows: &str) -> String {
    format!(
        r#"{{"query":"q","columns":{SIGNAL_COLUMNS},"timestamp":0,"dataset":{rows},"count":1}}"#
    )
}

#[test]
fn questdb_type_names_map_to_postgres_types() {
    for (questdb, pg) in [
        ("BOOLEAN", "boolean"),
        ("BYTE", "smallint"),
        ("SHORT", "smallint"),
        ("INT", "integer"),
        ("LONG", "bigint"),
        ("FLOAT", "real"),
        ("DOUBLE", "double precision"),
        ("CHAR", "text"),
        ("SYMBOL", "text"),
        ("STRING", "text"),
        ("VARCHAR", "text"),
        ("LONG256", "text"),
        ("GEOHASH(8c)", "text"),
        ("DATE", "timestamptz"),
        ("TIMESTAMP", "timestamptz"),
        ("TIMESTAMP_NS", "timestamptz"),
        ("UUID", "uuid"),
        ("IPv4", "inet"),
        ("DOUBLE[]", "double precision[]"),
        ("DOUBLE[][]", "double precision[]"),
    ] {
        assert_eq!(Kind::of(questdb).map(Kind::pg_type), Ok(pg), "{questdb}");
    }
    for refused in ["BINARY", "DECIMAL(18,2)", "INTERVAL", "WHATEVER"] {
        assert!(Kind::of(refused).is_err(), "{refused}");
    }
}

#[test]
fn timestamps_are_parsed_strictly_at_every_precision() {
    assert_eq!(parse_timestamp("1970-01-01T00:00:00.000000Z"), Some((0, 0)));
    assert_eq!(
        parse_timestamp("2024-02-29T12:34:56.123456Z"),
        Some((1_709_210_096, 123_456_000))
    );
    assert_eq!(
        parse_timestamp("2024-02-29T12:34:56.123Z"),
        Some((1_709_210_096, 123_000_000))
    );
    assert_eq!(
        parse_timestamp("2024-02-29T12:34:56.123456789Z"),
        Some((1_709_210_096, 123_456_789))
    );
    assert_eq!(
        parse_timestamp("2024-02-29T12:34:56Z"),
        Some((1_709_210_096, 0))
    );
    for bad in [
        "2023-02-29T00:00:00.000000Z",
        "2024-01-01 00:00:00.000000Z",
        "2024-01-01T00:00:00.000000+00:00",
        "2024-01-01T00:00:00.0000000000Z",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T24:00:00.000000Z",
        "2024-1-01T00:00:00.000000Z",
        "",
    ] {
        assert_eq!(parse_timestamp(bad), None, "{bad}");
    }
}

#[test]
fn the_spliced_timestamp_has_one_exact_form() {
    assert_eq!(questdb_timestamp(0), "1970-01-01T00:00:00.000000Z");
    assert_eq!(
        questdb_timestamp(1_709_210_096_123_456),
        "2024-02-29T12:34:56.123456Z"
    );
    assert_eq!(
        questdb_timestamp(-5),
        "1970-01-01T00:00:00.000000Z",
        "clamped to the epoch"
    );
    assert_eq!(questdb_timestamp(i64::MAX), "9999-12-31T23:59:59.999999Z");
}

#[test]
fn a_page_decodes_into_columns_with_nulls() {
    let stream = Stream::tp_capital_signals(10);
    let batch = decode(
        &stream,
        &page(r#"[["2024-01-01T00:00:00.000001Z","A",1.5,"x"],["2024-01-01T00:00:00.000002Z",null,null,null]]"#),
    )
    .expect("valid");
    assert_eq!(batch.len(), 2);
    assert_eq!(batch.micros, [1_704_067_200_000_001, 1_704_067_200_000_002]);
    assert_eq!(batch.values[1], Values::Text(vec![Some("A".into()), None]));
    assert_eq!(batch.values[2], Values::Float64(vec![Some(1.5), None]));
    assert_eq!(batch.hashes.len(), 2);
    assert_eq!(batch.hashes[0].len(), 16);
}

#[test]
fn equal_rows_hash_alike_and_null_differs_from_empty() {
    let stream = Stream::tp_capital_signals(10);
    let batch = decode(
        &stream,
        &page(r#"[["2024-01-01T00:00:00Z","A",1,"x"],["2024-01-01T00:00:00.000000Z","A",1.0,"x"],["2024-01-01T00:00:00Z","",1,"x"],["2024-01-01T00:00:00Z",null,1,"x"],["2024-01-01T00:00:00Z","A",1,"x "]]"#),
    )
    .expect("valid");
    let h = &batch.hashes;
    assert_eq!(h[0], h[1], "the same values however QuestDB spells them");
    assert_ne!(h[0], h[2]);
    assert_ne!(h[2], h[3], "NULL and '' differ");
    assert_ne!(h[0], h[4]);
}

#[test]
fn keyed_streams_carry_no_hash() {
    let mut stream = Stream::tp_capital_signals(10);
    stream.key = Key::Columns(vec![Ident::parse("channel").expect("ident")]);
    let batch = decode(&stream, &page(r#"[["2024-01-01T00:00:00Z","A",1,"x"]]"#)).expect("valid");
    assert!(batch.hashes.is_empty());
    stream.key = Key::Columns(vec![Ident::parse("nope").expect("ident")]);
    assert!(
        decode(&stream, &page("[]"))
            .expect_err("no key")
            .contains("no key column nope")
    );
}

#[test]
fn every_supported_type_decodes() {
    let mut stream = Stream::tp_capital_signals(10);
    stream.timestamp = Ident::parse("t").expect("ident");
    let json = r#"{"columns":[
        {"name":"t","type":"TIMESTAMP_NS"},{"name":"b","type":"BOOLEAN"},{"name":"s","type":"SHORT"},
        {"name":"i","type":"INT"},{"name":"l","type":"LONG"},{"name":"f","type":"FLOAT"},
        {"name":"d","type":"DATE"},{"name":"u","type":"UUID"},{"name":"ip","type":"IPv4"},
        {"name":"a","type":"DOUBLE[][]"}],
      "dataset":[["2024-01-01T00:00:00.123456789Z",true,-7,42,9007199254740993,0.5,"2024-01-01T00:00:00.001Z","11111111-2222-3333-4444-555555555555","10.0.0.1",[[1.5,null],[3,4]]],
                 ["2024-01-01T00:00:00.123456999Z",null,0,null,null,null,null,null,null,null]]}"#;
    let batch = decode(&stream, json).expect("valid");
    assert_eq!(
        batch.micros,
        [1_704_067_200_123_456, 1_704_067_200_123_456],
        "ns floored to µs"
    );
    assert_ne!(batch.hashes[0], batch.hashes[1]);
    assert_eq!(batch.values[1], Values::Bool(vec![Some(true), None]));
    assert_eq!(batch.values[2], Values::Int16(vec![Some(-7), Some(0)]));
    assert_eq!(
        batch.values[4],
        Values::Int64(vec![Some(9_007_199_254_740_993), None])
    );
    assert_eq!(
        batch.values[8],
        Values::Text(vec![Some("10.0.0.1".into()), None])
    );
    assert_eq!(
        batch.values[9],
        Values::Text(vec![Some("{{1.5,NULL},{3,4}}".into()), None])
    );
}

#[test]
fn malformed_pages_are_refused_with_a_reason() {
    let stream = Stream::tp_capital_signals(10);
    let cases = [
        (page(r#"[["2024-01-01T00:00:00Z","A",1]]"#), "has 3 values"),
        (
            page(r#"[["2024-01-01T00:00:00Z","A",1,"x",5]]"#),
            "more than 4",
        ),
        (
            page(r#"[["2024-01-01T00:00:00Z","A","1.5","x"]]"#),
            "invalid type",
        ),
        (
            page(r#"[["2024-01-01 00:00:00","A",1,"x"]]"#),
            "not ISO-8601",
        ),
        (page(r#"[[null,"A",1,"x"]]"#), "null designated timestamp"),
        (
            r#"{"dataset":[],"columns":[]}"#.to_string(),
            "dataset before columns",
        ),
        (
            r#"{"columns":[{"name":"bad name","type":"INT"}]}"#.to_string(),
            "not an identifier",
        ),
        (
            r#"{"columns":[{"name":"ts","type":"BINARY"}]}"#.to_string(),
            "BINARY",
        ),
        (
            r#"{"columns":[{"name":"ts","type":"LONG"}]}"#.to_string(),
            "not a timestamp",
        ),
        (
            r#"{"columns":[{"name":"ts","type":"TIMESTAMP"},{"name":"row_hash","type":"INT"}]}"#
                .to_string(),
            "clashes",
        ),
    ];
    for (json, needle) in cases {
        let error = decode(&stream, &json).expect_err(&json);
        assert!(error.contains(needle), "{needle:?} not in {error:?}");
    }
}
