//! The database metrics every repository call is timed into, registered in the
//! service's Prometheus registry.

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

const DB_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Operations by outcome, their latency and the pools' connections (clones share their
/// series).
#[derive(Clone)]
pub struct DbMetrics {
    service: &'static str,
    queries: IntCounterVec,
    duration: HistogramVec,
    pool: IntGaugeVec,
}

impl std::fmt::Debug for DbMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbMetrics")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl DbMetrics {
    /// Registers the database metrics of `service` in `registry`.
    pub fn new(registry: &Registry, service: &'static str) -> Self {
        let queries = IntCounterVec::new(
            Opts::new(
                "tradingsystem_db_queries_total",
                "Database operations, by outcome",
            ),
            &["service", "operation", "status"],
        )
        .expect("valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "tradingsystem_db_query_duration_seconds",
                "Database operation latency",
            )
            .buckets(DB_BUCKETS.to_vec()),
            &["service", "operation"],
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "tradingsystem_db_pool_connections",
                "Database pool connections by state (size, idle)",
            ),
            &["service", "pool", "state"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(queries.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(pool.clone()),
        ] {
            registry
                .register(collector)
                .expect("one set of database metrics per registry");
        }
        Self {
            service,
            queries,
            duration,
            pool,
        }
    }

    pub fn observe(&self, operation: &str, ok: bool, elapsed: Duration) {
        let status = if ok { "ok" } else { "error" };
        self.queries
            .with_label_values(&[self.service, operation, status])
            .inc();
        self.duration
            .with_label_values(&[self.service, operation])
            .observe(elapsed.as_secs_f64());
    }

    pub fn set_pool(&self, pool: &str, size: u32, idle: usize) {
        self.pool
            .with_label_values(&[self.service, pool, "size"])
            .set(i64::from(size));
        self.pool
            .with_label_values(&[self.service, pool, "idle"])
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
    }
}
