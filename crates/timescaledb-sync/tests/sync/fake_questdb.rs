//! A fake QuestDB `/exec` for the test suite, following QuestDB's wire format exactly:
//!
//! * `GET /exec?query=...&limit=lo,hi`: `limit` is 1-based and inclusive (`lo,hi` returns
//!   rows lo through hi; `n` the first n);
//! * success is 200 `{"query","columns":[{"name","type"}],"timestamp","dataset","count"}`;
//! * failure is 400 `{"query","error","position"}`, e.g. for an unknown table;
//! * TIMESTAMP values are strings with six fractional digits and `Z` (the tests build
//!   them so; TIMESTAMP_NS with nine).
//!
//! It serves rows from in-memory tables the test controls, and really interprets the SQL
//! the sync emits: `SELECT * FROM "<table>"|(<registered query>) WHERE "<ts>" >=
//! '<YYYY-MM-DDTHH:MM:SS.ffffffZ>'[ AND "<ts>" < '<same form>'] ORDER BY "<ts>"[,
//! "<column>"]*`. It filters by the bounds, orders (stable, so equal timestamps keep
//! insertion order, like a QuestDB table) and slices by `limit`. It also answers
//! `reconcile`'s counting query (`SELECT "<ts>", count() FROM (...) TIMESTAMP("<ts>")
//! SAMPLE BY <n><unit> ALIGN TO CALENDAR`, see `count.rs`). Anything else is answered with a 400 *and* recorded in
//! [`FakeQuestDb::unexpected`], which every test asserts empty: when the sync's SQL drifts
//! from the strict form, the suite fails loudly instead of passing against a lenient fake.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use chrono::NaiveDateTime;
use serde_json::{Value, json};
use tokio::sync::Notify;

mod count;

#[derive(Clone)]
pub struct Table {
    pub columns: Vec<(String, String)>,
    /// Index of the designated timestamp.
    pub ts: usize,
    /// `(timestamp in µs, row values)`, in insertion order.
    pub rows: Vec<(i64, Vec<Value>)>,
}

#[derive(Default)]
struct State_ {
    tables: HashMap<String, Table>,
    /// Operator queries the fake accepts as a subquery, and the table each one reads.
    queries: HashMap<String, String>,
    requests: Vec<(String, String)>,
    unexpected: Vec<String>,
    /// Answer the n-th request (1-based) only once released.
    stall_at: Option<usize>,
    /// Delay every answer by this much (a slow QuestDB).
    delay: Option<Duration>,
}

#[derive(Clone)]
pub struct FakeQuestDb {
    pub url: String,
    state: Arc<Mutex<State_>>,
    reached: Arc<Notify>,
    release: Arc<Notify>,
}

impl FakeQuestDb {
    pub async fn start() -> Self {
        let fake = Self {
            url: String::new(),
            state: Arc::default(),
            reached: Arc::default(),
            release: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Router::new()
            .route("/exec", get(exec))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, ..fake }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().expect("fake state")
    }

    pub fn create_table(&self, name: &str, columns: &[(&str, &str)], ts: &str) {
        let columns: Vec<(String, String)> = columns
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let ts = columns
            .iter()
            .position(|(n, _)| n == ts)
            .expect("timestamp column");
        self.lock().tables.insert(
            name.into(),
            Table {
                columns,
                ts,
                rows: Vec::new(),
            },
        );
    }

    /// Appends rows; the designated timestamp is parsed from each row.
    pub fn insert(&self, table: &str, rows: impl IntoIterator<Item = Vec<Value>>) {
        let mut state = self.lock();
        let table = state.tables.get_mut(table).expect("table exists");
        for row in rows {
            assert_eq!(row.len(), table.columns.len(), "row width");
            let ts = row[table.ts]
                .as_str()
                .and_then(micros_of)
                .expect("ISO timestamp");
            table.rows.push((ts, row));
        }
    }

    pub fn register_query(&self, sql: &str, table: &str) {
        self.lock().queries.insert(sql.into(), table.into());
    }

    pub fn stall_at(&self, request: usize) {
        self.lock().stall_at = Some(request);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = Some(delay);
    }

