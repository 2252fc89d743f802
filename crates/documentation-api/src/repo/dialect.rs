//! What the two engines do differently here: row locks (PostgreSQL's `FOR UPDATE`; SQLite
//! has one writer and needs none), case-insensitive matching, id lists, time arithmetic
//! (PostgreSQL's intervals, SQLite's integer microseconds), and the optional TimescaleDB
//! steps.

use sqlx::{PgPool, Postgres, Sqlite};

pub trait Dialect: shared::db::Codec {
    /// A system by id (`$1`), locked for the rest of the write transaction.
    const SYSTEM_LOCKED: &'static str;
    /// The system list's `WHERE` (see `system_filter!`).
    const SYSTEM_FILTER: &'static str;
    /// `locked`: whether this transaction holds the health-check rounds' lock.
    const ROUND_LOCK: &'static str;
    /// A file by id (`$1`), locked for the rest of the write transaction.
    const FILE_LOCKED: &'static str;
    /// The file list's `WHERE` (see `file_filter!`).
    const FILE_FILTER: &'static str;
    /// `$3` bytes of file `$1`'s content from byte `$2` (1-based), read by the database
    /// so that a range never loads the whole file into the service.
    const FILE_RANGE: &'static str;
    /// A system by id (`$1`) that a write is about to reference: kept from being deleted
    /// until the transaction ends (PostgreSQL's `FOR KEY SHARE`), updates still free.
    const SYSTEM_REFERENCED: &'static str;
    /// The systems whose ids are in the string list `$1`.
    const SYSTEMS_BY_IDS: &'static str;
    /// An idea by id (`$1`), locked for the rest of the write transaction.
    const IDEA_LOCKED: &'static str;
    /// The idea list's `WHERE` (see `idea_filter!`).
    const IDEA_FILTER: &'static str;
    /// Idea counts of the last days and the mean time to completion (see `idea_recent!`).
    const IDEA_RECENT: &'static str;
    /// Per UTC day, what was created and completed (see `activity!`).
    const ACTIVITY: &'static str;
    /// Files whose original name or description match `$1` (see `file_search!`).
    const FILE_SEARCH: &'static str;
}

impl Dialect for Postgres {
    const SYSTEM_LOCKED: &'static str = concat!(system_by_id!(), " FOR UPDATE");
    const SYSTEM_FILTER: &'static str = system_filter!("ILIKE");
    // Released with the transaction; a replica that does not get it skips the round.
    const ROUND_LOCK: &'static str = "SELECT pg_try_advisory_xact_lock(3400) AS locked";
    const FILE_LOCKED: &'static str = concat!(file_by_id!(), " FOR UPDATE");
    const FILE_FILTER: &'static str = file_filter!("ILIKE");
    const FILE_RANGE: &'static str = "SELECT substring(content from $2 for $3) AS part \
         FROM documentation_file_contents WHERE file_id = $1";
    const SYSTEM_REFERENCED: &'static str = concat!(system_by_id!(), " FOR KEY SHARE");
    const SYSTEMS_BY_IDS: &'static str = concat!(
        "SELECT ",
        system_columns!(),
        " FROM documentation_systems WHERE id = ANY(CAST($1 AS UUID[]))"
    );
    const IDEA_LOCKED: &'static str = concat!(idea_by_id!(), " FOR UPDATE");
    const IDEA_FILTER: &'static str = idea_filter!("ILIKE");
    const IDEA_RECENT: &'static str =
        idea_recent!("EXTRACT(EPOCH FROM (completed_at - created_at))");
    const ACTIVITY: &'static str =
        activity!("CAST(FLOOR(EXTRACT(EPOCH FROM ", ") / 86400) AS BIGINT)");
    const FILE_SEARCH: &'static str = file_search!("ILIKE");
}

impl Dialect for Sqlite {
    const SYSTEM_LOCKED: &'static str = system_by_id!();
    // SQLite's LIKE ignores ASCII case already.
    const SYSTEM_FILTER: &'static str = system_filter!("LIKE");
    // BEGIN IMMEDIATE already holds the one writer.
    const ROUND_LOCK: &'static str = "SELECT TRUE AS locked";
    const FILE_LOCKED: &'static str = file_by_id!();
    const FILE_FILTER: &'static str = file_filter!("LIKE");
    const FILE_RANGE: &'static str = "SELECT substr(content, $2, $3) AS part FROM documentation_file_contents WHERE file_id = $1";
    // One writer: nothing can delete the system before the transaction ends.
    const SYSTEM_REFERENCED: &'static str = system_by_id!();
    const SYSTEMS_BY_IDS: &'static str = concat!(
        "SELECT ",
        system_columns!(),
        " FROM documentation_systems WHERE id IN (SELECT value FROM json_each($1))"
    );
    const IDEA_LOCKED: &'static str = idea_by_id!();
    const IDEA_FILTER: &'static str = idea_filter!("LIKE");
    // Times are microseconds.
    const IDEA_RECENT: &'static str = idea_recent!("((completed_at - created_at) / 1000000.0)");
    const ACTIVITY: &'static str = activity!("(", " / 86400000000)");
    const FILE_SEARCH: &'static str = file_search!("LIKE");
}

/// The audit log as a hypertable where the extension exists; compressed after 30 days
/// and kept 365 where the license allows. Systems, ideas and files are never retained away.
pub async fn apply_timescale(pool: &PgPool) {
    use shared::db::{Timescale, optional_step};
    let ts = Timescale::detect(pool).await;
    if !ts.hypertables {
        tracing::info!("timescaledb not installed: plain PostgreSQL tables");
        return;
    }
    optional_step(pool, "documentation_audit_log hypertable (1 day)",
        "SELECT create_hypertable('documentation_audit_log', 'created_at', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)").await;
    if !ts.policies {
        tracing::info!("timescaledb Apache license: compression and retention skipped");
        return;
    }
    optional_step(pool, "documentation_audit_log compression",
        "ALTER TABLE documentation_audit_log SET (timescaledb.compress, timescaledb.compress_segmentby = 'entity_type')").await;
    optional_step(pool, "documentation_audit_log compression policy (30 days)",
        "SELECT add_compression_policy('documentation_audit_log', INTERVAL '30 days', if_not_exists => TRUE)").await;
    optional_step(pool, "documentation_audit_log retention policy (365 days)",
        "SELECT add_retention_policy('documentation_audit_log', INTERVAL '365 days', if_not_exists => TRUE)").await;
}
