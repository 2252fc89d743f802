//! Small HTTP-hygiene pieces of the stack: JSON 404/405/500
//! envelopes in place of axum's plain-text ones.

use std::any::Any;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Replaces axum's empty 405 with the envelope, keeping its `Allow` header.
pub fn method_not_allowed_envelope(response: Response) -> Response {
    if response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let allowed = parts
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (body_parts, body) = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Method not allowed here (allowed: {allowed})"),
    )
    .into_response()
    .into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(body_parts.headers);
    Response::from_parts(parts, body)
}

/// The fallback for unknown paths.
pub async fn not_found(req: Request) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ROUTE_NOT_FOUND",
        format!("Cannot {} {}", req.method(), req.uri().path()),
    )
    .into_response()
}

/// A panicking handler becomes a generic 500; the payload goes to the log only.
pub fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    ApiError::internal(format!("handler panicked: {detail}")).into_response()
}
