//! **workspace-api** (port 3200): work items on a kanban board, their categories, and the
//! audit trail of every change.
//!
//! [`router`] builds the application that the binary serves and the tests call; it is
//! the service's routes ([`api_routes`]) inside the fleet's shared stack. Storage is
//! embedded SQLite by default and PostgreSQL/TimescaleDB when `WORKSPACE_DATABASE_URL`
//! says so; the [`service`] layer holds the rules of every write and the
//! [`repo`] layer every SQL statement.

pub mod cache;
pub mod config;
pub mod domain;
pub mod error;
pub mod repo;
pub mod routes;
pub mod service;

use std::sync::Arc;

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
use service::Workspace;

pub const NAME: &str = "workspace-api";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub static PG_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/workspace/postgres");
pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/workspace/sqlite");
pub const OPENAPI_YAML: &str = include_str!("../../../openapi/workspace-api.yaml");

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub workspace: Arc<Workspace>,
    pub core: AppCore,
}

impl AppState {
    /// Connects the database and brings its schema up to date (unless
    /// `WORKSPACE_API_RUN_MIGRATIONS=false`). An unreachable PostgreSQL does not stop the
    /// service: it starts, answers `/ready` with 503, and migrates once the database is up.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        let core = AppCore::new(NAME, VERSION, config.http.clone());
        let db = Db::connect(
            &config.database_url,
            &config.root,
            config.pool_size,
            core.metrics.clone(),
        )
        .await
        .context("opening the workspace database")?;
        if config.http.run_migrations {
            db.prepare(schema())
                .await
                .context("migrating the workspace database")?;
        }
        let store = Store::new(db);
        Ok(Self {
            workspace: Arc::new(Workspace::new(store)),
            core,
        })
    }
}

/// The migrations of each backend and the optional TimescaleDB steps.
pub fn schema() -> Schema {
    Schema {
        postgres: &PG_MIGRATIONS,
        sqlite: &SQLITE_MIGRATIONS,
        timescale: |pool| Box::pin(async move { repo::apply_timescale(&pool).await }),
    }
}

/// The service's own routes, with the table the OpenAPI test checks.
pub fn api_routes() -> RouteTable<AppState> {
    routes::items::routes()
        .merge(routes::categories::routes())
        .merge(routes::audit::routes())
        .merge(shared::routing::service_info(
            NAME,
            VERSION,
            &[
                ("items", "/api/items"),
                ("itemStats", "/api/items/stats"),
                ("categories", "/api/categories"),
                ("audit", "/api/audit"),
                ("health", "/health"),
                ("metrics", "/metrics"),
                ("openapi", "/openapi.json"),
            ],
        ))
}

/// The parsed OpenAPI document served at `/openapi.json` and `/openapi.yaml`.
pub fn openapi() -> OpenApiDoc {
    OpenApiDoc::from_yaml(OPENAPI_YAML)
        .expect("openapi/workspace-api.yaml is valid YAML (checked by tests)")
}

/// The complete application: routes, health, metrics, OpenAPI, middleware stack.
pub fn router(state: AppState) -> App {
    let db = state.workspace.db().clone();
    let health = Health::new(NAME, VERSION)
        .with_check(Arc::new(DatabaseCheck(db.clone())))
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

/// `workspace-api import --from <library.json | postgres://…> [--dry-run]`: reads the
/// original's data, then brings this service's database up to date (as a start does)
/// and imports into it, counting every row into `summary` (docs/decisions.md#d28).
pub async fn import(
    config: &Config,
    args: &ImportArgs,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let source = if matches!(Backend::from_url(&args.from), Some(Backend::Postgres)) {
        repo::read_postgres(&args.from).await?
    } else if std::path::Path::new(&args.from).is_file() {
        repo::read_library(std::path::Path::new(&args.from))?
    } else {
        return Err(ImportError::usage(
            "--from names neither a LowDB file nor a postgres:// URL",
        ));
    };
    let state = AppState::build(config).await?;
    let done = state.workspace.import(&source, args.dry_run, summary).await;
    state.workspace.db().close().await;
    done
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
        backend = state.workspace.db().backend().name(),
        "listening"
    );
    let options = state.core.serve_options();
    shared::server::serve(listener, router(state.clone()), options, budget, shutdown).await?;
    state.workspace.db().close().await;
    tracing::info!(service = NAME, "stopped");
    Ok(())
}
