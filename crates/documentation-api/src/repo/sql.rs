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

macro_rules! idea_columns {
    () => {
        "id, title, description, status, category, priority, assigned_to, created_by, updated_by, system_id, \
         tags, estimated_hours, actual_hours, due_date, completed_at, created_at, updated_at"
    };
}

macro_rules! idea_by_id {
    () => {
        concat!(
            "SELECT ",
            idea_columns!(),
            " FROM documentation_ideas WHERE id = $1"
        )
    };
}

/// Urgent highest, as the kanban and `order_by=priority` rank ideas.
macro_rules! priority_rank {
    () => {
        "CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END"
    };
}

/// The idea list's `WHERE`: `$1` status, `$2` category, `$3` priority, `$4` system id,
/// `$5` assignee, `$6` search pattern (title or description); `$like` as in `system_filter!`.
macro_rules! idea_filter {
    ($like:literal) => {
        concat!(
            " WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) AND (CAST($2 AS TEXT) IS NULL OR category = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR priority = $3) AND ($4 IS NULL OR system_id = $4) \
             AND (CAST($5 AS TEXT) IS NULL OR assigned_to = $5) AND (CAST($6 AS TEXT) IS NULL OR title ",
            $like,
            " $6 ESCAPE '\\' OR description ",
            $like,
            " $6 ESCAPE '\\')"
        )
    };
}

/// `$1` the start of the recent window; `$secs` the engine's seconds from creation to
/// completion.
macro_rules! idea_recent {
    ($secs:literal) => {
        concat!(
            "SELECT COUNT(CASE WHEN created_at >= $1 THEN 1 END) AS created_recently, \
             COUNT(CASE WHEN completed_at >= $1 THEN 1 END) AS completed_recently, \
             CAST(AVG(CASE WHEN status = 'done' THEN ",
            $secs,
            " END) AS DOUBLE PRECISION) AS completion_seconds FROM documentation_ideas"
        )
    };
}

/// Counts per UTC day (`$open column $close`: the engine's day number since the epoch)
/// of what happened in [`$1`, `$2`).
macro_rules! activity {
    ($open:literal, $close:literal) => {
        concat!(
            "SELECT 'systems_created' AS kind, ",
            $open,
            "created_at",
            $close,
            " AS day, COUNT(*) AS n \
             FROM documentation_systems WHERE created_at >= $1 AND created_at < $2 GROUP BY ",
            $open,
            "created_at",
            $close,
            " UNION ALL SELECT 'ideas_created', ",
            $open,
            "created_at",
            $close,
            ", COUNT(*) \
             FROM documentation_ideas WHERE created_at >= $1 AND created_at < $2 GROUP BY ",
            $open,
            "created_at",
            $close,
            " UNION ALL SELECT 'ideas_completed', ",
            $open,
            "completed_at",
            $close,
            ", COUNT(*) \
             FROM documentation_ideas WHERE completed_at >= $1 AND completed_at < $2 GROUP BY ",
            $open,
            "completed_at",
            $close,
            " UNION ALL SELECT 'files_uploaded', ",
            $open,
            "created_at",
            $close,
            ", COUNT(*) \
             FROM documentation_files WHERE created_at >= $1 AND created_at < $2 GROUP BY ",
            $open,
            "created_at",
            $close
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

/// Files whose original name or description match the pattern `$1`, newest first, at
/// most `$2`; `$3` true to leave private files out.
macro_rules! file_search {
    ($like:literal) => {
        concat!(
            "SELECT ",
            file_columns!(),
            " FROM documentation_files WHERE (original_name ",
            $like,
            " $1 ESCAPE '\\' OR description ",
            $like,
            " $1 ESCAPE '\\') AND (NOT $3 OR is_public) ORDER BY created_at DESC, id DESC LIMIT $2"
        )
    };
}
