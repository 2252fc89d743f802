//! Column lists and statement fragments as macros, so that each statement, shared or
//! per engine, stays one literal through `concat!` (never text assembled at run time).

macro_rules! system_columns {
    () => {
        "id, name, description, type, url, status, last_checked, response_time_ms, last_http_status, \
         last_message, version, owner, tags, metadata, icon, color, host, port, created_by, updated_by, \
         created_at, updated_at"
    };
}

macro_rules! system_by_id {
    () => {
        concat!(
            "SELECT ",
            system_columns!(),
            " FROM documentation_systems WHERE id = $1"
        )
    };
}

/// The list's `WHERE`: `$1` status, `$2` type, `$3` owner, `$4` search pattern (name or
/// description); `$like` is the engine's case-insensitive LIKE.
macro_rules! system_filter {
    ($like:literal) => {
        concat!(
            " WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) AND (CAST($2 AS TEXT) IS NULL OR type = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR owner = $3) AND (CAST($4 AS TEXT) IS NULL OR name ",
            $like,
            " $4 ESCAPE '\\' OR description ",
            $like,
            " $4 ESCAPE '\\')"
        )
    };
}
