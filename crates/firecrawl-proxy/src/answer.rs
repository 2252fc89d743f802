//! Firecrawl's JSON answers with only their top level parsed.
//!
//! The proxy reads and rewrites a handful of top-level keys (`success`, `error`, `id`,
//! `status`, `next`, `data`); the documents inside — up to 10 MiB per crawl page — are
//! copied through as raw JSON text, never rebuilt as a tree and serialized again. That
//! keeps memory near the size of the answer and the per-request cost low.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::value::RawValue;

/// One JSON object: its keys, each with its value as raw JSON text.
pub type Answer = BTreeMap<String, Box<RawValue>>;

/// Parses `bytes` when they hold a JSON object.
pub fn parse(bytes: &[u8]) -> Option<Answer> {
    serde_json::from_slice(bytes).ok()
}

/// The string at `key`, if it is one.
pub fn text(answer: &Answer, key: &str) -> Option<String> {
    answer
        .get(key)
        .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
}

/// Whether `key` holds exactly `false`.
pub fn is_false(answer: &Answer, key: &str) -> bool {
    answer
        .get(key)
        .is_some_and(|raw| raw.get().trim() == "false")
}

/// `value` as raw JSON (a string, a number, an object...).
pub fn raw<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value)
        .unwrap_or_else(|_| RawValue::from_string("null".to_string()).expect("null is JSON"))
}

/// `{"success":true,"data":<data>}`, written straight from the raw parts.
pub fn ok<T: Serialize + ?Sized>(data: &T) -> Response {
    let mut body = Vec::with_capacity(1024);
    body.extend_from_slice(br#"{"success":true,"data":"#);
    if let Err(e) = serde_json::to_writer(&mut body, data) {
        return shared::ApiError::internal(e).into_response();
    }
    body.push(b'}');
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Bytes::from(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_keys_are_read_and_the_rest_stays_raw() {
        let answer = parse(br##"{"success": false, "error": "no \"luck\"", "data": {"markdown": "# x", "n": 1.50}, "nothing": null}"##)
            .expect("object");
        assert!(is_false(&answer, "success") && !is_false(&answer, "error"));
        assert_eq!(text(&answer, "error").as_deref(), Some("no \"luck\""));
        assert_eq!(text(&answer, "data"), None);
        assert_eq!(
            answer["data"].get(),
            r##"{"markdown": "# x", "n": 1.50}"##,
            "copied as written"
        );
        assert!(parse(b"[1, 2]").is_none() && parse(b"not json").is_none());
    }
}
