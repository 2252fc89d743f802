//! Ideas: reads on the pool (each with its linked systems fetched in one more query, never
//! one per idea), writes inside a [`WriteTx`].

use std::collections::HashMap;

use shared::db::{Codec, on_reader, on_tx};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::dialect::Dialect;
use super::systems::system_row;
use super::{Store, WriteTx};
use crate::domain::idea::{Idea, IdeaCategory, IdeaPriority, IdeaStatus, IdeaView};
use crate::domain::idea_query::{IdeaOrder, IdeaQuery};
use crate::domain::system::{Direction, System, UNPAGED_CAP};
use shared::db::like_pattern;

/// The ORDER BY of the list: whitelisted fragments, never client text; every order ends
/// on `id` so pages are stable.
fn order_clause(by: IdeaOrder, direction: Direction) -> String {
    let d = match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    let key = match by {
        IdeaOrder::UpdatedAt => format!("updated_at {d}"),
        IdeaOrder::CreatedAt => format!("created_at {d}"),
        IdeaOrder::Title => format!("LOWER(title) {d}"),
        IdeaOrder::Priority => format!("{} {d}", priority_rank!()),
        IdeaOrder::Status => format!(
            "CASE status WHEN 'backlog' THEN 0 WHEN 'todo' THEN 1 WHEN 'in_progress' THEN 2 \
             WHEN 'review' THEN 3 WHEN 'done' THEN 4 ELSE 5 END {d}"
        ),
        // The engines disagree on where NULLs sort: ideas without a date go last in both.
        IdeaOrder::DueDate => {
            format!("CASE WHEN due_date IS NULL THEN 1 ELSE 0 END, due_date {d}")
        }
    };
    format!("{key}, id {d}")
}

fn idea_row<D: Codec>(row: &D::Row) -> sqlx::Result<Idea> {
    fn parsed<T>(column: &str, text: String, value: Option<T>) -> sqlx::Result<T> {
        value.ok_or_else(|| {
            sqlx::Error::Decode(
                format!("unexpected {column} {text:?} in the documentation database").into(),
            )
        })
    }
    let status = D::get_text(row, "status")?;
    let category = D::get_text(row, "category")?;
    let priority = D::get_text(row, "priority")?;
    Ok(Idea {
        id: D::get_uuid(row, "id")?,
        title: D::get_text(row, "title")?,
        description: D::get_opt_text(row, "description")?,
        status: parsed("status", status.clone(), IdeaStatus::parse(&status))?,
        category: parsed("category", category.clone(), IdeaCategory::parse(&category))?,
        priority: parsed("priority", priority.clone(), IdeaPriority::parse(&priority))?,
        assigned_to: D::get_opt_text(row, "assigned_to")?,
        created_by: D::get_text(row, "created_by")?,
        updated_by: D::get_opt_text(row, "updated_by")?,
        system_id: D::get_opt_uuid(row, "system_id")?,
        tags: D::get_strings(row, "tags")?,
        estimated_hours: D::get_opt_i64(row, "estimated_hours")?,
        actual_hours: D::get_opt_i64(row, "actual_hours")?,
        due_date: D::get_opt_time(row, "due_date")?,
        completed_at: D::get_opt_time(row, "completed_at")?,
        created_at: D::get_time(row, "created_at")?,
        updated_at: D::get_time(row, "updated_at")?,
    })
}

/// Binds every column of `i`, in the order of `idea_columns!`.
macro_rules! bind_idea {
    ($query:expr, $D:ident, $i:expr) => {
        $query
            .bind($D::uuid($i.id))
            .bind($i.title.as_str())
            .bind($i.description.as_deref())
            .bind($i.status.as_str())
            .bind($i.category.as_str())
            .bind($i.priority.as_str())
            .bind($i.assigned_to.as_deref())
            .bind($i.created_by.as_str())
            .bind($i.updated_by.as_deref())
            .bind($i.system_id.map($D::uuid))
            .bind($D::strings(&$i.tags))
            .bind($i.estimated_hours)
            .bind($i.actual_hours)
            .bind($i.due_date.map($D::time))
            .bind($i.completed_at.map($D::time))
            .bind($D::time($i.created_at))
            .bind($D::time($i.updated_at))
    };
}

/// Binds the list filter's six parameters.
macro_rules! bind_filter {
    ($query:expr, $D:ident, $q:expr, $pattern:expr) => {
        $query
            .bind($q.status.map(IdeaStatus::as_str))
            .bind($q.category.map(IdeaCategory::as_str))
            .bind($q.priority.map(IdeaPriority::as_str))
            .bind($q.system_id.map($D::uuid))
            .bind($q.assigned_to.as_deref())
            .bind($pattern.as_deref())
    };
}

const INSERT_IDEA: &str = concat!(
    "INSERT INTO documentation_ideas (",
    idea_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
);
const UPDATE_IDEA: &str = "UPDATE documentation_ideas SET title = $2, description = $3, status = $4, \
     category = $5, priority = $6, assigned_to = $7, created_by = $8, updated_by = $9, system_id = $10, \
     tags = $11, estimated_hours = $12, actual_hours = $13, due_date = $14, completed_at = $15, \
     created_at = $16, updated_at = $17 WHERE id = $1";
