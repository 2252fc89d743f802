//! Files: metadata in `documentation_files`, bytes in `documentation_file_contents`, so
//! that lists and metadata never read the bytes. Reads on the pool, writes inside a
//! [`WriteTx`].

use shared::db::{Codec, on_reader, on_tx};
use sqlx::{AssertSqlSafe, Connection, Row};
use uuid::Uuid;

use super::dialect::Dialect;
use super::{Store, WriteTx};
use crate::domain::file::{File, FileOrder, FileQuery};
use crate::domain::file_stats::FileGroup;
use crate::domain::system::Direction;
use shared::db::like_pattern;

/// A parent a file may point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    Idea,
    System,
}

const IDEA_EXISTS: &str = "SELECT COUNT(*) AS n FROM documentation_ideas WHERE id = $1";
const SYSTEM_EXISTS: &str = "SELECT COUNT(*) AS n FROM documentation_systems WHERE id = $1";
const INSERT_FILE: &str = concat!(
    "INSERT INTO documentation_files (",
    file_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
);
const INSERT_CONTENT: &str =
    "INSERT INTO documentation_file_contents (file_id, content) VALUES ($1, $2)";
const UPDATE_FILE: &str = "UPDATE documentation_files SET description = $2, idea_id = $3, system_id = $4, \
     is_public = $5, updated_at = $6 WHERE id = $1";
const DELETE_CONTENT: &str = "DELETE FROM documentation_file_contents WHERE file_id = $1";
const DELETE_FILE: &str = "DELETE FROM documentation_files WHERE id = $1";
const COUNT_DOWNLOAD: &str = "UPDATE documentation_files SET download_count = download_count + 1 \
     WHERE id = $1 RETURNING download_count";
const CONTENT: &str = "SELECT content FROM documentation_file_contents WHERE file_id = $1";
/// Groups small enough to fold in the service: per type, uploader, visibility, idea
/// and size bucket (small < 1 MiB, medium < 10 MiB, large < 100 MiB, xlarge).
const FILE_GROUPS: &str = "SELECT mime_type, uploaded_by, is_public, idea_id, \
     CASE WHEN size_bytes < 1048576 THEN 'small' WHEN size_bytes < 10485760 THEN 'medium' \
     WHEN size_bytes < 104857600 THEN 'large' ELSE 'xlarge' END AS bucket, COUNT(*) AS n, \
     CAST(SUM(size_bytes) AS BIGINT) AS size, CAST(SUM(download_count) AS BIGINT) AS downloads \
     FROM documentation_files WHERE (NOT $1 OR is_public) GROUP BY 1, 2, 3, 4, 5";

/// Past this many bytes bound in one statement, the connection's buffers are given back.
const LARGE_WRITE: usize = 1024 * 1024;

fn order_clause(by: FileOrder, direction: Direction) -> String {
    let column = match by {
        FileOrder::CreatedAt => "created_at",
        FileOrder::UpdatedAt => "updated_at",
        FileOrder::SizeBytes => "size_bytes",
        FileOrder::DownloadCount => "download_count",
        FileOrder::OriginalName => "original_name",
    };
    let direction = match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    format!("{column} {direction}, id {direction}")
}

pub(super) fn file_row<D: Codec>(row: &D::Row) -> sqlx::Result<File> {
    Ok(File {
        id: D::get_uuid(row, "id")?,
        filename: D::get_text(row, "filename")?,
        original_name: D::get_text(row, "original_name")?,
        mime_type: D::get_text(row, "mime_type")?,
        size_bytes: D::get_i64(row, "size_bytes")?,
        checksum: D::get_text(row, "checksum")?,
        description: D::get_opt_text(row, "description")?,
        idea_id: D::get_opt_uuid(row, "idea_id")?,
        system_id: D::get_opt_uuid(row, "system_id")?,
        uploaded_by: D::get_text(row, "uploaded_by")?,
        is_public: D::get_bool(row, "is_public")?,
        download_count: D::get_i64(row, "download_count")?,
        created_at: D::get_time(row, "created_at")?,
        updated_at: D::get_time(row, "updated_at")?,
    })
}

