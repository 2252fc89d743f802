//! Health checks of registered URLs: one outbound GET, its headers only, within a
//! timeout, at most three redirects, every hop and every address a name resolves to
//! checked against the fleet's target rule, and at most N checks in flight at once.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use shared::target::{Refusal, TargetRule};
use tokio::sync::Semaphore;

use crate::config::HealthCheckSettings;
use crate::domain::now;
use crate::domain::system::SystemStatus;
use crate::metrics::CheckMetrics;
use crate::service::HealthReport;

const MAX_REDIRECTS: usize = 3;

/// The outbound side of health checks; one per service instance.
pub struct HealthChecker {
    client: reqwest::Client,
    permits: Semaphore,
    settings: HealthCheckSettings,
    metrics: CheckMetrics,
}

/// Why a check did not reach its target: the target rule refused a hop or an address.
#[derive(Debug)]
struct Refused(Refusal);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl StdError for Refused {}

#[derive(Debug)]
struct TooManyRedirects;

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_REDIRECTS} redirects")
    }
}

impl StdError for TooManyRedirects {}

/// Resolves names as the system does, then refuses the lot when any address is one the
/// target rule forbids, so a name cannot smuggle a metadata address past the URL check.
struct CheckedResolver(TargetRule);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let rule = self.0;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(refusal) = addrs.iter().find_map(|a| rule.check_ip(a.ip()).err()) {
                return Err(Box::new(Refused(refusal)) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl HealthChecker {
    pub fn new(settings: HealthCheckSettings, metrics: CheckMetrics) -> anyhow::Result<Self> {
        let rule = settings.targets;
        let redirects = Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(TooManyRedirects);
            }
            match attempt.url().host_str().map(|host| rule.check_host(host)) {
                Some(Err(refusal)) => attempt.error(Refused(refusal)),
                _ => attempt.follow(),
            }
        });
        let client = shared_http_client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .redirect(redirects)
            .dns_resolver(Arc::new(CheckedResolver(rule)))
            .user_agent(concat!(
                "documentation-api/",
                env!("CARGO_PKG_VERSION"),
                " health-check"
            ))
            .build()?;
        Ok(Self {
            client,
            permits: Semaphore::new(settings.concurrency),
            settings,
            metrics,
        })
    }

    pub fn metrics(&self) -> &CheckMetrics {
        &self.metrics
    }

    /// Checks `url`, waiting for a permit first.
    pub async fn check(&self, url: &str) -> HealthReport {
        let Ok(_permit) = self.permits.acquire().await else {
            return report(
                SystemStatus::Unknown,
                "Health checks are shutting down",
                None,
                None,
            );
        };
        let started = Instant::now();
        let outcome = self.client.get(url).send().await;
        let elapsed = started.elapsed();
        let millis = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
        let report = match outcome {
            Ok(response) => {
                let code = response.status();
                let http_status = Some(i64::from(code.as_u16()));
                if code.is_success() {
                    report(
                        SystemStatus::Online,
                        "System is accessible",
                        Some(millis),
                        http_status,
                    )
                } else {
                    let reason = code.canonical_reason().unwrap_or("");
                    let message = format!("HTTP {}: {reason}", code.as_u16());
                    report(
                        SystemStatus::Error,
                        message.trim_end(),
                        Some(millis),
                        http_status,
                    )
                }
            }
            Err(error) => self.failure(&error),
        };
        self.metrics.observe(report.status, elapsed);
        report
    }

    /// A check that got no response: refused by the rule, too many redirects, timed out,
    /// or no connection.
    fn failure(&self, error: &reqwest::Error) -> HealthReport {
        if let Some(refused) = find_cause::<Refused>(error) {
            return report(SystemStatus::Error, refused.0.message(), None, None);
        }
        if let Some(tls) = find_cause::<rustls::Error>(error) {
            let message = format!("TLS handshake failed: {tls}");
            return report(SystemStatus::Error, &message, None, None);
        }
        if find_cause::<TooManyRedirects>(error).is_some() || error.is_redirect() {
            let message = format!("More than {MAX_REDIRECTS} redirects");
            return report(SystemStatus::Error, &message, None, None);
        }
        if error.is_timeout() {
            let message = format!(
                "No response within {} ms",
                self.settings.timeout.as_millis()
            );
            return report(SystemStatus::Offline, &message, None, None);
        }
        if error.is_connect() {
            return report(SystemStatus::Offline, "Connection failed", None, None);
        }
        report(SystemStatus::Offline, "Request failed", None, None)
    }
}

/// The first `E` in `error`'s chain of causes, looking inside I/O errors too (an
/// `io::Error` hides the error it wraps from `source()`, and TLS failures come so).
fn find_cause<'a, E: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<E>() {
            return Some(found);
        }
        let wrapped = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn StdError + 'static));
        cause = wrapped.or_else(|| current.source());
    }
    None
}

fn report(
    status: SystemStatus,
    message: &str,
    millis: Option<i64>,
    http_status: Option<i64>,
) -> HealthReport {
    HealthReport {
        status,
        message: message.to_string(),
        response_time_ms: millis,
        http_status,
        last_checked: Some(now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn resolves(rule: TargetRule, name: &str) -> bool {
        let name: Name = name.parse().expect("name");
        CheckedResolver(rule).resolve(name).await.is_ok()
    }

    #[tokio::test]
    async fn a_name_is_judged_by_the_addresses_it_resolves_to() {
        assert!(resolves(TargetRule::default(), "localhost").await);
        assert!(
            !resolves(TargetRule { deny_private: true }, "localhost").await,
            "localhost resolves to loopback, refused when private targets are"
        );
    }
}
