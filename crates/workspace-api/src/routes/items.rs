//! `/api/items`: list, create, read, update, delete, stats, history.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::extract::{JsonObject, Path, QueryPairs};
use shared::routing::RouteTable;

use super::{PREFIXES, json_bytes, ok};
use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::item::{IfMatch, Item, ItemKey, ItemPatch, NewItem};
use crate::domain::query::ItemQuery;
use crate::error::Result;

pub fn routes() -> RouteTable<AppState> {
    PREFIXES.iter().fold(RouteTable::new(), |table, prefix| {
        let items = format!("{prefix}/items");
        let item = format!("{prefix}/items/{{id}}");
        table
            .get(&items, list)
            .post(&items, create)
            .get(&format!("{prefix}/items/stats"), stats)
            .get(&item, read)
            .put(&item, update)
            .delete(&item, remove)
            .get(&format!("{prefix}/items/{{id}}/history"), history)
    })
}

#[derive(Serialize)]
struct ListBody<'a> {
    success: bool,
    count: usize,
    total: i64,
    data: &'a [Item],
    filters: &'a ItemQuery,
}

async fn list(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let query = ItemQuery::parse(&query)?;
    let body = state
        .workspace
        .list_items(&query, |items, total| {
            let body = ListBody {
                success: true,
                count: items.len(),
                total,
                data: items,
                filters: &query,
            };
            let bytes = serde_json::to_vec(&body).map_err(shared::ApiError::internal)?;
            Ok(Bytes::from(bytes))
        })
        .await?;
    Ok(json_bytes(body))
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let new = NewItem::parse(&body)?;
    let item = state.workspace.create_item(new, &meta).await?;
    let etag = item.etag();
    let mut response = ok(&item, Some("Item created successfully"));
    *response.status_mut() = StatusCode::CREATED;
    set_etag(&mut response, &etag);
    Ok(response)
}

async fn read(
    State(state): State<AppState>,
    Path(key): Path<ItemKey>,
    headers: HeaderMap,
) -> Result<Response> {
    let item = state.workspace.item(&key).await?;
    let etag = item.etag();
    if if_none_match(&headers).is_some_and(|tags| tags.iter().any(|t| *t == etag || t == "*")) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_etag(&mut response, &etag);
        return Ok(response);
    }
    let mut response = ok(&item, None);
    set_etag(&mut response, &etag);
    Ok(response)
}

async fn update(
    State(state): State<AppState>,
    Path(key): Path<ItemKey>,
    meta: RequestMeta,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let patch = ItemPatch::parse(&body)?;
    let item = state
        .workspace
        .update_item(&key, patch, if_match(&headers), &meta)
        .await?;
    let mut response = ok(&item, Some("Item updated successfully"));
    set_etag(&mut response, &item.etag());
    Ok(response)
}

async fn remove(
    State(state): State<AppState>,
    Path(key): Path<ItemKey>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Result<Response> {
    state
        .workspace
        .delete_item(&key, if_match(&headers), &meta)
        .await?;
    Ok(
        axum::Json(serde_json::json!({"success": true, "message": "Item deleted successfully"}))
            .into_response(),
    )
}

async fn stats(State(state): State<AppState>) -> Result<Response> {
    Ok(ok(state.workspace.item_stats().await?, None))
}

async fn history(State(state): State<AppState>, Path(key): Path<ItemKey>) -> Result<Response> {
    let entries = state.workspace.item_history(&key).await?;
    Ok(
        axum::Json(serde_json::json!({"success": true, "count": entries.len(), "data": entries}))
            .into_response(),
    )
}

fn set_etag(response: &mut Response, etag: &str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

fn entity_tags(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `If-Match` per RFC 9110: `*`, or strong tags (a weak tag never matches).
fn if_match(headers: &HeaderMap) -> Option<IfMatch> {
    let raw = headers
        .get(header::IF_MATCH)?
        .to_str()
        .unwrap_or("\"unparseable\"");
    if raw.trim() == "*" {
        return Some(IfMatch::Any);
    }
    Some(IfMatch::Tags(entity_tags(raw)))
}

fn if_none_match(headers: &HeaderMap) -> Option<Vec<String>> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|raw| {
            entity_tags(raw)
                .into_iter()
                .map(|t| t.trim_start_matches("W/").to_string())
                .collect()
        })
}
