//! Extractors whose rejections speak the fleet envelope (axum's own answer in plain text).

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

/// A JSON object body: the content type is checked (415), the size bounded by the
/// router's body limit (413), the syntax checked (400). Handlers then read typed fields
/// out of the map, so every field problem can be reported at once.
#[derive(Debug, Clone)]
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match read_json(req, state).await? {
            Value::Object(map) => Ok(Self(map)),
            other => Err(ApiError::validation(vec![FieldError::new(
                "body",
                "invalid_type",
                format!(
                    "Invalid input: expected object, received {}",
                    json_type_name(&other)
                ),
            )])),
        }
    }
}

/// A JSON body deserialized into `T`; serde's complaint becomes a 400 sentence.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = read_json(req, state).await?;
        serde_json::from_value(value).map(Json).map_err(|e| {
            ApiError::bad_request("INVALID_BODY", format!("Invalid request body: {e}"))
        })
    }
}

/// Reads and parses a JSON body with the envelope's statuses.
async fn read_json<S: Send + Sync>(req: Request, state: &S) -> Result<Value, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json_content_type(content_type) {
        return Err(ApiError::unsupported_media_type(
            "Expected request with `Content-Type: application/json`",
        ));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "Request body is too large",
            )
        } else {
            ApiError::bad_request("INVALID_BODY", "Could not read the request body")
        }
    })?;
    let value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            "INVALID_JSON",
            format!("Malformed JSON in request body: {e}"),
        )
    })?;
    let mut nul = Vec::new();
    find_nul(&value, "", &mut nul);
    if nul.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::validation(nul))
    }
}

/// PostgreSQL's `text` and `jsonb` cannot hold U+0000 (SQLite stores it), so a string
/// with one is refused wherever it comes from, on both backends alike.
const NUL_MESSAGE: &str = "Must not contain the NUL character (U+0000)";

fn nul_error(field: &str) -> FieldError {
    FieldError::new(field, "invalid_string", NUL_MESSAGE)
}

/// Every string (object keys included) of `value` that holds a NUL, by its dotted path.
fn find_nul(value: &Value, path: &str, found: &mut Vec<FieldError>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(text) if text.contains('\0') => {
            found.push(nul_error(if path.is_empty() { "body" } else { path }));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                find_nul(item, &join(&index.to_string()), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let field = join(key);
                if key.contains('\0') {
                    found.push(nul_error(&field));
                }
                find_nul(item, &field, found);
            }
        }
        _ => {}
    }
}

fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Path parameters; a rejection becomes a 400 envelope.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                ApiError::bad_request(
                    "INVALID_PATH",
                    format!("Invalid path parameter: {}", rejection.body_text()),
                )
            })?;
        let nul: Vec<FieldError> = params
            .iter()
            .filter(|(_, value)| value.contains('\0'))
            .map(|(name, _)| nul_error(name))
            .collect();
        if !nul.is_empty() {
            return Err(ApiError::validation(nul));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection: PathRejection| {
                ApiError::bad_request(
                    "INVALID_PATH",
                    format!("Invalid path parameter: {}", rejection.body_text()),
                )
            })
    }
}

/// The query string as ordered pairs, for handlers that validate keys themselves
/// (unknown keys, repeated keys). The dashboard's cache-buster `_t` is dropped here.
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|_| ApiError::bad_request("INVALID_QUERY", "Malformed query string"))?;
        let nul: Vec<FieldError> = pairs
            .iter()
            .filter(|(key, value)| key.contains('\0') || value.contains('\0'))
            .map(|(key, _)| nul_error(key))
            .collect();
        if !nul.is_empty() {
            return Err(ApiError::validation(nul));
        }
        Ok(Self(pairs.into_iter().filter(|(k, _)| k != "_t").collect()))
    }

    /// The value of `key` (the last one when repeated).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn count(&self, key: &str) -> usize {
        self.0.iter().filter(|(k, _)| k == key).count()
    }

    /// The fleet's one rule for repeated keys: a key the route reads (`known`) may appear
    /// once; each one repeated is a field error naming it. Unknown keys are the route's
    /// business.
    pub fn repeated(&self, known: &[&str]) -> Vec<FieldError> {
        known
            .iter()
            .filter(|key| self.count(key) > 1)
            .map(|key| {
                FieldError::new(
                    *key,
                    "invalid_type",
                    format!("Invalid input: expected a single value for \"{key}\""),
                )
            })
            .collect()
    }

    /// [`Self::repeated`] as a 400.
    pub fn reject_repeated(&self, known: &[&str]) -> Result<(), ApiError> {
        let repeated = self.repeated(known);
        if repeated.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(repeated))
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::parse(parts.uri.query())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
        assert!(!is_json_content_type(""));
    }

    #[test]
    fn nul_is_found_in_any_string_and_key_of_a_body() {
        let body = serde_json::json!({
            "title": "a\u{0}b",
            "tags": ["ok", "x\u{0}"],
            "metadata": {"k\u{0}": "v", "nested": {"deep": "\u{0}"}},
            "fine": "no nul here",
        });
        let mut found = Vec::new();
        find_nul(&body, "", &mut found);
        let fields: Vec<&str> = found.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "tags.1", "metadata.k\u{0}", "metadata.nested.deep"]
        );
        let mut none = Vec::new();
        find_nul(&serde_json::json!("top\u{0}"), "", &mut none);
        assert_eq!(none[0].field, "body");
    }

    #[test]
    fn nul_in_a_query_key_or_value_is_a_field_error() {
        for raw in ["search=%00", "a%00=1", "search=x%00y"] {
            let error = QueryPairs::parse(Some(raw)).expect_err(raw);
            assert_eq!(error.status(), StatusCode::BAD_REQUEST, "{raw}");
            assert_eq!(error.code(), "VALIDATION_ERROR", "{raw}");
        }
    }

    #[test]
    fn a_known_key_repeated_is_an_error_and_an_unknown_one_is_not() {
        let q = QueryPairs::parse(Some("limit=1&limit=2&x=1&x=2&offset=0")).expect("parse");
        let fields: Vec<String> = q
            .repeated(&["limit", "offset"])
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["limit"]);
        assert!(q.reject_repeated(&["offset"]).is_ok());
        assert!(q.reject_repeated(&["limit"]).is_err());
    }

    #[test]
    fn query_pairs_drop_the_cache_buster() {
        let q = QueryPairs::parse(Some("a=1&_t=123&a=2&b=%20x")).expect("parse");
        assert_eq!(q.get("a"), Some("2"));
        assert_eq!(q.count("a"), 2);
        assert_eq!(q.get("b"), Some(" x"));
        assert_eq!(q.get("_t"), None);
    }
}
