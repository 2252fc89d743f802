//! Spec serving: the files of `SPECS_DIR` (`/spec/*`, `/api/v1/docs/spec/*`), their
//! status and check, the archive, and spec search and suggest (`/api/v1/search`,
//! `/api/v1/suggest`, whose top-level keys stay as the original's with `success`).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::extract::{Path, QueryPairs};
use shared::middleware::Uncompressed;
use shared::routing::RouteTable;

use super::ok;
use crate::AppState;
use crate::domain::download::none_match;
use crate::error::Result;
use crate::specs::files::Served;
use crate::specs::query;

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .get("/spec/{file}", file)
        .get("/spec/{dir}/{file}", nested_file)
        .get("/api/v1/docs/spec/{file}", file)
        .get("/api/v1/docs/spec/{dir}/{file}", nested_file)
        .get("/api/v1/docs/status", status)
        .get("/api/v1/docs/check", check)
        .get("/api/v1/docs/download", download)
        .get("/api/v1/search", search)
        .get("/api/v1/suggest", suggest)
}

/// A spec file with its strong tag; a matching `If-None-Match` gets a bodiless 304.
pub fn served(served: Served, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&served.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (header::ETAG, etag),
        // Always revalidated: the files change with the repository.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    let matched = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| none_match(h, &served.etag));
    if matched {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let content_type = HeaderValue::from_static(served.content_type);
    (common, [(header::CONTENT_TYPE, content_type)], served.bytes).into_response()
}

async fn file(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    Ok(served(state.specs.file(file).await?, &headers))
}

async fn nested_file(
    State(state): State<AppState>,
    Path((dir, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    Ok(served(
        state.specs.file(format!("{dir}/{file}")).await?,
        &headers,
    ))
}

async fn status(State(state): State<AppState>) -> Result<Response> {
    let status = state.specs.status().await?;
    Ok(ok(json!({"success": true, "data": status})))
}

async fn check(State(state): State<AppState>) -> Result<Response> {
    let status = state.specs.status().await?;
    let message = match (status.status, status.total, status.invalid) {
        ("ok", total, _) => format!("Documentation check completed: {total} documents valid"),
        (_, 0, _) => format!("Documentation check failed: {}", status.issues.join("; ")),
        (_, total, invalid) => {
            format!("Documentation check failed: {invalid} of {total} documents invalid")
        }
    };
    Ok(ok(json!({
        "success": true,
        "data": {
            "status": status.status,
            "message": message,
            "total": status.total,
            "invalid": status.invalid,
            "lastChecked": status.last_checked,
        },
    })))
}

async fn download(State(state): State<AppState>) -> Result<Response> {
    let zip = state.specs.archive().await?;
    let mut response = (
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tradingsystem-specs.zip\"",
            ),
        ],
        zip,
    )
        .into_response();
    // Already deflated: compressing again gains nothing.
    response.extensions_mut().insert(Uncompressed);
    Ok(response)
}

async fn search(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let (search, version) = query::parse(&query, 10, 100)?;
    let (total, results) = state.specs.search(search).await?;
    Ok(ok(json!({
        "success": true,
        "total": total,
        "version": version,
        "results": results,
    })))
}

async fn suggest(State(state): State<AppState>, query: QueryPairs) -> Result<Response> {
    let (search, _) = query::parse(&query, 5, 10)?;
    let suggestions = state.specs.suggest(search).await?;
    Ok(ok(json!({"success": true, "suggestions": suggestions})))
}
