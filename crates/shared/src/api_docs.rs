//! `/api-docs`: the service's API reference, Swagger UI rendering its own `/openapi.json`.
//! The assets are compiled into the binary (utoipa-swagger-ui's `vendored` feature), so
//! the page works without internet access and loads nothing from a CDN.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use utoipa_swagger_ui::Config;

use crate::error::ApiError;

/// Where the page lives. Its index is `/api-docs/index.html`: the assets are linked
/// relative to it, and the fleet trims trailing slashes, so `/api-docs` redirects there.
pub const PATH: &str = "/api-docs";

pub fn routes() -> Router {
    // `validatorUrl: none`: Swagger UI would otherwise send the document to
    // validator.swagger.io for a badge, a request to the internet on every page view.
    let config = Arc::new(Config::from("/openapi.json").validator_url("none"));
    Router::new()
        .route(PATH, get(|| async { Redirect::to("/api-docs/index.html") }))
        .route(
            "/api-docs/{*file}",
            get(move |Path(file): Path<String>| {
                let config = config.clone();
                async move { asset(&file, config) }
            }),
        )
}

fn asset(file: &str, config: Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(file, config) {
        Ok(Some(found)) => {
            let mut response = (
                [
                    (header::CONTENT_TYPE, found.content_type),
                    (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
                ],
                found.bytes.into_owned(),
            )
                .into_response();
            if found.gzpipped {
                response.headers_mut().insert(
                    header::CONTENT_ENCODING,
                    header::HeaderValue::from_static("gzip"),
                );
            }
            response
        }
        Ok(None) => ApiError::not_found(format!("{PATH}/{file} is not part of the API reference"))
            .into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}
