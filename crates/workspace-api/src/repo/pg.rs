//! PostgreSQL / TimescaleDB: native UUID, TIMESTAMPTZ, TEXT[] and JSONB columns, row locks
//! for writes, and the optional TimescaleDB steps.

use sqlx::{PgPool, Postgres};

use super::queries::Dialect;
use super::sql::Records;

/// Statements as one, on the terms of `records!`: data-modifying CTEs ahead of the main
/// statement. A guarded change's audit row and mark read its `RETURNING`, so they happen
/// only with it; the one statement commits on its own, in one round trip.
macro_rules! as_ctes {
    (together $last:expr, $a:expr) => {
        concat!("WITH a AS (", $a, ") ", $last)
    };
    (together $last:expr, $a:expr, $b:expr) => {
        concat!("WITH a AS (", $a, "), b AS (", $b, ") ", $last)
    };
    (guarded $mark:expr, $change:expr) => {
        concat!(
            "WITH c AS (",
            $change,
            " RETURNING 1), a AS (",
            audit_select!(),
            " FROM c), m AS (",
            $mark,
            " AND EXISTS (SELECT 1 FROM c)) SELECT COUNT(*) AS n FROM c"
        )
    };
    (guarded_run $mark:expr, $change:expr) => {
        concat!(
            "WITH c AS (",
            $change,
            " RETURNING 1), a AS (",
            audit_select!(),
            " FROM c), l AS (INSERT INTO workspace_audit_log (",
            audit_columns!(),
            ") SELECT r.id, r.entity_type, r.entity_id, r.action, r.old_values, r.new_values, \
             ARRAY(SELECT jsonb_array_elements_text(r.changed_fields)), r.actor, r.ip_address, r.user_agent, \
             r.request_id, r.changed_at FROM jsonb_to_recordset($27) AS r(id UUID, entity_type TEXT, \
             entity_id TEXT, action TEXT, old_values JSONB, new_values JSONB, changed_fields JSONB, actor TEXT, \
             ip_address TEXT, user_agent TEXT, request_id TEXT, changed_at TIMESTAMPTZ) \
             WHERE EXISTS (SELECT 1 FROM c)), m AS (",
            $mark,
            " AND EXISTS (SELECT 1 FROM c)) SELECT COUNT(*) AS n FROM c"
        )
    };
}

impl Dialect for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    // Each connection bumps its own of the 64 counters (migration 0002), so concurrent
    // writers rarely share a row, and a reader's sum still moves with every commit.
    const RECORDS: Records = records!(
        as_ctes,
        "UPDATE workspace_changes SET version = version + 1 WHERE id = pg_backend_pid() % 64",
        " FOR SHARE"
    );
    const GUARDED_NEEDS_TRANSACTION: bool = false;
    const ITEM_FILTER: &'static str = "WHERE (CAST($1 AS TEXT) IS NULL OR category = $1) \
         AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR priority = $3) \
         AND (CAST($4 AS TEXT) IS NULL OR title ILIKE $4 ESCAPE '\\' OR description ILIKE $4 ESCAPE '\\' \
              OR EXISTS (SELECT 1 FROM unnest(tags) AS tag WHERE tag ILIKE $4 ESCAPE '\\'))";
    const CATEGORY_LOCKED: &'static str = concat!(category_by_name!(), " FOR UPDATE");
    const ITEMS_IN_CATEGORY_LOCKED: &'static str = concat!(items_in_category!(), " FOR UPDATE");
}

/// Hypertables where the extension exists; compression and retention of the audit log
/// where the license allows. Items are never retained away.
pub async fn apply_timescale(pool: &PgPool) {
    use shared::db::{Timescale, optional_step};
    let ts = Timescale::detect(pool).await;
    if !ts.hypertables {
        tracing::info!("timescaledb not installed: plain PostgreSQL tables");
        return;
    }
    optional_step(pool, "workspace_items hypertable (1 month)",
        "SELECT create_hypertable('workspace_items', 'created_at', chunk_time_interval => INTERVAL '1 month', if_not_exists => TRUE, migrate_data => TRUE)").await;
    optional_step(pool, "workspace_audit_log hypertable (1 day)",
        "SELECT create_hypertable('workspace_audit_log', 'changed_at', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)").await;
    if !ts.policies {
        tracing::info!("timescaledb Apache license: compression and retention skipped");
        return;
    }
    optional_step(pool, "workspace_audit_log compression",
        "ALTER TABLE workspace_audit_log SET (timescaledb.compress, timescaledb.compress_segmentby = 'entity_type')").await;
    optional_step(pool, "workspace_audit_log compression policy (30 days)",
        "SELECT add_compression_policy('workspace_audit_log', INTERVAL '30 days', if_not_exists => TRUE)").await;
    optional_step(pool, "workspace_audit_log retention policy (365 days)",
        "SELECT add_retention_policy('workspace_audit_log', INTERVAL '365 days', if_not_exists => TRUE)").await;
}
