//! The `firecrawl` check of `/health`: `GET /v0/health/readiness` (Firecrawl has no
//! `/health`). An unreachable or unhappy Firecrawl makes the proxy `degraded`, never
//! `unhealthy`: the proxy itself still serves, and orchestrators that restart unhealthy
//! containers must not restart it for someone else's outage.

use std::sync::Arc;
use std::time::Duration;

use shared::health::{BoxFuture, CHECK_TIMEOUT, CheckOutcome, HealthCheck};

use crate::upstream::Firecrawl;

/// Well inside the shared check budget, which would report a slow check as unhealthy.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1_500);
const _: () = assert!(PROBE_TIMEOUT.as_millis() < CHECK_TIMEOUT.as_millis());

pub struct FirecrawlCheck(pub Arc<Firecrawl>);

impl HealthCheck for FirecrawlCheck {
    fn name(&self) -> &'static str {
        "firecrawl"
    }

    fn check(&self) -> BoxFuture<'_, CheckOutcome> {
        Box::pin(async move {
            let timeout = PROBE_TIMEOUT.min(self.0.default_deadline());
            match self.0.readiness(timeout).await {
                Ok(status) if status.is_success() => CheckOutcome::healthy("Firecrawl is ready"),
                Ok(status) => CheckOutcome::degraded(format!(
                    "Firecrawl is not ready (HTTP {})",
                    status.as_u16()
                )),
                Err(e) if e.is_timeout() => CheckOutcome::degraded(format!(
                    "Firecrawl did not answer within {} ms",
                    timeout.as_millis()
                )),
                Err(_) => CheckOutcome::degraded("Firecrawl service unavailable"),
            }
        })
    }
}
