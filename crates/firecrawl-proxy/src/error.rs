//! The proxy's one error type and its place in the fleet envelope.
//!
//! The statuses follow docs/decisions.md#d22: what Firecrawl rejects as the client's
//! fault keeps its status and Firecrawl's sentence; Firecrawl's own trouble is a 502, an
//! unreachable Firecrawl a 503, a slow one a 504. Causes (with internal URLs) go to the
//! log only; client-facing sentences have been through [`crate::redact`].

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Firecrawl refused the request as the client's fault (400, 404, 409, 422): the
    /// client sees the same status and Firecrawl's sentence.
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
    /// Firecrawl's scrape timed out (its 408), or it did not answer within our deadline.
    #[error("Firecrawl request timed out")]
    Timeout { detail: Option<String> },
    /// Anything else Firecrawl got wrong: auth, credits, 5xx, a malformed answer.
    #[error("Firecrawl error: {message}")]
    Upstream { message: String, cause: String },
    /// Nothing listens at the configured address (connection refused, unknown host).
    #[error("Firecrawl service unavailable")]
    Unavailable { cause: String },
    /// Every outbound slot stayed busy for the whole queue timeout.
    #[error("Too many Firecrawl requests in progress, please retry shortly")]
    Busy,
    /// Validation and framework errors, already in the envelope's terms. Boxed: the
    /// envelope is large and every handler's `Result` carries this type.
    #[error(transparent)]
    Api(Box<ApiError>),
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Self::Api(Box::new(error))
    }
}

impl Error {
    pub fn upstream(message: impl Into<String>, cause: impl std::fmt::Display) -> Self {
        Self::Upstream {
            message: message.into(),
            cause: cause.to_string(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let sentence = error.to_string();
        match error {
            Error::Rejected { status, message } => ApiError::new(status, code_of(status), message),
            Error::Timeout { detail } => {
                let message = match detail {
                    Some(detail) => format!("{sentence}: {detail}"),
                    None => sentence,
                };
                ApiError::new(StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT", message)
            }
            Error::Upstream { cause, .. } => {
                ApiError::new(StatusCode::BAD_GATEWAY, "UPSTREAM_ERROR", sentence).with_cause(cause)
            }
            Error::Unavailable { cause } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UPSTREAM_UNAVAILABLE",
                sentence,
            )
            .with_cause(cause),
            Error::Busy => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_BUSY", sentence)
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            }
            Error::Api(api) => *api,
        }
    }
}

/// The stable code of a status Firecrawl's refusal is passed on with.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::CONFLICT => "CONFLICT",
        StatusCode::UNPROCESSABLE_ENTITY => "UNPROCESSABLE_ENTITY",
        _ => "BAD_REQUEST",
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
