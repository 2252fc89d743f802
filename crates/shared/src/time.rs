//! Timestamps as the fleet writes them: UTC RFC 3339 with milliseconds and `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn rfc3339_millis(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now_rfc3339() -> String {
    rfc3339_millis(Utc::now())
}

/// Serde helpers so response structs serialize `DateTime<Utc>` the fleet's way.
pub mod serde_millis {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339_millis(*at))
    }

    pub mod option {
        use super::*;
        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&crate::time::rfc3339_millis(*at)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn millis_and_z() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 29, 17, 53, 55)
            .single()
            .expect("valid")
            + chrono::Duration::microseconds(17_123);
        assert_eq!(rfc3339_millis(at), "2026-11-29T17:53:55.017Z");
    }
}
