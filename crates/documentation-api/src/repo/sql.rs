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

macro_rules! file_columns {
    () => {
        "id, filename, original_name, mime_type, size_bytes, checksum, description, idea_id, system_id, \
         uploaded_by, is_public, download_count, created_at, updated_at"
    };
}

macro_rules! file_by_id {
    () => {
        concat!(
            "SELECT ",
            file_columns!(),
            " FROM documentation_files WHERE id = $1"
        )
    };
}

/// The file list's `WHERE`: `$1` system, `$2` idea, `$3` uploader, `$4` type, `$5`
/// search pattern (original name or description), `$6` visibility, `$7`/`$8` sizes,
/// `$9`/`$10` creation times, `$11` true to hide private files; `$like` is the
/// engine's case-insensitive LIKE.
macro_rules! file_filter {
    ($like:literal) => {
        concat!(
            " WHERE ($1 IS NULL OR system_id = $1) AND ($2 IS NULL OR idea_id = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR uploaded_by = $3) AND (CAST($4 AS TEXT) IS NULL OR mime_type = $4) \
             AND (CAST($5 AS TEXT) IS NULL OR original_name ",
            $like,
            " $5 ESCAPE '\\' OR description ",
            $like,
            " $5 ESCAPE '\\') AND ($6 IS NULL OR is_public = $6) AND ($7 IS NULL OR size_bytes >= $7) \
             AND ($8 IS NULL OR size_bytes <= $8) AND ($9 IS NULL OR created_at >= $9) \
             AND ($10 IS NULL OR created_at <= $10) AND (NOT $11 OR is_public)"
        )
    };
}
