//! Black-box tests of firecrawl-proxy over HTTP, against a fake Firecrawl (wiremock,
//! speaking the v1 wire format of the contract's §A.9; see `helpers`).

mod crawl;
mod dashboard;
mod helpers;
mod infrastructure;
mod limits;
mod scrape;
mod upstream_errors;
mod validation;
