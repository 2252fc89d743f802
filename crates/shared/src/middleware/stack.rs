//! The fleet's middleware as one tower service around the router. In order, a request
//! gets: its trailing slash trimmed, its correlation id (decision 4) and route template;
//! a preflight answer when it is an `OPTIONS` (decision 12); the gate (rate limit, then
//! auth for mutating calls); the router, under the deadline (503 when it passes, never
//! 408) and a panic guard (a generic 500), with axum's empty 405 made an envelope;
//! compression when the client accepts it. Then the request's metrics and log line
//! (decisions 6 and 13), and the response's rate-limit, CORS, correlation and security
//! headers (decision 12).
//!
//! One service instead of six tower layers and a slash-trimming one: each layer
//! allocated, cloned its state or built a header map on every request, and together they
//! cost as much CPU on `/healthz` as hyper and the handler did (see
//! `scripts/bench-workspace.sh`).

use std::convert::Infallible;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower::Service;
use tower_http::compression::Compression;
use tracing::Level;
use tracing::level_filters::LevelFilter;

use super::context::{CORRELATION_ID, CorrelationId, REQUEST_ID};
use super::cors::CorsPolicy;
use super::hygiene::panic_response;
use super::stack_future::{Answer, CompressWhen, Guarded, RouterCall, StackFuture};
use super::{Auth, ClientRateLimiter, RateLimitHeaders};
use crate::error::{ApiError, in_request, with_request_id};
use crate::metrics::Metrics;
use crate::routing::RouteIndex;

/// What the stack of one app instance shares between all its requests (built by
/// [`crate::AppCore::into_app`]).
pub struct Stack {
    pub(crate) metrics: Metrics,
    pub(crate) log_level: LevelFilter,
    pub(crate) limiter: Arc<ClientRateLimiter>,
    pub(crate) auth: Arc<Auth>,
    pub(crate) deadline: Duration,
    pub(crate) cors: CorsPolicy,
    pub(crate) routes: RouteIndex,
}

/// The stack around `S`, as served on one connection.
pub struct StackService<S> {
    /// This connection's own handle on the shared stack: each request clones it into its
    /// future, and a count per connection keeps those increments off a cache line every
    /// worker would write (about half a point of `/healthz`'s cost, A/B in both orders).
    stack: Arc<ConnectionStack>,
    router: Compression<S, CompressWhen>,
    /// The connection's remote address, for the rate limit (set once per connection
    /// rather than carried in every request's extensions).
    peer: Option<IpAddr>,
}

/// One connection's handle on the shared [`Stack`].
pub(super) struct ConnectionStack(Arc<Stack>);

impl std::ops::Deref for ConnectionStack {
    type Target = Stack;

    fn deref(&self) -> &Stack {
        &self.0
    }
}

/// A clone serves another connection, so it gets its own handle.
impl<S: Clone> Clone for StackService<S> {
    fn clone(&self) -> Self {
        Self {
            stack: Arc::new(ConnectionStack(Arc::clone(&self.stack.0))),
            router: self.router.clone(),
            peer: self.peer,
        }
    }
}

impl<S> StackService<S> {
    pub fn new(stack: Arc<Stack>, router: S) -> Self {
        let router = Compression::new(router)
            .gzip(true)
            .br(true)
            .compress_when(CompressWhen);
        Self {
            stack: Arc::new(ConnectionStack(stack)),
            router,
            peer: None,
        }
    }

    pub fn set_peer(&mut self, peer: IpAddr) {
        self.peer = Some(peer);
    }
}

