//! Per-client rate limiting (docs/decisions.md#d6): governor's GCRA with burst = max, keyed by the
//! client address. The client is the peer, or, when the peer is a trusted proxy, the
//! right-most `X-Forwarded-For` hop that is not itself trusted (the left-most entries
//! are whatever the client wrote).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;

use crate::error::ApiError;

type KeyedLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// The client address the limiter settled on (the peer, or the forwarded client).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// `RateLimit-Policy`, `-Limit`, `-Remaining`, `-Reset` for one response.
pub type RateLimitHeaders = [(HeaderName, HeaderValue); 4];

/// The limiter of one app instance.
pub struct ClientRateLimiter {
    limiter: KeyedLimiter,
    max: u32,
    window: Duration,
    trusted: Vec<IpNet>,
    policy: HeaderValue,
}

impl ClientRateLimiter {
    pub fn new(max: u32, window: Duration, trusted: Vec<IpNet>) -> Self {
        let max_nz = NonZeroU32::new(max.max(1)).unwrap_or(NonZeroU32::MIN);
        let period = (window / max_nz.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(max_nz))
            .allow_burst(max_nz);
        let policy = HeaderValue::from_str(&format!("{};w={}", max, window.as_secs().max(1)))
            .unwrap_or_else(|_| HeaderValue::from_static("0"));
        Self {
            limiter: RateLimiter::dashmap(quota).with_middleware::<StateInformationMiddleware>(),
            max,
            window,
            trusted,
            policy,
        }
    }

    /// Drops the state of clients whose buckets are full again; run periodically.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn tracked_clients(&self) -> usize {
        self.limiter.len()
    }

    /// Spawns the periodic pruning task; it ends when the limiter is dropped.
    pub fn spawn_pruner(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let every = self
            .window
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                match weak.upgrade() {
                    Some(limiter) => limiter.prune(),
                    None => break,
                }
            }
        });
    }

    /// The address the limit applies to.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| parse_hop(hop.trim()))
            .collect();
        hops.into_iter()
            .rev()
            .find(|ip| !self.is_trusted(*ip))
            .unwrap_or(peer)
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// `Ok(remaining)` or `Err(seconds until a request would pass)`.
    fn check(&self, client: IpAddr) -> Result<u32, u64> {
        match self.limiter.check_key(&client) {
            Ok(snapshot) => Ok(snapshot.remaining_burst_capacity()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
        }
    }

    fn headers(&self, remaining: u32, reset_secs: u64) -> RateLimitHeaders {
        [
            (RATELIMIT_POLICY, self.policy.clone()),
            (RATELIMIT_LIMIT, HeaderValue::from(self.max)),
            (RATELIMIT_REMAINING, HeaderValue::from(remaining)),
            (RATELIMIT_RESET, HeaderValue::from(reset_secs)),
        ]
    }

    /// Seconds until the bucket is full again, given `remaining` cells.
    fn reset_after(&self, remaining: u32) -> u64 {
        let missing = u64::from(self.max.saturating_sub(remaining));
        let per_cell = self.window.as_secs_f64() / f64::from(self.max.max(1));
        (missing as f64 * per_cell).ceil() as u64
    }
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

impl ClientRateLimiter {
    /// Applies the limit to `req`: `Ok(headers)` for the response when admitted,
    /// `Err(429 with Retry-After and RateLimit-*)` when over the limit. Records the client
    /// address as a [`ClientIp`] extension. `peer` is the connection's remote address
    /// (none when a test calls the app without a socket: loopback). Which routes are
    /// exempt is the stack's decision.
    pub fn admit(
        &self,
        req: &mut Request,
        peer: Option<IpAddr>,
    ) -> Result<RateLimitHeaders, ApiError> {
        let peer = peer.map_or(IpAddr::from([127, 0, 0, 1]), |ip| ip.to_canonical());
        let client = self.client_ip(peer, req.headers());
        req.extensions_mut().insert(ClientIp(client));
        match self.check(client) {
            Ok(remaining) => Ok(self.headers(remaining, self.reset_after(remaining))),
            Err(retry_after) => {
                let retry_after = retry_after.max(1);
                let error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMITED",
                    format!("Too many requests, please retry in {retry_after} seconds"),
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after));
                Err(self
                    .headers(0, self.reset_after(0))
                    .into_iter()
                    .fold(error, |error, (name, value)| error.with_header(name, value)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(trusted: &str) -> ClientRateLimiter {
        let trusted = trusted
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("cidr"))
            .collect();
        ClientRateLimiter::new(3, Duration::from_secs(60), trusted)
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().expect("header"));
        headers
    }

    #[test]
    fn burst_equals_max_then_limited_with_retry_after() {
        let l = limiter("");
        let ip: IpAddr = "10.1.1.1".parse().expect("ip");
        assert_eq!(l.check(ip), Ok(2));
        assert_eq!(l.check(ip), Ok(1));
        assert_eq!(l.check(ip), Ok(0));
        let wait = l.check(ip).expect_err("limited");
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(
            l.check("10.1.1.2".parse().expect("ip")),
            Ok(2),
            "other clients unaffected"
        );
    }

    #[test]
    fn forwarded_for_is_only_believed_from_trusted_peers() {
        let l = limiter("127.0.0.1/32,10.0.0.0/8");
        let untrusted: IpAddr = "203.0.113.9".parse().expect("ip");
        assert_eq!(l.client_ip(untrusted, &xff("1.2.3.4")), untrusted);
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        assert_eq!(
            l.client_ip(proxy, &xff("6.6.6.6, 198.51.100.7, 10.0.0.5")),
            "198.51.100.7".parse::<IpAddr>().expect("ip"),
            "right-most untrusted hop, not the spoofable left-most"
        );
        assert_eq!(l.client_ip(proxy, &xff("garbage")), proxy);
        assert_eq!(l.client_ip(proxy, &HeaderMap::new()), proxy);
    }

    #[test]
    fn pruning_forgets_idle_clients() {
        let l = ClientRateLimiter::new(100, Duration::from_millis(100), Vec::new());
        for i in 0..50u8 {
            let _ = l.check(IpAddr::from([10, 0, 0, i]));
        }
        assert_eq!(l.tracked_clients(), 50);
        std::thread::sleep(Duration::from_millis(150));
        l.prune();
        assert_eq!(l.tracked_clients(), 0);
    }
}
