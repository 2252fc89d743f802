//! Database plumbing (docs/decisions.md#d16 and #d17): the URL's scheme picks PostgreSQL
//! or embedded SQLite, migrations are embedded per backend, TimescaleDB features are
//! detected one by one, and every repository call is timed into the metrics.
//!
//! SQL itself lives in each service's repository layer; this module never sees a table.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

mod codec;
mod conflict;
mod engine;
mod metrics;
mod reachability;
mod schema;
#[cfg(feature = "testing")]
pub mod testing;
mod timescale;
pub use codec::Codec;
pub use conflict::{CONFLICT_ATTEMPTS, is_conflict, retry_conflicts};
pub use engine::Tx;
// For the engine macros, expanded in the repositories' crates.
pub use metrics::DbMetrics;
use reachability::Reachability;
pub use schema::{Migrated, Schema, with_table};
pub use sqlx;
pub use timescale::{Timescale, optional_step};

pub const DEFAULT_POOL_SIZE: u32 = 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// Which engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://`/`postgresql://` → PostgreSQL, `sqlite:` → SQLite, anything else `None`.
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "postgres" | "postgresql" => Some(Self::Postgres),
            "sqlite" => Some(Self::Sqlite),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgresql",
            Self::Sqlite => "sqlite",
        }
    }
}

/// The pools of one service. SQLite gets one writer connection (so writers queue in the
/// pool instead of failing with "database is locked") and a pool of WAL readers.
#[derive(Clone, Debug)]
pub enum Pools {
    Postgres(PgPool),
    Sqlite {
        reader: SqlitePool,
        writer: SqlitePool,
    },
}

/// The service's database handle: pools plus the metrics every call is timed into.
#[derive(Clone, Debug)]
pub struct Db {
    pub pools: Pools,
    metrics: Arc<DbMetrics>,
    /// PostgreSQL only: an embedded SQLite file cannot go away.
    reachability: Option<Arc<Reachability>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL scheme (expected postgres://, postgresql:// or sqlite://)")]
    UnsupportedScheme,
    #[error("could not create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("could not connect: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl Db {
    /// Connects to `url`. Relative SQLite paths are resolved against `root`, and their
    /// directory is created.
    pub async fn connect(
        url: &str,
        root: &Path,
        pool_size: u32,
        metrics: impl Into<DbMetrics>,
    ) -> Result<Self, DbError> {
        let mut reachability = None;
        let pools = match Backend::from_url(url).ok_or(DbError::UnsupportedScheme)? {
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(DbError::Connect)?;
                // Lazy: a database that is down at start-up makes the service unready,
                // not dead; connections are opened as requests need them.
                let pool = PgPoolOptions::new()
                    .max_connections(pool_size)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_lazy_with(options.clone());
                reachability = Some(Reachability::new(options));
                Pools::Postgres(pool)
            }
            Backend::Sqlite => {
                let options = sqlite_options(url, root)?;
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options.clone())
                    .await
                    .map_err(DbError::Connect)?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(pool_size)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(DbError::Connect)?;
                Pools::Sqlite { reader, writer }
            }
        };
        Ok(Self {
            pools,
            metrics: Arc::new(metrics.into()),
            reachability,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// Applies the backend's embedded migrations (idempotent).
    pub async fn migrate(&self, postgres: &Migrator, sqlite: &Migrator) -> Result<(), DbError> {
        match &self.pools {
            Pools::Postgres(pool) => postgres.run(pool).await,
            Pools::Sqlite { writer, .. } => sqlite.run(writer).await,
        }
        .map_err(DbError::Migrate)
    }

    /// Runs `fut`, failing fast while the database is unreachable (see
    /// [`reachability`]), and times it as `operation` into the DB metrics.
    pub async fn timed<T, E: From<sqlx::Error>>(
        &self,
        operation: &'static str,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let started = Instant::now();
        let result = self.guarded(fut).await;
        let metrics = &self.metrics;
        metrics.observe(operation, result.is_ok(), started.elapsed());
        match &self.pools {
            Pools::Postgres(pool) => metrics.set_pool("main", pool.size(), pool.num_idle()),
            Pools::Sqlite { reader, writer } => {
                metrics.set_pool("reader", reader.size(), reader.num_idle());
                metrics.set_pool("writer", writer.size(), writer.num_idle());
            }
        }
        result
    }

    /// `fut`, or the "unreachable" error as soon as the database is known to be down.
    async fn guarded<T, E: From<sqlx::Error>>(
        &self,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        match &self.reachability {
            None => fut.await,
            Some(reachability) => match reachability.guard(fut).await {
                Some(result) => result,
                None => Err(reachability::unreachable().into()),
            },
        }
    }

    /// False while PostgreSQL is known to be unreachable.
    pub fn is_reachable(&self) -> bool {
        self.reachability
            .as_ref()
            .is_none_or(|reachability| reachability.is_reachable())
    }

    /// `SELECT 1`, the cheapest proof the database answers (failing fast while it is
    /// known to be unreachable).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match &self.pools {
            Pools::Postgres(pool) => {
                let ping = sqlx::query("SELECT 1").execute(pool);
                self.guarded(async { ping.await.map(|_| ()) }).await
            }
            Pools::Sqlite { reader, .. } => {
                sqlx::query("SELECT 1").execute(reader).await.map(|_| ())
            }
        }
    }