impl<S> Service<Request> for StackService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = StackFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.router.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let started = Instant::now();
        trim_trailing_slash(req.uri_mut());
        let read = ReadHeaders::of(req.headers());
        let id = CorrelationId::of(read.correlation_id, started);
        let origin = read.origin.cloned();
        let compress = read.accept_encoding;
        let route = self.stack.routes.find(req.uri().path());
        let infrastructure = self.stack.routes.is_infrastructure(route);
        let method = req.method().clone();
        let mut rate = None;
        let answer = if method == Method::OPTIONS {
            Answer::ready(self.stack.cors.preflight(origin.as_ref()), id)
        } else {
            match self.stack.admit(&mut req, self.peer, infrastructure) {
                Err((refusal, headers)) => {
                    rate = headers.map(Box::new);
                    let response = in_request(id.clone(), || refusal.into_response());
                    Answer::ready(response, id)
                }
                Ok(headers) => {
                    rate = headers.map(Box::new);
                    // Probes answer fast or not at all; the deadline guards the API.
                    let deadline = (!infrastructure).then_some(self.stack.deadline);
                    self.route(req, id, deadline, compress)
                }
            }
        };
        let finish = Finish {
            stack: self.stack.clone(),
            started,
            method,
            route,
            infrastructure,
            origin,
            rate,
        };
        StackFuture::new(answer, finish)
    }
}

impl<S> StackService<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    /// Calls the router (through compression when the client accepts an encoding),
    /// catching a panic of the synchronous part; [`Guarded`] catches the future's.
    fn route(
        &mut self,
        req: Request,
        id: CorrelationId,
        deadline: Option<Duration>,
        compress: bool,
    ) -> Answer<S::Future> {
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if compress {
                RouterCall::Compressed {
                    future: self.router.call(req),
                }
            } else {
                RouterCall::Plain {
                    future: self.router.get_mut().call(req),
                }
            }
        }));
        match call {
            Ok(call) => Answer::Routed {
                future: with_request_id(id, Guarded::new(call, deadline)),
            },
            Err(payload) => {
                let response = in_request(id.clone(), || panic_response(payload));
                Answer::ready(response, id)
            }
        }
    }
}

/// The request headers the stack reads, found in one pass over a request's few headers
/// rather than by four hash lookups.
#[derive(Default)]
struct ReadHeaders<'a> {
    /// `x-correlation-id`, else `x-request-id` (decision 4).
    correlation_id: Option<&'a HeaderValue>,
    origin: Option<&'a HeaderValue>,
    accept_encoding: bool,
}

impl<'a> ReadHeaders<'a> {
    fn of(headers: &'a HeaderMap) -> Self {
        let mut read = Self::default();
        let mut request_id = None;
        for (name, value) in headers {
            if *name == CORRELATION_ID {
                read.correlation_id.get_or_insert(value);
            } else if *name == REQUEST_ID {
                request_id.get_or_insert(value);
            } else if name == header::ORIGIN {
                read.origin.get_or_insert(value);
            } else if name == header::ACCEPT_ENCODING {
                read.accept_encoding = true;
            }
        }
        read.correlation_id = read.correlation_id.or(request_id);
        read
    }
}

/// `/api/items/` is `/api/items`, and `//x` is `/x`: the originals' Express routers were
/// not strict about slashes, and the dashboard has both spellings.
fn trim_trailing_slash(uri: &mut Uri) {
    let path = uri.path();
    if path == "/" || (!path.ends_with('/') && !path.starts_with("//")) {
        return;
    }
    let trimmed = format!("/{}", path.trim_matches('/'));
    let path_and_query = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    if let Ok(normalized) = Uri::from_parts(parts) {
        *uri = normalized;
    }
}

/// What the stack still does once a request has its answer.
pub(super) struct Finish {
    stack: Arc<ConnectionStack>,
    started: Instant,
    method: Method,
    route: usize,
    infrastructure: bool,
    origin: Option<HeaderValue>,
    rate: Option<Box<RateLimitHeaders>>,
}

