//! Every answer the framework or a library layer gives on its own becomes the fleet's
//! JSON envelope, with the request's id: unknown paths (404), known paths with another
//! method (405, `Allow` kept), a handler that panicked (500, details only in the log) and
//! a request past the deadline (tower-http's bare 503).

use std::any::Any;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The response, or the envelope in place of a library layer's bare deadline answer
/// (an empty 503).
pub fn fill_bare(response: Response, deadline: Duration) -> Response {
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if bare && response.status() == StatusCode::SERVICE_UNAVAILABLE {
        return deadline_passed(deadline);
    }
    response
}

fn deadline_passed(limit: Duration) -> Response {
    ApiError::unavailable(format!(
        "The request did not complete within the server's deadline of {} ms",
        limit.as_millis()
    ))
    .into_response()
}

/// The fallback for unknown paths.
pub async fn not_found(method: Method, req: Request) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ROUTE_NOT_FOUND",
        format!("Cannot {method} {}", req.uri().path()),
    )
    .into_response()
}

/// The answer to a known path with a method it does not serve; the router adds `Allow`.
pub async fn method_not_allowed(method: Method) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Method {method} is not allowed here (see the Allow header)"),
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
