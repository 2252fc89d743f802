//! Black-box tests of firecrawl-proxy over HTTP, against a fake Firecrawl (wiremock,
//! speaking Firecrawl's v1 wire format; see `helpers`).

mod crawl;
mod dashboard;
mod helpers;
mod hostile;
mod infrastructure;
mod limits;
mod scrape;
mod upstream_errors;
mod validation;
