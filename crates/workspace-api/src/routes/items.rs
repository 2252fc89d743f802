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
use crate::domain::audit::{EntityType, RequestMeta};
use crate::domain::item::{Item, ItemPatch, NewItem};
use crate::domain::query::ItemQuery;
use crate::error::{Error, Result};
use crate::repo::{AuditFilter, IfMatch, parse_item_id};

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
    let key = serde_json::to_string(&query).unwrap_or_default();
    let version = state.store.change_version().await?;
    if let Some(body) = state.list_cache.get(&key, version) {
        return Ok(json_bytes(body));
    }
    let (items, total) = state.store.list_items(&query).await?;
    let body = ListBody {
        success: true,
        count: items.len(),
        total,
        data: &items,
        filters: &query,
    };
    let body = Bytes::from(serde_json::to_vec(&body).map_err(shared::ApiError::internal)?);
    state.list_cache.put(key, version, body.clone());
    Ok(json_bytes(body))
}

async fn create(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let new = NewItem::parse(&body)?;
    let item = state.store.create_item(new, &meta).await?;
    let etag = item.etag();
    let mut response = ok(&item, Some("Item created successfully"));
    *response.status_mut() = StatusCode::CREATED;
    set_etag(&mut response, &etag);
    Ok(response)
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let item = find(&state, &id).await?;
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
    Path(id): Path<String>,
    meta: RequestMeta,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response> {
    let patch = ItemPatch::parse(&body)?;
    let item = state
        .store
        .update_item(&id, patch, if_match(&headers), &meta)
        .await?;
    let mut response = ok(&item, Some("Item updated successfully"));
    set_etag(&mut response, &item.etag());
    Ok(response)
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Result<Response> {
    state
        .store
        .delete_item(&id, if_match(&headers), &meta)
        .await?;
    Ok(
        axum::Json(serde_json::json!({"success": true, "message": "Item deleted successfully"}))
            .into_response(),
    )
}

async fn stats(State(state): State<AppState>) -> Result<Response> {
    Ok(ok(state.store.item_stats().await?, None))
}

async fn history(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let filter = AuditFilter {
        entity_type: Some(EntityType::Item),
        entity_id: Some(id.clone()),
        action: None,
        limit: 1000,
        offset: 0,
    };
    let (entries, _) = state.store.audit(&filter).await?;
    if entries.is_empty() {
        // No history: the item must at least exist for an empty answer.
        find(&state, &id).await?;
    }
    Ok(
        axum::Json(serde_json::json!({"success": true, "count": entries.len(), "data": entries}))
            .into_response(),
    )
}

async fn find(state: &AppState, id: &str) -> Result<Item> {
    let uuid = parse_item_id(id).ok_or_else(|| Error::ItemNotFound(id.to_string()))?;
    state
        .store
        .item(uuid)
        .await?
        .ok_or_else(|| Error::ItemNotFound(id.to_string()))
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
