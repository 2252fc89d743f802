//! What a stream is (source, designated timestamp, key, target, overlap, batch size), the
//! identifiers it is made of, and the streams file `config/sync-streams.toml`.
//!
//! QuestDB's `/exec` has no bind parameters, so everything the sync splices into SQL is
//! either an [`Ident`] (validated, always double-quoted when formatted) or a timestamp it
//! formats itself. A configured source query is trusted operator input, used whole as a
//! subquery.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

pub const DEFAULT_STREAM: &str = "tp_capital_signals";
pub const DEFAULT_TIMESTAMP_COLUMN: &str = "ts";
pub const DEFAULT_OVERLAP_SECONDS: u64 = 600;
pub const MAX_OVERLAP_SECONDS: u64 = 30 * 86_400;
pub const DEFAULT_BATCH_SIZE: usize = 5000;
pub const MAX_BATCH_SIZE: usize = 100_000;
/// The target column holding the row hash of streams without key columns.
pub const ROW_HASH_COLUMN: &str = "row_hash";
pub const IDENT_FORM: &str =
    "an identifier matching ^[A-Za-z_][A-Za-z0-9_]*$ (at most 63 characters)";

/// A validated SQL identifier. `Display` double-quotes it, so formatting one into SQL is
/// always safe; [`Ident::as_str`] is the bare name for logs, labels and file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident(String);

impl Ident {
    /// `^[A-Za-z_][A-Za-z0-9_]*$`, at most 63 bytes (PostgreSQL truncates longer names).
    pub fn parse(raw: &str) -> Option<Self> {
        let mut chars = raw.chars();
        let valid = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
            && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
            && raw.len() <= 63;
        valid.then(|| Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0)
    }
}

/// Where a stream reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Table(Ident),
    /// Operator-supplied SQL, wrapped as a subquery that the sync filters and orders.
    Query(String),
}

impl Source {
    /// The text after `FROM`.
    pub fn from_clause(&self) -> String {
        match self {
            Self::Table(table) => table.to_string(),
            Self::Query(sql) => format!("({})", sql.trim().trim_end_matches(';')),
        }
    }
}

/// How a stream's rows are told apart in the target, beside the timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A hash of every source column, for sources without a natural key.
    RowHash,
    Columns(Vec<Ident>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The `sync_control` key, metrics label and lock name.
    pub name: Ident,
    pub source: Source,
    /// The designated timestamp: rows are read in its order and the watermark follows it.
    pub timestamp: Ident,
    pub key: Key,
    pub target: Ident,
    /// How far behind the watermark each run starts again, to catch late rows.
    pub overlap: Duration,
    pub batch_size: usize,
}

impl Stream {
    /// The default stream: QuestDB `tp_capital_signals` into a table of the same name,
    /// keyed by `(ts, row hash)` (the source has no key column), overlap 10 minutes.
    pub fn tp_capital_signals(batch_size: usize) -> Self {
        let name = Ident(DEFAULT_STREAM.to_string());
        Self {
            source: Source::Table(name.clone()),
            target: name.clone(),
            name,
            timestamp: Ident(DEFAULT_TIMESTAMP_COLUMN.to_string()),
            key: Key::RowHash,
            overlap: Duration::from_secs(DEFAULT_OVERLAP_SECONDS),
            batch_size,
        }
    }

    /// The unique key of the target table: the timestamp first (TimescaleDB requires the
    /// partitioning column in every unique index), then the key columns or the row hash.
    pub fn key_columns(&self) -> Vec<String> {
        let mut columns = vec![self.timestamp.to_string()];
        match &self.key {
            Key::RowHash => columns.push(format!("\"{ROW_HASH_COLUMN}\"")),
            Key::Columns(keys) => columns.extend(keys.iter().map(Ident::to_string)),
        }
        columns
    }
}