macro_rules! bind_filter {
    ($query:expr, $D:ident, $q:expr, $pattern:expr, $hide_private:expr) => {
        $query
            .bind($q.system_id.map($D::uuid))
            .bind($q.idea_id.map($D::uuid))
            .bind($q.uploaded_by.as_deref())
            .bind($q.mime_type.as_deref())
            .bind($pattern)
            .bind($q.is_public)
            .bind($q.min_size)
            .bind($q.max_size)
            .bind($q.created_from.map($D::time))
            .bind($q.created_to.map($D::time))
            .bind($hide_private)
    };
}

impl Store {
    /// A page of files matching `q` and how many match in all.
    pub async fn files(&self, q: &FileQuery, hide_private: bool) -> sqlx::Result<(Vec<File>, i64)> {
        let pattern = q.search.as_deref().map(like_pattern);
        let pattern = pattern.as_deref();
        let order = order_clause(q.order_by, q.order_direction);
        self.db
            .timed("files.list", async {
                on_reader!(self.db, |pool, D| async {
                    // The ORDER BY is one of a fixed set, never client text.
                    let sql = format!(
                        concat!("SELECT ", file_columns!(), ", COUNT(*) OVER () AS total FROM documentation_files{} ORDER BY {} LIMIT $12 OFFSET $13"),
                        D::FILE_FILTER,
                        order
                    );
                    let rows = bind_filter!(sqlx::query(AssertSqlSafe(sql)), D, q, pattern, hide_private)
                        .bind(q.limit)
                        .bind(q.offset)
                        .fetch_all(pool)
                        .await?;
                    let total = match rows.first() {
                        Some(row) => row.try_get("total")?,
                        None if q.offset > 0 => {
                            let sql = format!("SELECT COUNT(*) AS n FROM documentation_files{}", D::FILE_FILTER);
                            bind_filter!(sqlx::query(AssertSqlSafe(sql)), D, q, pattern, hide_private)
                                .fetch_one(pool)
                                .await?
                                .try_get("n")?
                        }
                        None => 0,
                    };
                    let files = rows.iter().map(file_row::<D>).collect::<sqlx::Result<_>>()?;
                    Ok::<_, sqlx::Error>((files, total))
                })
            })
            .await
    }

    pub async fn file(&self, id: Uuid) -> sqlx::Result<Option<File>> {
        self.db
            .timed("files.get", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(file_by_id!())
                        .bind(D::uuid(id))
                        .fetch_optional(pool)
                        .await?
                        .as_ref()
                        .map(file_row::<D>)
                        .transpose()
                })
            })
            .await
    }

    /// Whether the idea or system exists (a read outside any write).
    pub async fn file_parent_exists(&self, parent: Parent, id: Uuid) -> sqlx::Result<bool> {
        let sql = match parent {
            Parent::Idea => IDEA_EXISTS,
            Parent::System => SYSTEM_EXISTS,
        };
        on_reader!(self.db, |pool, D| async {
            let n: i64 = sqlx::query(sql)
                .bind(D::uuid(id))
                .fetch_one(pool)
                .await?
                .try_get("n")?;
            Ok::<_, sqlx::Error>(n > 0)
        })
    }

    /// The whole content, or `None` when the file is gone.
    pub async fn file_content(&self, id: Uuid) -> sqlx::Result<Option<Vec<u8>>> {
        self.db
            .timed("files.content", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(CONTENT)
                        .bind(D::uuid(id))
                        .fetch_optional(pool)
                        .await?
                        .map(|row| D::get_bytes(&row, "content"))
                        .transpose()
                })
            })
            .await
    }

    /// `len` bytes from byte `start` (0-based), read by the database.
    pub async fn file_range(
        &self,
        id: Uuid,
        start: i32,
        len: i32,
    ) -> sqlx::Result<Option<Vec<u8>>> {
        self.db
            .timed("files.range", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(D::FILE_RANGE)
                        .bind(D::uuid(id))
                        .bind(start + 1)
                        .bind(len)
                        .fetch_optional(pool)
                        .await?
                        .map(|row| D::get_bytes(&row, "part"))
                        .transpose()
                })
            })
            .await
    }

    /// The groups the statistics are folded from, computed by the database.
    pub async fn file_groups(&self, hide_private: bool) -> sqlx::Result<Vec<FileGroup>> {
        self.db
            .timed("files.stats", async {
                on_reader!(self.db, |pool, D| async {
                    let rows = sqlx::query(FILE_GROUPS)
                        .bind(hide_private)
                        .fetch_all(pool)
                        .await?;
                    rows.iter()
                        .map(|row| {
                            Ok(FileGroup {
                                mime_type: D::get_text(row, "mime_type")?,
                                uploaded_by: D::get_text(row, "uploaded_by")?,
                                is_public: D::get_bool(row, "is_public")?,
                                idea_id: D::get_opt_uuid(row, "idea_id")?,
                                bucket: D::get_text(row, "bucket")?,
                                count: D::get_i64(row, "n")?,
                                size: D::get_opt_i64(row, "size")?.unwrap_or(0),
                                downloads: D::get_opt_i64(row, "downloads")?.unwrap_or(0),
                            })
                        })
                        .collect::<sqlx::Result<Vec<_>>>()
                })
            })
            .await
    }
}

