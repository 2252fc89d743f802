//! HTTP handlers, one file per resource, under `/api/v1` (the gateway strips `/api/docs`).

pub mod audit;
pub mod docs;
pub mod docs_health;
mod downloads;
pub mod files;
pub mod ideas;
pub mod spec_versions;
pub mod specs;
pub mod stats;
pub mod systems;
mod uploads;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The JSON body as given (it carries `success: true` and the contract's keys).
pub fn ok(body: Value) -> Response {
    Json(body).into_response()
}

/// As [`ok`], with 201.
pub fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}
