//! The QuestDB side: `GET /exec` in pages (its wire format: docs/decisions.md#d23).
//!
//! Each page is one query, `SELECT * FROM <source> WHERE "<ts>" >= '<UTC µs timestamp>'
//! ORDER BY "<ts>"[, "<key>"...]`, with `limit=lo,hi` (1-based, inclusive). The sync
//! pages by keyset on the timestamp: the next page starts at the last timestamp seen and
//! skips the rows at exactly that timestamp already read, so QuestDB never scans from
//! the start again and a run of equal timestamps longer than a page still advances.
//! `reconcile` re-reads one bucket the same way, with an upper bound, and counts rows per
//! bucket with `SAMPLE BY` (`count.rs`).

use serde::Deserialize;
use serde::de::DeserializeSeed;

use crate::config::QuestDbSettings;
use crate::error::{Error, Result};
use crate::page::PageSeed;
use crate::streams::{Key, Stream};
use crate::types::{Batch, questdb_timestamp};

mod count;

#[derive(Clone)]
pub struct QuestDb {
    http: reqwest::Client,
    exec_url: reqwest::Url,
    timeout_ms: u128,
    credentials: Option<(String, String)>,
}

/// Which rows a page asks for: those from `since` (µs) on, past the first `skip` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub since: i64,
    pub skip: u64,
}

impl Cursor {
    /// The cursor after `batch`: its last timestamp, skipping the rows at that instant
    /// already read (counting those skipped before when the instant did not change).
    pub fn after(self, batch: &Batch) -> Self {
        let Some(&last) = batch.micros.last() else {
            return self;
        };
        let at_last = batch
            .micros
            .iter()
            .rev()
            .take_while(|&&t| t == last)
            .count() as u64;
        if last == self.since {
            Self {
                since: last,
                skip: self.skip + at_last,
            }
        } else {
            Self {
                since: last,
                skip: at_last,
            }
        }
    }
}

/// QuestDB's error answer, HTTP 400 `{query, error, position}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    position: Option<i64>,
}

impl QuestDb {
    pub fn new(settings: &QuestDbSettings) -> Result<Self> {
        let http = shared_http_client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(std::time::Duration::from_secs(10)))
            .user_agent(concat!("timescaledb-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Source(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            exec_url: settings.exec_url.clone(),
            timeout_ms: settings.timeout.as_millis(),
            credentials: settings.credentials.clone(),
        })
    }

    /// The SQL of every page of `stream` from `since` (µs since the epoch), and before
    /// `until` when given (`reconcile` re-reading one bucket).
    pub fn page_sql(stream: &Stream, since: i64, until: Option<i64>) -> String {
        let mut order = stream.timestamp.to_string();
        if let Key::Columns(keys) = &stream.key {
            for key in keys {
                order.push_str(", ");
                order.push_str(&key.to_string());
            }
        }
        format!(
            "SELECT * FROM {} WHERE {} ORDER BY {order}",
            stream.source.from_clause(),
            range(stream, since, until),
        )
    }

    /// Up to `rows` rows from `cursor`, decoded and checked against the stream.
    pub async fn page(&self, stream: &Stream, cursor: Cursor, rows: usize) -> Result<Batch> {
        self.page_until(stream, cursor, None, rows).await
    }

    /// Like [`QuestDb::page`], stopping before `until` (µs) when given.
    pub async fn page_until(
        &self,
        stream: &Stream,
        cursor: Cursor,
        until: Option<i64>,
        rows: usize,
    ) -> Result<Batch> {
        let sql = Self::page_sql(stream, cursor.since, until);
        let limit = format!("{},{}", cursor.skip + 1, cursor.skip + rows as u64);
        let batch = self
            .exec(&sql, Some(&limit), |body| {
                PageSeed {
                    stream,
                    capacity: rows,
                }
                .deserialize(&mut serde_json::Deserializer::from_slice(body))
                .map_err(|e| e.to_string())
            })
            .await?;
        check_order(&batch, cursor)?;
        Ok(batch)
    }

    /// Runs `sql` on `/exec` and decodes the answer; QuestDB's own errors (HTTP 400
    /// `{error, position}`) and transport failures become [`Error::Source`].
    pub(crate) async fn exec<T>(
        &self,
        sql: &str,
        limit: Option<&str>,
        decode: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<T> {
        let mut url = self.exec_url.clone();
        url.query_pairs_mut().append_pair("query", sql);
        if let Some(limit) = limit {
            url.query_pairs_mut().append_pair("limit", limit);
        }
        let mut request = self
            .http
            .get(url)
            .header("Statement-Timeout", self.timeout_ms.to_string());
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        if status == reqwest::StatusCode::BAD_REQUEST
            && let Ok(error) = serde_json::from_slice::<ErrorBody>(&body)
        {
            let at = error
                .position
                .map(|p| format!(" at position {p}"))
                .unwrap_or_default();
            return Err(Error::Source(format!(
                "query refused{at}: {} (query: {sql})",
                error.error
            )));
        }
        if !status.is_success() {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            return Err(Error::Source(format!(
                "HTTP {status} from /exec: {excerpt}"
            )));
        }
        decode(&body).map_err(|e| Error::Source(format!("unusable answer to {sql}: {e}")))
    }

    fn transport(&self, error: reqwest::Error) -> Error {
        let what = if error.is_timeout() {
            format!("no answer within {} ms", self.timeout_ms)
        } else if error.is_connect() {
            "cannot connect".to_string()
        } else {
            "request failed".to_string()
        };
        // Without the URL's query string: it is the whole SQL, and reqwest repeats it.
        let cause = std::error::Error::source(&error)
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        Error::Source(format!("{what} ({}){cause}", self.exec_url))
    }
}

