//! Prometheus metrics (docs/decisions.md#d14): one [`Registry`] per app instance, so tests
//! and the fleet launcher can build many apps in one process without double registration.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, IntGaugeVec, Opts, Registry, TextEncoder};
use shared_db::DbMetrics;

mod http;
pub use http::{ConnectionLimit, HttpMetrics};

/// The label every route without a matched template gets, keeping cardinality bounded.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The metrics of one service instance.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    service: &'static str,
    http: HttpMetrics,
    db: DbMetrics,
    health_checks: IntGaugeVec,
}

impl Metrics {
    /// A fresh registry with the fleet's HTTP, database and process metrics.
    pub fn new(service: &'static str) -> Self {
        let registry = Registry::new();
        let http = HttpMetrics::register(&registry, service);
        let db = DbMetrics::new(&registry, service);
        let health_checks = IntGaugeVec::new(
            Opts::new(
                "tradingsystem_health_check_up",
                "1 when the named /health check is healthy, 0 when degraded or unhealthy (refreshed on every /health and every scrape)",
            )
            .const_label("service", service),
            &["check"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(health_checks.clone()))
            .expect("fresh registry");
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("fresh registry");
        Self {
            registry,
            service,
            http,
            db,
            health_checks,
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

    /// The database metrics (recorded by `Db`).
    pub fn db(&self) -> &DbMetrics {
        &self.db
    }

    /// What `/health` last found for each check, as `tradingsystem_health_check_up`.
    pub fn health_checks(&self) -> &IntGaugeVec {
        &self.health_checks
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

/// A service hands its [`Metrics`] to `Db::connect`, which keeps the database part.
impl From<Metrics> for DbMetrics {
    fn from(metrics: Metrics) -> Self {
        metrics.db
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn two_apps_in_one_process_do_not_collide() {
        let a = Metrics::new("a");
        let b = Metrics::new("b");
        let get = axum::http::Method::GET;
        let ok = axum::http::StatusCode::OK;
        a.http()
            .record(&get, "/x/{id}", ok, Duration::from_millis(3));
        b.db().observe("select", true, Duration::from_millis(1));
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