impl WriteTx {
    pub async fn file(&mut self, id: Uuid) -> sqlx::Result<Option<File>> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(D::FILE_LOCKED)
                .bind(D::uuid(id))
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(file_row::<D>)
                .transpose()
        })
    }

    pub async fn file_parent_exists(&mut self, parent: Parent, id: Uuid) -> sqlx::Result<bool> {
        let sql = match parent {
            Parent::Idea => IDEA_EXISTS,
            Parent::System => SYSTEM_EXISTS,
        };
        on_tx!(&mut self.0, |conn, D| async {
            let n: i64 = sqlx::query(sql)
                .bind(D::uuid(id))
                .fetch_one(&mut *conn)
                .await?
                .try_get("n")?;
            Ok::<_, sqlx::Error>(n > 0)
        })
    }

    /// The metadata row and the content row.
    pub async fn insert_file(&mut self, f: &File, content: &[u8]) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(INSERT_FILE)
                .bind(D::uuid(f.id))
                .bind(f.filename.as_str())
                .bind(f.original_name.as_str())
                .bind(f.mime_type.as_str())
                .bind(f.size_bytes)
                .bind(f.checksum.as_str())
                .bind(f.description.as_deref())
                .bind(f.idea_id.map(D::uuid))
                .bind(f.system_id.map(D::uuid))
                .bind(f.uploaded_by.as_str())
                .bind(f.is_public)
                .bind(f.download_count)
                .bind(D::time(f.created_at))
                .bind(D::time(f.updated_at))
                .execute(&mut *conn)
                .await?;
            sqlx::query(INSERT_CONTENT)
                .bind(D::uuid(f.id))
                .bind(content)
                .execute(&mut *conn)
                .await?;
            if content.len() > LARGE_WRITE {
                conn.shrink_buffers();
            }
            Ok::<_, sqlx::Error>(())
        })
    }

    pub async fn update_file(&mut self, f: &File) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(UPDATE_FILE)
                .bind(D::uuid(f.id))
                .bind(f.description.as_deref())
                .bind(f.idea_id.map(D::uuid))
                .bind(f.system_id.map(D::uuid))
                .bind(f.is_public)
                .bind(D::time(f.updated_at))
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }

    /// The content row, then the metadata row.
    pub async fn delete_file(&mut self, id: Uuid) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(DELETE_CONTENT)
                .bind(D::uuid(id))
                .execute(&mut *conn)
                .await?;
            sqlx::query(DELETE_FILE)
                .bind(D::uuid(id))
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }

    /// One more download; the new count, or `None` when the file is gone.
    pub async fn count_download(&mut self, id: Uuid) -> sqlx::Result<Option<i64>> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(COUNT_DOWNLOAD)
                .bind(D::uuid(id))
                .fetch_optional(&mut *conn)
                .await?
                .map(|row| D::get_i64(&row, "download_count"))
                .transpose()
        })
    }
}
