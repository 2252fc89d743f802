//! QuestDB column types, their PostgreSQL counterparts, and the columnar [`Batch`] a
//! page is decoded into ([`crate::page`]).
//!
//! Encodings follow QuestDB's REST documentation: TIMESTAMP is ISO-8601 UTC with six
//! fractional digits and `Z`, DATE has three, TIMESTAMP_NS nine; NULL and NaN are JSON
//! `null`; LONG is a JSON number; SYMBOL/STRING/VARCHAR are strings.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::streams::{Ident, Key, ROW_HASH_COLUMN, Stream};

/// How a QuestDB column is carried and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Text,
    /// DATE (ms), TIMESTAMP (µs) and TIMESTAMP_NS (ns, stored truncated to µs).
    Timestamp,
    Uuid,
    /// IPv4, carried as text and cast to `inet`.
    Inet,
    /// DOUBLE[] of any dimension, carried as an array literal and cast.
    DoubleArray,
}

impl Kind {
    /// The QuestDB type names of `columns[].type`; an error says why a type is refused.
    pub fn of(questdb_type: &str) -> Result<Self, String> {
        let upper = questdb_type.trim().to_ascii_uppercase();
        Ok(match upper.as_str() {
            "BOOLEAN" => Self::Bool,
            "BYTE" | "SHORT" => Self::Int16,
            "INT" => Self::Int32,
            "LONG" => Self::Int64,
            "FLOAT" => Self::Float32,
            "DOUBLE" => Self::Float64,
            "CHAR" | "SYMBOL" | "STRING" | "VARCHAR" | "LONG256" => Self::Text,
            "DATE" | "TIMESTAMP" | "TIMESTAMP_NS" => Self::Timestamp,
            "UUID" => Self::Uuid,
            "IPV4" => Self::Inet,
            t if t.starts_with("GEOHASH(") => Self::Text,
            t if t.starts_with("DOUBLE[") => Self::DoubleArray,
            "BINARY" => return Err("BINARY, whose bytes /exec does not return".into()),
            t if t.starts_with("DECIMAL") => {
                return Err(format!("{t}, which JSON numbers cannot carry exactly"));
            }
            other => return Err(format!("{other}, which the sync does not know")),
        })
    }

    /// The target column's type.
    pub fn pg_type(self) -> &'static str {
        match self {
            Self::Bool => "boolean",
            Self::Int16 => "smallint",
            Self::Int32 => "integer",
            Self::Int64 => "bigint",
            Self::Float32 => "real",
            Self::Float64 => "double precision",
            Self::Text => "text",
            Self::Timestamp => "timestamptz",
            Self::Uuid => "uuid",
            Self::Inet => "inet",
            Self::DoubleArray => "double precision[]",
        }
    }

    /// The element type of the array parameter a batch binds for this column.
    pub fn param_type(self) -> &'static str {
        match self {
            Self::Inet | Self::DoubleArray => "text",
            other => other.pg_type(),
        }
    }
}

/// One column as QuestDB describes it in `columns[]`.
#[derive(Debug, Deserialize)]
pub struct RawColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: Ident,
    pub questdb_type: String,
    pub kind: Kind,
}

/// A page's columns, checked against the stream: valid names, known types, the
/// timestamp and key columns present, no clash with the row-hash column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub columns: Vec<Column>,
    /// Index of the designated timestamp.
    pub timestamp: usize,
    /// Whether rows carry a hash (streams without key columns).
    pub hashed: bool,
}

