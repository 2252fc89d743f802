//! `/api/v1/files`: uploads ([`super::uploads`]), bytes ([`super::downloads`]),
//! metadata, lists, search, statistics, and the dashboard's aliases under
//! `/api/v1/ideas/{id}/files`.

use std::convert::Infallible;

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::json;
use shared::ApiError;
use shared::extract::{JsonObject, Path, QueryPairs};
use shared::middleware::Actor;
use shared::query::QueryFields;
use shared::routing::RouteTable;

use super::{downloads, ok, uploads};
use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::file::{FileMetadata, FilePatch, FileQuery, Viewer};
use crate::domain::system::UNPAGED_CAP;
use crate::domain::{file_type, path_id};
use crate::error::Result;
use crate::repo::Parent;
use crate::service::MAX_FILES_PER_REQUEST;

pub fn routes() -> RouteTable<AppState> {
    // Upload bodies are bounded by the upload reader (files × limit), not by the JSON
    // body limit every other route has. Literal segments never reach `/{id}`.
    let unbounded = DefaultBodyLimit::disable;
    RouteTable::new()
        .get("/api/v1/files", list)
        .post("/api/v1/files/upload", uploads::upload.layer(unbounded()))
        .post(
            "/api/v1/files/upload-multiple",
            uploads::upload_multiple.layer(unbounded()),
        )
        .get("/api/v1/files/search", search)
        .get("/api/v1/files/statistics", statistics)
        .get("/api/v1/files/stats", stats)
        .get("/api/v1/files/upload-info", upload_info)
        .get("/api/v1/files/idea/{idea_id}", by_idea)
        .get("/api/v1/files/system/{system_id}", by_system)
        .get("/api/v1/files/{id}", downloads::read)
        .put("/api/v1/files/{id}", update)
        .delete("/api/v1/files/{id}", remove)
        .get("/api/v1/files/{id}/download", downloads::download)
        .get("/api/v1/files/{id}/metadata", metadata)
        .get("/api/v1/ideas/{id}/files", idea_files)
        .post(
            "/api/v1/ideas/{id}/files",
            uploads::idea_upload.layer(unbounded()),
        )
}

/// With auth on, only a caller with a valid token sees private files.
impl FromRequestParts<AppState> for Viewer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let Ok(actor) = Actor::from_request_parts(parts, state).await;
        Ok(Viewer {
            sees_private: !state.core.auth_enabled() || actor.authenticated,
        })
    }
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    query: QueryPairs,
) -> Result<Response> {
    let query = FileQuery::parse(&query)?;
    let (files, total) = state.docs.files(&query, viewer).await?;
    Ok(ok(json!({
        "success": true,
        "data": files,
        "pagination": {"total": total, "limit": query.limit, "offset": query.offset},
    })))
}

async fn metadata(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response> {
    let file = state.docs.file(&id, viewer).await?;
    Ok(ok(
        json!({"success": true, "data": FileMetadata::from(&file)}),
    ))
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let patch = FilePatch::parse(&body)?;
    let file = state.docs.update_file(&id, patch, &meta).await?;
    Ok(ok(json!({
        "success": true,
        "data": file,
        "message": "File metadata updated successfully",
    })))
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
) -> Result<Response> {
    state.docs.delete_file(&id, &meta).await?;
    Ok(ok(
        json!({"success": true, "message": "File deleted successfully"}),
    ))
}

async fn children(state: &AppState, parent: Parent, id: &str, viewer: Viewer) -> Result<Response> {
    let files = state.docs.files_of(parent, id, viewer).await?;
    Ok(ok(
        json!({"success": true, "data": files, "count": files.len()}),
    ))
}

async fn by_idea(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response> {
    children(&state, Parent::Idea, &id, viewer).await
}

async fn by_system(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response> {
    children(&state, Parent::System, &id, viewer).await
}

/// `GET /api/v1/ideas/{id}/files`: as the ideas' routes, a malformed id is a 400.
async fn idea_files(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response> {
    let id = path_id(&id)?;
    children(&state, Parent::Idea, &id.to_string(), viewer).await
}

async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    query: QueryPairs,
) -> Result<Response> {
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
    let query = FileQuery {
        search: Some(text.clone()),
        limit: limit.unwrap_or(UNPAGED_CAP),
        ..FileQuery::default()
    };
    let (files, _) = state.docs.files(&query, viewer).await?;
    Ok(ok(json!({
        "success": true,
        "data": files,
        "count": files.len(),
        "query": text,
    })))
}

async fn statistics(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let stats = state.docs.file_stats(viewer).await?;
    Ok(ok(json!({"success": true, "data": stats})))
}

/// The dashboard's summary: `total`, `total_size_bytes`, `total_size_mb`, `by_type`,
/// `by_idea`.
async fn stats(State(state): State<AppState>, viewer: Viewer) -> Result<Response> {
    let stats = state.docs.file_stats(viewer).await?;
    Ok(ok(json!({"success": true, "data": stats.summary()})))
}

/// The limits as enforced: the configured size, five files, the allow-list.
async fn upload_info(State(state): State<AppState>) -> Result<Response> {
    let limit = state.docs.upload_limit();
    Ok(ok(json!({
        "success": true,
        "data": {
            "max_file_size": limit,
            "max_file_size_mb": (limit as f64 / 1024.0 / 1024.0 * 100.0).round() / 100.0,
            "max_files_per_request": MAX_FILES_PER_REQUEST,
            "allowed_types": file_type::allowed_types(),
            "allowed_extensions": file_type::allowed_extensions(),
        },
    })))
}
