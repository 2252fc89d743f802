//! `GET /`: what this service is and where its endpoints are.

use shared::routing::{RouteTable, service_info};

use crate::{AppState, NAME, VERSION};

pub fn routes() -> RouteTable<AppState> {
    service_info(
        NAME,
        VERSION,
        &[
            ("scrape", "/api/v1/scrape"),
            ("crawl", "/api/v1/crawl"),
            ("crawlStatus", "/api/v1/crawl/{id}"),
            ("crawlCancel", "/api/v1/crawl/{id}"),
            ("crawlErrors", "/api/v1/crawl/{id}/errors"),
            ("health", "/health"),
            ("metrics", "/metrics"),
            ("openapi", "/openapi.json"),
        ],
    )
}
