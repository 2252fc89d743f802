//! A router that remembers what it routes, so a test can hold the OpenAPI document to it
//! and the middleware can label a request with its route template.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

use crate::metrics::UNMATCHED_ROUTE;

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

/// The routes every service gets from [`crate::app::AppCore::into_app`].
pub const INFRASTRUCTURE_ROUTES: [&str; 6] = [
    "/health",
    "/healthz",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/openapi.yaml",
];

/// The route templates of an app, so the stack knows a request's template (its metrics
/// label) and whether it is infrastructure before the router runs, without a layer
/// around every route.
pub struct RouteIndex {
    matcher: matchit::Router<usize>,
    routes: Vec<IndexedRoute>,
}

struct IndexedRoute {
    template: String,
    /// One of INFRASTRUCTURE_ROUTES: decided once here rather than by string
    /// comparisons on every request.
    infrastructure: bool,
}

const UNMATCHED: usize = usize::MAX;

impl RouteIndex {
    pub fn new<'a>(templates: impl IntoIterator<Item = &'a str>) -> Self {
        let mut index = Self {
            matcher: matchit::Router::new(),
            routes: Vec::new(),
        };
        for template in templates {
            if index.routes.iter().any(|known| known.template == template) {
                continue;
            }
            index
                .matcher
                .insert(template, index.routes.len())
                .unwrap_or_else(|e| panic!("axum routes {template}, so matchit must: {e}"));
            index.routes.push(IndexedRoute {
                template: template.to_string(),
                infrastructure: INFRASTRUCTURE_ROUTES.contains(&template),
            });
        }
        index
    }

    pub fn find(&self, path: &str) -> usize {
        self.matcher.at(path).map_or(UNMATCHED, |m| *m.value)
    }

    pub fn template(&self, id: usize) -> &str {
        self.routes
            .get(id)
            .map_or(UNMATCHED_ROUTE, |route| route.template.as_str())
    }

    /// Health, readiness, metrics and API description routes: exempt from rate limiting
    /// and the deadline, logged at debug.
    pub fn is_infrastructure(&self, id: usize) -> bool {
        self.routes
            .get(id)
            .is_some_and(|route| route.infrastructure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_index_finds_templates_as_axum_does() {
        let index = RouteIndex::new([
            "/api/items/{id}",
            "/api/items/stats",
            "/api/items/{id}",
            "/healthz",
        ]);
        assert_eq!(
            index.template(index.find("/api/items/42")),
            "/api/items/{id}"
        );
        assert_eq!(
            index.template(index.find("/api/items/stats")),
            "/api/items/stats"
        );
        assert_eq!(index.template(index.find("/healthz")), "/healthz");
        assert!(index.is_infrastructure(index.find("/healthz")));
        assert!(!index.is_infrastructure(index.find("/api/items/42")));
        assert!(!index.is_infrastructure(index.find("/nope")));
        assert_eq!(index.template(index.find("/nope")), UNMATCHED_ROUTE);
        assert_eq!(
            index.template(index.find("/api/items/1/2")),
            UNMATCHED_ROUTE
        );
    }
}
