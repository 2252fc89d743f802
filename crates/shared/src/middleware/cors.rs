//! The CORS policy of decision 12: `*` allows any origin without credentials; a list
//! allows those origins with credentials. Every `OPTIONS` request is answered as a
//! preflight, before rate limiting and authentication.
//!
//! Written out rather than taken from tower-http: the policy is fixed at start-up, so its
//! header values are built once here, where tower-http's `Cors` clones its policy and
//! builds a header map on every request (a fifth of the stack's cost on `/healthz`).

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::CORRELATION_ID;
use crate::config::CorsOrigins;

const ALLOWED_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];
const ALLOWED_HEADERS: [HeaderName; 7] = [
    header::CONTENT_TYPE,
    header::AUTHORIZATION,
    header::IF_MATCH,
    header::ACCEPT,
    HeaderName::from_static("x-api-key"),
    HeaderName::from_static("x-user-id"),
    CORRELATION_ID,
];
const EXPOSED_HEADERS: [HeaderName; 6] = [
    header::ETAG,
    CORRELATION_ID,
    header::RETRY_AFTER,
    HeaderName::from_static("ratelimit-limit"),
    HeaderName::from_static("ratelimit-remaining"),
    HeaderName::from_static("ratelimit-reset"),
];
const MAX_AGE_SECONDS: u32 = 600;

pub struct CorsPolicy {
    origins: CorsOrigins,
    allow_methods: HeaderValue,
    allow_headers: HeaderValue,
    expose_headers: HeaderValue,
    preflight_vary: HeaderValue,
}

fn joined<'a>(items: impl IntoIterator<Item = &'a str>) -> HeaderValue {
    let text = items.into_iter().collect::<Vec<_>>().join(",");
    HeaderValue::from_str(&text).expect("header names and methods are valid header values")
}

impl CorsPolicy {
    pub fn new(origins: &CorsOrigins) -> Self {
        Self {
            origins: origins.clone(),
            allow_methods: joined(ALLOWED_METHODS.iter().map(Method::as_str)),
            allow_headers: joined(ALLOWED_HEADERS.iter().map(HeaderName::as_str)),
            expose_headers: joined(EXPOSED_HEADERS.iter().map(HeaderName::as_str)),
            preflight_vary: joined([
                header::ORIGIN.as_str(),
                header::ACCESS_CONTROL_REQUEST_METHOD.as_str(),
                header::ACCESS_CONTROL_REQUEST_HEADERS.as_str(),
            ]),
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if allowed.
    fn allowed_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match &self.origins {
            CorsOrigins::Any => Some(HeaderValue::from_static("*")),
            CorsOrigins::List(list) => origin.filter(|o| list.contains(o)).cloned(),
        }
    }

    fn allow(&self, headers: &mut HeaderMap, origin: Option<&HeaderValue>) -> bool {
        let Some(allowed) = self.allowed_origin(origin) else {
            return false;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        if matches!(self.origins, CorsOrigins::List(_)) {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        true
    }

    /// The answer to an `OPTIONS` request: 200, no body, the policy in headers.
    pub fn preflight(&self, origin: Option<&HeaderValue>) -> Response {
        let mut response = StatusCode::OK.into_response();
        let headers = response.headers_mut();
        headers.insert(header::VARY, self.preflight_vary.clone());
        if self.allow(headers, origin) {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                self.allow_methods.clone(),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                self.allow_headers.clone(),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS.into());
        }
        response
    }

    /// The CORS headers of any other response. `Vary: Origin` is always sent, so a cache
    /// never serves one origin's answer to another.
    pub fn decorate(&self, headers: &mut HeaderMap, origin: Option<&HeaderValue>) {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
        if origin.is_some() && self.allow(headers, origin) {
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                self.expose_headers.clone(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> CorsPolicy {
        CorsPolicy::new(&CorsOrigins::List(vec![HeaderValue::from_static(
            "http://localhost:3103",
        )]))
    }

    #[test]
    fn a_listed_origin_gets_credentials_and_a_foreign_one_nothing() {
        let policy = list();
        let ok = policy.preflight(Some(&HeaderValue::from_static("http://localhost:3103")));
        let h = ok.headers();
        assert_eq!(h["access-control-allow-origin"], "http://localhost:3103");
        assert_eq!(h["access-control-allow-credentials"], "true");
        assert_eq!(
            h["access-control-allow-methods"],
            "GET,HEAD,POST,PUT,PATCH,DELETE"
        );
        assert_eq!(h["access-control-max-age"], "600");
        let foreign = policy.preflight(Some(&HeaderValue::from_static("http://evil.example")));
        assert!(
            !foreign
                .headers()
                .contains_key("access-control-allow-origin")
        );
        assert!(
            !foreign
                .headers()
                .contains_key("access-control-allow-methods")
        );

        let mut headers = HeaderMap::new();
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        policy.decorate(
            &mut headers,
            Some(&HeaderValue::from_static("http://localhost:3103")),
        );
        assert_eq!(headers.get_all(header::VARY).iter().count(), 2);
        assert!(
            headers["access-control-expose-headers"]
                .to_str()
                .is_ok_and(|v| v.contains("x-correlation-id"))
        );
    }

    #[test]
    fn any_origin_is_a_star_without_credentials() {
        let policy = CorsPolicy::new(&CorsOrigins::Any);
        let mut headers = HeaderMap::new();
        policy.decorate(
            &mut headers,
            Some(&HeaderValue::from_static("http://a.example")),
        );
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(!headers.contains_key("access-control-allow-credentials"));
        let mut without_origin = HeaderMap::new();
        policy.decorate(&mut without_origin, None);
        assert_eq!(without_origin.len(), 1, "only Vary: {without_origin:?}");
    }
}
