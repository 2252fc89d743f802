//! **documentation-api** (port 3400): the registry of the platform's systems with live
//! health checks, the ideas kanban, files stored in the database, statistics, and the
//! audit trail of every change.
//!
//! [`router`] builds the application that the binary serves and the tests call: the
//! service's routes ([`api_routes`]) inside the fleet's shared stack. Storage is embedded
//! SQLite by default and PostgreSQL/TimescaleDB when `DOCUMENTATION_DATABASE_URL` says
//! so; the [`service`] layer holds the rules of every write, the [`repo`] layer every SQL
//! statement.

pub mod config;
pub mod corpus;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod repo;
pub mod routes;
pub mod search;
pub mod service;
pub mod specs;

use std::sync::{Arc, LazyLock};

use anyhow::Context;
use shared::db::{Backend, DatabaseCheck, Db, Schema, SchemaCheck};
use shared::health::Health;
use shared::import::{ImportArgs, ImportError, Summary};
use shared::openapi::OpenApiDoc;
use shared::routing::RouteTable;
use shared::server::FdBudget;
use shared::{App, AppCore};
use sqlx::migrate::Migrator;

pub use config::Config;
use repo::Store;
use search::{DocsSearch, SearchIndexCheck};
use service::Documentation;

pub const NAME: &str = "documentation-api";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The migrations of each backend, recorded in their own table so that this service and
/// another sharing one schema never mistake each other's migrations.
pub static PG_MIGRATIONS: LazyLock<Migrator> = LazyLock::new(|| {
    shared::db::with_table(
        sqlx::migrate!("../../migrations/documentation/postgres"),
        MIGRATIONS_TABLE,
    )
});
pub static SQLITE_MIGRATIONS: LazyLock<Migrator> = LazyLock::new(|| {
    shared::db::with_table(
        sqlx::migrate!("../../migrations/documentation/sqlite"),
        MIGRATIONS_TABLE,
    )
});
const MIGRATIONS_TABLE: &str = "_documentation_migrations";
pub const OPENAPI_YAML: &str = include_str!("../../../openapi/documentation-api.yaml");

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub docs: Arc<Documentation>,
    pub search: Arc<DocsSearch>,
    /// Documentation health; the index build calls its `record_audit`.
    pub health: service::DocsHealth,
    pub core: AppCore,
    /// The OpenAPI/AsyncAPI documents of `SPECS_DIR`, their versions and their search.
    pub specs: Arc<specs::Specs>,
}

impl AppState {
    /// Connects the database and brings its schema up to date (unless
    /// `DOCUMENTATION_API_RUN_MIGRATIONS=false`). An unreachable PostgreSQL does not stop
    /// the service: it starts, answers `/ready` with 503, and migrates once it is up.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let core = AppCore::new(NAME, VERSION, config.http.clone());
        let db = Db::connect(
            &config.database_url,
            &config.root,
            config.pool_size,
            core.metrics.clone(),
        )
        .await
        .context("opening the documentation database")?;
        if config.http.run_migrations {
            db.prepare(schema())
                .await
                .context("migrating the documentation database")?;
        }
        let store = Store::new(db);
        let health_metrics = service::DocsHealthMetrics::register(core.metrics.registry(), NAME)
            .context("registering the docs health metrics")?;
        let health = service::DocsHealth::new(
            store.clone(),
            health_metrics,
            config.docs.content_dir.clone(),
        );
        health.load_in_background();
        let metrics = metrics::CheckMetrics::register(core.metrics.registry(), NAME)
            .context("registering the health-check metrics")?;
        let checker = service::HealthChecker::new(config.health_checks.clone(), metrics)
            .context("building the health-check client")?;
        let docs = Documentation::new(
            store,
            checker,
            config.health_checks.targets,
            config.http.request_timeout,
        )
        .with_upload_limit(config.max_upload_bytes);
        let audit = config
            .docs
            .audit_on_reindex
            .then(|| audit_after_build(health.clone()));
        let search = DocsSearch::new(config.docs.clone(), audit);
        search
            .start()
            .context("watching the docs corpus (DOCS_WATCH=true)")?;
        Ok(Self {
            docs: Arc::new(docs),
            search,
            health,
            core,
            specs: Arc::new(specs::Specs::new(&config.specs)),
        })
    }
}

