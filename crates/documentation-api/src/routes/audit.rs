//! `GET /api/v1/audit`: the trail of every create, update, delete, download and status
//! change, newest first.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;
use shared::extract::QueryPairs;
use shared::routing::RouteTable;

use super::ok;
use crate::AppState;
use crate::domain::audit::AuditFilter;
use crate::error::Result;

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new().get("/api/v1/audit", list)
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let filter = AuditFilter::parse(&query)?;
    let (entries, total) = state.docs.audit(&filter).await?;
    Ok(ok(json!({
        "success": true,
        "data": entries,
        "count": entries.len(),
        "total": total,
        "filters": filter,
    })))
}
