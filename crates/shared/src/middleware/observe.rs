//! The request's metrics and log line, labelled with the matched route template (never
//! the raw path). Probes arrive every few seconds from Docker and Prometheus: they are
//! logged at debug so the log stays about users' traffic, and `/metrics` is not counted.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use tracing::Level;
use tracing::level_filters::LevelFilter;

use super::CorrelationId;
use crate::metrics::{HttpMetrics, UNMATCHED_ROUTE};
use crate::routing::is_infrastructure;

pub struct Observe {
    pub metrics: HttpMetrics,
    pub log_level: LevelFilter,
}

/// What the log line and the metrics need of a request, taken before it is served.
pub struct Seen {
    started: Instant,
    method: Method,
    route: Option<MatchedPath>,
}

impl Seen {
    pub fn of(req: &Request) -> Self {
        Self {
            started: Instant::now(),
            method: req.method().clone(),
            route: req.extensions().get::<MatchedPath>().cloned(),
        }
    }
}

impl Observe {
    pub fn record(&self, seen: Seen, status: StatusCode, id: &CorrelationId) {
        let elapsed: Duration = seen.started.elapsed();
        let method = &seen.method;
        let route = seen
            .route
            .as_ref()
            .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
        if route != "/metrics" {
            self.metrics.record(method, route, status, elapsed);
        }
        let probe = is_infrastructure(route);
        let level = if probe { Level::DEBUG } else { Level::INFO };
        if self.log_level < level {
            return;
        }
        let request_id = id.as_str();
        let service = self.metrics.service();
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        let status = status.as_u16();
        if probe {
            tracing::debug!(target: "http", service, method = %method, route, status, latency_ms, request_id, "request");
        } else {
            tracing::info!(target: "http", service, method = %method, route, status, latency_ms, request_id, "request");
        }
    }
}
