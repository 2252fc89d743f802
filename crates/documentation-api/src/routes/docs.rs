//! `/api/v1/docs/*`: search over the docs corpus, its facets and suggestions, the
//! index's statistics and rebuild, and one page's content.

use axum::Json;
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::routing::RouteTable;

use super::ok;
use crate::AppState;
use crate::error::Result;
use crate::search::query::{self, FacetParams, HybridParams, SearchParams, SuggestParams};
use crate::search::{Refusal, content, views};

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .get("/api/v1/docs/search", search)
        .get("/api/v1/docs/search-hybrid", hybrid)
        .get("/api/v1/docs/facets", facets)
        .get("/api/v1/docs/suggest", suggest)
        .get("/api/v1/docs/stats", stats)
        .post("/api/v1/docs/reindex", reindex)
        .get("/api/v1/docs/content", page_content)
}

async fn search(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let params = SearchParams::parse(&query)?;
    let snapshot = state.search.snapshot();
    let hits = views::search_hits(&snapshot, &params)?;
    Ok(Json(views::search(&hits, &snapshot, &params)).into_response())
}

/// Always 200 once the parameters are valid: an index still building, or a search that
/// failed, answers with no results (the dashboard shows them, and offers no fallback for
/// a 500).
async fn hybrid(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let params = HybridParams::parse(&query)?;
    let indexing = state.search.is_building();
    let snapshot = state.search.snapshot();
    let hits = views::hybrid_hits(&snapshot, &params);
    Ok(Json(views::hybrid(&hits, &params, indexing)).into_response())
}

async fn facets(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let params = FacetParams::parse(&query)?;
    Ok(ok(views::facets(&state.search.snapshot(), &params)?))
}

async fn suggest(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let params = SuggestParams::parse(&query)?;
    Ok(ok(views::suggest(&state.search.snapshot(), &params)?))
}

async fn stats(State(state): State<AppState>) -> Response {
    let last = state.search.last_build();
    let building = state.search.is_building();
    let figure = |f: fn(&crate::search::BuildReport) -> usize| last.as_ref().map_or(0, f);
    ok(json!({
        "success": true,
        "stats": {
            "totalFiles": state.search.snapshot().len(),
            "totalDomains": figure(|r| r.domains),
            "totalTypes": figure(|r| r.types),
            "totalTags": figure(|r| r.tags),
            "totalStatuses": figure(|r| r.statuses),
            "lastReindexTime": last.as_ref().map(|r| r.finished_at_ms()),
            "cacheValid": last.is_some() && !building,
            "indexing": building,
            "errors": figure(|r| r.errors_total),
        },
    }))
}

async fn reindex(State(state): State<AppState>) -> Result<Response> {
    match state.search.reindex().await {
        Ok(report) => Ok(ok(json!({"success": true, "indexed": report}))),
        Err(Refusal::InProgress) => {
            Err(too_many("REINDEX_IN_PROGRESS", "Reindexing in progress", 5).into())
        }
        Err(Refusal::TooSoon { retry_after }) => {
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let message = format!("Please wait {seconds} seconds before reindexing again");
            Err(too_many("REINDEX_THROTTLED", message, seconds).into())
        }
    }
}

fn too_many(code: &'static str, message: impl Into<String>, retry_after: u64) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        .with_header(RETRY_AFTER, HeaderValue::from(retry_after))
}

async fn page_content(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let path = query::content_path(&query)?;
    let page = content::read(&state.search.settings().content_dir, &path).await?;
    Ok(ok(json!({
        "success": true,
        "path": page.path,
        "content": page.text,
        // A JavaScript string's length, as the original reported it.
        "size": page.text.encode_utf16().count(),
    })))
}
