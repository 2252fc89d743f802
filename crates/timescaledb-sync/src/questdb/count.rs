//! The source side of `reconcile`: rows per bucket, as the target can hold them.
//!
//! One query per stream and window:
//!
//! ```sql
//! SELECT "ts", count() FROM (SELECT [DISTINCT] "ts"[, "<key>"...] FROM <source>
//!   WHERE "ts" >= '<from>' AND "ts" < '<until>' ORDER BY "ts") TIMESTAMP("ts")
//!   SAMPLE BY 1h ALIGN TO CALENDAR
//! ```
//!
//! `TIMESTAMP("ts")` makes the column designated for `SAMPLE BY` whatever the source is
//! (a table whose designated timestamp is another column, or an operator's query), and
//! the inner `ORDER BY` gives it the order that requires. A keyed stream counts distinct
//! `(ts, keys)`, which is what its target holds; a hash-keyed stream counts rows, since
//! QuestDB cannot hash rows the way the sync does (see `crate::reconcile`). QuestDB
//! answers with one row per non-empty bucket, the bucket's start in the first column:
//! `{"columns":[{"name":"ts","type":"TIMESTAMP"},{"name":"count","type":"LONG"}],
//! "dataset":[["2025-01-01T00:00:00.000000Z",3600],...]}`.

use serde::Deserialize;

use super::{QuestDb, range};
use crate::error::Result;
use crate::span::{Span, Window};
use crate::streams::{Key, Stream};
use crate::types::{RawColumn, parse_timestamp};

#[derive(Deserialize)]
struct Answer {
    columns: Vec<RawColumn>,
    #[serde(default)]
    dataset: Vec<(String, u64)>,
}

impl QuestDb {
    pub fn count_sql(stream: &Stream, window: &Window, bucket: Span) -> String {
        let ts = &stream.timestamp;
        let selected = match &stream.key {
            Key::RowHash => ts.to_string(),
            Key::Columns(keys) => {
                let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
                format!("DISTINCT {ts}, {}", keys.join(", "))
            }
        };
        format!(
            "SELECT {ts}, count() FROM (SELECT {selected} FROM {} WHERE {} ORDER BY {ts}) TIMESTAMP({ts}) SAMPLE BY {bucket} ALIGN TO CALENDAR",
            stream.source.from_clause(),
            range(stream, window.from, Some(window.until)),
        )
    }

    /// `(bucket start in µs, count)` for each non-empty bucket of `window`, checked to lie
    /// on the window's grid (a QuestDB aligning otherwise would make every bucket differ).
    pub async fn counts(
        &self,
        stream: &Stream,
        window: &Window,
        bucket: Span,
    ) -> Result<Vec<(i64, u64)>> {
        let sql = Self::count_sql(stream, window, bucket);
        self.exec(&sql, None, |body| {
            let answer: Answer = serde_json::from_slice(body).map_err(|e| e.to_string())?;
            let types: Vec<String> = answer
                .columns
                .iter()
                .map(|c| c.type_name.to_ascii_uppercase())
                .collect();
            if !matches!(types.as_slice(), [t, n] if t.starts_with("TIMESTAMP") && n == "LONG") {
                return Err(format!("expected (TIMESTAMP, LONG) columns, got {types:?}"));
            }
            answer
                .dataset
                .into_iter()
                .map(|(start, count)| {
                    let micros = parse_timestamp(&start)
                        .map(|(secs, nanos)| secs * 1_000_000 + i64::from(nanos / 1000))
                        .ok_or_else(|| format!("bucket {start:?} is not a timestamp"))?;
                    let aligned = micros % window.bucket == 0
                        && (window.from..window.until).contains(&micros);
                    if !aligned {
                        return Err(format!(
                            "bucket {start} is not on the {bucket} grid of the window"
                        ));
                    }
                    Ok((micros, count))
                })
                .collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::Ident;

    #[test]
    fn the_count_sql_counts_what_the_target_can_hold() {
        let mut stream = Stream::tp_capital_signals(10);
        let window = Window {
            from: 0,
            until: 7_200_000_000,
            bucket: 3_600_000_000,
        };
        let hour = crate::span::parse_bucket("1h").expect("bucket");
        assert_eq!(
            QuestDb::count_sql(&stream, &window, hour),
            r#"SELECT "ts", count() FROM (SELECT "ts" FROM "tp_capital_signals" WHERE "ts" >= '1970-01-01T00:00:00.000000Z' AND "ts" < '1970-01-01T02:00:00.000000Z' ORDER BY "ts") TIMESTAMP("ts") SAMPLE BY 1h ALIGN TO CALENDAR"#
        );
        stream.key = Key::Columns(vec![
            Ident::parse("id").expect("ident"),
            Ident::parse("kind").expect("ident"),
        ]);
        assert!(
            QuestDb::count_sql(&stream, &window, hour)
                .starts_with(r#"SELECT "ts", count() FROM (SELECT DISTINCT "ts", "id", "kind" FROM "tp_capital_signals" WHERE"#)
        );
    }
}
