//! `/api/v1/docs/health/*`: documentation health from the stored audit runs, the audit
//! itself, posted audits and recorded fixes.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};
use shared::extract::{JsonObject, QueryPairs};
use shared::query::QueryFields;
use shared::routing::RouteTable;
use shared::{ApiError, FieldError};

use super::ok;
use crate::AppState;
use crate::domain::docs_health::IssueType;
use crate::error::Result;

const INVALID_TYPE: &str =
    "Invalid issue type. Must be: frontmatter, links, duplicates, or outdated";

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .get("/api/v1/docs/health/summary", summary)
        .get("/api/v1/docs/health/metrics", metrics)
        .get("/api/v1/docs/health/issues", issues)
        .get("/api/v1/docs/health/trends", trends)
        .get("/api/v1/docs/health/latest-report", latest_report)
        .get("/api/v1/docs/health/dashboard-metrics", dashboard_metrics)
        .post("/api/v1/docs/health/update-metrics", update_metrics)
        .post("/api/v1/docs/health/record-fix", record_fix)
        .post("/api/v1/docs/health/audit", run_audit)
}

fn data(data: Value) -> Response {
    ok(json!({"success": true, "data": data}))
}

async fn summary(State(state): State<AppState>) -> Result<Response> {
    Ok(data(state.health.summary().await?))
}

async fn metrics(State(state): State<AppState>) -> Result<Response> {
    Ok(data(state.health.metrics().await?))
}

async fn issues(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let mut q = QueryFields::new(&query, &["type", "limit"]);
    let limit = q.integer("limit", 1..=1000).unwrap_or(50);
    q.finish()?;
    let kind = query
        .get("type")
        .and_then(|t| IssueType::parse(t.trim()))
        .ok_or_else(|| issue_type_error("type", INVALID_TYPE))?;
    Ok(data(state.health.issues(kind, limit as usize).await?))
}

async fn trends(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let mut q = QueryFields::new(&query, &["days"]);
    let days = q.integer("days", 1..=365).unwrap_or(30);
    q.finish()?;
    Ok(data(state.health.trends(days).await?))
}

async fn latest_report(State(state): State<AppState>) -> Result<Response> {
    Ok(data(state.health.latest_report().await?))
}

/// Always 200: without data, or when it cannot be read, `hasData: false` and `message`.
async fn dashboard_metrics(State(state): State<AppState>) -> Response {
    data(state.health.dashboard().await)
}

async fn update_metrics(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let summary = state.health.record_posted(&body).await?;
    Ok(ok(
        json!({"success": true, "message": "Metrics updated successfully", "data": summary}),
    ))
}

async fn record_fix(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let message = format!(
        "issue_type must be one of: {}",
        IssueType::names().join(", ")
    );
    let kind = body
        .get("issue_type")
        .and_then(Value::as_str)
        .and_then(|t| IssueType::parse(t.trim()))
        .ok_or_else(|| issue_type_error("issue_type", &message))?;
    let fixed = state.health.record_fix(kind).await?;
    Ok(ok(json!({
        "success": true,
        "message": "Issue fix recorded",
        "data": {"issue_type": kind, "issues_fixed": fixed},
    })))
}

async fn run_audit(State(state): State<AppState>) -> Result<Response> {
    Ok(data(
        serde_json::to_value(state.health.audit_now().await?).unwrap_or_default(),
    ))
}

fn issue_type_error(field: &str, message: &str) -> ApiError {
    ApiError::bad_request("VALIDATION_ERROR", message).with_errors(vec![FieldError::new(
        field,
        "invalid_value",
        message,
    )])
}
