//! TimescaleDB, where the server has it: which optional features it offers, and the
//! optional steps (hypertables, compression, retention) that use them, each skipped with
//! a log line where it is missing.

use sqlx::PgPool;

/// Which optional TimescaleDB features this server offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Timescale {
    /// The extension is installed: hypertables.
    pub hypertables: bool,
    /// The Timescale license (not Apache-only): compression and retention policies.
    pub policies: bool,
}

impl Timescale {
    pub async fn detect(pool: &PgPool) -> Self {
        let hypertables = sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')",
        )
        .fetch_one(pool)
        .await
        .unwrap_or(false);
        let policies = hypertables
            && sqlx::query_scalar::<_, Option<String>>(
                "SELECT current_setting('timescaledb.license', true)",
            )
            .fetch_one(pool)
            .await
            .ok()
            .flatten()
            .as_deref()
                == Some("timescale");
        Self {
            hypertables,
            policies,
        }
    }
}

/// Runs an optional step (hypertable, compression, retention) in its own transaction, so
/// a failure is logged and skipped without spoiling anything else. Returns whether it
/// ran. A statement built at run time (a configured table name) comes wrapped in
/// `AssertSqlSafe`, its caller vouching it holds nothing but validated identifiers.
pub async fn optional_step(
    pool: &PgPool,
    description: &str,
    statement: impl sqlx::SqlSafeStr,
) -> bool {
    let run = async {
        let mut tx = pool.begin().await?;
        sqlx::query(statement).execute(&mut *tx).await?;
        tx.commit().await
    };
    match run.await {
        Ok(()) => {
            tracing::info!(step = description, "timescaledb step applied");
            true
        }
        Err(e) => {
            tracing::warn!(step = description, error = %e, "timescaledb step skipped");
            false
        }
    }
}
