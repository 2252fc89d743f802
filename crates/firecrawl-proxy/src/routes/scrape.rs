//! `POST /api/v1/scrape` and its legacy alias `POST /api/scrape`.

use std::time::Instant;

use axum::extract::State;
use axum::response::Response;
use shared::extract::JsonObject;
use shared::routing::RouteTable;

use super::{ok, payload};
use crate::AppState;
use crate::answer::Answer;
use crate::error::Result;
use crate::upstream::Firecrawl;
use crate::validate::Scrape;

pub fn routes() -> RouteTable<AppState> {
    RouteTable::new()
        .post("/api/v1/scrape", scrape)
        .post("/api/scrape", scrape)
}

/// Validates, forwards the known keys to `POST /v1/scrape` with a deadline that covers
/// the scrape's own `timeout + waitFor`, and answers `{success:true, data:<document>}`.
async fn scrape(State(state): State<AppState>, JsonObject(input): JsonObject) -> Result<Response> {
    let scrape = Scrape::parse(&input, state.targets)?;
    let started = Instant::now();
    let deadline = state.firecrawl.scrape_deadline(scrape.budget);
    let result = state
        .firecrawl
        .post(&["v1", "scrape"], &scrape.body, deadline)
        .await
        .and_then(|body| document(&state.firecrawl, body));
    state.metrics.scrape(result.is_ok(), started.elapsed());
    Ok(match result? {
        Document::Data(data) => ok(&data),
        Document::Whole(whole) => ok(&whole),
    })
}

enum Document {
    Data(Box<serde_json::value::RawValue>),
    Whole(Answer),
}

/// Firecrawl v1 answers `{success, data:<document>}`; an answer without `data` is taken
/// as the document itself (the original proxy's `upstream.data ?? upstream`).
fn document(firecrawl: &Firecrawl, answer: Answer) -> Result<Document> {
    let mut payload = payload(firecrawl, answer)?;
    Ok(match payload.remove("data") {
        Some(data) if data.get().trim() != "null" => Document::Data(data),
        _ => Document::Whole(payload),
    })
}