/// `"<ts>" >= '<since>'[ AND "<ts>" < '<until>']`: only identifiers and our own literals.
pub(crate) fn range(stream: &Stream, since: i64, until: Option<i64>) -> String {
    let ts = &stream.timestamp;
    let mut sql = format!("{ts} >= '{}'", questdb_timestamp(since));
    if let Some(until) = until {
        sql.push_str(&format!(" AND {ts} < '{}'", questdb_timestamp(until)));
    }
    sql
}

/// The keyset paging and the watermark rely on the order asked for: refuse a page that is
/// not sorted by timestamp or starts before the cursor.
fn check_order(batch: &Batch, cursor: Cursor) -> Result<()> {
    let sorted = batch
        .micros
        .first()
        .is_none_or(|&first| first >= cursor.since)
        && batch.micros.windows(2).all(|w| w[0] <= w[1]);
    if sorted {
        Ok(())
    } else {
        Err(Error::Source(
            "rows came back out of timestamp order; does the source query reorder them?".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::{Ident, Source};

    #[test]
    fn the_page_sql_splices_only_identifiers_and_one_timestamp() {
        let mut stream = Stream::tp_capital_signals(10);
        assert_eq!(
            QuestDb::page_sql(&stream, 1_700_000_000_000_001, None),
            r#"SELECT * FROM "tp_capital_signals" WHERE "ts" >= '2023-11-14T22:13:20.000001Z' ORDER BY "ts""#
        );
        stream.source = Source::Query("SELECT * FROM x WHERE a = 'b';".into());
        stream.key = Key::Columns(vec![Ident::parse("id").expect("ident")]);
        assert_eq!(
            QuestDb::page_sql(&stream, 0, Some(3_600_000_000)),
            r#"SELECT * FROM (SELECT * FROM x WHERE a = 'b') WHERE "ts" >= '1970-01-01T00:00:00.000000Z' AND "ts" < '1970-01-01T01:00:00.000000Z' ORDER BY "ts", "id""#
        );
    }

    fn batch(micros: &[i64]) -> Batch {
        let stream = Stream::tp_capital_signals(10);
        let rows: Vec<String> = micros
            .iter()
            .map(|m| format!(r#"["{}"]"#, questdb_timestamp(*m)))
            .collect();
        let json = format!(
            r#"{{"columns":[{{"name":"ts","type":"TIMESTAMP"}}],"dataset":[{}]}}"#,
            rows.join(",")
        );
        PageSeed {
            stream: &stream,
            capacity: 4,
        }
        .deserialize(&mut serde_json::Deserializer::from_str(&json))
        .expect("valid")
    }

    #[test]
    fn the_cursor_skips_rows_at_the_last_instant_already_read() {
        let start = Cursor { since: 0, skip: 0 };
        let next = start.after(&batch(&[1, 2, 5, 5]));
        assert_eq!(next, Cursor { since: 5, skip: 2 });
        // A page entirely at the same instant: keep counting.
        let next = next.after(&batch(&[5, 5, 5]));
        assert_eq!(next, Cursor { since: 5, skip: 5 });
        assert_eq!(next.after(&batch(&[5, 6])), Cursor { since: 6, skip: 1 });
        assert_eq!(next.after(&batch(&[])), next);
    }

    #[test]
    fn out_of_order_pages_are_refused() {
        assert!(check_order(&batch(&[1, 2, 2, 3]), Cursor { since: 1, skip: 0 }).is_ok());
        assert!(check_order(&batch(&[2, 1]), Cursor { since: 0, skip: 0 }).is_err());
        assert!(check_order(&batch(&[1, 2]), Cursor { since: 2, skip: 0 }).is_err());
    }
}