const DELETE_IDEA: &str = "DELETE FROM documentation_ideas WHERE id = $1";
/// Every column of the kanban, at most `$1` ideas each, urgent first, then newest.
const KANBAN: &str = concat!(
    "SELECT * FROM (SELECT ",
    idea_columns!(),
    ", ROW_NUMBER() OVER (PARTITION BY status ORDER BY ",
    priority_rank!(),
    " DESC, created_at DESC, id DESC) AS place FROM documentation_ideas) AS ranked \
     WHERE place <= $1 ORDER BY place"
);

impl Store {
    pub async fn ideas(&self, q: &IdeaQuery) -> sqlx::Result<(Vec<IdeaView>, i64)> {
        let pattern = q.search.as_deref().map(like_pattern);
        let order = order_clause(q.order_by, q.order_direction);
        let (ideas, total) = self
            .db
            .timed("ideas.list", async {
                on_reader!(self.db, |pool, D| async {
                    // Built at run time only for the ORDER BY, one of a fixed set.
                    let sql = format!(
                        concat!("SELECT ", idea_columns!(), ", COUNT(*) OVER () AS total FROM documentation_ideas{} ORDER BY {} LIMIT $7 OFFSET $8"),
                        D::IDEA_FILTER,
                        order
                    );
                    let rows = bind_filter!(sqlx::query(AssertSqlSafe(sql)), D, q, pattern)
                        .bind(q.effective_limit())
                        .bind(q.offset)
                        .fetch_all(pool)
                        .await?;
                    let total = match rows.first() {
                        Some(row) => row.try_get("total")?,
                        None if q.offset > 0 => {
                            let sql = format!("SELECT COUNT(*) AS n FROM documentation_ideas{}", D::IDEA_FILTER);
                            bind_filter!(sqlx::query(AssertSqlSafe(sql)), D, q, pattern)
                                .fetch_one(pool)
                                .await?
                                .try_get("n")?
                        }
                        None => 0,
                    };
                    let ideas = rows.iter().map(idea_row::<D>).collect::<sqlx::Result<Vec<_>>>()?;
                    Ok::<_, sqlx::Error>((ideas, total))
                })
            })
            .await?;
        Ok((self.with_systems(ideas).await?, total))
    }

    pub async fn idea(&self, id: Uuid) -> sqlx::Result<Option<IdeaView>> {
        let idea = self
            .db
            .timed("ideas.get", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(idea_by_id!())
                        .bind(D::uuid(id))
                        .fetch_optional(pool)
                        .await?
                        .as_ref()
                        .map(idea_row::<D>)
                        .transpose()
                })
            })
            .await?;
        match idea {
            Some(idea) => Ok(self.with_systems(vec![idea]).await?.pop()),
            None => Ok(None),
        }
    }

    /// Every idea by column, each column in kanban order (urgent first, then newest),
    /// at most [`UNPAGED_CAP`] per column.
    pub async fn kanban(&self) -> sqlx::Result<Vec<IdeaView>> {
        let ideas = self
            .db
            .timed("ideas.kanban", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(KANBAN)
                        .bind(UNPAGED_CAP)
                        .fetch_all(pool)
                        .await?
                        .iter()
                        .map(idea_row::<D>)
                        .collect::<sqlx::Result<Vec<_>>>()
                })
            })
            .await?;
        self.with_systems(ideas).await
    }

    /// The ideas with their systems, read in one query; a system deleted meanwhile is
    /// `null`.
    pub(super) async fn with_systems(&self, ideas: Vec<Idea>) -> sqlx::Result<Vec<IdeaView>> {
        let mut ids: Vec<String> = ideas
            .iter()
            .filter_map(|i| i.system_id.map(|id| id.to_string()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let systems: HashMap<Uuid, System> = if ids.is_empty() {
            HashMap::new()
        } else {
            on_reader!(self.db, |pool, D| async {
                sqlx::query(D::SYSTEMS_BY_IDS)
                    .bind(D::strings(&ids))
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(|row| system_row::<D>(row).map(|s| (s.id, s)))
                    .collect::<sqlx::Result<_>>()
            })?
        };
        Ok(ideas
            .into_iter()
            .map(|idea| {
                let system = idea.system_id.and_then(|id| systems.get(&id).cloned());
                IdeaView { idea, system }
            })
            .collect())
    }
}

impl WriteTx {
    /// The idea, locked for the rest of the transaction.
    pub async fn idea(&mut self, id: Uuid) -> sqlx::Result<Option<Idea>> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(D::IDEA_LOCKED)
                .bind(D::uuid(id))
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(idea_row::<D>)
                .transpose()
        })
    }

    /// The system a write links to, kept from deletion until the transaction ends.
    pub async fn referenced_system(&mut self, id: Uuid) -> sqlx::Result<Option<System>> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(D::SYSTEM_REFERENCED)
                .bind(D::uuid(id))
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(system_row::<D>)
                .transpose()
        })
    }

    pub async fn insert_idea(&mut self, i: &Idea) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            bind_idea!(sqlx::query(INSERT_IDEA), D, i)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }

    pub async fn update_idea(&mut self, i: &Idea) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            bind_idea!(sqlx::query(UPDATE_IDEA), D, i)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }

    pub async fn delete_idea(&mut self, id: Uuid) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(DELETE_IDEA)
                .bind(D::uuid(id))
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }
}
