//! The one pooled HTTP client that talks to Firecrawl, and the mapping of everything
//! Firecrawl (or the network) can answer onto [`Error`].
//!
//! Requests can only reach the configured base: paths are built here from fixed
//! segments plus validated, percent-encoded ids; redirects are not followed (a 3xx is an
//! upstream error, so a compromised or misconfigured upstream cannot bounce the Bearer
//! key elsewhere); environment proxies are ignored.

use std::time::Duration;

use axum::http::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use reqwest::{Method, RequestBuilder, Url};
use serde_json::Value;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::answer::{self, Answer};
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::metrics::FirecrawlMetrics;
use crate::redact::redact;

/// Connecting is quick or not happening: past this, Firecrawl counts as unavailable
/// (503) rather than slow (504).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The optional cap on concurrent upstream calls (`FIRECRAWL_PROXY_MAX_IN_FLIGHT`).
/// Excess calls wait in FIFO order for at most `wait`, then get 503.
pub struct Gate {
    slots: Option<Semaphore>,
    wait: Duration,
}

impl Gate {
    pub fn new(max_in_flight: Option<usize>, wait: Duration) -> Self {
        Self {
            slots: max_in_flight.map(Semaphore::new),
            wait,
        }
    }

    async fn enter(&self) -> Result<Option<SemaphorePermit<'_>>> {
        let Some(slots) = &self.slots else {
            return Ok(None);
        };
        match tokio::time::timeout(self.wait, slots.acquire()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            // A timeout, or a closed semaphore (never closed; treated the same).
            _ => Err(Error::Busy),
        }
    }
}

pub struct Firecrawl {
    client: reqwest::Client,
    base: Url,
    authorization: Option<HeaderValue>,
    timeout: Duration,
    gate: Gate,
    max_response_bytes: usize,
    metrics: FirecrawlMetrics,
}

impl Firecrawl {
    pub fn new(config: &Config, metrics: FirecrawlMetrics) -> anyhow::Result<Self> {
        let client = shared_http_client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(config.upstream.timeout))
            .tcp_nodelay(true)
            .user_agent(concat!("firecrawl-proxy/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            base: config.upstream.base_url.clone(),
            authorization: config.upstream.api_key.clone(),
            timeout: config.upstream.timeout,
            gate: Gate::new(config.max_in_flight, config.queue_timeout),
            max_response_bytes: config.max_response_bytes,
            metrics,
        })
    }

    /// The configured deadline of calls that do not scrape.
    pub fn default_deadline(&self) -> Duration {
        self.timeout
    }

    /// The deadline of a scrape whose own budget (`timeout + waitFor`) is `budget`.
    pub fn scrape_deadline(&self, budget: Duration) -> Duration {
        config::scrape_deadline(self.timeout, budget)
    }

    /// A sentence from Firecrawl, fit for a client (see [`crate::redact`]).
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.base)
    }

    /// `{base}/seg/seg/...`, each segment percent-encoded (`/`, `%`, `?` included) and
    /// `.`/`..` segments dropped by the URL library, so no segment can climb or split.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    pub async fn post(
        &self,
        segments: &[&str],
        body: &Value,
        deadline: Duration,
    ) -> Result<Answer> {
        let request = self.client.post(self.url(segments)).json(body);
        self.execute(request, deadline).await
    }

    pub async fn get(&self, segments: &[&str], query: &[(&str, String)]) -> Result<Answer> {
        let mut url = self.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let request = self.client.get(url);
        self.execute(request, self.timeout).await
    }

    pub async fn delete(&self, segments: &[&str]) -> Result<Answer> {
        let request = self.client.request(Method::DELETE, self.url(segments));
        self.execute(request, self.timeout).await
    }

    /// Waits for a slot, calls, reads the JSON answer. The whole route is bounded by the
    /// queue wait + the upstream deadline + the margin (docs/decisions.md#d22); in
    /// practice the client's own timeout (connect to end of body) ends it first.
    async fn execute(&self, request: RequestBuilder, deadline: Duration) -> Result<Answer> {
        let route_deadline = config::route_deadline(self.gate.wait, deadline);
        let call = async {
            let _slot = self.gate.enter().await?;
            let _in_flight = self.metrics.call_started();
            let mut request = request
                .timeout(deadline)
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            if let Some(authorization) = &self.authorization {
                request = request.header(AUTHORIZATION, authorization.clone());
            }
            let response = request.send().await.map_err(transport_error)?;
            let status = response.status();
            let bytes = read_bounded(response, self.max_response_bytes).await?;
            let body = answer::parse(&bytes);
            if status.is_success() {
                body.ok_or_else(|| {
                    Error::upstream(
                        "invalid response",
                        format!(
                            "HTTP {status} with {} bytes that are not a JSON object",
                            bytes.len()
                        ),
                    )
                })
            } else {
                Err(self.status_error(status, body.as_ref()))
            }
        };
        tokio::time::timeout(route_deadline, call)
            .await
            .unwrap_or_else(|_| {
                Err(shared::ApiError::unavailable(format!(
                    "The request did not complete within the server's deadline of {} ms",
                    route_deadline.as_millis()
                ))
                .into())
            })
    }

    /// The mapping of an upstream status onto the client's (docs/decisions.md#d22).
    fn status_error(&self, status: StatusCode, body: Option<&Answer>) -> Error {
        let message = body
            .and_then(|b| answer::text(b, "error").or_else(|| answer::text(b, "message")))
            .filter(|m| !m.trim().is_empty())
            .map(|m| redact(&m, &self.base));
        match status.as_u16() {
            400 | 404 | 409 | 422 => Error::Rejected {
                status,
                message: message.unwrap_or_else(|| match status {
                    StatusCode::NOT_FOUND => "Not found in Firecrawl".to_string(),
                    _ => format!("Firecrawl rejected the request (HTTP {})", status.as_u16()),
                }),
            },
            408 => Error::Timeout { detail: message },
            _ => Error::Upstream {
                message: message.unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
                cause: format!("upstream answered HTTP {status}"),
            },
        }
    }

    /// `GET {base}/v0/health/readiness`, outside the concurrency cap: a probe must not
    /// queue behind slow scrapes.
    pub async fn readiness(&self, timeout: Duration) -> Result<StatusCode, reqwest::Error> {
        let mut request = self
            .client
            .get(self.url(&["v0", "health", "readiness"]))
            .timeout(timeout);
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        request.send().await.map(|r| r.status())
    }
}

/// The answer's body, read chunk by chunk and refused (502) as soon as it would pass
/// `limit`, so an upstream cannot make the proxy hold more than that per call.
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>> {
    let too_large = || {
        Error::upstream(
            "the answer is too large",
            format!("upstream answer larger than the {limit}-byte limit"),
        )
    };
    let announced = response.content_length().unwrap_or(0);
    if announced > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Network-level failures: refused or unresolvable → 503, too slow → 504, a connection
/// that broke mid-answer → 502. The cause (with the internal URL) is for the log only.
fn transport_error(error: reqwest::Error) -> Error {
    let cause = chain(&error);
    if error.is_connect() {
        Error::Unavailable { cause }
    } else if error.is_timeout() {
        tracing::warn!(cause, "Firecrawl did not answer in time");
        Error::Timeout { detail: None }
    } else {
        Error::upstream("the connection failed before a complete answer", cause)
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