    /// Waits until the stalled request has arrived.
    pub async fn stalled(&self) {
        tokio::time::timeout(Duration::from_secs(30), self.reached.notified())
            .await
            .expect("the sync never reached the stalled page");
    }

    pub fn release(&self) {
        self.release.notify_one();
    }

    /// `(query, limit)` of every request so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.lock().requests.clone()
    }

    pub fn unexpected(&self) -> Vec<String> {
        self.lock().unexpected.clone()
    }
}

impl FakeQuestDb {
    /// The table a source reads, or QuestDB's own 400 for an unknown one (not a drift of
    /// the sync's SQL).
    fn table_of(&self, source: &Source, sql: &str) -> Result<Table, Box<Response>> {
        let state = self.lock();
        let name = match source {
            Source::Table(name) => Some(name.clone()),
            Source::Query(inner) => state.queries.get(inner).cloned(),
        };
        name.and_then(|n| state.tables.get(&n).cloned())
            .ok_or_else(|| {
                let name = match source {
                    Source::Table(name) => name.clone(),
                    Source::Query(inner) => inner.clone(),
                };
                let message = format!("table does not exist [table={name}]");
                Box::new(error(StatusCode::BAD_REQUEST, sql, &message, 14))
            })
    }

    fn record_unexpected(&self, sql: &str, why: String) -> Response {
        self.lock().unexpected.push(why.clone());
        error(StatusCode::BAD_REQUEST, sql, &why, 0)
    }
}

fn micros_of(text: &str) -> Option<i64> {
    let parsed =
        NaiveDateTime::parse_from_str(text.strip_suffix('Z')?, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(parsed.and_utc().timestamp_micros())
}

/// The sync's strict literal: exactly `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn strict_literal(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digit_positions = [
        0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25,
    ];
    let ok = b.len() == 27
        && digit_positions.iter().all(|&i| b[i].is_ascii_digit())
        && &text[4..5] == "-"
        && &text[7..8] == "-"
        && &text[10..11] == "T"
        && &text[13..14] == ":"
        && &text[16..17] == ":"
        && &text[19..20] == "."
        && &text[26..] == "Z";
    ok.then(|| micros_of(text)).flatten()
}

struct Parsed {
    source: Source,
    column: String,
    since: i64,
    until: Option<i64>,
    order: Vec<String>,
}

enum Source {
    Table(String),
    Query(String),
}

fn quoted(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some((&rest[..end], &rest[end + 1..]))
}

