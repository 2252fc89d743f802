//! The SQL both engines accept as written: shared fragments as macros (so that each
//! statement stays one literal through `concat!`, never text assembled at run time), then
//! the statements themselves.

/// The columns of an item, in the order `INSERT_ITEM` binds them.
macro_rules! item_columns {
    () => {
        "id, title, description, category, priority, status, tags, metadata, version, created_at, updated_at, created_by, updated_by"
    };
}

/// An item by id (`$1`) within the creation times it can have (`$2`..`$3`: the millisecond
/// its UUIDv7 names), which lets a hypertable search a single chunk.
macro_rules! item_by_id {
    () => {
        concat!(
            "SELECT ",
            item_columns!(),
            " FROM workspace_items WHERE id = $1 AND created_at >= $2 AND created_at < $3"
        )
    };
}

macro_rules! category_by_name {
    () => {
        "SELECT name, display_name, description, color, icon, display_order, is_active, created_at, updated_at, created_by \
         FROM workspace_categories WHERE name = $1"
    };
}

macro_rules! items_in_category {
    () => {
        concat!(
            "SELECT ",
            item_columns!(),
            " FROM workspace_items WHERE category = $1"
        )
    };
}

// What a write records. The audit row binds `$1`..`$12`, the item `$13`..`$25` (all
// thirteen even where a statement needs only its key) and `$26` whether the item moves to
// another category, so that one function binds every combination. An update also binds
// `$27`, the audit rows of the later updates of its run (a JSON array, in the dialect's
// column encoding), and `$28`, the version it was decided on.