/// Checks that hold whichever way a stream was configured; each problem is one line.
pub fn cross_checks(stream: &Stream) -> Vec<String> {
    let mut problems = Vec::new();
    if let Key::Columns(keys) = &stream.key {
        for (i, key) in keys.iter().enumerate() {
            if *key == stream.timestamp {
                problems.push(format!(
                    "stream {}: key column {} repeats the timestamp column (it is always part of the key)",
                    stream.name.as_str(),
                    key.as_str()
                ));
            }
            if keys[..i].contains(key) {
                problems.push(format!(
                    "stream {}: key column {} is listed twice",
                    stream.name.as_str(),
                    key.as_str()
                ));
            }
        }
    }
    if let Source::Query(sql) = &stream.source
        && sql.trim().trim_end_matches(';').trim().is_empty()
    {
        problems.push(format!(
            "stream {}: the source query is empty",
            stream.name.as_str()
        ));
    }
    problems
}

/// One `[[stream]]` table of the streams file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileStream {
    name: String,
    source_table: Option<String>,
    source_query: Option<String>,
    timestamp_column: Option<String>,
    #[serde(default)]
    key_columns: Vec<String>,
    target_table: Option<String>,
    overlap_seconds: Option<u64>,
    batch_size: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamsFile {
    #[serde(default, rename = "stream")]
    streams: Vec<FileStream>,
}

