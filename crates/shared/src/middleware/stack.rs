//! The fleet's middleware as one tower service around the router. In order, a request
//! gets: its correlation id (decision 4) and route template; a preflight answer when it
//! is an `OPTIONS` (decision 12); the gate (rate limit, then auth for mutating calls);
//! the router, under the deadline (503 when it passes, never 408) and a panic guard (a
//! generic 500); compression when the client accepts it. Every response then gets the
//! CORS and security headers of decision 12, the 405 envelope where axum left an empty
//! one, and its metrics and log line (decisions 6 and 13).
//!
//! One service instead of six tower layers: each layer allocated, cloned its state or
//! built a header map on every request, and together they cost as much CPU on
//! `/healthz` as hyper and the handler did (see `scripts/bench-workspace.sh`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tracing::Level;
use tracing::level_filters::LevelFilter;

use super::context::{CORRELATION_ID, CorrelationIds, is_infrastructure_path};
use super::cors::CorsPolicy;
use super::hygiene::{method_not_allowed_envelope, panic_response};
use super::{Auth, ClientRateLimiter, RateLimitHeaders};
use crate::error::{ApiError, with_request_id};
use crate::health::BoxFuture;
use crate::metrics::{HttpSeries, Metrics};
use crate::routing::RouteIndex;

type Compression = tower_http::compression::CompressionLayer<
    tower_http::compression::predicate::And<DefaultPredicate, SizeAbove>,
>;

/// What the stack of one app instance shares between all its requests.
pub struct Stack {
    metrics: Metrics,
    log_level: LevelFilter,
    limiter: Arc<ClientRateLimiter>,
    auth: Arc<Auth>,
    deadline: Duration,
    cors: CorsPolicy,
    routes: RouteIndex,
    compression: Compression,
    /// Tells this stack's entries apart in the per-thread series cache.
    id: u64,
}

type SeriesKey = (u64, usize, Method, StatusCode);

thread_local! {
    /// HTTP series already looked up on this thread, by (stack, route, method, status):
    /// per thread, so recording a request touches no lock the other workers share.
    static SERIES: RefCell<HashMap<SeriesKey, HttpSeries>> = RefCell::default();
}

impl Stack {
    pub fn new(
        metrics: Metrics,
        log_level: LevelFilter,
        limiter: Arc<ClientRateLimiter>,
        auth: Arc<Auth>,
        deadline: Duration,
        cors: CorsPolicy,
        routes: RouteIndex,
    ) -> Self {
        Self {
            metrics,
            log_level,
            limiter,
            auth,
            deadline,
            cors,
            routes,
            // gzip/br above 1 KiB: below that, the headers cost more than they save.
            compression: CompressionLayer::new()
                .gzip(true)
                .br(true)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024))),
            id: NEXT_STACK_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
}

static NEXT_STACK_ID: AtomicU64 = AtomicU64::new(0);

/// [`Stack`] as a layer.
#[derive(Clone)]
pub struct StackLayer(pub Arc<Stack>);

impl<S> Layer<S> for StackLayer {
    type Service = StackService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        StackService {
            stack: self.0.clone(),
            inner,
            peer: None,
        }
    }
}

/// The stack around `S`, as served on one connection.
#[derive(Clone)]
pub struct StackService<S> {
    stack: Arc<Stack>,
    inner: S,
    /// The connection's remote address, for the rate limit (set once per connection
    /// rather than carried in every request's extensions).
    peer: Option<IpAddr>,
}

impl<S> StackService<S> {
    pub fn set_peer(&mut self, peer: IpAddr) {
        self.peer = Some(peer);
    }
}

/// Where a request stands once the synchronous part of the stack has seen it.
enum Pending<F> {
    Preflight,
    Refused(ApiError, Option<RateLimitHeaders>),
    Panicked(Box<dyn std::any::Any + Send>),
    Routed(F, Option<RateLimitHeaders>),
    Compressed(
        BoxFuture<'static, Result<Response, Infallible>>,
        Option<RateLimitHeaders>,
    ),
}

