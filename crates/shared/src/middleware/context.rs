//! The correlation id of decision 4.

use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderName, HeaderValue};

pub const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's correlation id: the response header's value, which is also its text (for
/// the log, the envelope and audit rows).
#[derive(Clone, Debug)]
pub struct CorrelationId(HeaderValue);

impl CorrelationId {
    /// The caller's id (`x-correlation-id`, else `x-request-id`) when well-formed,
    /// otherwise a fresh UUIDv7 stamped with the time of `at`, when the request arrived.
    pub fn of(given: Option<&HeaderValue>, at: Instant) -> Self {
        if let Some(value) = given.filter(|v| v.to_str().is_ok_and(is_valid_correlation_id)) {
            return Self(value.clone());
        }
        let since_epoch = wall_clock_at(at);
        // A v7 without uuid's shared monotonic context: that context is a mutex every
        // worker would take; ids need to be unique, not strictly ordered.
        let timestamp = uuid::Timestamp::from_unix(
            uuid::NoContext,
            since_epoch.as_secs(),
            since_epoch.subsec_nanos(),
        );
        let mut buffer = uuid::Uuid::encode_buffer();
        let text = uuid::Uuid::new_v7(timestamp)
            .hyphenated()
            .encode_lower(&mut buffer);
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

/// The time since the Unix epoch at `at`: the wall clock read once per process, moved
/// on by the monotonic clock the stack reads for each request anyway, which saves a
/// clock read per generated id. A wall-clock step after start-up (not NTP's slewing)
/// shifts ids' time prefix by the step; their uniqueness comes from 74 random bits.
fn wall_clock_at(at: Instant) -> Duration {
    static ANCHOR: LazyLock<(Instant, Duration)> = LazyLock::new(|| {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (Instant::now(), since_epoch)
    });
    let (instant, since_epoch) = *ANCHOR;
    since_epoch + at.saturating_duration_since(instant)
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
    fn a_valid_given_id_is_kept_and_any_other_replaced_by_a_current_uuid_v7() {
        let kept = CorrelationId::of(Some(&HeaderValue::from_static("abc-1")), Instant::now());
        assert_eq!(kept.as_str(), "abc-1");
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970");
        for given in [None, Some(HeaderValue::from_static("a b"))] {
            let fresh = CorrelationId::of(given.as_ref(), Instant::now());
            let uuid = uuid::Uuid::parse_str(fresh.as_str()).expect("a UUID");
            assert_eq!(uuid.get_version_num(), 7);
            let (secs, _) = uuid.get_timestamp().expect("v7 has a time").to_unix();
            assert!(secs.abs_diff(before.as_secs()) <= 1, "{secs} vs {before:?}");
        }
    }

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
