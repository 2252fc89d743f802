//! The HTTP request counter and latency histogram, recorded per worker thread and summed
//! when Prometheus scrapes. prometheus' own `HistogramVec` keeps one set of atomics per
//! series, which every worker serving that route writes: on two cores they bounced the
//! same cache lines on every request. Here a request adds to its own thread's tallies,
//! under a lock no other thread takes except the scrape.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
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
/// share their tallies).
#[derive(Clone)]
pub struct HttpRecorder(Arc<Recorder>);

struct Recorder {
    service: &'static str,
    /// Tells this recorder's shards apart in a thread's list.
    id: u64,
    descs: [Desc; 2],
    shards: Mutex<Vec<Arc<Shard>>>,
}

/// One thread's tallies, by series key.
#[derive(Default)]
struct Shard(Mutex<HashMap<u64, Tally>>);

/// One series' count, sum and (non-cumulative) bucket counts, plus its labels.
struct Tally {
    method: &'static str,
    route: String,
    status: StatusCode,
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

thread_local! {
    /// This thread's shard of each recorder it has recorded for.
    static SHARDS: RefCell<Vec<(u64, Arc<Shard>)>> = const { RefCell::new(Vec::new()) };
}

static NEXT_RECORDER_ID: AtomicU64 = AtomicU64::new(0);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave a tally half-written in a way that matters.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

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
            shards: Mutex::default(),
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
        SHARDS.with_borrow_mut(|shards| {
            let shard = match shards.iter().position(|(id, _)| *id == recorder.id) {
                Some(found) => &shards[found].1,
                None => {
                    let shard = Arc::<Shard>::default();
                    lock(&recorder.shards).push(shard.clone());
                    shards.push((recorder.id, shard));
                    &shards[shards.len() - 1].1
                }
            };
            lock(&shard.0)
                .entry(key)
                .or_insert_with(|| Tally::new(method, template, status))
                .observe(elapsed.as_secs_f64());
        });
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

impl Tally {
    fn new(method: &'static str, route: &str, status: StatusCode) -> Self {
        Self {
            method,
            route: route.to_owned(),
            status,
            count: 0,
            sum: 0.0,
            buckets: [0; BUCKETS.len()],
        }
    }

    fn observe(&mut self, seconds: f64) {
        self.count += 1;
        self.sum += seconds;
        if let Some(bucket) = BUCKETS.iter().position(|upper| seconds <= *upper) {
            self.buckets[bucket] += 1;
        }
    }

    fn add(&mut self, other: &Tally) {
        self.count += other.count;
        self.sum += other.sum;
        for (total, count) in self.buckets.iter_mut().zip(other.buckets) {
            *total += count;
        }
    }
}

impl Collector for HttpRecorder {
    fn desc(&self) -> Vec<&Desc> {
        self.0.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut totals: BTreeMap<(&'static str, String, u16), Tally> = BTreeMap::new();
        for shard in lock(&self.0.shards).iter() {
            for tally in lock(&shard.0).values() {
                totals
                    .entry((tally.method, tally.route.clone(), tally.status.as_u16()))
                    .or_insert_with(|| Tally::new(tally.method, &tally.route, tally.status))
                    .add(tally);
            }
        }
        let (mut requests, mut durations) = (Vec::new(), Vec::new());
        for tally in totals.values() {
            let labels = vec![
                label("method", tally.method),
                label("route", &tally.route),
                label("service", self.0.service),
                label("status", tally.status.as_str()),
            ];
            let mut counter = proto::Counter::default();
            counter.set_value(tally.count as f64);
            let mut metric = proto::Metric::from_label(labels.clone());
            metric.set_counter(counter);
            requests.push(metric);

            let mut cumulative = 0;
            let buckets = BUCKETS
                .iter()
                .zip(tally.buckets)
                .map(|(upper, count)| {
                    cumulative += count;
                    let mut bucket = proto::Bucket::default();
                    bucket.set_upper_bound(*upper);
                    bucket.set_cumulative_count(cumulative);
                    bucket
                })
                .collect();
            let mut histogram = proto::Histogram::default();
            histogram.set_sample_count(tally.count);
            histogram.set_sample_sum(tally.sum);
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
        ] {
            assert!(text.contains(&line), "missing {line} in\n{text}");
        }
    }
}
