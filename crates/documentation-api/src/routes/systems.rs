//! `/api/v1/systems`: the registry, its searches and statistics, and health checks.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use shared::ApiError;
use shared::extract::{JsonObject, Path, QueryPairs};
use shared::query::QueryFields;
use shared::routing::RouteTable;

use super::{created, ok};
use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::path_id;
use crate::domain::system::{SystemPatch, SystemQuery, SystemStatus, SystemType};
use crate::error::Result;

pub fn routes() -> RouteTable<AppState> {
    // Literal segments are distinct routes, so they never reach `/{id}`.
    RouteTable::new()
        .get("/api/v1/systems", list)
        .post("/api/v1/systems", create)
        .get("/api/v1/systems/search", search)
        .get("/api/v1/systems/statistics", statistics)
        .get("/api/v1/systems/status/{status}", by_status)
        .get("/api/v1/systems/type/{type}", by_type)
        .get("/api/v1/systems/{id}", read)
        .put("/api/v1/systems/{id}", update)
        .delete("/api/v1/systems/{id}", remove)
        .post("/api/v1/systems/{id}/health", check)
        .post("/api/v1/systems/health-check-all", check_all)
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let query = SystemQuery::parse(&query)?;
    let (systems, total) = state.docs.systems(&query).await?;
    Ok(ok(json!({
        "success": true,
        "data": systems,
        "count": systems.len(),
        "total": total,
        "filters": query,
    })))
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let patch = SystemPatch::parse_new(&body, state.docs.targets())?;
    let system = state.docs.create_system(patch, &meta).await?;
    Ok(created(json!({
        "success": true,
        "data": system,
        "message": "System created successfully",
    })))
}

async fn read(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let system = state.docs.system(path_id(&id)?).await?;
    Ok(ok(json!({"success": true, "data": system})))
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let id = path_id(&id)?;
    let patch = SystemPatch::parse_update(&body, state.docs.targets())?;
    let system = state.docs.update_system(id, patch, &meta).await?;
    Ok(ok(json!({
        "success": true,
        "data": system,
        "message": "System updated successfully",
    })))
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
) -> Result<Response> {
    state.docs.delete_system(path_id(&id)?, &meta).await?;
    Ok(ok(
        json!({"success": true, "message": "System deleted successfully"}),
    ))
}

async fn search(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let mut q = QueryFields::new(&query, &["q", "limit"]);
    let text = q.text("q", 100);
    let limit = q.integer("limit", 1..=1000);
    q.finish()?;
    let Some(text) = text.filter(|t| t.chars().count() >= 2) else {
        return Err(ApiError::bad_request(
            "VALIDATION_ERROR",
            "Search query must be at least 2 characters long",
        )
        .into());
    };
    let query = SystemQuery {
        search: Some(text.clone()),
        limit,
        ..SystemQuery::default()
    };
    let (systems, _) = state.docs.systems(&query).await?;
    Ok(ok(json!({
        "success": true,
        "data": systems,
        "count": systems.len(),
        "query": text,
    })))
}

async fn statistics(State(state): State<AppState>) -> Result<Response> {
    let stats = state.docs.system_stats().await?;
    Ok(ok(json!({"success": true, "data": stats})))
}

async fn by_status(State(state): State<AppState>, Path(status): Path<String>) -> Result<Response> {
    let Some(parsed) = SystemStatus::parse(&status) else {
        return Err(invalid_path_value("status", &SystemStatus::names()).into());
    };
    let query = SystemQuery {
        status: Some(parsed),
        ..SystemQuery::default()
    };
    let (systems, _) = state.docs.systems(&query).await?;
    Ok(ok(json!({
        "success": true,
        "data": systems,
        "count": systems.len(),
        "status": status,
    })))
}

async fn by_type(
    State(state): State<AppState>,
    Path(system_type): Path<String>,
) -> Result<Response> {
    let Some(parsed) = SystemType::parse(&system_type) else {
        return Err(invalid_path_value("type", &SystemType::names()).into());
    };
    let query = SystemQuery {
        system_type: Some(parsed),
        ..SystemQuery::default()
    };
    let (systems, _) = state.docs.systems(&query).await?;
    Ok(ok(json!({
        "success": true,
        "data": systems,
        "count": systems.len(),
        "type": system_type,
    })))
}

fn invalid_path_value(field: &str, allowed: &[&str]) -> ApiError {
    ApiError::validation(vec![shared::FieldError::new(
        field,
        "invalid_value",
        format!("{field} must be one of: {}", allowed.join(", ")),
    )])
}

async fn check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
) -> Result<Response> {
    let report = state.docs.check_system(path_id(&id)?, &meta).await?;
    Ok(ok(json!({
        "success": true,
        "data": report,
        "message": "Health check completed",
    })))
}

async fn check_all(State(state): State<AppState>, meta: RequestMeta) -> Result<Response> {
    let results = state.docs.check_all(&meta).await?;
    let data: Vec<_> = results
        .into_iter()
        .map(|(system, report)| match report {
            Some(health) => json!({"system": system, "health": health}),
            None => json!({"system": system, "health": {
                "status": "skipped",
                "message": "Not checked within the request's deadline",
                "response_time_ms": null,
                "http_status": null,
                "last_checked": null,
            }}),
        })
        .collect();
    Ok(ok(json!({
        "success": true,
        "data": data,
        "count": data.len(),
        "message": "All systems health check completed",
    })))
}
