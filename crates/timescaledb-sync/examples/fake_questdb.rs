//! A fast fake QuestDB for `scripts/bench-sync.sh`: `GET /exec` answers as QuestDB's does
//! (`columns`/`dataset`/`count`, 1-based inclusive `limit=lo,hi`, TIMESTAMP strings with
//! six fractional digits and `Z`) from `tp_capital_signals` rows generated on the fly:
//! row `i` has `ts = 2025-01-01T00:00:00Z + i ms`, so the sync's `ts >= '<literal>'`
//! lower bound (and `reconcile`'s upper bound and per-bucket counts) is a division, not
//! a scan. Rows are written straight into the response
//! text (their strings need no JSON escaping), to keep the fake off the critical path.
//!
//! `CREATE TABLE` statements are answered `{"ddl":"OK"}` and logged on stdout.
//!
//! `FAKE_ROWS=1000000 PORT=9000 fake_questdb` serves; `fake_questdb --csv FILE` writes
//! the same rows as CSV (with a distinct 16-byte key per row) for the COPY ceiling.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::DateTime;

const T0: i64 = 1_735_689_600_000_000;
const STEP: i64 = 1_000;
const COLUMNS: &str = r#"[{"name":"ts","type":"TIMESTAMP"},{"name":"channel","type":"SYMBOL"},{"name":"signal_type","type":"SYMBOL"},{"name":"asset","type":"SYMBOL"},{"name":"buy_min","type":"DOUBLE"},{"name":"buy_max","type":"DOUBLE"},{"name":"target_1","type":"DOUBLE"},{"name":"target_2","type":"DOUBLE"},{"name":"target_final","type":"DOUBLE"},{"name":"stop","type":"DOUBLE"},{"name":"raw_message","type":"STRING"},{"name":"source","type":"SYMBOL"},{"name":"ingested_at","type":"TIMESTAMP"}]"#;

