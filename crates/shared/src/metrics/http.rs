//! The HTTP request counter and latency histogram, recorded per worker thread and summed
//! when Prometheus scrapes. prometheus' own `HistogramVec` keeps one set of atomics per
//! series, which every worker serving that route writes: on two cores they bounced the
//! same cache lines on every request. Here each thread has its own copy of each series
//! it serves, found through a thread-local map, and only that thread writes it: a
//! request takes no lock and executes no locked instruction.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, LabelPair, MetricFamily, MetricType};

const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const REQUESTS: (&str, &str) = (
    "tradingsystem_http_requests_total",
    "HTTP requests served, by matched route template",
);
const DURATION: (&str, &str) = (
    "tradingsystem_http_request_duration_seconds",
    "HTTP request latency, by matched route template",
);

/// The HTTP metrics of one service instance (a [`Collector`] in its registry; clones
/// share their series).
#[derive(Clone)]
pub struct HttpRecorder(Arc<Recorder>);

struct Recorder {
    service: &'static str,
    /// Tells this recorder's series apart in a thread's map.
    id: u64,
    descs: [Desc; 2],
    /// Every thread's copy of every series, for the scrape (locked when a thread meets a
    /// series for the first time, and by the scrape).
    series: Mutex<Vec<Arc<Series>>>,
}

/// One thread's copy of one series: its labels and counts, written by that thread only.
struct Series {
    method: &'static str,
    route: String,
    status: StatusCode,
    /// Observations per bucket, not cumulative; the last counts those above 10 s.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// The sum of the observations, as `f64` bits.
    sum: AtomicU64,
}

/// The series keys are built by the server (route, method, status packed in a `u64`), so
/// they need spreading, not SipHash's defence against chosen keys.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let mixed = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = mixed ^ (mixed >> 32);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type ThreadSeries = HashMap<u64, Arc<Series>, BuildHasherDefault<KeyHasher>>;

thread_local! {
    /// This thread's series, per recorder it has recorded for.
    static SERIES: RefCell<Vec<(u64, ThreadSeries)>> = const { RefCell::new(Vec::new()) };
}

static NEXT_RECORDER_ID: AtomicU64 = AtomicU64::new(0);

impl HttpRecorder {
    pub fn new(service: &'static str) -> Self {
        let labels = || {
            ["method", "route", "service", "status"]
                .map(String::from)
                .to_vec()
        };
        let desc = |(name, help): (&str, &str)| {
            Desc::new(name.into(), help.into(), labels(), HashMap::new()).expect("valid metric")
        };
        Self(Arc::new(Recorder {
            service,
            id: NEXT_RECORDER_ID.fetch_add(1, Ordering::Relaxed),
            descs: [desc(REQUESTS), desc(DURATION)],
            series: Mutex::default(),
        }))
    }

    /// Counts one request of `route` (its index and template) that answered `status`.
    pub fn record(
        &self,
        method: &Method,
        route: usize,
        template: &str,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let (slot, method) = method_label(method);
        let route_key = u64::try_from(route).unwrap_or(u64::MAX) & 0xFFFF_FFFF;
        let key = route_key << 32 | slot << 16 | u64::from(status.as_u16());
        let recorder = &*self.0;
        SERIES.with_borrow_mut(|recorders| {
            let index = match recorders.iter().position(|(id, _)| *id == recorder.id) {
                Some(found) => found,
                None => {
                    recorders.push((recorder.id, ThreadSeries::default()));
                    recorders.len() - 1
                }
            };
            recorders[index]
                .1
                .entry(key)
                .or_insert_with(|| recorder.add_series(method, template, status))
                .observe(elapsed.as_secs_f64());
        });
    }
}

impl Recorder {
    fn add_series(&self, method: &'static str, route: &str, status: StatusCode) -> Arc<Series> {
        let series = Arc::new(Series {
            method,
            route: route.to_owned(),
            status,
            buckets: Default::default(),
            sum: AtomicU64::new(0.0f64.to_bits()),
        });
        let mut all = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        all.push(series.clone());
        series
    }
}

/// Standard methods by name; anything else is `OTHER`, so a client inventing methods
/// cannot add series.
fn method_label(method: &Method) -> (u64, &'static str) {
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
        .position(|standard| standard == method)
        .map_or((7, "OTHER"), |slot| (slot as u64, STANDARD[slot].as_str()))
}

impl Series {
    /// Only the owning thread writes, so a load and a store stand in for an atomic add;
    /// a scrape may read a count one observation ahead of the sum, which Prometheus
    /// tolerates.
    fn observe(&self, seconds: f64) {
        let bucket = BUCKETS
            .iter()
            .position(|upper| seconds <= *upper)
            .unwrap_or(BUCKETS.len());
        let count = &self.buckets[bucket];
        count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed)) + seconds;
        self.sum.store(sum.to_bits(), Ordering::Relaxed);
    }
}

/// One series summed over threads.
#[derive(Default)]
struct Totals {
    sum: f64,
    buckets: [u64; BUCKETS.len() + 1],
}

