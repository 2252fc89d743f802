//! The columns that have no type common to both engines, and how each engine binds and
//! reads them: ids (`UUID` / `TEXT`), times (`TIMESTAMPTZ` / `INTEGER` microseconds),
//! string lists (`TEXT[]` / JSON text) and JSON (`JSONB` / JSON text). A repository
//! written once over `DB: Codec` binds `DB::time(at)` and reads `DB::get_time(row, "at")`
//! whichever engine the URL picked.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{Encode, Postgres, Row, Sqlite, Type};
use uuid::Uuid;

pub trait Codec: sqlx::Database {
    type Uuid: for<'q> Encode<'q, Self> + Type<Self> + Send;
    type Time: for<'q> Encode<'q, Self> + Type<Self> + Send;
    type Strings<'a>: for<'q> Encode<'q, Self> + Type<Self> + Send;
    type Json<'a>: for<'q> Encode<'q, Self> + Type<Self> + Send;

    fn uuid(id: Uuid) -> Self::Uuid;
    fn time(at: DateTime<Utc>) -> Self::Time;
    /// A time inside a JSON parameter, as the engine's time column stores it.
    fn json_time(at: DateTime<Utc>) -> Value;
    fn strings(values: &[String]) -> Self::Strings<'_>;
    fn json(value: &Value) -> Self::Json<'_>;

    fn get_uuid(row: &Self::Row, column: &str) -> sqlx::Result<Uuid>;
    fn get_time(row: &Self::Row, column: &str) -> sqlx::Result<DateTime<Utc>>;
    fn get_strings(row: &Self::Row, column: &str) -> sqlx::Result<Vec<String>>;
    fn get_json(row: &Self::Row, column: &str) -> sqlx::Result<Option<Value>>;
    fn get_opt_uuid(row: &Self::Row, column: &str) -> sqlx::Result<Option<Uuid>>;
    fn get_opt_time(row: &Self::Row, column: &str) -> sqlx::Result<Option<DateTime<Utc>>>;

    // The common types, readable without naming the engine's column-index bounds.
    fn get_text(row: &Self::Row, column: &str) -> sqlx::Result<String>;
    fn get_opt_text(row: &Self::Row, column: &str) -> sqlx::Result<Option<String>>;
    fn get_i64(row: &Self::Row, column: &str) -> sqlx::Result<i64>;
    fn get_opt_i64(row: &Self::Row, column: &str) -> sqlx::Result<Option<i64>>;
    fn get_f64(row: &Self::Row, column: &str) -> sqlx::Result<Option<f64>>;
    fn get_bool(row: &Self::Row, column: &str) -> sqlx::Result<bool>;
    fn get_bytes(row: &Self::Row, column: &str) -> sqlx::Result<Vec<u8>>;
}

/// The common-type getters, the same text for both engines.
macro_rules! common_getters {
    ($row:ty) => {
        fn get_text(row: &$row, column: &str) -> sqlx::Result<String> {
            row.try_get(column)
        }
        fn get_opt_text(row: &$row, column: &str) -> sqlx::Result<Option<String>> {
            row.try_get(column)
        }
        fn get_i64(row: &$row, column: &str) -> sqlx::Result<i64> {
            row.try_get(column)
        }
        fn get_opt_i64(row: &$row, column: &str) -> sqlx::Result<Option<i64>> {
            row.try_get(column)
        }
        fn get_f64(row: &$row, column: &str) -> sqlx::Result<Option<f64>> {
            row.try_get(column)
        }
        fn get_bool(row: &$row, column: &str) -> sqlx::Result<bool> {
            row.try_get(column)
        }
        fn get_bytes(row: &$row, column: &str) -> sqlx::Result<Vec<u8>> {
            row.try_get(column)
        }
        fn get_opt_uuid(row: &$row, column: &str) -> sqlx::Result<Option<Uuid>> {
            let present: Option<Self::Uuid> = row.try_get(column)?;
            match present {
                Some(_) => Self::get_uuid(row, column).map(Some),
                None => Ok(None),
            }
        }
        fn get_opt_time(row: &$row, column: &str) -> sqlx::Result<Option<DateTime<Utc>>> {
            let present: Option<Self::Time> = row.try_get(column)?;
            match present {
                Some(_) => Self::get_time(row, column).map(Some),
                None => Ok(None),
            }
        }
    };
}

impl Codec for Postgres {
    type Uuid = Uuid;
    type Time = DateTime<Utc>;
    type Strings<'a> = &'a [String];
    type Json<'a> = Json<&'a Value>;

    fn uuid(id: Uuid) -> Uuid {
        id
    }
    fn time(at: DateTime<Utc>) -> DateTime<Utc> {
        at
    }
    fn json_time(at: DateTime<Utc>) -> Value {
        Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    }
    fn strings(values: &[String]) -> &[String] {
        values
    }
    fn json(value: &Value) -> Json<&Value> {
        Json(value)
    }

    fn get_uuid(row: &PgRow, column: &str) -> sqlx::Result<Uuid> {
        row.try_get(column)
    }
    fn get_time(row: &PgRow, column: &str) -> sqlx::Result<DateTime<Utc>> {
        row.try_get(column)
    }
    fn get_strings(row: &PgRow, column: &str) -> sqlx::Result<Vec<String>> {
        row.try_get(column)
    }
    fn get_json(row: &PgRow, column: &str) -> sqlx::Result<Option<Value>> {
        let value: Option<Json<Value>> = row.try_get(column)?;
        Ok(value.map(|Json(v)| v))
    }
    common_getters!(PgRow);
}

impl Codec for Sqlite {
    type Uuid = String;
    type Time = i64;
    type Strings<'a> = String;
    type Json<'a> = String;

    fn uuid(id: Uuid) -> String {
        id.to_string()
    }
    fn time(at: DateTime<Utc>) -> i64 {
        at.timestamp_micros()
    }
    fn json_time(at: DateTime<Utc>) -> Value {
        Value::from(at.timestamp_micros())
    }
    fn strings(values: &[String]) -> String {
        to_json(values)
    }
    fn json(value: &Value) -> String {
        to_json(value)
    }

    fn get_uuid(row: &SqliteRow, column: &str) -> sqlx::Result<Uuid> {
        let text: String = row.try_get(column)?;
        Uuid::parse_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
    }
    fn get_time(row: &SqliteRow, column: &str) -> sqlx::Result<DateTime<Utc>> {
        let micros: i64 = row.try_get(column)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| sqlx::Error::Decode(format!("{column} out of range").into()))
    }
    fn get_strings(row: &SqliteRow, column: &str) -> sqlx::Result<Vec<String>> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
    }
    fn get_json(row: &SqliteRow, column: &str) -> sqlx::Result<Option<Value>> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(e.into())))
            .transpose()
    }
    common_getters!(SqliteRow);
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}