macro_rules! insert_audit {
    () => {
        "INSERT INTO workspace_audit_log (id, entity_type, entity_id, action, old_values, new_values, changed_fields, \
         actor, ip_address, user_agent, request_id, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    };
}

/// `id` and `created_at` find the row (and its chunk).
macro_rules! update_item {
    () => {
        "UPDATE workspace_items SET title = $14, description = $15, category = $16, priority = $17, status = $18, \
         tags = $19, metadata = $20, version = $21, updated_at = $23, created_by = $24, updated_by = $25 \
         WHERE id = $13 AND created_at = $22"
    };
}

/// An item brought over by `import`, which keeps its category's activity as it was.
macro_rules! insert_item {
    () => {
        concat!(
            "INSERT INTO workspace_items (",
            item_columns!(),
            ") VALUES ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
        )
    };
}

macro_rules! delete_item {
    () => {
        "DELETE FROM workspace_items WHERE id = $13 AND created_at = $22"
    };
}

/// The columns of an audit row, in the order `$1`..`$12` bind them.
macro_rules! audit_columns {
    () => {
        "id, entity_type, entity_id, action, old_values, new_values, changed_fields, actor, ip_address, user_agent, request_id, changed_at"
    };
}

/// An audit row from `$1`..`$12` as a SELECT, so that a dialect can make it conditional.
macro_rules! audit_select {
    () => {
        concat!(
            "INSERT INTO workspace_audit_log (",
            audit_columns!(),
            ") SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12"
        )
    };
}

/// The item change of a guarded write, which changes nothing unless what the service
/// decided on still holds: the category it found active (`$16`, on create, or on an
/// update when `$26` says the item moves) and the version it read (`$28` on update, `$21`
/// on delete). `$lock` locks the category row read.
macro_rules! guarded_insert_item {
    ($lock:expr) => {
        concat!(
            "INSERT INTO workspace_items (",
            item_columns!(),
            ") SELECT $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25 \
             WHERE EXISTS (SELECT 1 FROM workspace_categories WHERE name = $16 AND is_active",
            $lock,
            ")"
        )
    };
}

macro_rules! guarded_update_item {
    ($lock:expr) => {
        concat!(
            update_item!(),
            " AND version = $28 AND (NOT $26 OR EXISTS \
             (SELECT 1 FROM workspace_categories WHERE name = $16 AND is_active",
            $lock,
            "))"
        )
    };
}

macro_rules! guarded_delete_item {
    () => {
        concat!(delete_item!(), " AND version = $21")
    };
}

/// The statements that write an audit row and the change mark with the change they
/// record, all at once. `$one!` is the dialect's way of running statements as one:
/// `together` runs them all; `guarded` runs a guarded item change, then the audit row
/// and the mark only if it changed a row, and answers how many it changed (`n`);
/// `guarded_run` does the same with the audit rows of `$27` after the first. `$lock` is
/// how the dialect locks the category row a guard reads.
pub(super) struct Records {
    /// The audit row of a change made by earlier statements of the transaction.
    pub audit: &'static str,
    /// An item update (in a transaction holding the item's lock).
    pub update_item: &'static str,
    /// An imported item (in a transaction that found no item of its id).
    pub insert_item: &'static str,
    pub guarded_insert_item: &'static str,
    pub guarded_update_item: &'static str,
    pub guarded_delete_item: &'static str,
}

macro_rules! records {
    ($one:ident, $mark:expr, $lock:expr) => {
        $crate::repo::sql::Records {
            audit: $one!(together $mark, insert_audit!()),
            update_item: $one!(together $mark, insert_audit!(), update_item!()),
            insert_item: $one!(together $mark, insert_audit!(), insert_item!()),
            guarded_insert_item: $one!(guarded $mark, guarded_insert_item!($lock)),
            guarded_update_item: $one!(guarded_run $mark, guarded_update_item!($lock)),
            guarded_delete_item: $one!(guarded $mark, guarded_delete_item!()),
        }
    };
}

// Statements both engines accept as they are.

pub(super) const CATEGORIES: &str = "SELECT name, display_name, description, color, icon, display_order, is_active, created_at, updated_at, created_by \
     FROM workspace_categories ORDER BY display_order, name";
pub(super) const ACTIVE_CATEGORY_NAMES: &str =
    "SELECT name FROM workspace_categories WHERE is_active ORDER BY display_order, name";
pub(super) const NEXT_DISPLAY_ORDER: &str =
    "SELECT COALESCE(MAX(display_order), 0) + 1 AS n FROM workspace_categories";
pub(super) const INSERT_CATEGORY: &str = "INSERT INTO workspace_categories (name, display_name, description, color, icon, display_order, is_active, created_at, updated_at, created_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(super) const UPDATE_CATEGORY: &str = "UPDATE workspace_categories SET name = $2, display_name = $3, description = $4, color = $5, icon = $6, \
     display_order = $7, is_active = $8, updated_at = $9 WHERE name = $1";
pub(super) const DELETE_CATEGORY: &str = "DELETE FROM workspace_categories WHERE name = $1";
pub(super) const ITEM_STATS: &str =
    "SELECT category, status, priority, COUNT(*) AS n FROM workspace_items GROUP BY 1, 2, 3";
pub(super) const AUDIT_PAGE: &str = "SELECT *, COUNT(*) OVER () AS total FROM workspace_audit_log \
     WHERE (CAST($1 AS TEXT) IS NULL OR entity_type = $1) AND (CAST($2 AS TEXT) IS NULL OR entity_id = $2) \
     AND (CAST($3 AS TEXT) IS NULL OR action = $3) ORDER BY changed_at DESC, id DESC LIMIT $4 OFFSET $5";
pub(super) const AUDIT_COUNT: &str = "SELECT COUNT(*) AS n FROM workspace_audit_log \
     WHERE (CAST($1 AS TEXT) IS NULL OR entity_type = $1) AND (CAST($2 AS TEXT) IS NULL OR entity_id = $2) \
     AND (CAST($3 AS TEXT) IS NULL OR action = $3)";
/// How many audit rows an entity (`$1` type, `$2` id) has: none for a category the
/// migration seeded and nobody changed since.
pub(super) const HISTORY: &str =
    "SELECT COUNT(*) AS n FROM workspace_audit_log WHERE entity_type = $1 AND entity_id = $2";
/// The sum of the change counters (PostgreSQL keeps several, SQLite one): it grows by one
/// with every committed write, so an unchanged sum means unchanged data.
pub(super) const CHANGE_VERSION: &str =
    "SELECT CAST(SUM(version) AS BIGINT) AS version FROM workspace_changes";