fn iso(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// The values of row `i`, as JSON text (`json`) or CSV.
fn row(i: i64, out: &mut String, json: bool) {
    let ts = T0 + i * STEP;
    let price = 10.0 + (i % 400) as f64 / 8.0;
    let stop = if i % 7 == 0 { None } else { Some(price - 1.0) };
    let (q, null) = if json { ("\"", "null") } else { ("", "") };
    let _ = write!(
        out,
        "{q}{}{q},{q}TP Capital {}{q},{q}Swing Trade{q},{q}PETR{}{q},{price},{},{},{},{},{},{q}BUY PETR{} between {price} and {} targets {} {} stop {} #{i}{q},{q}forwarder{q},{q}{}{q}",
        iso(ts),
        i % 3,
        i % 50,
        price + 0.5,
        price + 1.0,
        price + 2.0,
        price + 3.0,
        stop.map_or(null.to_string(), |s| s.to_string()),
        i % 50,
        price + 0.5,
        price + 1.0,
        price + 2.0,
        stop.map_or("-".to_string(), |s| s.to_string()),
        iso(ts + 250),
    );
}

fn bad_request(sql: &str, error: &str) -> Response {
    let body = serde_json::json!({"query": sql, "error": error, "position": 0});
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

/// The timestamp literal after `marker` (`>= '` or `< '`), in µs.
fn bound(sql: &str, marker: &str) -> Option<Result<i64, ()>> {
    let literal = sql.split(marker).nth(1)?.split('\'').next()?;
    Some(
        chrono::DateTime::parse_from_rfc3339(literal)
            .map(|t| t.timestamp_micros())
            .map_err(|_| ()),
    )
}

/// The index of the first row at or after `micros`.
fn first_at(micros: i64, rows: i64) -> i64 {
    (((micros - T0).max(0) + STEP - 1) / STEP).min(rows)
}

/// `reconcile`'s `... SAMPLE BY <n><unit> ALIGN TO CALENDAR` over the generated rows: one
/// `[bucket start, count]` per non-empty bucket, as QuestDB answers it.
fn counts(sql: &str, rows: i64, since: i64, until: i64) -> Response {
    let Some(size) = sql
        .split(" SAMPLE BY ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|size| {
            let (n, unit) = size.split_at(size.len().checked_sub(1)?);
            let unit = match unit {
                "s" => 1_000_000,
                "m" => 60_000_000,
                "h" => 3_600_000_000,
                "d" => 86_400_000_000,
                _ => return None,
            };
            Some(n.parse::<i64>().ok()? * unit)
        })
    else {
        return bad_request(sql, "bad SAMPLE BY size");
    };
    let mut body = format!(
        "{{\"query\":{},\"columns\":[{{\"name\":\"ts\",\"type\":\"TIMESTAMP\"}},{{\"name\":\"count\",\"type\":\"LONG\"}}],\"timestamp\":0,\"dataset\":[",
        serde_json::to_string(sql).unwrap_or_default()
    );
    let mut listed = 0;
    let mut start = since.div_euclid(size) * size;
    while start < until {
        let n = first_at((start + size).min(until), rows) - first_at(start.max(since), rows);
        if n > 0 {
            if listed > 0 {
                body.push(',');
            }
            let _ = write!(body, "[\"{}\",{n}]", iso(start));
            listed += 1;
        }
        start += size;
    }
    let _ = write!(body, "],\"count\":{listed}}}");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn exec(State(rows): State<i64>, Query(params): Query<HashMap<String, String>>) -> Response {
    let sql = params.get("query").map(String::as_str).unwrap_or_default();
    // scripts/init-database.sh creates QuestDB tables through /exec; QuestDB answers a DDL
    // statement with {"ddl":"OK"}. Each is logged, for the test to see what arrived.
    if sql
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("CREATE TABLE")
    {
        let head: Vec<&str> = sql.split_whitespace().take(6).collect();
        println!("ddl: {}", head.join(" "));
        return axum::Json(serde_json::json!({"ddl": "OK"})).into_response();
    }
    let Some(Ok(since)) = bound(sql, ">= '") else {
        return bad_request(sql, "expected the sync's WHERE \"ts\" >= '<timestamp>'");
    };
    let until = match bound(sql, "< '") {
        None => i64::MAX,
        Some(Ok(until)) => until,
        Some(Err(())) => return bad_request(sql, "bad timestamp literal"),
    };
    if sql.contains(" SAMPLE BY ") {
        return counts(sql, rows, since, until);
    }
    let first = first_at(since, rows);
    let last = first_at(until, rows);
    let (lo, hi) = match params.get("limit").and_then(|l| l.split_once(',')) {
        Some((lo, hi)) => match (lo.parse::<i64>(), hi.parse::<i64>()) {
            (Ok(lo), Ok(hi)) if lo >= 1 && hi >= lo => (lo, hi),
            _ => return bad_request(sql, "bad limit"),
        },
        None => return bad_request(sql, "the benchmark expects limit=lo,hi"),
    };
    let start = (first + lo - 1).min(last);
    let end = (first + hi).min(last);
    let mut body = String::with_capacity(((end - start) * 330 + 2048) as usize);
    body.push_str("{\"query\":");
    body.push_str(&serde_json::to_string(sql).unwrap_or_default());
    let _ = write!(body, ",\"columns\":{COLUMNS},\"timestamp\":0,\"dataset\":[");
    for i in start..end {
        if i > start {
            body.push(',');
        }
        body.push('[');
        row(i, &mut body, true);
        body.push(']');
    }
    let _ = write!(body, "],\"count\":{}}}", end - start);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn write_csv(path: &str, rows: i64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut line = String::with_capacity(512);
    for i in 0..rows {
        line.clear();
        row(i, &mut line, false);
        // row_hash: any distinct 16 bytes give the unique index the same work.
        let _ = writeln!(line, ",\\x{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15);
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let rows: i64 = std::env::var("FAKE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, path] = args.as_slice()
        && flag == "--csv"
    {
        return write_csv(path, rows);
    }
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "fake QuestDB with {rows} rows on http://{}",
        listener.local_addr()?
    );
    let app = Router::new()
        .route("/exec", get(exec))
        .route("/", get(|| async { "ok" }))
        .with_state(rows);
    axum::serve(listener, app).await
}