impl Collector for HttpRecorder {
    fn desc(&self) -> Vec<&Desc> {
        self.0.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut totals: BTreeMap<(&'static str, String, StatusCode), Totals> = BTreeMap::new();
        let all = self.0.series.lock().unwrap_or_else(PoisonError::into_inner);
        for series in all.iter() {
            let total = totals
                .entry((series.method, series.route.clone(), series.status))
                .or_default();
            total.sum += f64::from_bits(series.sum.load(Ordering::Relaxed));
            for (total, count) in total.buckets.iter_mut().zip(&series.buckets) {
                *total += count.load(Ordering::Relaxed);
            }
        }
        drop(all);
        let (mut requests, mut durations) = (Vec::new(), Vec::new());
        for ((method, route, status), total) in &totals {
            let labels = vec![
                label("method", method),
                label("route", route),
                label("service", self.0.service),
                label("status", status.as_str()),
            ];
            let count: u64 = total.buckets.iter().sum();
            let mut counter = proto::Counter::default();
            counter.set_value(count as f64);
            let mut metric = proto::Metric::from_label(labels.clone());
            metric.set_counter(counter);
            requests.push(metric);

            let mut cumulative = 0;
            let buckets = BUCKETS
                .iter()
                .zip(total.buckets)
                .map(|(upper, count)| {
                    cumulative += count;
                    let mut bucket = proto::Bucket::default();
                    bucket.set_upper_bound(*upper);
                    bucket.set_cumulative_count(cumulative);
                    bucket
                })
                .collect();
            let mut histogram = proto::Histogram::default();
            histogram.set_sample_count(count);
            histogram.set_sample_sum(total.sum);
            histogram.set_bucket(buckets);
            let mut metric = proto::Metric::from_label(labels);
            metric.set_histogram(histogram);
            durations.push(metric);
        }
        vec![
            family(REQUESTS, MetricType::COUNTER, requests),
            family(DURATION, MetricType::HISTOGRAM, durations),
        ]
    }
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut pair = LabelPair::default();
    pair.set_name(name.to_owned());
    pair.set_value(value.to_owned());
    pair
}

fn family(
    (name, help): (&str, &str),
    kind: MetricType,
    metrics: Vec<proto::Metric>,
) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_owned());
    family.set_help(help.to_owned());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(recorder: HttpRecorder) -> String {
        let registry = prometheus::Registry::new();
        registry.register(Box::new(recorder)).expect("register");
        let mut buffer = Vec::new();
        prometheus::Encoder::encode(
            &prometheus::TextEncoder::new(),
            &registry.gather(),
            &mut buffer,
        )
        .expect("encode");
        String::from_utf8(buffer).expect("utf8")
    }

    #[test]
    fn threads_are_summed_and_buckets_are_cumulative() {
        let recorder = HttpRecorder::new("svc");
        std::thread::scope(|scope| {
            // 1/256, 1/32 and 1/4 s: sums exact in binary, whatever the order.
            for nanos in [3_906_250, 31_250_000, 250_000_000] {
                let recorder = &recorder;
                scope.spawn(move || {
                    let elapsed = Duration::from_nanos(nanos);
                    recorder.record(&Method::GET, 0, "/x/{id}", StatusCode::OK, elapsed);
                });
            }
        });
        recorder.record(
            &Method::from_bytes(b"BREW").expect("method"),
            usize::MAX,
            "unmatched",
            StatusCode::NOT_FOUND,
            Duration::from_millis(1),
        );
        let slow = Duration::from_secs(12);
        recorder.record(&Method::POST, 1, "/slow", StatusCode::OK, slow);
        let text = text(recorder);
        let series = r#"method="GET",route="/x/{id}",service="svc",status="200""#;
        for line in [
            format!("tradingsystem_http_requests_total{{{series}}} 3"),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="0.005"}} 1"#),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="0.05"}} 2"#),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="0.1"}} 2"#),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="0.25"}} 3"#),
            format!(r#"tradingsystem_http_request_duration_seconds_bucket{{{series},le="+Inf"}} 3"#),
            format!("tradingsystem_http_request_duration_seconds_sum{{{series}}} 0.28515625"),
            format!("tradingsystem_http_request_duration_seconds_count{{{series}}} 3"),
            r#"tradingsystem_http_requests_total{method="OTHER",route="unmatched",service="svc",status="404"} 1"#.to_string(),
            // Above the largest bound: counted, in +Inf only.
            r#"tradingsystem_http_request_duration_seconds_bucket{method="POST",route="/slow",service="svc",status="200",le="10"} 0"#.to_string(),
            r#"tradingsystem_http_request_duration_seconds_bucket{method="POST",route="/slow",service="svc",status="200",le="+Inf"} 1"#.to_string(),
            r#"tradingsystem_http_requests_total{method="POST",route="/slow",service="svc",status="200"} 1"#.to_string(),
        ] {
            assert!(text.contains(&line), "missing {line} in\n{text}");
        }
    }
}
