//! HTTP handlers, one file per resource. Every path is served with and without the
//! `/api` prefix (the gateway strips `/api/workspace`).

pub mod audit;
pub mod categories;
pub mod items;

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

pub const PREFIXES: [&str; 2] = ["/api", ""];

/// `{"success":true,"data":…}` plus a `message` when given.
pub fn ok<T: Serialize>(data: T, message: Option<&str>) -> Response {
    match message {
        Some(message) => {
            Json(json!({"success": true, "data": data, "message": message})).into_response()
        }
        None => Json(json!({"success": true, "data": data})).into_response(),
    }
}

/// A pre-serialized JSON body.
pub fn json_bytes(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