    /// `Ok` when every embedded migration is applied successfully, whoever applied it.
    pub async fn schema_matches(
        &self,
        postgres: &Migrator,
        sqlite: &Migrator,
    ) -> Result<(), String> {
        // Each service may keep its own bookkeeping table (see [`with_table`]); the name
        // is a constant of the binary, never input.
        let applied_sql = |m: &Migrator| {
            sqlx::AssertSqlSafe(format!(
                "SELECT version FROM {} WHERE success ORDER BY version",
                m.table_name
            ))
        };
        let (applied, migrator): (Result<Vec<i64>, sqlx::Error>, &Migrator) = match &self.pools {
            Pools::Postgres(pool) => {
                let applied = sqlx::query_scalar(applied_sql(postgres)).fetch_all(pool);
                (self.guarded(applied).await, postgres)
            }
            Pools::Sqlite { reader, .. } => (
                sqlx::query_scalar(applied_sql(sqlite))
                    .fetch_all(reader)
                    .await,
                sqlite,
            ),
        };
        let applied = applied.map_err(|e| match e {
            sqlx::Error::Database(_) => {
                "schema not initialised (no migrations applied)".to_string()
            }
            _ => "database unreachable".to_string(),
        })?;
        let missing: Vec<i64> = migrator
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "schema is behind this binary: migrations {missing:?} not applied"
            ))
        }
    }

    /// Closes the pools (after the server has drained).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Postgres(pool) => pool.close().await,
            Pools::Sqlite { reader, writer } => {
                reader.close().await;
                writer.close().await;
            }
        }
    }
}

fn sqlite_options(url: &str, root: &Path) -> Result<SqliteConnectOptions, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = if Path::new(path).is_absolute() {
        Path::new(path).to_path_buf()
    } else {
        root.join(path)
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbError::Directory(dir.display().to_string(), e))?;
    }
    let mut normalized = format!("sqlite://{}", path.display());
    if !query.is_empty() {
        normalized.push('?');
        normalized.push_str(query);
    }
    Ok(SqliteConnectOptions::from_str(&normalized)
        .map_err(DbError::Connect)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true))
}

/// True for a unique-constraint violation (PostgreSQL 23505, SQLite 2067/1555).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// A substring `LIKE` pattern (with `ESCAPE '\\'`) in which the client's `%`, `_` and `\\`
/// are taken literally.
pub fn like_pattern(search: &str) -> String {
    let mut out = String::with_capacity(search.len() + 2);
    out.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `*_DB_STRATEGY` variables are accepted for compatibility with the originals but never
/// select a backend (the URL does); one that contradicts the URL is worth a warning.
pub fn warn_on_strategy(strategy_variable: &str, strategy: &str, url_variable: &str, url: &str) {
    let strategy = strategy.to_ascii_lowercase();
    let wants_postgres = matches!(
        strategy.as_str(),
        "postgresql" | "postgres" | "timescaledb" | "neon"
    );
    let is_postgres = Backend::from_url(url) == Some(Backend::Postgres);
    if wants_postgres != is_postgres {
        eprintln!(
            "warning: {strategy_variable}={strategy} is ignored; {url_variable} selects the {} backend",
            if is_postgres { "PostgreSQL" } else { "SQLite" }
        );
    }
}

/// True when the database could not be reached (pool exhausted, connection lost).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
    )
}

/// A database error as one line without SQL text or credentials.
pub fn short(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::PoolTimedOut => "connection pool timed out".to_string(),
        sqlx::Error::Io(e) => e.kind().to_string(),
        sqlx::Error::Database(e) => e
            .code()
            .map(|c| format!("database error {c}"))
            .unwrap_or_else(|| "database error".to_string()),
        _ => "database error".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_the_backend() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("sqlite://data/x.db"),
            Some(Backend::Sqlite)
        );
        assert_eq!(Backend::from_url("sqlite:data/x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("mysql://h/db"), None);
        assert_eq!(Backend::from_url("data/x.db"), None);
    }

    #[tokio::test]
    async fn sqlite_relative_paths_live_under_the_root_with_wal() {
        let root = tempfile::tempdir().expect("tempdir");
        let db = Db::connect(
            "sqlite://data/nested/t.db",
            root.path(),
            2,
            DbMetrics::new(&prometheus::Registry::new(), "t"),
        )
        .await
        .expect("connect");
        assert!(root.path().join("data/nested/t.db").exists());
        let Pools::Sqlite { writer, .. } = &db.pools else {
            panic!("sqlite")
        };
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(writer)
            .await
            .expect("pragma");
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(writer)
            .await
            .expect("pragma");
        assert_eq!(fk, 1);
        db.ping().await.expect("ping");
    }
}
