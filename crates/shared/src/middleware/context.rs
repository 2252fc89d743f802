//! The request's correlation id: the caller's, when it follows the fleet's rules
//! (`x-correlation-id`, else `x-request-id`; at most 128 characters of `[A-Za-z0-9._-]`),
//! otherwise a fresh UUIDv7. tower-http's `SetRequestId` and `PropagateRequestId` carry
//! it; [`accept_caller_id`] runs before them so that only a valid id is ever kept.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use tower_http::request_id::{MakeRequestId, RequestId};

pub const CORRELATION_ID: HeaderName = HeaderName::from_static("x-correlation-id");
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's correlation id: the response header's value, which is also its text (for
/// the log, the envelope and audit rows).
#[derive(Clone, Debug)]
pub struct CorrelationId(HeaderValue);

impl CorrelationId {
    /// A fresh UUIDv7.
    pub fn generate() -> Self {
        // Without uuid's shared monotonic context, a lock every worker would take: ids
        // must be unique (74 random bits), not strictly ordered.
        let id = uuid::Uuid::new_v7(uuid::Timestamp::now(uuid::NoContext));
        let mut buffer = uuid::Uuid::encode_buffer();
        let text = id.hyphenated().encode_lower(&mut buffer);
        Self(HeaderValue::from_str(text).expect("a UUID is a valid header value"))
    }

    /// The id `SetRequestId` gave the request (a fresh one if a caller bypassed it).
    pub fn of(request_id: Option<&RequestId>) -> Self {
        request_id
            .map(|id| Self(id.header_value().clone()))
            .unwrap_or_else(Self::generate)
    }

    /// A fixed id, for tests.
    pub const fn from_static(id: &'static str) -> Self {
        Self(HeaderValue::from_static(id))
    }

    pub fn as_str(&self) -> &str {
        // Both constructors hold visible ASCII only.
        self.0.to_str().unwrap_or("-")
    }
}

/// Generates the ids of requests that came without a valid one.
#[derive(Clone, Copy, Default)]
pub struct MakeUuidV7;

impl MakeRequestId for MakeUuidV7 {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        Some(RequestId::new(CorrelationId::generate().0))
    }
}

/// Leaves `x-correlation-id` holding the caller's id when it is valid (taken from
/// `x-request-id` when only that one is sent), and removes it otherwise, so that
/// `SetRequestId` keeps a valid id and replaces anything else.
pub fn accept_caller_id(mut req: Request) -> Request {
    let headers = req.headers_mut();
    let given = [&CORRELATION_ID, &REQUEST_ID]
        .into_iter()
        .find_map(|name| headers.get(name))
        .filter(|value| value.to_str().is_ok_and(is_valid_correlation_id))
        .cloned();
    match given {
        Some(id) => {
            headers.insert(CORRELATION_ID, id);
        }
        None => {
            headers.remove(CORRELATION_ID);
        }
    }
    req
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
    fn generated_ids_are_current_uuid_v7s() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970");
        let fresh = CorrelationId::generate();
        let uuid = uuid::Uuid::parse_str(fresh.as_str()).expect("a UUID");
        assert_eq!(uuid.get_version_num(), 7);
        let (secs, _) = uuid.get_timestamp().expect("v7 has a time").to_unix();
        assert!(secs.abs_diff(before.as_secs()) <= 1, "{secs} vs {before:?}");
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