impl Layout {
    pub fn new(stream: &Stream, raw: Vec<RawColumn>) -> Result<Self, String> {
        let mut columns: Vec<Column> = Vec::with_capacity(raw.len());
        for RawColumn { name, type_name } in raw {
            let ident = Ident::parse(&name).ok_or_else(|| {
                format!(
                    "source column {name:?} is not an identifier (alias it in the source query)"
                )
            })?;
            if columns.iter().any(|c| c.name == ident) {
                return Err(format!("source column {name} appears twice"));
            }
            let kind = Kind::of(&type_name)
                .map_err(|why| format!("source column {name} has type {why}"))?;
            columns.push(Column {
                name: ident,
                questdb_type: type_name,
                kind,
            });
        }
        let position = |name: &Ident| columns.iter().position(|c| c.name == *name);
        let timestamp = position(&stream.timestamp).ok_or_else(|| {
            format!(
                "the source has no timestamp column {}",
                stream.timestamp.as_str()
            )
        })?;
        if columns[timestamp].kind != Kind::Timestamp {
            return Err(format!(
                "timestamp column {} has type {}, not a timestamp",
                stream.timestamp.as_str(),
                columns[timestamp].questdb_type
            ));
        }
        let hashed = match &stream.key {
            Key::RowHash => true,
            Key::Columns(keys) => {
                if let Some(missing) = keys.iter().find(|k| position(k).is_none()) {
                    return Err(format!("the source has no key column {}", missing.as_str()));
                }
                false
            }
        };
        if hashed && columns.iter().any(|c| c.name.as_str() == ROW_HASH_COLUMN) {
            return Err(format!(
                "source column {ROW_HASH_COLUMN} clashes with the row hash; configure key columns"
            ));
        }
        Ok(Self {
            columns,
            timestamp,
            hashed,
        })
    }
}

/// One column's values in a batch, in the type bound for PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Bool(Vec<Option<bool>>),
    Int16(Vec<Option<i16>>),
    Int32(Vec<Option<i32>>),
    Int64(Vec<Option<i64>>),
    Float32(Vec<Option<f32>>),
    Float64(Vec<Option<f64>>),
    /// TEXT, and the text forms of `inet` and `double precision[]`.
    Text(Vec<Option<String>>),
    Timestamp(Vec<Option<DateTime<Utc>>>),
    Uuid(Vec<Option<Uuid>>),
}

impl Values {
    pub(crate) fn new(kind: Kind, capacity: usize) -> Self {
        match kind {
            Kind::Bool => Self::Bool(Vec::with_capacity(capacity)),
            Kind::Int16 => Self::Int16(Vec::with_capacity(capacity)),
            Kind::Int32 => Self::Int32(Vec::with_capacity(capacity)),
            Kind::Int64 => Self::Int64(Vec::with_capacity(capacity)),
            Kind::Float32 => Self::Float32(Vec::with_capacity(capacity)),
            Kind::Float64 => Self::Float64(Vec::with_capacity(capacity)),
            Kind::Text | Kind::Inet | Kind::DoubleArray => Self::Text(Vec::with_capacity(capacity)),
            Kind::Timestamp => Self::Timestamp(Vec::with_capacity(capacity)),
            Kind::Uuid => Self::Uuid(Vec::with_capacity(capacity)),
        }
    }
}

/// One page of rows, column by column.
#[derive(Debug)]
pub struct Batch {
    pub layout: Arc<Layout>,
    pub values: Vec<Values>,
    /// The row hashes (first 16 bytes of SHA-256), empty for keyed streams.
    pub hashes: Vec<Vec<u8>>,
    /// The designated timestamp of each row, in µs (floored), in page order.
    pub micros: Vec<i64>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f…]Z` (1 to 9 fractional digits) → seconds and nanoseconds.
pub fn parse_timestamp(text: &str) -> Option<(i64, u32)> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range.clone())?.iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[b.len() - 1] == b'Z';
    if !shape {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    let time = date.and_hms_opt(digits(11..13)?, digits(14..16)?, digits(17..19)?)?;
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(20..b.len() - 1)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    Some((time.and_utc().timestamp(), nanos))
}

/// The only value the sync splices into QuestDB SQL: a UTC timestamp, exactly
/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, clamped to QuestDB's range from the epoch on.
pub fn questdb_timestamp(micros: i64) -> String {
    let micros = micros.clamp(0, 253_402_300_799_999_999); // 1970 .. 9999-12-31T23:59:59.999999Z
    format_micros(micros)
}

/// RFC 3339 with microseconds and `Z`, as summaries and status lines show watermarks.
pub fn format_micros(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[cfg(test)]
mod tests;
