//! A tiny stand-in for self-hosted Firecrawl (its v1 wire format), for
//! benchmarks and manual runs: `POST /v1/scrape`, `POST /v1/crawl`, `GET /v1/crawl/{id}`,
//! `DELETE /v1/crawl/{id}`, `GET /v1/crawl/{id}/errors`, `GET /v0/health/readiness`.
//!
//! `FAKE_FIRECRAWL_PORT` (default 3002) on 127.0.0.1; `FAKE_FIRECRAWL_DELAY_MS` (default
//! 0) delays every scrape, to imitate a real page load; `FAKE_FIRECRAWL_MARKDOWN_BYTES`
//! (default about 4 KB) sets the size of a scraped page, for the large-answer benchmark.
//! Answers are serialized once.
//!
//! ```sh
//! cargo run --release -p firecrawl-proxy --example fake_firecrawl
//! ```

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::json;

#[derive(Clone)]
struct Fake {
    scrape: Bytes,
    delay: Duration,
}

fn json_body(bytes: Bytes) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], bytes)
}

/// A document of about `markdown_bytes` of markdown (a short article by default), as
/// Firecrawl returns it.
fn document(markdown_bytes: usize) -> serde_json::Value {
    let paragraph = "Firecrawl turns a web page into clean markdown. This paragraph stands in for the \
                     body of a short article, long enough that serializing it costs something. ";
    let repeats = markdown_bytes.div_ceil(paragraph.len()).max(1);
    json!({
        "markdown": format!("# Example Domain\n\n{}", paragraph.repeat(repeats)),
        "metadata": {
            "title": "Example Domain", "description": "An example page", "language": "en",
            "sourceURL": "https://example.com", "url": "https://example.com/",
            "statusCode": 200, "contentType": "text/html", "proxyUsed": "basic",
            "cacheState": "miss", "creditsUsed": 1, "scrapeId": "0f6e1c9a-3b1d-4c8e-9a55-7d2b9c1e4f00"
        }
    })
}

async fn scrape(State(fake): State<Fake>) -> impl IntoResponse {
    if !fake.delay.is_zero() {
        tokio::time::sleep(fake.delay).await;
    }
    json_body(fake.scrape.clone())
}

async fn crawl() -> impl IntoResponse {
    let id = "0f6e1c9a-3b1d-4c8e-9a55-7d2b9c1e4f00";
    axum::Json(
        json!({"success": true, "id": id, "url": format!("http://firecrawl-api:3002/v1/crawl/{id}")}),
    )
}

async fn status(Path(id): Path<String>) -> impl IntoResponse {
    axum::Json(json!({
        "success": true, "status": "scraping", "completed": 1, "total": 2, "creditsUsed": 1,
        "expiresAt": "2030-01-01T00:00:00.000Z",
        "next": format!("http://firecrawl-api:3002/v1/crawl/{id}?skip=1"),
        "data": [document(ARTICLE_BYTES)]
    }))
}

async fn cancel() -> impl IntoResponse {
    axum::Json(json!({"success": true, "status": "cancelled"}))
}

async fn errors() -> impl IntoResponse {
    axum::Json(json!({"errors": [], "robotsBlocked": []}))
}

async fn readiness() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

/// The size of the default page: a short article.
const ARTICLE_BYTES: usize = 4000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = u16::try_from(env_number("FAKE_FIRECRAWL_PORT", 3002)).unwrap_or(3002);
    let markdown_bytes = env_number("FAKE_FIRECRAWL_MARKDOWN_BYTES", ARTICLE_BYTES as u64);
    let page = document(usize::try_from(markdown_bytes).unwrap_or(ARTICLE_BYTES));
    let scrape_body = serde_json::to_vec(&json!({"success": true, "data": page}))
        .map_err(std::io::Error::other)?;
    let fake = Fake {
        scrape: Bytes::from(scrape_body),
        delay: Duration::from_millis(env_number("FAKE_FIRECRAWL_DELAY_MS", 0)),
    };
    let app = Router::new()
        .route("/v1/scrape", post(scrape))
        .route("/v1/crawl", post(crawl))
        .route("/v1/crawl/{id}", get(status).delete(cancel))
        .route("/v1/crawl/{id}/errors", get(errors))
        .route("/v0/health/readiness", get(readiness))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("fake Firecrawl on http://127.0.0.1:{port}");
    axum::serve(listener, app).await
}
