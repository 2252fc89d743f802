//! **firecrawl-proxy** (port 3600): the `/api/v1` scrape and crawl contract the dashboard
//! calls, in front of a self-hosted Firecrawl (v1 API).
//!
//! The proxy validates every request before Firecrawl sees it and forwards only the keys
//! Firecrawl v1 accepts; wraps answers as `{success:true, data}`; rewrites the crawl and
//! pagination URLs Firecrawl hands out (which point at its internal address) to this
//! proxy's own; and maps every upstream failure onto the fleet's error envelope. One
//! pooled client talks to one configured base: no request can steer it elsewhere.
//!
//! [`router`] builds the application the binary serves and the tests call: the routes of
//! [`api_routes`] inside the fleet's shared stack, with a `firecrawl` health check that
//! degrades (never fails) when Firecrawl is down.

pub mod answer;
pub mod config;
pub mod error;
pub mod health;
pub mod metrics;
pub mod redact;
pub mod routes;
pub mod upstream;
pub mod validate;

use std::sync::Arc;

use anyhow::Context;
use shared::health::Health;
use shared::openapi::OpenApiDoc;
use shared::routing::RouteTable;
use shared::server::FdBudget;
use shared::{App, AppCore};

pub use config::Config;
use metrics::FirecrawlMetrics;
use routes::Links;
use upstream::Firecrawl;

pub const NAME: &str = "firecrawl-proxy";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const OPENAPI_YAML: &str = include_str!("../../../openapi/firecrawl-proxy.yaml");

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub core: AppCore,
    pub firecrawl: Arc<Firecrawl>,
    pub metrics: FirecrawlMetrics,
    pub links: Links,
    /// Which scrape and crawl targets are refused.
    pub targets: shared::target::TargetRule,
}

impl AppState {
    /// The metrics registry, the upstream client and the link builder of one instance.
    pub fn build(config: &Config) -> anyhow::Result<Self> {
        let core = AppCore::new(NAME, VERSION, config.http.clone());
        let metrics = FirecrawlMetrics::register(core.metrics.registry(), NAME)
            .context("registering the Firecrawl metrics")?;
        let firecrawl = Firecrawl::new(config, metrics.clone())
            .context("building the Firecrawl HTTP client")?;
        Ok(Self {
            core,
            firecrawl: Arc::new(firecrawl),
            metrics,
            links: Links::new(&config.public_url),
            targets: config.targets,
        })
    }
}

/// The service's own routes, with the table the OpenAPI test checks.
pub fn api_routes() -> RouteTable<AppState> {
    routes::routes()
}

/// The parsed OpenAPI document served at `/openapi.json` and `/openapi.yaml`.
pub fn openapi() -> OpenApiDoc {
    OpenApiDoc::from_yaml(OPENAPI_YAML)
        .expect("openapi/firecrawl-proxy.yaml is valid YAML (checked by tests)")
}

/// The complete application: routes, health, metrics, OpenAPI, middleware stack.
/// `/ready` has no checks: Firecrawl being down only degrades `/health`
/// (docs/decisions.md#d13).
pub fn router(state: AppState) -> App {
    let health = Health::new(NAME, VERSION)
        .with_check(Arc::new(health::FirecrawlCheck(state.firecrawl.clone())));
    let core = state.core.clone();
    let api = api_routes().with_state(state);
    core.into_app(api, health, openapi())
}

/// Builds the state, serves until `shutdown`, drains.
pub async fn serve(
    config: Config,
    budget: FdBudget,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::build(&config)?;
    let listener = shared::server::bind(config.http.port).await?;
    tracing::info!(
        service = NAME,
        port = config.http.port,
        upstream = %config.upstream.base_url,
        api_key = config.upstream.api_key.is_some(),
        max_in_flight = config.max_in_flight,
        "listening"
    );
    let options = state.core.serve_options();
    shared::server::serve(listener, router(state), options, budget, shutdown).await?;
    tracing::info!(service = NAME, "stopped");
    Ok(())
}
