//! `/api/v1/stats`: the dashboard's aggregate, the per-entity figures, the health summary,
//! the daily activity, chart series and one search over everything.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use shared::extract::QueryPairs;
use shared::routing::RouteTable;

use super::ok;
use crate::AppState;
use crate::domain::file::Viewer;
use crate::domain::stats::{StatsSearch, Timeframe, activity_days};
use crate::error::Result;

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .get("/api/v1/stats", overview)
        .get("/api/v1/stats/dashboard", dashboard)
        .get("/api/v1/stats/systems", systems)
        .get("/api/v1/stats/ideas", ideas)
        .get("/api/v1/stats/files", files)
        .get("/api/v1/stats/health", health)
        .get("/api/v1/stats/activity", activity)
        .get("/api/v1/stats/analytics", analytics)
        .get("/api/v1/stats/search", search)
}

async fn overview(State(state): State<AppState>) -> Result<Response> {
    let data = state.docs.overview().await?;
    Ok(ok(json!({
        "success": true,
        "data": data,
        "generated_at": shared::time::now_rfc3339(),
    })))
}

async fn dashboard(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let timeframe = Timeframe::parse(&query)?;
    let data = state.docs.dashboard(timeframe.days).await?;
    Ok(ok(
        json!({"success": true, "data": data, "timeframe": timeframe.text}),
    ))
}

async fn systems(State(state): State<AppState>) -> Result<Response> {
    let data = state.docs.system_figures().await?;
    Ok(ok(json!({"success": true, "data": data})))
}

async fn ideas(State(state): State<AppState>) -> Result<Response> {
    let data = state.docs.idea_figures().await?;
    Ok(ok(json!({"success": true, "data": data})))
}

async fn files(State(state): State<AppState>) -> Result<Response> {
    let data = state.docs.file_figures().await?;
    Ok(ok(json!({"success": true, "data": data})))
}

async fn health(State(state): State<AppState>) -> Result<Response> {
    let data = state.docs.health_summary().await?;
    Ok(ok(json!({"success": true, "data": data})))
}

async fn activity(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let days = activity_days(&query)?;
    let data = state.docs.activity(days).await?;
    Ok(ok(json!({"success": true, "data": data, "days": days})))
}

async fn analytics(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let timeframe = Timeframe::parse(&query)?;
    let data = state.docs.analytics(timeframe.text.clone()).await?;
    Ok(ok(
        json!({"success": true, "data": data, "timeframe": timeframe.text}),
    ))
}

async fn search(
    State(state): State<AppState>,
    query: QueryPairs,
    viewer: Viewer,
) -> Result<Response> {
    let search = StatsSearch::parse(&query)?;
    let results = state.docs.search_everything(&search, viewer).await?;
    let total = results.systems.len() + results.ideas.len() + results.files.len();
    Ok(ok(json!({
        "success": true,
        "data": {
            "query": search.query,
            "total_results": total,
            "results": results,
            "filters_applied": search,
        },
    })))
}
