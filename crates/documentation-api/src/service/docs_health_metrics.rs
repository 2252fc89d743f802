//! The documentation-health metrics on the instance's registry. The gauges and the
//! file histograms describe the latest stored run, so they are rendered at scrape time
//! from a snapshot of it (set after every stored run and at start-up, never summed over
//! runs); the counters come from the stored counters, so they survive restarts and agree
//! between instances. Names follow the original's (`docs_*`), in Prometheus' conventions:
//! ages in seconds, counters ending in `_total`, no gauge ending in `_total`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};
use prometheus::{Histogram, HistogramOpts, Registry};

use crate::domain::docs_health::views::{Counters, Run};
use crate::domain::docs_health::{AGE_BUCKETS_DAYS, SIZE_BUCKETS_LINES};

/// Domains shown as labels at most (front matter is written by people, not by clients).
const MAX_DOMAINS: usize = 100;
const DAY_SECONDS: f64 = 86_400.0;

#[derive(Default)]
struct Snapshot {
    latest: Option<Arc<Run>>,
    counters: Counters,
    /// Whether anything was set since start (the start-up load then leaves it alone).
    set: bool,
}

/// Metric families as (name, help, type, label names).
const FAMILIES: &[(&str, &str, MetricType, &[&str])] = &[
    (
        "docs_health_score",
        "Health score of the latest documentation audit (0-100)",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_total_files",
        "Pages in the latest documentation audit",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_domain_files",
        "Pages of the latest audit by front-matter domain",
        MetricType::GAUGE,
        &["domain"],
    ),
    (
        "docs_frontmatter_complete",
        "Pages whose front matter has every required key, valid",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_frontmatter_missing",
        "Pages without front matter",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_frontmatter_incomplete",
        "Pages whose front matter lacks required keys",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_frontmatter_invalid",
        "Pages with broken front matter or invalid values",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_links",
        "Links of the latest audit by kind (external ones are counted, not fetched)",
        MetricType::GAUGE,
        &["type"],
    ),
    (
        "docs_links_broken",
        "Broken links of the latest audit by priority",
        MetricType::GAUGE,
        &["priority"],
    ),
    (
        "docs_links_success_rate",
        "Percentage of checked links that resolve",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_outdated_files",
        "Pages not reviewed for over 90 days",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_duplicate_groups",
        "Groups of pages with exactly the same body",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_last_audit_timestamp_seconds",
        "When the latest stored audit ran",
        MetricType::GAUGE,
        &[],
    ),
    (
        "docs_file_age_seconds",
        "Time since each page's last_review, as of the latest audit",
        MetricType::HISTOGRAM,
        &[],
    ),
    (
        "docs_file_size_lines",
        "Lines of each page, as of the latest audit",
        MetricType::HISTOGRAM,
        &[],
    ),
    (
        "docs_audit_runs_total",
        "Documentation audits stored",
        MetricType::COUNTER,
        &[],
    ),
    (
        "docs_issues_fixed_total",
        "Documentation issue fixes recorded, by issue type",
        MetricType::COUNTER,
        &["issue_type"],
    ),
];

#[derive(Clone)]
pub struct DocsHealthMetrics {
    snapshot: Arc<RwLock<Snapshot>>,
    duration: Histogram,
}

struct SnapshotCollector {
    snapshot: Arc<RwLock<Snapshot>>,
    service: &'static str,
    descs: Vec<Desc>,
}

impl DocsHealthMetrics {
    pub fn register(registry: &Registry, service: &'static str) -> prometheus::Result<Self> {
        let snapshot = Arc::new(RwLock::new(Snapshot::default()));
        let descs = FAMILIES
            .iter()
            .map(|(name, help, _, labels)| {
                let mut labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
                labels.insert(0, "service".into());
                Desc::new(name.to_string(), help.to_string(), labels, HashMap::new())
            })
            .collect::<prometheus::Result<Vec<_>>>()?;
        registry.register(Box::new(SnapshotCollector {
            snapshot: snapshot.clone(),
            service,
            descs,
        }))?;
        let duration = Histogram::with_opts(
            HistogramOpts::new(
                "docs_audit_duration_seconds",
                "How long a built-in documentation audit took",
            )
            .const_label("service", service)
            .buckets(vec![
                0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0,
            ]),
        )?;
        registry.register(Box::new(duration.clone()))?;
        Ok(Self { snapshot, duration })
    }

    /// What the start-up read found, unless something was set meanwhile.
    pub fn set_initial(&self, latest: Option<Run>, counters: Counters) {
        let mut snapshot = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        if !snapshot.set {
            apply(&mut snapshot, latest, Some(counters));
        }
    }

    /// Shows `latest` (and `counters`, when given) from now on.
    pub fn set(&self, latest: Option<Run>, counters: Option<Counters>) {
        let mut snapshot = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        apply(&mut snapshot, latest, counters);
    }

    pub fn observe_duration(&self, took: Duration) {
        self.duration.observe(took.as_secs_f64());
    }
}

fn apply(snapshot: &mut Snapshot, latest: Option<Run>, counters: Option<Counters>) {
    snapshot.set = true;
    // A run read late never replaces a newer one already shown.
    let newer = match (&snapshot.latest, &latest) {
        (Some(shown), Some(run)) => run.at >= shown.at,
        (Some(_), None) => false,
        (None, _) => true,
    };
    if newer {
        snapshot.latest = latest.map(Arc::new);
    }
    if let Some(counters) = counters {
        snapshot.counters = counters;
    }
}

