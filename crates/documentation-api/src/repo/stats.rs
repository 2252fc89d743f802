//! The statistics' SQL: counts and sums grouped in the database, never rows counted here.

use chrono::{DateTime, Utc};
use shared::db::{Codec, on_reader};

use super::Store;
use super::dialect::Dialect;
use super::files::file_row;
use crate::domain::file::File;
use crate::domain::stats::{CountSize, FileFigures, IdeaFigures, PortRange};
use shared::db::like_pattern;

const PORT_RANGE: &str = "SELECT MIN(port) AS lo, MAX(port) AS hi FROM documentation_systems";
const IDEA_GROUPS: &str = "SELECT status, category, priority, COUNT(*) AS n FROM documentation_ideas \
     GROUP BY status, category, priority";
/// Per (type, visibility): count, bytes, downloads and the four size classes. The sums
/// are cast because PostgreSQL sums BIGINTs as NUMERIC.
const FILE_GROUPS: &str = "SELECT mime_type, is_public, COUNT(*) AS n, \
     CAST(SUM(size_bytes) AS BIGINT) AS size, CAST(SUM(download_count) AS BIGINT) AS downloads, \
     COUNT(CASE WHEN size_bytes < 1048576 THEN 1 END) AS small, \
     COUNT(CASE WHEN size_bytes >= 1048576 AND size_bytes < 10485760 THEN 1 END) AS medium, \
     COUNT(CASE WHEN size_bytes >= 10485760 AND size_bytes < 104857600 THEN 1 END) AS large, \
     COUNT(CASE WHEN size_bytes >= 104857600 THEN 1 END) AS xlarge \
     FROM documentation_files GROUP BY mime_type, is_public";
const FILE_UPLOADERS: &str =
    "SELECT uploaded_by, COUNT(*) AS n FROM documentation_files GROUP BY uploaded_by";
const FILE_IDEAS: &str = "SELECT idea_id, COUNT(*) AS n FROM documentation_files \
     WHERE idea_id IS NOT NULL GROUP BY idea_id";

/// What `IDEA_RECENT` finds.
pub struct IdeaTimes {
    pub created_recently: i64,
    pub completed_recently: i64,
    /// Mean seconds from creation to completion of the completed ideas.
    pub completion_seconds: Option<f64>,
}

/// One group of `ACTIVITY`: what (`systems_created`, ...), the day number since the
/// epoch (UTC), and how many.
pub struct ActivityCount {
    pub kind: String,
    pub day: i64,
    pub n: i64,
}

impl Store {
    pub async fn port_range(&self) -> sqlx::Result<Option<PortRange>> {
        on_reader!(self.db, |pool, D| async {
            let row = sqlx::query(PORT_RANGE).fetch_one(pool).await?;
            let lo = D::get_opt_i64(&row, "lo")?;
            let hi = D::get_opt_i64(&row, "hi")?;
            Ok::<_, sqlx::Error>(lo.zip(hi).map(|(min, max)| PortRange { min, max }))
        })
    }

    /// The counts of the ideas by status, category and priority; the recent window
    /// opens at `since`.
    pub async fn idea_counts(
        &self,
        since: DateTime<Utc>,
    ) -> sqlx::Result<(IdeaFigures, IdeaTimes)> {
        self.db
            .timed("stats.ideas", async {
                on_reader!(self.db, |pool, D| async {
                    let mut figures = IdeaFigures::default();
                    for row in sqlx::query(IDEA_GROUPS).fetch_all(pool).await? {
                        figures.add(
                            &D::get_text(&row, "status")?,
                            &D::get_text(&row, "category")?,
                            &D::get_text(&row, "priority")?,
                            D::get_i64(&row, "n")?,
                        );
                    }
                    let row = sqlx::query(D::IDEA_RECENT)
                        .bind(D::time(since))
                        .fetch_one(pool)
                        .await?;
                    let times = IdeaTimes {
                        created_recently: D::get_i64(&row, "created_recently")?,
                        completed_recently: D::get_i64(&row, "completed_recently")?,
                        completion_seconds: D::get_f64(&row, "completion_seconds")?,
                    };
                    Ok::<_, sqlx::Error>((figures, times))
                })
            })
            .await
    }

    /// The files' counts and sums (the derived figures are left at zero).
    pub async fn file_counts(&self) -> sqlx::Result<FileFigures> {
        self.db
            .timed("stats.files", async {
                on_reader!(self.db, |pool, D| async {
                    let mut f = FileFigures::default();
                    for row in sqlx::query(FILE_GROUPS).fetch_all(pool).await? {
                        let n = D::get_i64(&row, "n")?;
                        let size = D::get_opt_i64(&row, "size")?.unwrap_or(0);
                        f.total += n;
                        f.total_size += size;
                        f.total_downloads += D::get_opt_i64(&row, "downloads")?.unwrap_or(0);
                        let mime = f
                            .by_mime_type
                            .entry(D::get_text(&row, "mime_type")?)
                            .or_default();
                        mime.count += n;
                        mime.size += size;
                        let visibility = if D::get_bool(&row, "is_public")? {
                            &mut f.by_visibility.public
                        } else {
                            &mut f.by_visibility.private
                        };
                        *visibility = CountSize {
                            count: visibility.count + n,
                            size: visibility.size + size,
                        };
                        f.size_distribution.small += D::get_i64(&row, "small")?;
                        f.size_distribution.medium += D::get_i64(&row, "medium")?;
                        f.size_distribution.large += D::get_i64(&row, "large")?;
                        f.size_distribution.xlarge += D::get_i64(&row, "xlarge")?;
                    }
                    f.total_size_bytes = f.total_size;
                    for row in sqlx::query(FILE_UPLOADERS).fetch_all(pool).await? {
                        f.by_uploader
                            .insert(D::get_text(&row, "uploaded_by")?, D::get_i64(&row, "n")?);
                    }
                    for row in sqlx::query(FILE_IDEAS).fetch_all(pool).await? {
                        f.by_idea.insert(
                            D::get_uuid(&row, "idea_id")?.to_string(),
                            D::get_i64(&row, "n")?,
                        );
                    }
                    Ok::<_, sqlx::Error>(f)
                })
            })
            .await
    }

    /// What was created and completed in [`from`, `to`), per UTC day.
    pub async fn activity(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> sqlx::Result<Vec<ActivityCount>> {
        self.db
            .timed("stats.activity", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(D::ACTIVITY)
                        .bind(D::time(from))
                        .bind(D::time(to))
                        .fetch_all(pool)
                        .await?
                        .iter()
                        .map(|row| {
                            Ok(ActivityCount {
                                kind: D::get_text(row, "kind")?,
                                day: D::get_i64(row, "day")?,
                                n: D::get_i64(row, "n")?,
                            })
                        })
                        .collect::<sqlx::Result<Vec<_>>>()
                })
            })
            .await
    }

    /// Files whose original name or description contain `text` (any case), newest first;
    /// without private files when `hide_private`.
    pub async fn search_files(
        &self,
        text: &str,
        limit: i64,
        hide_private: bool,
    ) -> sqlx::Result<Vec<File>> {
        let pattern = like_pattern(text);
        self.db
            .timed("stats.search_files", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(D::FILE_SEARCH)
                        .bind(pattern.as_str())
                        .bind(limit)
                        .bind(hide_private)
                        .fetch_all(pool)
                        .await?
                        .iter()
                        .map(file_row::<D>)
                        .collect::<sqlx::Result<Vec<_>>>()
                })
            })
            .await
    }
}
