//! Small HTTP-hygiene pieces of the stack: JSON 404/405/500
//! envelopes in place of axum's plain-text ones.

use std::any::Any;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Replaces axum's empty 405 with the envelope, keeping its `Allow` header. It wraps the
/// router from outside because axum adds `Allow` after the route's own middleware ran;
/// the request id is read back from the response header the context middleware set.
pub fn method_not_allowed_envelope(response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let allowed = parts
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let request_id = parts
        .headers
        .get(super::CORRELATION_ID)
        .and_then(|v| v.to_str().ok())
        .map(std::sync::Arc::<str>::from);
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Method not allowed here (allowed: {allowed})"),
    );
    let body = match request_id {
        Some(id) => crate::error::render_with_request_id(error, id),
        None => error.into_response(),
    };
    let (body_parts, body) = body.into_parts();
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
