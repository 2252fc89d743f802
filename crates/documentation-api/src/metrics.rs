//! The documentation service's own metrics, registered in the instance's registry next
//! to the fleet's HTTP, database and process metrics.

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::domain::system::SystemStatus;

#[derive(Clone)]
pub struct CheckMetrics {
    service: &'static str,
    checks: IntCounterVec,
    duration: HistogramVec,
    systems: IntGaugeVec,
}

impl CheckMetrics {
    pub fn register(registry: &Registry, service: &'static str) -> prometheus::Result<Self> {
        let checks = IntCounterVec::new(
            Opts::new(
                "tradingsystem_docs_health_checks_total",
                "Health checks of registered systems, by outcome",
            ),
            &["service", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "tradingsystem_docs_health_check_duration_seconds",
                "How long a health check of a registered system took",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["service"],
        )?;
        let systems = IntGaugeVec::new(
            Opts::new(
                "tradingsystem_docs_systems",
                "Registered systems by status, as of the last health check round",
            ),
            &["service", "status"],
        )?;
        registry.register(Box::new(checks.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(systems.clone()))?;
        Ok(Self {
            service,
            checks,
            duration,
            systems,
        })
    }

    pub fn observe(&self, outcome: SystemStatus, took: Duration) {
        self.checks
            .with_label_values(&[self.service, outcome.as_str()])
            .inc();
        self.duration
            .with_label_values(&[self.service])
            .observe(took.as_secs_f64());
    }

    /// A check not run because the request's deadline came first.
    pub fn skipped(&self) {
        self.checks
            .with_label_values(&[self.service, "skipped"])
            .inc();
    }

    /// Sets the systems-by-status gauges (every status, zero included).
    pub fn set_systems(&self, counts: &[(SystemStatus, i64)]) {
        for (name, status) in SystemStatus::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.systems.with_label_values(&[self.service, name]).set(n);
        }
    }
}
