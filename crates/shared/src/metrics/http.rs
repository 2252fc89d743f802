//! The HTTP metrics: requests and latency by matched route template, and the open
//! connections with those the connection limits refused or closed.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Why the server refused or closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionLimit {
    /// The client did not finish a request's headers within the header-read timeout, or
    /// sat idle on keep-alive for that long.
    HeaderTimeout,
    /// The connection cap was reached: the next connection waited in the backlog.
    MaxConnections,
    /// Accepting failed (for instance, out of file descriptors).
    AcceptError,
}

impl ConnectionLimit {
    const ALL: [Self; 3] = [Self::HeaderTimeout, Self::MaxConnections, Self::AcceptError];

    fn label(self) -> &'static str {
        match self {
            Self::HeaderTimeout => "header_timeout",
            Self::MaxConnections => "max_connections",
            Self::AcceptError => "accept_error",
        }
    }
}

/// The HTTP metrics of one service instance (clones share their series).
#[derive(Clone)]
pub struct HttpMetrics {
    service: &'static str,
    requests: IntCounterVec,
    duration: HistogramVec,
    active_connections: IntGauge,
    limited: IntCounterVec,
}

impl HttpMetrics {
    pub(super) fn register(registry: &Registry, service: &'static str) -> Self {
        let labels = ["method", "route", "service", "status"];
        let requests = IntCounterVec::new(
            Opts::new(
                "tradingsystem_http_requests_total",
                "HTTP requests served, by matched route template",
            ),
            &labels,
        )
        .expect("valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "tradingsystem_http_request_duration_seconds",
                "HTTP request latency, by matched route template",
            )
            .buckets(BUCKETS.to_vec()),
            &labels,
        )
        .expect("valid metric");
        let active = IntGaugeVec::new(
            Opts::new(
                "tradingsystem_http_active_connections",
                "Open HTTP connections",
            ),
            &["service"],
        )
        .expect("valid metric");
        let limited = IntCounterVec::new(
            Opts::new(
                "tradingsystem_http_connections_limited_total",
                "Connections refused, delayed or closed by the connection limits, by reason",
            ),
            &["service", "reason"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(active.clone()),
            Box::new(limited.clone()),
        ] {
            registry.register(collector).expect("fresh registry");
        }
        // Every reason exists from the start, so a rate() over it never starts empty.
        for reason in ConnectionLimit::ALL {
            limited.with_label_values(&[service, reason.label()]);
        }
        Self {
            service,
            requests,
            duration,
            active_connections: active.with_label_values(&[service]),
            limited,
        }
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Counts one request of `route` (its template) that answered `status`.
    pub fn record(&self, method: &Method, route: &str, status: StatusCode, elapsed: Duration) {
        let labels = [method_label(method), route, self.service, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The gauge of open connections.
    pub fn active_connections(&self) -> &IntGauge {
        &self.active_connections
    }

    pub fn limited(&self, reason: ConnectionLimit) -> IntCounter {
        self.limited
            .with_label_values(&[self.service, reason.label()])
    }
}

/// Standard methods by name; anything else is `OTHER`, so a client inventing methods
/// cannot add series.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 7] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    STANDARD
        .iter()
        .find(|standard| *standard == method)
        .map_or("OTHER", Method::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_template_and_invented_methods_are_other() {
        let registry = Registry::new();
        let http = HttpMetrics::register(&registry, "svc");
        for millis in [3, 30, 250] {
            let elapsed = Duration::from_millis(millis);
            http.record(&Method::GET, "/x/{id}", StatusCode::OK, elapsed);
        }
        let brew = Method::from_bytes(b"BREW").expect("method");
        http.record(&brew, "unmatched", StatusCode::NOT_FOUND, Duration::ZERO);
        http.limited(ConnectionLimit::HeaderTimeout).inc();
        let mut buffer = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut buffer,
        )
        .expect("encode");
        let text = String::from_utf8(buffer).expect("utf8");
        let series = r#"method="GET",route="/x/{id}",service="svc",status="200""#;
        for line in [
            format!("tradingsystem_http_requests_total{{{series}}} 3"),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="0.005"}} 1"#),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="0.25"}} 3"#),
            r#"tradingsystem_http_requests_total{method="OTHER",route="unmatched",service="svc",status="404"} 1"#.to_string(),
            r#"tradingsystem_http_connections_limited_total{reason="header_timeout",service="svc"} 1"#.to_string(),
            r#"tradingsystem_http_connections_limited_total{reason="max_connections",service="svc"} 0"#.to_string(),
            r#"tradingsystem_http_active_connections{service="svc"} 0"#.to_string(),
        ] {
            assert!(text.contains(&line), "missing {line} in\n{text}");
        }
    }
}
