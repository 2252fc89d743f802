//! `/health`, `/healthz` and `/ready` (docs/decisions.md#d13) with pluggable checks.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A check's budget; a slower dependency counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

/// What one check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub status: HealthStatus,
    pub message: String,
}

impl CheckOutcome {
    pub fn healthy(message: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Healthy,
            message: message.into(),
        }
    }
    pub fn degraded(message: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Degraded,
            message: message.into(),
        }
    }
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Self {
            status: HealthStatus::Unhealthy,
            message: message.into(),
        }
    }
}

/// One named dependency probe.
pub trait HealthCheck: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn check(&self) -> BoxFuture<'_, CheckOutcome>;
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckReport {
    status: HealthStatus,
    message: String,
    response_time: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HealthReport {
    status: HealthStatus,
    service: &'static str,
    version: &'static str,
    timestamp: String,
    uptime: f64,
    checks: BTreeMap<&'static str, CheckReport>,
    response_time: u64,
}

/// The probes of one service, run concurrently, each bounded by [`CHECK_TIMEOUT`].
#[derive(Clone)]
pub struct Health {
    service: &'static str,
    version: &'static str,
    started: Instant,
    health_checks: Vec<Arc<dyn HealthCheck>>,
    readiness_checks: Vec<Arc<dyn HealthCheck>>,
    /// Where each `/health` run leaves what every check found, for alerts.
    gauge: Option<prometheus::IntGaugeVec>,
}

impl Health {
    pub fn new(service: &'static str, version: &'static str) -> Self {
        Self {
            service,
            version,
            started: Instant::now(),
            health_checks: Vec::new(),
            readiness_checks: Vec::new(),
            gauge: None,
        }
    }

    /// A check reported by `/health`.
    pub fn with_check(mut self, check: Arc<dyn HealthCheck>) -> Self {
        self.health_checks.push(check);
        self
    }

    /// A check that must be healthy for `/ready` to answer 200.
    pub fn with_readiness(mut self, check: Arc<dyn HealthCheck>) -> Self {
        self.readiness_checks.push(check);
        self
    }

    /// Records each `/health` check's outcome in `gauge` (labelled by check name).
    pub fn with_gauge(mut self, gauge: prometheus::IntGaugeVec) -> Self {
        self.gauge = Some(gauge);
        self
    }

    /// Runs the `/health` checks for their effect on the gauge (before a scrape).
    pub async fn refresh(&self) {
        self.report(&self.health_checks, true).await;
    }

    pub fn uptime(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    async fn report(
        &self,
        checks: &[Arc<dyn HealthCheck>],
        record: bool,
    ) -> (HealthStatus, Response) {
        let started = Instant::now();
        let runs = checks.iter().map(|check| async move {
            let began = Instant::now();
            let outcome = tokio::time::timeout(CHECK_TIMEOUT, check.check())
                .await
                .unwrap_or_else(|_| {
                    CheckOutcome::unhealthy(format!(
                        "timed out after {} ms",
                        CHECK_TIMEOUT.as_millis()
                    ))
                });
            (check.name(), outcome, began.elapsed())
        });
        let mut reports = BTreeMap::new();
        let mut overall = HealthStatus::Healthy;
        for (name, outcome, took) in join_all(runs).await {
            overall = overall.max(outcome.status);
            if let (true, Some(gauge)) = (record, &self.gauge) {
                let up = i64::from(outcome.status == HealthStatus::Healthy);
                gauge.with_label_values(&[name]).set(up);
            }
            reports.insert(
                name,
                CheckReport {
                    status: outcome.status,
                    message: outcome.message,
                    response_time: millis(took),
                },
            );
        }
        let body = HealthReport {
            status: overall,
            service: self.service,
            version: self.version,
            timestamp: crate::time::now_rfc3339(),
            uptime: self.uptime(),
            checks: reports,
            response_time: millis(started.elapsed()),
        };
        let code = if overall == HealthStatus::Unhealthy {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        (overall, (code, Json(body)).into_response())
    }

    /// `/health`: 200 for healthy or degraded, 503 for unhealthy.
    pub async fn health(&self) -> Response {
        self.report(&self.health_checks, true).await.1
    }

    /// `/ready`: 503 unless every readiness check is healthy.
    pub async fn ready(&self) -> Response {
        let (status, mut response) = self.report(&self.readiness_checks, false).await;
        if status != HealthStatus::Healthy {
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        }
        response
    }

    /// `/healthz`: liveness, 200 while the process serves. Serialized from a struct, not
    /// a `json!` map: probes call it every few seconds and benchmarks far more often.
    pub fn live(&self) -> Response {
        #[derive(Serialize)]
        struct Live<'a> {
            status: &'static str,
            service: &'a str,
            uptime: f64,
        }
        Json(Live {
            status: "healthy",
            service: self.service,
            uptime: self.uptime(),
        })
        .into_response()
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Runs futures concurrently on this task (no spawn: checks borrow the service state).
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut outputs: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, fut) in outputs.iter_mut().zip(set.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