fn parse(sql: &str) -> Result<Parsed, String> {
    let fail = |what: &str| format!("fake QuestDB: {what} in {sql:?}");
    let rest = sql
        .strip_prefix("SELECT * FROM ")
        .ok_or_else(|| fail("not SELECT * FROM"))?;
    let (source, rest) = if rest.starts_with('(') {
        let end = rest
            .rfind(") WHERE \"")
            .ok_or_else(|| fail("unclosed subquery"))?;
        (Source::Query(rest[1..end].to_string()), &rest[end + 1..])
    } else {
        let (table, rest) = quoted(rest).ok_or_else(|| fail("unquoted table"))?;
        (Source::Table(table.to_string()), rest)
    };
    let rest = rest
        .strip_prefix(" WHERE ")
        .ok_or_else(|| fail("no WHERE"))?;
    let (column, rest) = quoted(rest).ok_or_else(|| fail("unquoted timestamp column"))?;
    let rest = rest.strip_prefix(" >= '").ok_or_else(|| fail("no >= '"))?;
    let (literal, rest) = rest
        .split_once('\'')
        .ok_or_else(|| fail("unterminated literal"))?;
    let since =
        strict_literal(literal).ok_or_else(|| fail("timestamp literal not in the strict form"))?;
    let (until, rest) = match rest.strip_prefix(" AND ") {
        None => (None, rest),
        Some(bound) => {
            let (name, bound) = quoted(bound).ok_or_else(|| fail("unquoted upper bound"))?;
            if name != column {
                return Err(fail("the upper bound is on another column"));
            }
            let bound = bound.strip_prefix(" < '").ok_or_else(|| fail("no < '"))?;
            let (literal, rest) = bound
                .split_once('\'')
                .ok_or_else(|| fail("unterminated literal"))?;
            let until = strict_literal(literal)
                .ok_or_else(|| fail("timestamp literal not in the strict form"))?;
            (Some(until), rest)
        }
    };
    let mut rest = rest
        .strip_prefix(" ORDER BY ")
        .ok_or_else(|| fail("no ORDER BY"))?;
    let mut order = Vec::new();
    loop {
        let (name, after) = quoted(rest).ok_or_else(|| fail("unquoted ORDER BY column"))?;
        order.push(name.to_string());
        match after.strip_prefix(", ") {
            Some(more) => rest = more,
            None if after.is_empty() => break,
            None => return Err(fail("trailing text")),
        }
    }
    if order[0] != column {
        return Err(fail("ORDER BY does not start with the filtered timestamp"));
    }
    Ok(Parsed {
        source,
        column: column.to_string(),
        since,
        until,
        order,
    })
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn error(status: StatusCode, sql: &str, message: &str, position: usize) -> Response {
    (
        status,
        Json(json!({"query": sql, "error": message, "position": position})),
    )
        .into_response()
}

async fn exec(
    State(fake): State<FakeQuestDb>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let sql = params.get("query").cloned().unwrap_or_default();
    let limit = params.get("limit").cloned().unwrap_or_default();
    let (number, stall, delay) = {
        let mut state = fake.lock();
        state.requests.push((sql.clone(), limit.clone()));
        (state.requests.len(), state.stall_at, state.delay)
    };
    if stall == Some(number) {
        fake.reached.notify_one();
        fake.release.notified().await;
    }
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let unexpected = |why: String| fake.record_unexpected(&sql, why);
    if sql.is_empty() {
        return error(StatusCode::BAD_REQUEST, &sql, "No query text", 0);
    }
    if sql.starts_with("SELECT \"") {
        return count::answer(&fake, &sql);
    }
    let parsed = match parse(&sql) {
        Ok(parsed) => parsed,
        Err(why) => return unexpected(why),
    };
    let table = match fake.table_of(&parsed.source, &sql) {
        Ok(table) => table,
        Err(response) => return *response,
    };
    let index = |name: &str| table.columns.iter().position(|(n, _)| n == name);
    if index(&parsed.column) != Some(table.ts) {
        return unexpected(format!(
            "filter on {} which is not the designated timestamp",
            parsed.column
        ));
    }
    let Some(order): Option<Vec<usize>> = parsed.order.iter().map(|c| index(c)).collect() else {
        return error(StatusCode::BAD_REQUEST, &sql, "Invalid column", 0);
    };
    let mut rows: Vec<&(i64, Vec<Value>)> = table
        .rows
        .iter()
        .filter(|(ts, _)| *ts >= parsed.since && parsed.until.is_none_or(|u| *ts < u))
        .collect();
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            order[1..]
                .iter()
                .map(|&i| compare(&a.1[i], &b.1[i]))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    });
    let (skip, stop) = match limit.split_once(',') {
        _ if limit.is_empty() => (0, rows.len()),
        Some((lo, hi)) => match (lo.parse::<usize>(), hi.parse::<usize>()) {
            (Ok(lo), Ok(hi)) if lo >= 1 && hi >= lo => (lo - 1, hi),
            _ => return unexpected(format!("limit {limit:?} is not lo,hi with 1 <= lo <= hi")),
        },
        None => match limit.parse::<usize>() {
            Ok(n) => (0, n),
            Err(_) => return unexpected(format!("limit {limit:?} is not a number")),
        },
    };
    let dataset: Vec<&Vec<Value>> = rows
        .iter()
        .skip(skip)
        .take(stop.saturating_sub(skip))
        .map(|(_, row)| row)
        .collect();
    let columns: Vec<Value> = table
        .columns
        .iter()
        .map(|(n, t)| json!({"name": n, "type": t}))
        .collect();
    let designated = match parsed.source {
        Source::Table(_) => table.ts as i64,
        Source::Query(_) => -1,
    };
    Json(json!({
        "query": sql,
        "columns": columns,
        "timestamp": designated,
        "dataset": dataset,
        "count": dataset.len(),
    }))
    .into_response()
}
