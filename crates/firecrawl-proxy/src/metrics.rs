//! The Firecrawl metrics (docs/decisions.md#d22), registered in the app instance's own
//! registry next to the fleet's HTTP and process metrics (docs/decisions.md#d14).

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// Scrapes may legitimately run for two minutes and more.
const SCRAPE_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0];

/// The crawl statuses Firecrawl reports; anything else is counted as `unknown`, so a
/// misbehaving upstream cannot grow the label set.
const CRAWL_STATUSES: [&str; 4] = ["scraping", "completed", "failed", "cancelled"];

#[derive(Clone)]
pub struct FirecrawlMetrics {
    service: &'static str,
    scrapes: IntCounterVec,
    scrape_duration: HistogramVec,
    crawl_jobs: IntCounterVec,
    status_checks: IntCounterVec,
    in_flight: IntGaugeVec,
}

impl FirecrawlMetrics {
    pub fn register(registry: &Registry, service: &'static str) -> prometheus::Result<Self> {
        let scrapes = IntCounterVec::new(
            Opts::new(
                "tradingsystem_firecrawl_scrape_total",
                "Scrapes passed to Firecrawl, by outcome (success|failure)",
            ),
            &["service", "status"],
        )?;
        let scrape_duration = HistogramVec::new(
            HistogramOpts::new(
                "tradingsystem_firecrawl_scrape_duration_seconds",
                "Scrape latency through Firecrawl, by outcome",
            )
            .buckets(SCRAPE_BUCKETS.to_vec()),
            &["service", "status"],
        )?;
        let crawl_jobs = IntCounterVec::new(
            Opts::new(
                "tradingsystem_firecrawl_crawl_jobs_total",
                "Crawl jobs started through Firecrawl, by outcome (success|failure)",
            ),
            &["service", "status"],
        )?;
        let status_checks = IntCounterVec::new(
            Opts::new(
                "tradingsystem_firecrawl_crawl_status_checks_total",
                "Crawl status reads, by the crawl's status (or unknown|error)",
            ),
            &["service", "crawl_status"],
        )?;
        let in_flight = IntGaugeVec::new(
            Opts::new(
                "tradingsystem_firecrawl_upstream_in_flight",
                "Calls to Firecrawl currently in progress (queued ones excluded)",
            ),
            &["service"],
        )?;
        registry.register(Box::new(scrapes.clone()))?;
        registry.register(Box::new(scrape_duration.clone()))?;
        registry.register(Box::new(crawl_jobs.clone()))?;
        registry.register(Box::new(status_checks.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Self {
            service,
            scrapes,
            scrape_duration,
            crawl_jobs,
            status_checks,
            in_flight,
        })
    }

    pub fn scrape(&self, ok: bool, elapsed: Duration) {
        let labels = [self.service, outcome(ok)];
        self.scrapes.with_label_values(&labels).inc();
        self.scrape_duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    pub fn crawl_job(&self, ok: bool) {
        self.crawl_jobs
            .with_label_values(&[self.service, outcome(ok)])
            .inc();
    }

    /// `status` is the crawl's status as Firecrawl reported it; `None` when the read failed.
    pub fn status_check(&self, status: Option<&str>) {
        let label = match status {
            None => "error",
            Some(s) => CRAWL_STATUSES
                .iter()
                .copied()
                .find(|known| *known == s)
                .unwrap_or("unknown"),
        };
        self.status_checks
            .with_label_values(&[self.service, label])
            .inc();
    }

    /// Counts one call in progress until the guard drops.
    pub fn call_started(&self) -> InFlight {
        let gauge = self.in_flight.with_label_values(&[self.service]);
        gauge.inc();
        InFlight(gauge)
    }
}

fn outcome(ok: bool) -> &'static str {
    if ok { "success" } else { "failure" }
}

/// Decrements the in-flight gauge when the call ends, however it ends.
pub struct InFlight(prometheus::IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}
