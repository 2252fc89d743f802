//! `reconcile`'s counting query, interpreted strictly:
//!
//! ```sql
//! SELECT "<ts>", count() FROM (SELECT [DISTINCT ]"<ts>"[, "<key>"]* FROM <source>
//!   WHERE "<ts>" >= '<from>' AND "<ts>" < '<until>' ORDER BY "<ts>") TIMESTAMP("<ts>")
//!   SAMPLE BY <n><s|m|h|d> ALIGN TO CALENDAR
//! ```
//!
//! What real QuestDB returns for it (its REST and SAMPLE BY documentation): 200 with
//! `{"query", "columns":[{"name":"<ts>","type":"TIMESTAMP"},{"name":"count","type":"LONG"}],
//! "timestamp":0, "dataset":[["<bucket start, µs ISO with Z>", <count>], ...], "count"}`:
//! one row per bucket that has rows (no FILL, so empty buckets are absent), in time
//! order, each bucket's start floored to the calendar in UTC (offset 00:00). For sizes
//! dividing the next unit up, the only ones the sync sends, that is the floor to a
//! multiple of the size from the epoch, which is what this fake computes; anything else
//! is recorded as unexpected. `DISTINCT` keeps one row per distinct selected tuple, so
//! the count is of distinct `(ts, keys)`.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{FakeQuestDb, parse, quoted};

pub fn answer(fake: &FakeQuestDb, sql: &str) -> Response {
    match parse_count(sql) {
        Err(why) => fake.record_unexpected(sql, why),
        Ok(query) => respond(fake, sql, query),
    }
}

struct CountQuery {
    ts: String,
    distinct: bool,
    selected: Vec<String>,
    inner: super::Parsed,
    bucket: i64,
}

fn parse_count(sql: &str) -> Result<CountQuery, String> {
    let fail = |what: &str| format!("fake QuestDB: {what} in count query {sql:?}");
    let rest = sql
        .strip_prefix("SELECT ")
        .ok_or_else(|| fail("not SELECT"))?;
    let (ts, rest) = quoted(rest).ok_or_else(|| fail("unquoted timestamp"))?;
    let rest = rest
        .strip_prefix(", count() FROM (SELECT ")
        .ok_or_else(|| fail("not `, count() FROM (SELECT `"))?;
    let (distinct, mut rest) = match rest.strip_prefix("DISTINCT ") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let mut selected = Vec::new();
    loop {
        let (name, after) = quoted(rest).ok_or_else(|| fail("unquoted selected column"))?;
        selected.push(name.to_string());
        match after.strip_prefix(", ") {
            Some(more) => rest = more,
            None => {
                rest = after
                    .strip_prefix(" FROM ")
                    .ok_or_else(|| fail("no FROM in the subquery"))?;
                break;
            }
        }
    }
    if selected[0] != ts || (!distinct && selected.len() > 1) {
        return Err(fail(
            "the subquery selects other than the timestamp (and keys)",
        ));
    }
    let suffix = format!(") TIMESTAMP(\"{ts}\") SAMPLE BY ");
    let end = rest
        .rfind(&suffix)
        .ok_or_else(|| fail("no ) TIMESTAMP(ts) SAMPLE BY"))?;
    let inner = parse(&format!("SELECT * FROM {}", &rest[..end]))?;
    if inner.column != ts || inner.until.is_none() || inner.order != [ts.to_string()] {
        return Err(fail(
            "the subquery is not bounded on both sides and ordered by ts",
        ));
    }
    let sample = rest[end + suffix.len()..]
        .strip_suffix(" ALIGN TO CALENDAR")
        .ok_or_else(|| fail("no ALIGN TO CALENDAR"))?;
    let unit = sample.chars().last().unwrap_or(' ');
    let count: i64 = sample[..sample.len().saturating_sub(1)]
        .parse()
        .map_err(|_| fail("SAMPLE BY size"))?;
    let (unit_micros, parent) = match unit {
        's' => (1_000_000, 60),
        'm' => (60_000_000, 60),
        'h' => (3_600_000_000, 24),
        'd' => (86_400_000_000, 1),
        _ => return Err(fail("SAMPLE BY unit")),
    };
    if count < 1 || parent % count != 0 {
        return Err(fail(
            "a SAMPLE BY size whose calendar alignment the fake does not model",
        ));
    }
    Ok(CountQuery {
        ts: ts.to_string(),
        distinct,
        selected,
        inner,
        bucket: count * unit_micros,
    })
}

fn respond(fake: &FakeQuestDb, sql: &str, query: CountQuery) -> Response {
    let table = match fake.table_of(&query.inner.source, sql) {
        Ok(table) => table,
        Err(response) => return *response,
    };
    let index = |name: &str| table.columns.iter().position(|(n, _)| n == name);
    let Some(columns): Option<Vec<usize>> = query.selected.iter().map(|c| index(c)).collect()
    else {
        return super::error(
            axum::http::StatusCode::BAD_REQUEST,
            sql,
            "Invalid column",
            0,
        );
    };
    let until = query.inner.until.unwrap_or(i64::MAX);
    let mut seen = HashSet::new();
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for (ts, row) in &table.rows {
        if *ts < query.inner.since || *ts >= until {
            continue;
        }
        let tuple: Vec<&Value> = columns.iter().map(|&i| &row[i]).collect();
        if query.distinct && !seen.insert(json!(tuple).to_string()) {
            continue;
        }
        *buckets
            .entry(ts.div_euclid(query.bucket) * query.bucket)
            .or_default() += 1;
    }
    let dataset: Vec<Value> = buckets
        .into_iter()
        .map(|(start, n)| json!([crate::helpers::iso(start), n]))
        .collect();
    Json(json!({
        "query": sql,
        "columns": [
            {"name": query.ts, "type": "TIMESTAMP"},
            {"name": "count", "type": "LONG"},
        ],
        "timestamp": 0,
        "count": dataset.len(),
        "dataset": dataset,
    }))
    .into_response()
}
