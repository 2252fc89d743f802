//! `/api/v1/ideas`: the ideas, their kanban, and CRUD.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use shared::extract::{JsonObject, Path, QueryPairs};
use shared::routing::RouteTable;

use super::{created, ok};
use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::idea::IdeaPatch;
use crate::domain::idea_query::IdeaQuery;
use crate::domain::path_id;
use crate::error::Result;

pub fn routes() -> RouteTable<AppState> {
    // `/kanban` is a literal route of its own, so it never reaches `/{id}`.
    RouteTable::new()
        .get("/api/v1/ideas", list)
        .post("/api/v1/ideas", create)
        .get("/api/v1/ideas/kanban", kanban)
        .get("/api/v1/ideas/{id}", read)
        .put("/api/v1/ideas/{id}", update)
        .delete("/api/v1/ideas/{id}", remove)
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let query = IdeaQuery::parse(&query)?;
    let (ideas, total) = state.docs.ideas(&query).await?;
    Ok(ok(json!({
        "success": true,
        "data": ideas,
        "count": ideas.len(),
        "total": total,
        "filters": query,
    })))
}

async fn kanban(State(state): State<AppState>) -> Result<Response> {
    let board = state.docs.kanban().await?;
    Ok(ok(json!({"success": true, "data": board})))
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let patch = IdeaPatch::parse_new(&body)?;
    let idea = state.docs.create_idea(patch, &meta).await?;
    Ok(created(json!({
        "success": true,
        "data": idea,
        "message": "Idea created successfully",
    })))
}

async fn read(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let idea = state.docs.idea(path_id(&id)?).await?;
    Ok(ok(json!({"success": true, "data": idea})))
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let id = path_id(&id)?;
    let patch = IdeaPatch::parse_update(&body)?;
    let idea = state.docs.update_idea(id, patch, &meta).await?;
    Ok(ok(json!({
        "success": true,
        "data": idea,
        "message": "Idea updated successfully",
    })))
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
) -> Result<Response> {
    state.docs.delete_idea(path_id(&id)?, &meta).await?;
    Ok(ok(
        json!({"success": true, "message": "Idea deleted successfully"}),
    ))
}
