//! Reading the originals' rows: their ids, their times in every form they were written,
//! and the ids given to rows whose original id is not a UUID.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The UUIDv7 of a row whose original id is not a UUID: its time is the row's creation
/// time (to the millisecond) and its other bits a hash of `kind` and the old id, so the
/// same row gets the same id on every run (which is what makes a rerun find it).
pub fn legacy_uuid(kind: &str, legacy_id: &str, created_at: DateTime<Utc>) -> Uuid {
    let digest = Sha256::digest(format!("{kind}\u{0}{legacy_id}").as_bytes());
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(created_at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

/// A time of the original's JSON: RFC 3339 (`…Z`, `…+00:00`), or PostgreSQL's text of a
/// `timestamp` without time zone (`2025-11-01T10:00:00.123`, read as UTC, which is how
/// the originals wrote them), or milliseconds since the epoch.
pub fn legacy_time(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    use chrono::SubsecRound;
    let at = match value {
        serde_json::Value::String(text) => {
            let text = text.trim();
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                        .iter()
                        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
                        .map(|t| t.and_utc())
                })
                .or_else(|| {
                    // PostgreSQL's own text form: `2025-11-01 10:00:00.123+00`.
                    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                })
        }
        serde_json::Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    }?;
    // The precision both backends store.
    Some(at.trunc_subsecs(6))
}

/// The first of `keys` present in `row` and not null.
pub fn field<'a>(row: &'a serde_json::Value, keys: &[&str]) -> Option<&'a serde_json::Value> {
    keys.iter()
        .find_map(|k| row.get(k).filter(|v| !v.is_null()))
}

/// An id as text: strings as they are, numbers (SERIAL ids) as digits.
pub fn legacy_id(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_ids_are_stable_v7_carrying_the_creation_time() {
        let at = legacy_time(&json!("2025-03-04T05:06:07.089Z")).expect("time");
        let a = legacy_uuid("item", "7", at);
        assert_eq!(a, legacy_uuid("item", "7", at));
        assert_ne!(a, legacy_uuid("item", "8", at));
        assert_eq!(a.get_version_num(), 7);
        let (secs, nanos) = a.get_timestamp().expect("v7").to_unix();
        assert_eq!(secs, u64::try_from(at.timestamp()).expect("after 1970"));
        assert_eq!(nanos / 1_000_000, 89);
    }

    #[test]
    fn times_in_every_form_the_originals_wrote() {
        let want = legacy_time(&json!("2025-11-01T10:00:00.123Z")).expect("rfc3339");
        for form in [
            json!("2025-11-01T10:00:00.123+00:00"),
            json!("2025-11-01T10:00:00.123"),
            json!("2025-11-01 10:00:00.123"),
            json!("2025-11-01 10:00:00.123+00"),
            json!(want.timestamp_millis()),
        ] {
            assert_eq!(legacy_time(&form), Some(want), "{form}");
        }
        assert_eq!(legacy_time(&json!("soon")), None);
    }
}
