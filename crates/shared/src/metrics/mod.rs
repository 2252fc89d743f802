//! Prometheus metrics (docs/decisions.md#d14): one [`Registry`] per app instance, so tests and the
//! fleet launcher can build many apps in one process without double registration.

use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

mod http;
pub use http::{ConnectionLimit, HttpMetrics};

const DB_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The label every route without a matched template gets, keeping cardinality bounded.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The metrics of one service instance.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    service: &'static str,
    http: HttpMetrics,
    db_queries: IntCounterVec,
    db_duration: HistogramVec,
    db_pool: IntGaugeVec,
}

impl Metrics {
    /// A fresh registry with the fleet's HTTP, database and process metrics.
    pub fn new(service: &'static str) -> Self {
        let registry = Registry::new();
        let db_queries = IntCounterVec::new(
            Opts::new(
                "tradingsystem_db_queries_total",
                "Database operations, by outcome",
            ),
            &["service", "operation", "status"],
        )
        .expect("valid metric");
        let db_duration = HistogramVec::new(
            HistogramOpts::new(
                "tradingsystem_db_query_duration_seconds",
                "Database operation latency",
            )
            .buckets(DB_BUCKETS.to_vec()),
            &["service", "operation"],
        )
        .expect("valid metric");
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "tradingsystem_db_pool_connections",
                "Database pool connections by state (size, idle)",
            ),
            &["service", "pool", "state"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(db_queries.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(db_duration.clone()),
            Box::new(db_pool.clone()),
        ] {
            registry.register(collector).expect("fresh registry");
        }
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("fresh registry");
        let http = HttpMetrics::register(&registry, service);
        Self {
            registry,
            service,
            http,
            db_queries,
            db_duration,
            db_pool,
        }
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    /// The registry, for service-specific metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The HTTP request and connection metrics (recorded by the middleware and server).
    pub fn http(&self) -> &HttpMetrics {
        &self.http
    }

    pub fn observe_db(&self, operation: &str, ok: bool, elapsed: Duration) {
        let status = if ok { "ok" } else { "error" };
        self.db_queries
            .with_label_values(&[self.service, operation, status])
            .inc();
        self.db_duration
            .with_label_values(&[self.service, operation])
            .observe(elapsed.as_secs_f64());
    }

    pub fn set_pool(&self, pool: &str, size: u32, idle: usize) {
        self.db_pool
            .with_label_values(&[self.service, pool, "size"])
            .set(i64::from(size));
        self.db_pool
            .with_label_values(&[self.service, pool, "idle"])
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
    }

    /// The text exposition format, version 0.0.4.
    pub fn render(&self) -> Response {
        let mut buffer = Vec::with_capacity(16 * 1024);
        match TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            Ok(()) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                )],
                buffer,
            )
                .into_response(),
            Err(e) => crate::error::ApiError::internal(e).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_apps_in_one_process_do_not_collide() {
        let a = Metrics::new("a");
        let b = Metrics::new("b");
        let get = axum::http::Method::GET;
        let ok = axum::http::StatusCode::OK;
        a.http()
            .record(&get, "/x/{id}", ok, Duration::from_millis(3));
        b.observe_db("select", true, Duration::from_millis(1));
        let text = |m: &Metrics| {
            let mut buf = Vec::new();
            TextEncoder::new()
                .encode(&m.registry.gather(), &mut buf)
                .expect("encode");
            String::from_utf8(buf).expect("utf8")
        };
        let a_text = text(&a);
        assert!(a_text.contains(
            r#"tradingsystem_http_requests_total{method="GET",route="/x/{id}",service="a",status="200"} 1"#
        ));
        assert!(text(&b).contains(
            r#"tradingsystem_db_queries_total{operation="select",service="b",status="ok"} 1"#
        ));
        #[cfg(target_os = "linux")]
        assert!(a_text.contains("process_resident_memory_bytes"));
    }
}
