//! The correlation id of decision 4.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's correlation id: the response header's value, which is also its text (for
/// the log, the envelope and audit rows).
#[derive(Clone, Debug)]
pub struct CorrelationId(HeaderValue);

impl CorrelationId {
    /// The caller's id when well-formed, otherwise a fresh UUIDv7.
    pub fn of(headers: &HeaderMap) -> Self {
        let given = [&CORRELATION_ID, &REQUEST_ID]
            .into_iter()
            .find_map(|name| headers.get(name))
            .filter(|value| value.to_str().is_ok_and(is_valid_correlation_id));
        if let Some(value) = given {
            return Self(value.clone());
        }
        let mut buffer = uuid::Uuid::encode_buffer();
        // A v7 without uuid's shared monotonic context: that context is a mutex every
        // worker would take; ids need to be unique, not strictly ordered.
        let uuid = uuid::Uuid::new_v7(uuid::Timestamp::now(uuid::NoContext));
        let text = uuid.hyphenated().encode_lower(&mut buffer);
        Self(HeaderValue::from_str(text).expect("a UUID is a valid header value"))
    }

    /// A fixed id, for tests.
    pub const fn from_static(id: &'static str) -> Self {
        Self(HeaderValue::from_static(id))
    }

    pub fn as_str(&self) -> &str {
        // Both constructors hold visible ASCII only.
        self.0.to_str().unwrap_or("-")
    }

    pub fn into_header(self) -> HeaderValue {
        self.0
    }
}

/// ≤ 128 characters of `[A-Za-z0-9._-]`: anything else is replaced, never echoed.
pub fn is_valid_correlation_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids_are_bounded_and_plain() {
        assert!(is_valid_correlation_id("abc-123_x.y"));
        assert!(is_valid_correlation_id(&"a".repeat(128)));
        assert!(!is_valid_correlation_id(&"a".repeat(129)));
        assert!(!is_valid_correlation_id(""));
        assert!(!is_valid_correlation_id("a b"));
        assert!(!is_valid_correlation_id("a\u{e9}"));
        assert!(!is_valid_correlation_id("<script>"));
    }
}