fn label(name: &str, value: &str) -> proto::LabelPair {
    let mut pair = proto::LabelPair::default();
    pair.set_name(name.to_string());
    pair.set_value(value.to_string());
    pair
}

/// A sample of one family: its extra label (if any) and value.
enum Sample {
    Value(Option<(&'static str, String)>, f64),
    Histogram {
        bounds: Vec<f64>,
        cumulative: Vec<i64>,
        count: i64,
        sum: f64,
    },
}

impl SnapshotCollector {
    fn samples(&self, name: &str, s: &Snapshot) -> Vec<Sample> {
        let value = |v: i64| vec![Sample::Value(None, v as f64)];
        let counters = &s.counters;
        match name {
            "docs_audit_runs_total" => return value(counters.audit_runs),
            "docs_issues_fixed_total" => {
                return counters
                    .fixed
                    .iter()
                    .map(|(kind, n)| {
                        Sample::Value(Some(("issue_type", kind.as_str().into())), *n as f64)
                    })
                    .collect();
            }
            _ => {}
        }
        let Some(run) = &s.latest else {
            return Vec::new();
        };
        let r = &run.report;
        let t = &r.totals;
        let score = r.score();
        let by = |label: &'static str, pairs: &[(&str, i64)]| -> Vec<Sample> {
            pairs
                .iter()
                .map(|(k, v)| Sample::Value(Some((label, k.to_string())), *v as f64))
                .collect()
        };
        match name {
            "docs_health_score" => vec![Sample::Value(None, score.health_score)],
            "docs_total_files" => value(t.total_files),
            "docs_domain_files" => r
                .domains
                .iter()
                .take(MAX_DOMAINS)
                .map(|c| Sample::Value(Some(("domain", c.name.clone())), c.count as f64))
                .collect(),
            "docs_frontmatter_complete" => value(t.frontmatter_complete),
            "docs_frontmatter_missing" => value(t.frontmatter_missing),
            "docs_frontmatter_incomplete" => value(t.frontmatter_incomplete),
            "docs_frontmatter_invalid" => value(t.frontmatter_invalid),
            "docs_links" => by(
                "type",
                &[
                    ("internal", t.links_internal),
                    ("anchor", t.links_anchor),
                    ("external", t.links_external),
                ],
            ),
            "docs_links_broken" => by(
                "priority",
                &[
                    ("high", t.broken_files),
                    ("medium", t.broken_anchors),
                    (
                        "low",
                        (t.links_broken - t.broken_files - t.broken_anchors).max(0),
                    ),
                ],
            ),
            "docs_links_success_rate" => vec![Sample::Value(None, score.links_success_rate)],
            "docs_outdated_files" => value(t.outdated),
            "docs_duplicate_groups" => value(t.duplicate_groups),
            "docs_last_audit_timestamp_seconds" => {
                vec![Sample::Value(
                    None,
                    run.at.timestamp_millis() as f64 / 1000.0,
                )]
            }
            "docs_file_age_seconds" => vec![Sample::Histogram {
                bounds: AGE_BUCKETS_DAYS.iter().map(|d| d * DAY_SECONDS).collect(),
                cumulative: r.age_days.cumulative.clone(),
                count: r.age_days.count,
                sum: r.age_days.sum * DAY_SECONDS,
            }],
            "docs_file_size_lines" => vec![Sample::Histogram {
                bounds: SIZE_BUCKETS_LINES.to_vec(),
                cumulative: r.size_lines.cumulative.clone(),
                count: r.size_lines.count,
                sum: r.size_lines.sum,
            }],
            _ => Vec::new(),
        }
    }

    fn metric(&self, kind: MetricType, sample: Sample) -> proto::Metric {
        let mut m = proto::Metric::default();
        let mut labels = vec![label("service", self.service)];
        match sample {
            Sample::Value(extra, v) => {
                if let Some((name, value)) = extra {
                    labels.push(label(name, &value));
                }
                if kind == MetricType::COUNTER {
                    let mut c = proto::Counter::default();
                    c.set_value(v);
                    m.set_counter(c);
                } else {
                    let mut g = proto::Gauge::default();
                    g.set_value(v);
                    m.set_gauge(g);
                }
            }
            Sample::Histogram {
                bounds,
                cumulative,
                count,
                sum,
            } => {
                let mut h = proto::Histogram::default();
                h.set_sample_count(count.max(0) as u64);
                h.set_sample_sum(sum);
                h.set_bucket(
                    bounds
                        .iter()
                        .enumerate()
                        .map(|(i, bound)| {
                            let mut b = proto::Bucket::default();
                            b.set_upper_bound(*bound);
                            b.set_cumulative_count(
                                cumulative.get(i).copied().unwrap_or(count).max(0) as u64,
                            );
                            b
                        })
                        .collect(),
                );
                m.set_histogram(h);
            }
        }
        m.set_label(labels);
        m
    }
}

impl Collector for SnapshotCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let snapshot = self.snapshot.read().unwrap_or_else(|e| e.into_inner());
        FAMILIES
            .iter()
            .map(|(name, help, kind, _)| {
                let mut family = MetricFamily::default();
                family.set_name(name.to_string());
                family.set_help(help.to_string());
                family.set_field_type(*kind);
                family.set_metric(
                    self.samples(name, &snapshot)
                        .into_iter()
                        .map(|s| self.metric(*kind, s))
                        .collect(),
                );
                family
            })
            .collect()
    }
}
