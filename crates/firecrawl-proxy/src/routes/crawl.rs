//! Crawls: start (`POST /api/v1/crawl`, legacy `POST /api/crawl`), status
//! (`GET /api/v1/crawl/{id}`, legacy `GET /api/crawl/status/{id}`), cancel
//! (`DELETE /api/v1/crawl/{id}`) and errors (`GET /api/v1/crawl/{id}/errors`).

use axum::extract::State;
use axum::response::Response;
use reqwest::Url;
use serde_json::json;
use shared::extract::{JsonObject, Path, QueryPairs};
use shared::routing::RouteTable;

use super::{Links, ok, payload};
use crate::AppState;
use crate::answer::{self, Answer};
use crate::error::{Error, Result};
use crate::validate::{self, CrawlId, Page};

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .post("/api/v1/crawl", start)
        .get("/api/v1/crawl/{id}", status)
        .delete("/api/v1/crawl/{id}", cancel)
        .get("/api/v1/crawl/{id}/errors", errors)
        .post("/api/crawl", start)
        .get("/api/crawl/status/{id}", status)
}

/// Starts a crawl: `{success:true, data:{id, url}}` with `url` pointing at this proxy.
async fn start(State(state): State<AppState>, JsonObject(input): JsonObject) -> Result<Response> {
    let body = validate::crawl(&input, state.targets)?;
    let deadline = state.firecrawl.default_deadline();
    let result = state
        .firecrawl
        .post(&["v1", "crawl"], &body, deadline)
        .await
        .and_then(|answer| payload(&state.firecrawl, answer))
        .and_then(|answer| crawl_job(&state.links, &answer));
    state.metrics.crawl_job(result.is_ok());
    Ok(ok(&result?))
}

fn crawl_job(links: &Links, answer: &Answer) -> Result<serde_json::Value> {
    // The id goes into URLs handed to clients: it must be one this proxy would accept.
    let id = answer::text(answer, "id")
        .and_then(|id| CrawlId::parse(&id).ok())
        .ok_or_else(|| {
            Error::upstream(
                "the answer did not include a usable crawl id",
                format!("crawl answer keys: {:?}", answer.keys().collect::<Vec<_>>()),
            )
        })?;
    Ok(json!({"id": id.as_str(), "url": links.crawl(&id)}))
}

/// A crawl's status page. `skip`/`limit` are forwarded; `next` is rewritten to this
/// proxy; a 200 with `success:false` (a crawl that failed at kickoff) is reported as a
/// successful read of a failed crawl.
async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> Result<Response> {
    let id = CrawlId::parse(&id)?;
    let page = Page::parse(&query)?;
    let answer = state
        .firecrawl
        .get(&["v1", "crawl", id.as_str()], &page.query())
        .await
        .and_then(|answer| status_data(&state, &id, answer));
    match answer {
        Ok(data) => {
            state
                .metrics
                .status_check(answer::text(&data, "status").as_deref());
            Ok(ok(&data))
        }
        Err(error) => {
            state.metrics.status_check(None);
            Err(error)
        }
    }
}

/// The top-level fields of a status page that reach the client (the OpenAPI
/// `CrawlStatus`); whatever else a Firecrawl version adds stays behind, so internal
/// fields never leak and the documented shape holds.
const STATUS_FIELDS: [&str; 8] = [
    "status",
    "completed",
    "total",
    "creditsUsed",
    "expiresAt",
    "next",
    "data",
    "error",
];

fn status_data(state: &AppState, id: &CrawlId, mut data: Answer) -> Result<Answer> {
    if answer::is_false(&data, "success") {
        let error = answer::text(&data, "error")
            .map(|e| state.firecrawl.redact(&e))
            .unwrap_or_else(|| "The crawl failed".to_string());
        data.insert("status".into(), answer::raw("failed"));
        data.insert("error".into(), answer::raw(&error));
    }
    data.retain(|key, _| STATUS_FIELDS.contains(&key.as_str()));
    match answer::text(&data, "next").as_deref().and_then(next_page) {
        Some(page) => {
            data.insert("next".into(), answer::raw(&state.links.next(id, page)));
        }
        // Absent, null, or not a URL we understand: better no link than a wrong one.
        None => {
            data.remove("next");
        }
    }
    Ok(data)
}

/// The `skip`/`limit` of Firecrawl's `next` URL (absolute or relative).
fn next_page(next: &str) -> Option<Page> {
    let base = Url::parse("http://firecrawl.invalid/").ok()?;
    let url = base.join(next).ok()?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let page = Page::parse(&QueryPairs(pairs)).ok()?;
    page.skip.is_some().then_some(page)
}

/// Cancels a crawl: `{success:true, data:{status:"cancelled", …}}`.
async fn cancel(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let id = CrawlId::parse(&id)?;
    let answer = state
        .firecrawl
        .delete(&["v1", "crawl", id.as_str()])
        .await?;
    Ok(ok(&payload(&state.firecrawl, answer)?))
}

/// The pages a crawl could not scrape: `{success:true, data:{errors, robotsBlocked}}`.
async fn errors(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let id = CrawlId::parse(&id)?;
    let answer = state
        .firecrawl
        .get(&["v1", "crawl", id.as_str(), "errors"], &[])
        .await?;
    Ok(ok(&payload(&state.firecrawl, answer)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_pages_are_read_from_absolute_and_relative_urls() {
        let page =
            next_page("http://firecrawl-api:3002/v1/crawl/abc?skip=20&limit=10").expect("page");
        assert_eq!((page.skip, page.limit), (Some(20), Some(10)));
        let page = next_page("/v1/crawl/abc?skip=5").expect("page");
        assert_eq!((page.skip, page.limit), (Some(5), None));
        assert_eq!(next_page("http://firecrawl-api:3002/v1/crawl/abc"), None);
        assert_eq!(next_page("http://x/v1/crawl/abc?skip=-1"), None);
    }
}
