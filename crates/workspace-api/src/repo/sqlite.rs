//! Embedded SQLite: timestamps are INTEGER microseconds, ids TEXT, and tags, metadata and
//! audit images JSON text. Writes go through the single writer connection with
//! `BEGIN IMMEDIATE`, so two writers queue instead of failing mid-transaction, and need no
//! row locks.

use sqlx::Sqlite;

use super::queries::Dialect;
use super::sql::Records;

/// Statements as one, on the terms of `records!`: SQLite runs them in turn, each reading
/// its own `$N` of the binds (inside the writer's transaction). A guarded change's audit
/// row and mark ask `changes()`, the row count of the statement before, so they happen
/// only with it; the last statement reports the count.
macro_rules! in_turn {
    (together $last:expr, $a:expr) => {
        concat!($a, "; ", $last)
    };
    (together $last:expr, $a:expr, $b:expr) => {
        concat!($a, "; ", $b, "; ", $last)
    };
    (guarded $mark:expr, $change:expr) => {
        concat!($change, "; ", audit_select!(), if_changed!($mark))
    };
    // The later rows follow the mark, which changed a row only if the change did; the
    // count is then that of the first audit row, written only with the change.
    (guarded_run $mark:expr, $change:expr) => {
        concat!(
            $change,
            "; ",
            audit_select!(),
            " WHERE changes() > 0; ",
            $mark,
            " AND changes() > 0; INSERT INTO workspace_audit_log (",
            audit_columns!(),
            ") SELECT json_extract(value, '$.id'), json_extract(value, '$.entity_type'), \
             json_extract(value, '$.entity_id'), json_extract(value, '$.action'), json_extract(value, '$.old_values'), \
             json_extract(value, '$.new_values'), json_extract(value, '$.changed_fields'), json_extract(value, '$.actor'), \
             json_extract(value, '$.ip_address'), json_extract(value, '$.user_agent'), json_extract(value, '$.request_id'), \
             json_extract(value, '$.changed_at') FROM json_each($27) WHERE changes() > 0; \
             SELECT COUNT(*) AS n FROM workspace_audit_log WHERE id = $1 AND changed_at = $12"
        )
    };
}

/// Ends the audit row's SELECT and runs `$mark`, each only if the statement before changed
/// a row, then reports that count.
macro_rules! if_changed {
    ($mark:expr) => {
        concat!(
            " WHERE changes() > 0; ",
            $mark,
            " AND changes() > 0; SELECT changes() AS n"
        )
    };
}

impl Dialect for Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    // One writer at a time: one counter is enough, and no row locks.
    const RECORDS: Records = records!(
        in_turn,
        "UPDATE workspace_changes SET version = version + 1 WHERE id = 1",
        ""
    );
    const GUARDED_NEEDS_TRANSACTION: bool = true;
    const ITEM_FILTER: &'static str = "WHERE ($1 IS NULL OR category = $1) AND ($2 IS NULL OR status = $2) \
         AND ($3 IS NULL OR priority = $3) \
         AND ($4 IS NULL OR title LIKE $4 ESCAPE '\\' OR description LIKE $4 ESCAPE '\\' \
              OR EXISTS (SELECT 1 FROM json_each(workspace_items.tags) WHERE json_each.value LIKE $4 ESCAPE '\\'))";
    const CATEGORY_LOCKED: &'static str = category_by_name!();
    const ITEMS_IN_CATEGORY_LOCKED: &'static str = items_in_category!();
}
