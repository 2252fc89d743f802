//! HTTP handlers: the service description, scrape, and crawl (start, status, cancel,
//! errors), each under its `/api/v1` path and, where the original had one, its legacy
//! alias. Every success is `{"success":true,"data":…}`.

pub mod crawl;
pub mod info;
pub mod scrape;

use std::sync::Arc;

use shared::routing::RouteTable;

use crate::AppState;
use crate::answer::{self, Answer};
use crate::error::{Error, Result};
use crate::upstream::Firecrawl;
use crate::validate::{CrawlId, Page};

pub fn routes() -> RouteTable<AppState> {
    info::routes()
        .merge(scrape::routes())
        .merge(crawl::routes())
}

pub use answer::ok;

/// The object Firecrawl answered, without its own `success` flag. A 2xx that still says
/// `success:false` is Firecrawl failing (502), with its sentence redacted.
fn payload(firecrawl: &Firecrawl, mut answer: Answer) -> Result<Answer> {
    if answer::is_false(&answer, "success") {
        let message = answer::text(&answer, "error")
            .map(|e| firecrawl.redact(&e))
            .unwrap_or_else(|| "the request failed".to_string());
        return Err(Error::upstream(message, "HTTP 2xx with success:false"));
    }
    answer.remove("success");
    Ok(answer)
}

/// Builds the URLs handed to clients: `FIRECRAWL_PROXY_PUBLIC_URL` (or nothing, for
/// root-relative paths) + `/api/v1/crawl/{id}…`. Firecrawl's own URLs name its internal
/// address, which a browser cannot reach.
#[derive(Clone)]
pub struct Links {
    public: Arc<str>,
}

impl Links {
    pub fn new(public_url: &str) -> Self {
        Self {
            public: Arc::from(public_url.trim_end_matches('/')),
        }
    }

    /// The status URL of a crawl (ids are validated, so they need no escaping).
    pub fn crawl(&self, id: &CrawlId) -> String {
        format!("{}/api/v1/crawl/{}", self.public, id.as_str())
    }

    /// The next page of a crawl's results.
    pub fn next(&self, id: &CrawlId, page: Page) -> String {
        let query: Vec<String> = page
            .query()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}?{}", self.crawl(id), query.join("&"))
    }
}