/// Parses the streams file at `path`; `default_batch` applies where `batch_size` is absent.
/// Every problem found is returned, one line each, prefixed with the file name.
pub fn load_file(path: &Path, default_batch: usize) -> Result<Vec<Stream>, Vec<String>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{shown}: {e}")])?;
    let file: StreamsFile = toml::from_str(&text)
        .map_err(|e| vec![format!("{shown}: {}", e.to_string().replace('\n', " "))])?;
    if file.streams.is_empty() {
        return Err(vec![format!("{shown}: no [[stream]] table")]);
    }
    let mut problems = Vec::new();
    let mut streams: Vec<Stream> = Vec::new();
    for (index, raw) in file.streams.into_iter().enumerate() {
        let prefix = format!("{shown}: stream #{}", index + 1);
        let p = &mut problems;
        let bad = |p: &mut Vec<String>, field: &str, value: &str, expected: &str| {
            p.push(format!(
                "{prefix} {field} {value:?} is invalid (expected {expected})"
            ));
        };
        let ident = |p: &mut Vec<String>, field: &str, value: &str| {
            let parsed = Ident::parse(value);
            if parsed.is_none() {
                bad(p, field, value, IDENT_FORM);
            }
            parsed
        };
        let name = ident(p, "name", &raw.name);
        let source = match (&raw.source_table, &raw.source_query) {
            (Some(_), Some(_)) => {
                bad(
                    p,
                    "source_query",
                    "…",
                    "either source_table or source_query, not both",
                );
                None
            }
            (Some(table), None) => ident(p, "source_table", table).map(Source::Table),
            (None, Some(sql)) => Some(Source::Query(sql.clone())),
            (None, None) => name.clone().map(Source::Table),
        };
        let timestamp = ident(
            p,
            "timestamp_column",
            raw.timestamp_column
                .as_deref()
                .unwrap_or(DEFAULT_TIMESTAMP_COLUMN),
        );
        let keys: Vec<Option<Ident>> = raw
            .key_columns
            .iter()
            .map(|k| ident(p, "key_columns", k))
            .collect();
        let target = match &raw.target_table {
            Some(table) => ident(p, "target_table", table),
            None => name.clone(),
        };
        let overlap = raw.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
        if overlap > MAX_OVERLAP_SECONDS {
            bad(
                p,
                "overlap_seconds",
                &overlap.to_string(),
                &format!("0 to {MAX_OVERLAP_SECONDS}"),
            );
        }
        let batch_size = raw.batch_size.unwrap_or(default_batch);
        if !(1..=MAX_BATCH_SIZE).contains(&batch_size) {
            bad(
                p,
                "batch_size",
                &batch_size.to_string(),
                &format!("1 to {MAX_BATCH_SIZE}"),
            );
        }
        let (Some(name), Some(source), Some(timestamp), Some(target)) =
            (name, source, timestamp, target)
        else {
            continue;
        };
        let Some(keys) = keys.into_iter().collect::<Option<Vec<Ident>>>() else {
            continue;
        };
        let stream = Stream {
            key: if keys.is_empty() {
                Key::RowHash
            } else {
                Key::Columns(keys)
            },
            name,
            source,
            timestamp,
            target,
            overlap: Duration::from_secs(overlap),
            batch_size,
        };
        if streams.iter().any(|s| s.name == stream.name) {
            problems.push(format!(
                "{shown}: stream name {} is used twice",
                stream.name.as_str()
            ));
        }
        problems.extend(
            cross_checks(&stream)
                .into_iter()
                .map(|p| format!("{shown}: {p}")),
        );
        streams.push(stream);
    }
    if problems.is_empty() {
        Ok(streams)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_strict_and_always_quoted() {
        for good in ["ts", "_x", "tp_capital_signals", "A1_b2"] {
            let ident = Ident::parse(good).expect(good);
            assert_eq!(ident.to_string(), format!("\"{good}\""));
        }
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "a\"b",
            "x;DROP",
            "é",
            "ts'",
            &"a".repeat(64),
        ] {
            assert!(Ident::parse(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_query_source_is_wrapped_whole() {
        let source = Source::Query("SELECT * FROM t WHERE x = 'a';\n".to_string());
        assert_eq!(source.from_clause(), "(SELECT * FROM t WHERE x = 'a')");
        let table = Source::Table(Ident::parse("t").expect("ident"));
        assert_eq!(table.from_clause(), "\"t\"");
    }

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sync-streams.toml");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn streams_file_defaults_and_keys() {
        let (_dir, path) = write(
            r#"
[[stream]]
name = "tp_capital_signals"

[[stream]]
name = "events"
source_query = "SELECT * FROM langgraph_events"
timestamp_column = "timestamp"
key_columns = ["event_id"]
target_table = "langgraph_events"
overlap_seconds = 60
batch_size = 100
"#,
        );
        let streams = load_file(&path, 5000).expect("valid");
        assert_eq!(streams[0], Stream::tp_capital_signals(5000));
        let events = &streams[1];
        assert_eq!(
            events.source,
            Source::Query("SELECT * FROM langgraph_events".into())
        );
        assert_eq!(events.key_columns(), ["\"timestamp\"", "\"event_id\""]);
        assert_eq!(events.target.as_str(), "langgraph_events");
        assert_eq!((events.overlap.as_secs(), events.batch_size), (60, 100));
    }

    #[test]
    fn every_problem_of_the_streams_file_is_reported() {
        let (_dir, path) = write(
            r#"
[[stream]]
name = "bad-name"
target_table = "x; DROP TABLE y"
key_columns = ["ts", "a b"]
batch_size = 0

[[stream]]
name = "ok"
key_columns = ["ts"]

[[stream]]
name = "ok"
"#,
        );
        let problems = load_file(&path, 5000).expect_err("invalid");
        let text = problems.join("\n");
        for needle in [
            "stream #1 name \"bad-name\"",
            "stream #1 target_table \"x; DROP TABLE y\"",
            "stream #1 key_columns \"a b\"",
            "stream #1 batch_size \"0\"",
            "stream ok: key column ts repeats the timestamp column",
            "stream name ok is used twice",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        assert_eq!(problems.len(), 6, "{text}");
    }

    #[test]
    fn unknown_fields_and_syntax_errors_name_the_file() {
        let (_dir, path) = write("[[stream]]\nname = \"a\"\noverlap = \"10m\"\n");
        let problems = load_file(&path, 5000).expect_err("invalid");
        assert!(
            problems[0].contains("sync-streams.toml") && problems[0].contains("overlap"),
            "{problems:?}"
        );
        let (_dir, path) = write("[[stream]]\n");
        assert!(load_file(&path, 5000).is_err());
    }
}
