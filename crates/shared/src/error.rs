//! The fleet's one error envelope (docs/decisions.md#d1) and the request id
//! it carries.
//!
//! `{"success":false,"error":S,"message":S,"code":CODE,"errors":[...],"requestId":ID}`:
//! `error` and `message` hold the same readable sentence (the dashboard shows `error`),
//! `errors` appears only for field-level failures and repeats `message` as `msg`, the
//! express-validator key the dashboard reads. Internal details are logged, never sent.

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::task::futures::TaskLocalFuture;

use crate::middleware::CorrelationId;

tokio::task_local! {
    /// The correlation id of the request being served on this task.
    static REQUEST_ID: CorrelationId;
}

/// `fut` with `id` as the current request id while it runs (set by the middleware stack).
pub fn with_request_id<F: Future>(id: CorrelationId, fut: F) -> TaskLocalFuture<CorrelationId, F> {
    REQUEST_ID.scope(id, fut)
}

/// The correlation id of the current request, when called while serving one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.as_str().to_owned()).ok()
}

/// One field-level validation failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub code: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An error on its way to a client (boxed: errors travel in `Result`s on every path).
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Vec<FieldError>,
    /// How many field errors there were before the list was cut to [`MAX_FIELD_ERRORS`].
    errors_total: usize,
    headers: HeaderMap,
    cause: Option<String>,
}

/// The most field errors an envelope lists: one request cannot make an answer many
/// times its own size; `errorsTotal` still says how many there were.
pub const MAX_FIELD_ERRORS: usize = 20;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
            errors_total: 0,
            headers: HeaderMap::new(),
            cause: None,
        }))
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn field_errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The field errors, kept up to [`MAX_FIELD_ERRORS`] and counted in full.
    pub fn with_errors(mut self, mut errors: Vec<FieldError>) -> Self {
        self.0.errors_total = errors.len();
        errors.truncate(MAX_FIELD_ERRORS);
        self.0.errors = errors;
        self
    }

    /// How many field errors there were, including those the envelope leaves out.
    pub fn errors_total(&self) -> usize {
        self.0.errors_total
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.insert(name, value);
        self
    }

    /// Keeps the underlying cause for the log line (never for the client).
    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.0.cause = Some(cause.to_string());
        self
    }

    /// 400 with field errors; the sentence names the first failing field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let message = match errors.as_slice() {
            [] => "Validation failed".to_string(),
            [only] => format!("Validation failed: {}: {}", only.field, only.message),
            [first, rest @ ..] => format!(
                "Validation failed: {}: {} (and {} more)",
                first.field,
                first.message,
                rest.len()
            ),
        };
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message).with_errors(errors)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION_FAILED",
            message,
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Authentication required: send Authorization: Bearer <token> or X-API-Key",
        )
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            message,
        )
    }

    /// 503: a dependency is down, or the server's own deadline passed.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        )
    }

    /// 500 with a generic sentence; `cause` goes to the log with the request id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal server error",
        )
        .with_cause(cause)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.message
        )
    }
}

impl std::error::Error for ApiError {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    success: bool,
    error: &'a str,
    message: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: Vec<WireFieldError<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors_total: Option<usize>,
    request_id: &'a str,
}

#[derive(Serialize)]
struct WireFieldError<'a> {
    field: &'a str,
    message: &'a str,
    msg: &'a str,
    code: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = current_request_id();
        self.render(request_id.as_deref().unwrap_or("-"))
    }
}

impl ApiError {
    fn render(self, request_id: &str) -> Response {
        let this = *self.0;
        if this.status.is_server_error() {
            tracing::error!(
                request_id = %request_id,
                status = this.status.as_u16(),
                code = this.code,
                cause = this.cause.as_deref().unwrap_or(""),
                "{}",
                this.message
            );
        }
        let envelope = Envelope {
            success: false,
            error: &this.message,
            message: &this.message,
            code: this.code,
            errors: this
                .errors
                .iter()
                .map(|e| WireFieldError {
                    field: &e.field,
                    message: &e.message,
                    msg: &e.message,
                    code: &e.code,
                })
                .collect(),
            errors_total: (!this.errors.is_empty()).then_some(this.errors_total),
            request_id,
        };
        let mut response = (this.status, Json(envelope)).into_response();
        response.headers_mut().extend(this.headers);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = with_request_id(CorrelationId::from_static("req-1"), async {
            error.into_response()
        })
        .await;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn envelope_has_every_key_and_msg_duplicates_message() {
        let (status, json) = body(ApiError::validation(vec![FieldError::new(
            "title",
            "too_small",
            "Title is required",
        )]))
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            json,
            serde_json::json!({
                "success": false,
                "error": "Validation failed: title: Title is required",
                "message": "Validation failed: title: Title is required",
                "code": "VALIDATION_ERROR",
                "errors": [{"field": "title", "message": "Title is required", "msg": "Title is required", "code": "too_small"}],
                "errorsTotal": 1,
                "requestId": "req-1"
            })
        );
    }

    #[tokio::test]
    async fn field_errors_are_capped_and_counted() {
        let errors = (0..81_000)
            .map(|i| FieldError::new(format!("key{i}"), "unrecognized_keys", "Unknown key"))
            .collect();
        let (_, json) = body(ApiError::validation(errors)).await;
        assert_eq!(
            json["errors"].as_array().map(Vec::len),
            Some(MAX_FIELD_ERRORS)
        );
        assert_eq!(json["errors"][0]["field"], "key0");
        assert_eq!(json["errorsTotal"], 81_000);
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|m| m.ends_with("(and 80999 more)")),
            "{json}"
        );
        assert!(json.to_string().len() < 4096);
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let (status, json) = body(ApiError::internal("relation \"x\" does not exist")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json["error"], "Internal server error");
        assert!(json.get("errors").is_none());
        assert!(!json.to_string().contains("relation"));
    }
}