impl<S> Service<Request> for StackService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let started = Instant::now();
        let stack = self.stack.clone();
        let ids = CorrelationIds::of(req.headers());
        let route = stack.routes.find(req.uri().path());
        let infrastructure = is_infrastructure_path(stack.routes.template(route));
        let method = req.method().clone();
        let origin = req.headers().get(header::ORIGIN).cloned();
        let pending = if method == Method::OPTIONS {
            Pending::Preflight
        } else {
            match stack.admit(&mut req, self.peer, infrastructure) {
                Err((refusal, headers)) => Pending::Refused(refusal, headers),
                Ok(headers) => match self.route(req) {
                    Ok(Routed::Plain(future)) => Pending::Routed(future, headers),
                    Ok(Routed::Compressed(future)) => Pending::Compressed(future, headers),
                    Err(payload) => Pending::Panicked(payload),
                },
            }
        };
        // Probes answer fast or not at all; the deadline guards the API's routes.
        let deadline = (!infrastructure).then_some(stack.deadline);
        Box::pin(with_request_id(ids.text.clone(), async move {
            let mut response = match pending {
                Pending::Preflight => stack.cors.preflight(origin.as_ref()),
                Pending::Refused(error, headers) => with_headers(error.into_response(), headers),
                Pending::Panicked(payload) => panic_response(payload),
                Pending::Routed(future, headers) => {
                    with_headers(complete(future, deadline).await, headers)
                }
                Pending::Compressed(future, headers) => {
                    with_headers(complete(future, deadline).await, headers)
                }
            };
            if response.status() == StatusCode::METHOD_NOT_ALLOWED {
                response = method_not_allowed_envelope(response);
            }
            let headers = response.headers_mut();
            headers.reserve(6);
            if method != Method::OPTIONS {
                stack.cors.decorate(headers, origin.as_ref());
            }
            headers.insert(CORRELATION_ID, ids.header);
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            stack.finish(
                &method,
                route,
                infrastructure,
                response.status(),
                started.elapsed(),
                &ids.text,
            );
            Ok(response)
        }))
    }
}

impl<S> StackService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    /// Calls the router (through compression when the client accepts an encoding),
    /// catching a panic of the synchronous part; the future's own are caught later.
    fn route(&mut self, req: Request) -> Result<Routed<S::Future>, Box<dyn std::any::Any + Send>> {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            if req.headers().contains_key(header::ACCEPT_ENCODING) {
                let compressed = self.stack.compression.layer(self.inner.clone());
                Routed::Compressed(Box::pin(async move {
                    let Ok(response) = compressed.oneshot(req).await;
                    Ok(response.map(Body::new))
                }))
            } else {
                Routed::Plain(self.inner.call(req))
            }
        }))
    }
}

enum Routed<F> {
    Plain(F),
    Compressed(BoxFuture<'static, Result<Response, Infallible>>),
}

/// Awaits the router's answer under `deadline`, turning a panic into a 500.
async fn complete<F, B>(future: F, deadline: Option<Duration>) -> Response
where
    F: Future<Output = Result<Response<B>, Infallible>>,
    B: HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let mut future = std::pin::pin!(future);
    let guarded = std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Ready(Ok(response))) => Poll::Ready(Ok(response)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        }
    });
    let outcome = match deadline {
        Some(limit) => match tokio::time::timeout(limit, guarded).await {
            Ok(outcome) => outcome,
            Err(_) => {
                return ApiError::unavailable(format!(
                    "The request did not complete within the server's deadline of {} ms",
                    limit.as_millis()
                ))
                .into_response();
            }
        },
        None => guarded.await,
    };
    match outcome {
        Ok(response) => response.map(Body::new),
        Err(payload) => panic_response(payload),
    }
}

fn with_headers(mut response: Response, headers: Option<RateLimitHeaders>) -> Response {
    if let Some(headers) = headers {
        response.headers_mut().extend(headers);
    }
    response
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
    fn finish(
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
            self.observe(method, route, status, elapsed);
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

    fn observe(&self, method: &Method, route: usize, status: StatusCode, elapsed: Duration) {
        let key = (self.id, route, method.clone(), status);
        let cached = SERIES.with_borrow(|cache| cache.get(&key).map(|s| s.observe(elapsed)));
        if cached.is_some() {
            return;
        }
        let series = self
            .metrics
            .http_series(method.as_str(), self.routes.template(route), status);
        series.observe(elapsed);
        // Only standard methods are cached, so a client inventing methods cannot grow
        // the cache.
        if is_standard(method) {
            SERIES.with_borrow_mut(|cache| cache.insert(key, series));
        }
    }
}

fn is_standard(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
            | Method::OPTIONS
    )
}