impl Finish {
    /// Records the request's metrics and log line, then adds the rate-limit, CORS,
    /// correlation and security headers.
    pub(super) fn respond(self, mut response: Response, id: CorrelationId) -> Response {
        self.stack.record(
            &self.method,
            self.route,
            self.infrastructure,
            response.status(),
            self.started.elapsed(),
            id.as_str(),
        );
        let headers = response.headers_mut();
        // Room for exactly what follows (the rate-limit headers; `Vary` and, for an
        // allowed origin, three more CORS headers; the correlation id and three security
        // headers), so the map grows at most once.
        let rate = self.rate.as_ref().map_or(0, |rate| rate.len());
        let cors = if self.origin.is_some() { 4 } else { 1 };
        headers.reserve(rate + cors + 4);
        if let Some(rate) = self.rate {
            headers.extend(*rate);
        }
        if self.method != Method::OPTIONS {
            self.stack.cors.decorate(headers, self.origin.as_ref());
        }
        headers.insert(CORRELATION_ID, id.into_header());
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }
}

impl Stack {
    /// The gate: the client's rate limit (infrastructure routes are exempt), then
    /// authentication of mutating requests.
    #[allow(clippy::result_large_err)]
    fn admit(
        &self,
        req: &mut Request,
        peer: Option<IpAddr>,
        infrastructure: bool,
    ) -> Result<Option<RateLimitHeaders>, (ApiError, Option<RateLimitHeaders>)> {
        let rate = if infrastructure {
            None
        } else {
            let headers = self.limiter.admit(req, peer);
            Some(headers.map_err(|limited| (limited, None))?)
        };
        match self.auth.admit(req) {
            Ok(()) => Ok(rate),
            Err(denied) => Err((denied, rate)),
        }
    }

    /// Metrics and the request's log line. Probes arrive every few seconds from Docker
    /// and Prometheus: they are logged at debug so the log stays about users' traffic.
    fn record(
        &self,
        method: &Method,
        route: usize,
        is_probe: bool,
        status: StatusCode,
        elapsed: Duration,
        id: &str,
    ) {
        let template = self.routes.template(route);
        if template != "/metrics" {
            self.metrics
                .http()
                .record(method, route, template, status, elapsed);
        }
        let level = if is_probe { Level::DEBUG } else { Level::INFO };
        if self.log_level < level {
            return;
        }
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let service = self.metrics.service();
        if is_probe {
            tracing::debug!(target: "http", service, method = %method, route = template, status = status.as_u16(), latency_ms, request_id = id, "request");
        } else {
            tracing::info!(target: "http", service, method = %method, route = template, status = status.as_u16(), latency_ms, request_id = id, "request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trimmed(uri: &str) -> String {
        let mut uri: Uri = uri.parse().expect("uri");
        trim_trailing_slash(&mut uri);
        uri.to_string()
    }

    #[test]
    fn request_headers_are_read_as_by_lookups() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("from-x-request-id"));
        headers.append(header::ORIGIN, HeaderValue::from_static("http://a"));
        headers.append(header::ORIGIN, HeaderValue::from_static("http://b"));
        let read = ReadHeaders::of(&headers);
        assert_eq!(
            read.correlation_id.map(|v| v.as_bytes()),
            Some(&b"from-x-request-id"[..])
        );
        assert_eq!(read.origin, headers.get(header::ORIGIN));
        assert!(!read.accept_encoding);

        headers.insert(CORRELATION_ID, HeaderValue::from_static("preferred"));
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let read = ReadHeaders::of(&headers);
        assert_eq!(
            read.correlation_id.map(|v| v.as_bytes()),
            Some(&b"preferred"[..])
        );
        assert!(read.accept_encoding);
        assert!(ReadHeaders::of(&HeaderMap::new()).correlation_id.is_none());
    }

    #[test]
    fn trailing_and_doubled_slashes_are_trimmed_and_the_query_kept() {
        assert_eq!(trimmed("/api/items/"), "/api/items");
        assert_eq!(trimmed("/api/items/?limit=1"), "/api/items?limit=1");
        assert_eq!(trimmed("//health"), "/health");
        assert_eq!(trimmed("/"), "/");
        assert_eq!(trimmed("/api/items?x=/"), "/api/items?x=/");
    }
}
