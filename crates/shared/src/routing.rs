//! A router that remembers what it routes, so a test can hold the OpenAPI document to it.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

/// Routes plus the `(method, path)` table they serve.
pub struct RouteTable<S = ()> {
    router: Router<S>,
    table: Vec<(Method, String)>,
}

impl<S: Clone + Send + Sync + 'static> Default for RouteTable<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> RouteTable<S> {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add<H, T>(mut self, method: Method, filter: MethodFilter, path: &str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter, handler));
        self.table.push((method, path.to_string()));
        self
    }

    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::GET, MethodFilter::GET, path, handler)
    }
    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::POST, MethodFilter::POST, path, handler)
    }
    pub fn put<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::PUT, MethodFilter::PUT, path, handler)
    }
    pub fn patch<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::PATCH, MethodFilter::PATCH, path, handler)
    }
    pub fn delete<H: Handler<T, S>, T: 'static>(self, path: &str, handler: H) -> Self {
        self.add(Method::DELETE, MethodFilter::DELETE, path, handler)
    }

    /// Adds another table's routes.
    pub fn merge(mut self, other: RouteTable<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn table(&self) -> &[(Method, String)] {
        &self.table
    }

    /// Gives every route its state, keeping the table.
    pub fn with_state<S2>(self, state: S) -> RouteTable<S2> {
        RouteTable {
            router: self.router.with_state(state),
            table: self.table,
        }
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

/// `GET /`: what the service is and where its endpoints are, as `{success, data}`, so a
/// person or a probe that opens the bare address learns which service answered.
pub fn service_info<S: Clone + Send + Sync + 'static>(
    service: &'static str,
    version: &'static str,
    endpoints: &'static [(&'static str, &'static str)],
) -> RouteTable<S> {
    let body = serde_json::json!({
        "success": true,
        "data": {
            "service": service,
            "version": version,
            "endpoints": endpoints
                .iter()
                .map(|(name, path)| (name.to_string(), serde_json::Value::from(*path)))
                .collect::<serde_json::Map<_, _>>(),
        },
    });
    RouteTable::new().get("/", move || {
        let body = body.clone();
        async move { axum::Json(body) }
    })
}

/// The routes every service gets from [`crate::app::AppCore::into_app`].
pub const INFRASTRUCTURE_ROUTES: [&str; 8] = [
    "/health",
    "/healthz",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/openapi.yaml",
    crate::api_docs::PATH,
    "/api-docs/{*file}",
];

/// Health, readiness, metrics and API description routes: exempt from rate limiting
/// and the deadline, logged at debug.
pub fn is_infrastructure(template: &str) -> bool {
    INFRASTRUCTURE_ROUTES.contains(&template)
}
