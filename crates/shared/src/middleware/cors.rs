//! The CORS policy, as tower-http's `CorsLayer`: `*` allows any origin without
//! credentials; a list allows exactly those origins (compared case-insensitively, as
//! scheme and host are) with credentials. Every `OPTIONS` request is answered as a
//! preflight, before rate limiting and authentication.

use std::sync::Arc;
use std::time::Duration;

use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowCredentials, AllowOrigin, CorsLayer};

use super::{CORRELATION_ID, REQUEST_ID};
use crate::config::CorsOrigins;

const ALLOWED_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];
const ALLOWED_HEADERS: [HeaderName; 8] = [
    header::CONTENT_TYPE,
    header::AUTHORIZATION,
    header::IF_MATCH,
    header::ACCEPT,
    HeaderName::from_static("x-api-key"),
    HeaderName::from_static("x-user-id"),
    CORRELATION_ID,
    REQUEST_ID,
];
const EXPOSED_HEADERS: [HeaderName; 6] = [
    header::ETAG,
    CORRELATION_ID,
    header::RETRY_AFTER,
    HeaderName::from_static("ratelimit-limit"),
    HeaderName::from_static("ratelimit-remaining"),
    HeaderName::from_static("ratelimit-reset"),
];
const MAX_AGE: Duration = Duration::from_secs(600);

pub fn cors_layer(origins: &CorsOrigins) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods(ALLOWED_METHODS)
        .allow_headers(ALLOWED_HEADERS)
        .expose_headers(EXPOSED_HEADERS)
        .max_age(MAX_AGE);
    match origins {
        CorsOrigins::Any => layer.allow_origin(AllowOrigin::any()),
        CorsOrigins::List(list) => {
            let allowed: Arc<[String]> = list.iter().filter_map(normalized).collect();
            let listed = move |origin: &HeaderValue, _: &Parts| {
                normalized(origin).is_some_and(|origin| allowed.contains(&origin))
            };
            // Credentials only for a listed origin: a refused one learns nothing.
            layer
                .allow_origin(AllowOrigin::predicate(listed.clone()))
                .allow_credentials(AllowCredentials::predicate(listed))
        }
    }
}

/// An origin as compared: lower-cased (scheme and host are case-insensitive; an origin
/// has no path) and without a trailing slash.
fn normalized(origin: &HeaderValue) -> Option<String> {
    let text = origin.to_str().ok()?;
    Some(text.trim_end_matches('/').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, Response};
    use tower::{Layer, ServiceExt, service_fn};

    use super::*;

    async fn answer(origins: &CorsOrigins, request: Request<Body>) -> Response<Body> {
        let inner = service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
        });
        cors_layer(origins)
            .layer(inner)
            .oneshot(request)
            .await
            .expect("infallible")
    }

    fn list() -> CorsOrigins {
        CorsOrigins::List(vec![HeaderValue::from_static("http://localhost:3103")])
    }

    fn preflight(origin: &str) -> Request<Body> {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/items")
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header("access-control-request-headers", "x-request-id")
            .body(Body::empty())
            .expect("request")
    }

    #[tokio::test]
    async fn a_listed_origin_gets_credentials_in_any_case_and_a_foreign_one_nothing() {
        for origin in ["http://localhost:3103", "HTTP://LocalHost:3103"] {
            let ok = answer(&list(), preflight(origin)).await;
            let h = ok.headers();
            assert_eq!(h["access-control-allow-origin"], origin);
            assert_eq!(h["access-control-allow-credentials"], "true");
            assert!(
                h["access-control-allow-headers"]
                    .to_str()
                    .is_ok_and(|v| v.contains("x-request-id")),
                "a browser may send x-request-id: {h:?}"
            );
            assert_eq!(h["access-control-max-age"], "600");
        }
        let foreign = answer(&list(), preflight("http://evil.example")).await;
        for refused in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
        ] {
            assert!(!foreign.headers().contains_key(refused), "{refused}");
        }
    }

    #[tokio::test]
    async fn any_origin_is_a_star_without_credentials() {
        let request = Request::builder()
            .uri("/api/items")
            .header("origin", "http://a.example")
            .body(Body::empty())
            .expect("request");
        let response = answer(&CorsOrigins::Any, request).await;
        let h = response.headers();
        assert_eq!(h["access-control-allow-origin"], "*");
        assert!(!h.contains_key("access-control-allow-credentials"));
        assert!(
            h["access-control-expose-headers"]
                .to_str()
                .is_ok_and(|v| v.contains("x-correlation-id"))
        );
    }
}
