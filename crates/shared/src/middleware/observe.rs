//! The request's metrics and log line, labelled with the matched route template (never
//! the raw path). Probes arrive every few seconds from Docker and Prometheus: they are
//! logged at debug so the log stays about users' traffic, and `/metrics` is not counted.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;
use tracing::Level;
use tracing::level_filters::LevelFilter;

use crate::metrics::{HttpMetrics, UNMATCHED_ROUTE};
use crate::routing::is_infrastructure;

#[derive(Clone)]
pub struct Observe {
    pub metrics: HttpMetrics,
    pub log_level: LevelFilter,
}

pub async fn record(State(observe): State<Observe>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let id = req.extensions().get::<RequestId>().cloned();
    let response = next.run(req).await;
    let elapsed = started.elapsed();

    let route = route.as_ref().map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    let status = response.status();
    if route != "/metrics" {
        observe.metrics.record(&method, route, status, elapsed);
    }
    let probe = is_infrastructure(route);
    let level = if probe { Level::DEBUG } else { Level::INFO };
    if observe.log_level >= level {
        let request_id = id
            .as_ref()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-");
        let service = observe.metrics.service();
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let status = status.as_u16();
        if probe {
            tracing::debug!(target: "http", service, method = %method, route, status, latency_ms, request_id, "request");
        } else {
            tracing::info!(target: "http", service, method = %method, route, status, latency_ms, request_id, "request");
        }
    }
    response
}