/// `DOCS_AUDIT_ON_REINDEX`: every index build's corpus audited and stored as a run
/// (`trigger: reindex`); a corpus directory that does not exist has nothing to audit.
fn audit_after_build(health: service::DocsHealth) -> search::AfterBuild {
    Arc::new(move |corpus: Arc<corpus::Corpus>| {
        let health = health.clone();
        Box::pin(async move {
            if !corpus.dir_exists {
                return None;
            }
            match health
                .record_audit(&corpus, domain::docs_health::Trigger::Reindex)
                .await
            {
                Ok(summary) => serde_json::to_value(summary).ok(),
                Err(e) => {
                    tracing::warn!(error = %e, "auditing the docs corpus after its index build failed");
                    None
                }
            }
        })
    })
}

/// The migrations of each backend and the optional TimescaleDB steps.
/// `documentation-api import --from postgres://… [--dry-run]`: reads the original's
/// tables, then brings this service's database up to date (as a start does) and imports
/// into it, counting every row into `summary` (docs/decisions.md#d28).
pub async fn import(
    config: &Config,
    args: &ImportArgs,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    if !matches!(Backend::from_url(&args.from), Some(Backend::Postgres)) {
        return Err(ImportError::usage(
            "--from must be the original's postgres:// URL",
        ));
    }
    let source = repo::read_postgres(&args.from).await?;
    let state = AppState::build(config).await?;
    let done = state.docs.import(&source, args.dry_run, summary).await;
    source.close().await;
    state.docs.store().db().close().await;
    done
}

pub fn schema() -> Schema {
    Schema {
        postgres: &PG_MIGRATIONS,
        sqlite: &SQLITE_MIGRATIONS,
        timescale: |pool| Box::pin(async move { repo::apply_timescale(&pool).await }),
    }
}

/// The service's own routes, with the table the OpenAPI test checks.
pub fn api_routes() -> RouteTable<AppState> {
    routes::systems::routes()
        .merge(routes::audit::routes())
        .merge(routes::files::routes())
        .merge(routes::ideas::routes())
        .merge(routes::stats::routes())
        .merge(routes::docs::routes())
        .merge(routes::specs::routes())
        .merge(routes::spec_versions::routes())
        .merge(routes::docs_health::routes())
        .merge(shared::routing::service_info(
            NAME,
            VERSION,
            &[
                ("systems", "/api/v1/systems"),
                ("audit", "/api/v1/audit"),
                ("files", "/api/v1/files"),
                ("ideas", "/api/v1/ideas"),
                ("stats", "/api/v1/stats"),
                ("docs", "/api/v1/docs/search"),
                ("specs", "/spec/openapi.yaml"),
                ("docs_health", "/api/v1/docs/health/summary"),
                ("health", "/health"),
                ("metrics", "/metrics"),
                ("openapi", "/openapi.json"),
            ],
        ))
}

/// The parsed OpenAPI document served at `/openapi.json` and `/openapi.yaml`.
pub fn openapi() -> OpenApiDoc {
    OpenApiDoc::from_yaml(OPENAPI_YAML)
        .expect("openapi/documentation-api.yaml is valid YAML (checked by tests)")
}

/// The complete application: routes, health, metrics, OpenAPI, middleware stack.
pub fn router(state: AppState) -> App {
    let db = state.docs.store().db().clone();
    let health = Health::new(NAME, VERSION)
        .with_check(Arc::new(DatabaseCheck(db.clone())))
        .with_check(Arc::new(SearchIndexCheck(state.search.clone())))
        .with_readiness(Arc::new(DatabaseCheck(db.clone())))
        .with_readiness(Arc::new(SchemaCheck {
            db,
            postgres: &PG_MIGRATIONS,
            sqlite: &SQLITE_MIGRATIONS,
        }));
    let core = state.core.clone();
    let api = api_routes().with_state(state);
    core.into_app(api, health, openapi())
}

/// Builds the state, serves until `shutdown`, drains, closes the pools.
pub async fn serve(
    config: Config,
    budget: FdBudget,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::build(&config).await?;
    let listener = shared::server::bind(config.http.port).await?;
    tracing::info!(
        service = NAME,
        port = config.http.port,
        backend = state.docs.store().db().backend().name(),
        "listening"
    );
    let rounds = config
        .health_checks
        .interval
        .map(|interval| service::Rounds::start(state.docs.clone(), interval));
    let options = state.core.serve_options();
    shared::server::serve(listener, router(state.clone()), options, budget, shutdown).await?;
    if let Some(rounds) = rounds {
        rounds.stop().await;
    }
    state.search.stop();
    state.docs.store().db().close().await;
    tracing::info!(service = NAME, "stopped");
    Ok(())
}
