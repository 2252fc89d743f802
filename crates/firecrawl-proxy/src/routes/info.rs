//! `GET /`: what this service is and where its endpoints are.

use axum::response::Response;
use serde_json::json;
use shared::routing::RouteTable;

use super::ok;
use crate::{AppState, NAME, VERSION};

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new().get("/", info)
}

async fn info() -> Response {
    ok(&json!({
        "service": NAME,
        "version": VERSION,
        "endpoints": {
            "scrape": "/api/v1/scrape",
            "crawl": "/api/v1/crawl",
            "crawlStatus": "/api/v1/crawl/{id}",
            "crawlCancel": "/api/v1/crawl/{id}",
            "crawlErrors": "/api/v1/crawl/{id}/errors",
            "health": "/health",
            "metrics": "/metrics",
            "openapi": "/openapi.json",
        },
    }))
}
