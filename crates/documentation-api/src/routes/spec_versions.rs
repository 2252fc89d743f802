//! Versions of each spec document under `/api/v1/docs/versions/{document}`: the list,
//! one version by `latest|current|stable|base|<semver>`, its text and status, a new
//! publication, and the key-level compare of two versions. `{document}` is a file at
//! the top of `SPECS_DIR`, by name (`documentation-api.yaml`) or stem (`documentation-api`).

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde_json::json;
use shared::extract::{JsonObject, Path};
use shared::routing::RouteTable;
use shared::validate::Fields;

use super::specs::served;
use super::{created, ok};
use crate::AppState;
use crate::error::Result;
use crate::specs::versions::Bump;

const BASE: &str = "/api/v1/docs/versions";

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .get(BASE, list_all)
        .get(&format!("{BASE}/{{document}}"), list)
        .post(&format!("{BASE}/{{document}}"), publish)
        .get(
            &format!("{BASE}/{{document}}/compare/{{v1}}/{{v2}}"),
            compare,
        )
        .get(&format!("{BASE}/{{document}}/{{version}}"), version)
        .get(&format!("{BASE}/{{document}}/{{version}}/spec"), spec)
        .get(&format!("{BASE}/{{document}}/{{version}}/status"), status)
}

async fn list_all(State(state): State<AppState>) -> Result<Response> {
    let data = state.specs.all_versions().await?;
    Ok(ok(
        json!({"success": true, "count": data.len(), "data": data}),
    ))
}

async fn list(State(state): State<AppState>, Path(document): Path<String>) -> Result<Response> {
    let data = state.specs.versions(document).await?;
    Ok(ok(json!({"success": true, "data": data})))
}

/// `{type: major|minor|patch}`, `minor` when absent; an empty body means the default.
async fn publish(
    State(state): State<AppState>,
    Path(document): Path<String>,
    request: Request,
) -> Result<Response> {
    let empty = request.headers().get(header::CONTENT_TYPE).is_none()
        && request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_none_or(|len| len.as_bytes() == b"0");
    let bump = if empty {
        Bump::Minor
    } else {
        let JsonObject(body) = JsonObject::from_request(request, &state).await?;
        let mut fields = Fields::new(&body);
        let bump = match fields.optional_string("type") {
            None => Some(Bump::Minor),
            Some(text) => Bump::parse(&text),
        };
        if bump.is_none() {
            fields.error(
                "type",
                "invalid_value",
                "type must be one of: major, minor, patch",
            );
        }
        fields.finish()?;
        bump.unwrap_or(Bump::Minor)
    };
    let data = state.specs.publish(document, bump).await?;
    let message = format!(
        "Published version {}",
        data["version"].as_str().unwrap_or_default()
    );
    Ok(created(
        json!({"success": true, "data": data, "message": message}),
    ))
}

async fn compare(
    State(state): State<AppState>,
    Path((document, v1, v2)): Path<(String, String, String)>,
) -> Result<Response> {
    let data = state.specs.compare(document, v1, v2).await?;
    Ok(ok(json!({"success": true, "data": data})))
}

async fn version(
    State(state): State<AppState>,
    Path((document, version)): Path<(String, String)>,
) -> Result<Response> {
    let data = state.specs.version(document, version).await?;
    Ok(ok(json!({"success": true, "data": data})))
}

async fn spec(
    State(state): State<AppState>,
    Path((document, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    Ok(served(
        state.specs.version_spec(document, version).await?,
        &headers,
    ))
}

async fn status(
    State(state): State<AppState>,
    Path((document, version)): Path<(String, String)>,
) -> Result<Response> {
    let data = state.specs.version_status(document, version).await?;
    Ok(ok(json!({"success": true, "data": data})))
}
