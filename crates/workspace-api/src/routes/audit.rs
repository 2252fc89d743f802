//! `GET /api/audit`: the audit trail of every item and category change.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::extract::QueryPairs;
use shared::routing::RouteTable;
use shared::{ApiError, FieldError};

use super::PREFIXES;
use crate::AppState;
use crate::domain::audit::{Action, AuditFilter, EntityType};
use crate::error::Result;

pub fn routes() -> RouteTable<AppState> {
    PREFIXES.iter().fold(RouteTable::new(), |table, prefix| {
        table.get(&format!("{prefix}/audit"), list)
    })
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let filter = parse(&query)?;
    let (entries, total) = state.workspace.audit(&filter).await?;
    Ok(
        Json(json!({"success": true, "count": entries.len(), "total": total, "data": entries}))
            .into_response(),
    )
}

/// The query keys the audit list reads.
const KEYS: [&str; 5] = ["entity_type", "entity_id", "action", "limit", "offset"];

fn parse(query: &QueryPairs) -> Result<AuditFilter, ApiError> {
    let mut errors = query.repeated(&KEYS);
    let entity_type = query.get("entity_type").and_then(|v| {
        EntityType::parse(v).or_else(|| {
            errors.push(FieldError::new(
                "entity_type",
                "invalid_value",
                "Invalid option: expected one of \"item\"|\"category\"",
            ));
            None
        })
    });
    let action = query.get("action").and_then(|v| {
        Action::parse(v).or_else(|| {
            errors.push(FieldError::new(
                "action",
                "invalid_value",
                "Invalid option: expected one of \"created\"|\"updated\"|\"deleted\"|\"status_changed\"|\"imported\"",
            ));
            None
        })
    });
    let mut number = |key: &str, default: i64, min: i64, max: i64| match query.get(key) {
        None => default,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => v,
            _ => {
                errors.push(FieldError::new(
                    key,
                    "invalid_value",
                    format!("Expected an integer from {min} to {max}"),
                ));
                default
            }
        },
    };
    let limit = number("limit", 100, 1, 1000);
    let offset = number("offset", 0, 0, i64::MAX);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let entity_id = query
        .get("entity_id")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Ok(AuditFilter {
        entity_type,
        entity_id,
        action,
        limit,
        offset,
    })
}
