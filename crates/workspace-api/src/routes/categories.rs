//! `/api/categories`: every call the dashboard's categories card and item dialogs make.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shared::extract::{JsonObject, Path, QueryPairs};
use shared::routing::RouteTable;
use shared::{ApiError, FieldError};

use super::{PREFIXES, ok};
use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::category::{Category, CategoryChange, CategoryPatch, NewCategory};
use crate::error::{Error, Result};

pub fn routes() -> RouteTable<AppState> {
    PREFIXES.iter().fold(RouteTable::new(), |table, prefix| {
        let base = format!("{prefix}/categories");
        let one = format!("{prefix}/categories/{{name}}");
        table
            .get(&base, list)
            .post(&base, create)
            .get(&format!("{base}/stats"), stats)
            .post(&format!("{base}/validate"), validate)
            .post(&format!("{base}/invalidate-cache"), invalidate_cache)
            .get(&one, read)
            .put(&one, update)
            .delete(&one, remove)
            .patch(&format!("{one}/toggle"), toggle)
    })
}

/// `active_only` (default true, as the original listed active rows) and `order_by`.
fn list_options(query: &QueryPairs) -> Result<(bool, &str), ApiError> {
    query.reject_repeated(&["active_only", "order_by"])?;
    let active_only = match query
        .get("active_only")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("true" | "1") => true,
        Some("false" | "0") => false,
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "active_only",
                "invalid_value",
                "Invalid option: expected one of \"true\"|\"false\"",
            )]));
        }
    };
    let order_by = query.get("order_by").unwrap_or("display_order");
    if ![
        "display_order",
        "name",
        "display_name",
        "created_at",
        "updated_at",
    ]
    .contains(&order_by)
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "order_by",
            "invalid_value",
            "Invalid option: expected one of \"display_order\"|\"name\"|\"display_name\"|\"created_at\"|\"updated_at\"",
        )]));
    }
    Ok((active_only, order_by))
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let (active_only, order_by) = list_options(&query)?;
    let mut categories: Vec<Category> = state
        .workspace
        .categories()
        .await?
        .into_iter()
        .filter(|c| c.is_active || !active_only)
        .collect();
    match order_by {
        "name" => categories.sort_by(|a, b| a.name.cmp(&b.name)),
        "display_name" => categories.sort_by(|a, b| {
            a.display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase())
        }),
        "created_at" => categories.sort_by_key(|c| c.created_at),
        "updated_at" => categories.sort_by_key(|c| c.updated_at),
        _ => {} // the repository already orders by display_order, name
    }
    Ok(
        Json(json!({"success": true, "count": categories.len(), "data": categories}))
            .into_response(),
    )
}

async fn read(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response> {
    let category = state
        .workspace
        .categories()
        .await?
        .into_iter()
        .find(|c| c.name == name)
        .ok_or(Error::CategoryNotFound(name))?;
    Ok(ok(category, None))
}

async fn stats(State(state): State<AppState>) -> Result<Response> {
    let categories = state.workspace.categories().await?;
    let active = categories.iter().filter(|c| c.is_active).count();
    Ok(ok(
        json!({"total": categories.len(), "active": active, "inactive": categories.len() - active}),
        None,
    ))
}

/// Always 200: anything that is not the name of an active category is `valid: false`.
async fn validate(State(state): State<AppState>, body: Bytes) -> Result<Response> {
    let name = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_string));
    let valid = match name {
        Some(name) => state
            .workspace
            .categories()
            .await?
            .iter()
            .any(|c| c.is_active && c.name == name),
        None => false,
    };
    Ok(Json(json!({"success": true, "valid": valid})).into_response())
}

/// Kept for compatibility: there is no stale cache to drop (lists validate on every read).
async fn invalidate_cache() -> Response {
    Json(json!({"success": true, "message": "Categories cache invalidated"})).into_response()
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let new = NewCategory::parse(&body)?;
    let category = state.workspace.create_category(new, &meta).await?;
    let mut response = ok(category, Some("Category created successfully"));
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let patch = CategoryPatch::parse(&body)?;
    let category = state
        .workspace
        .update_category(&name, CategoryChange::Patch(patch), &meta)
        .await?;
    Ok(ok(category, Some("Category updated successfully")))
}

async fn toggle(
    State(state): State<AppState>,
    Path(name): Path<String>,
    meta: RequestMeta,
) -> Result<Response> {
    let category = state
        .workspace
        .update_category(&name, CategoryChange::Toggle, &meta)
        .await?;
    Ok(ok(category, Some("Category toggled successfully")))
}

async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    meta: RequestMeta,
) -> Result<Response> {
    state.workspace.delete_category(&name, &meta).await?;
    Ok(Json(json!({"success": true, "message": "Category deleted successfully"})).into_response())
}
