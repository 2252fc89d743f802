//! Systems: reads on the pool, writes inside a [`WriteTx`].

use serde_json::Value;
use shared::db::{Codec, on_reader, on_tx};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::dialect::Dialect;
use super::{Store, WriteTx};
use crate::domain::system::{
    Direction, System, SystemOrder, SystemQuery, SystemStats, SystemStatus, SystemType,
};

/// The ORDER BY of the list: whitelisted fragments, never client text; every order ends
/// on `id` so pages are stable.
fn order_clause(by: SystemOrder, direction: Direction) -> String {
    let column = match by {
        SystemOrder::UpdatedAt => "updated_at",
        SystemOrder::CreatedAt => "created_at",
        SystemOrder::Name => "name_key",
        SystemOrder::Status => "status",
        SystemOrder::Type => "type",
        SystemOrder::ResponseTime => "response_time_ms",
        SystemOrder::LastChecked => "last_checked",
    };
    let direction = match direction {
        Direction::Asc => "ASC",
        Direction::Desc => "DESC",
    };
    format!("{column} {direction}, id {direction}")
}

pub(super) fn system_row<D: Codec>(row: &D::Row) -> sqlx::Result<System> {
    let parsed = |column: &str, text: String| {
        sqlx::Error::Decode(
            format!("unexpected {column} {text:?} in the documentation database").into(),
        )
    };
    let system_type = D::get_text(row, "type")?;
    let status = D::get_text(row, "status")?;
    Ok(System {
        id: D::get_uuid(row, "id")?,
        name: D::get_text(row, "name")?,
        description: D::get_opt_text(row, "description")?,
        system_type: SystemType::parse(&system_type).ok_or_else(|| parsed("type", system_type))?,
        url: D::get_opt_text(row, "url")?,
        status: SystemStatus::parse(&status).ok_or_else(|| parsed("status", status))?,
        last_checked: D::get_opt_time(row, "last_checked")?,
        response_time_ms: D::get_opt_i64(row, "response_time_ms")?,
        last_http_status: D::get_opt_i64(row, "last_http_status")?,
        last_message: D::get_opt_text(row, "last_message")?,
        version: D::get_opt_text(row, "version")?,
        owner: D::get_opt_text(row, "owner")?,
        tags: D::get_strings(row, "tags")?,
        metadata: match D::get_json(row, "metadata")? {
            Some(Value::Object(map)) => Some(map),
            _ => None,
        },
        icon: D::get_opt_text(row, "icon")?,
        color: D::get_opt_text(row, "color")?,
        host: D::get_opt_text(row, "host")?,
        port: D::get_opt_i64(row, "port")?,
        created_by: D::get_opt_text(row, "created_by")?,
        updated_by: D::get_opt_text(row, "updated_by")?,
        created_at: D::get_time(row, "created_at")?,
        updated_at: D::get_time(row, "updated_at")?,
    })
}

/// Binds every column of `s`, in the order of `system_columns!`, then its name key.
macro_rules! bind_system {
    ($query:expr, $D:ident, $s:expr, $metadata:expr) => {
        $query
            .bind($D::uuid($s.id))
            .bind($s.name.as_str())
            .bind($s.description.as_deref())
            .bind($s.system_type.as_str())
            .bind($s.url.as_deref())
            .bind($s.status.as_str())
            .bind($s.last_checked.map($D::time))
            .bind($s.response_time_ms)
            .bind($s.last_http_status)
            .bind($s.last_message.as_deref())
            .bind($s.version.as_deref())
            .bind($s.owner.as_deref())
            .bind($D::strings(&$s.tags))
            .bind($metadata.as_ref().map($D::json))
            .bind($s.icon.as_deref())
            .bind($s.color.as_deref())
            .bind($s.host.as_deref())
            .bind($s.port)
            .bind($s.created_by.as_deref())
            .bind($s.updated_by.as_deref())
            .bind($D::time($s.created_at))
            .bind($D::time($s.updated_at))
            .bind(System::name_key(&$s.name))
    };
}

const INSERT_SYSTEM: &str = concat!(
    "INSERT INTO documentation_systems (",
    system_columns!(),
    ", name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
);
const UPDATE_SYSTEM: &str = "UPDATE documentation_systems SET name = $2, description = $3, type = $4, url = $5, \
     status = $6, last_checked = $7, response_time_ms = $8, last_http_status = $9, last_message = $10, version = $11, \
     owner = $12, tags = $13, metadata = $14, icon = $15, color = $16, host = $17, port = $18, created_by = $19, \
     updated_by = $20, created_at = $21, updated_at = $22, name_key = $23 WHERE id = $1";
const DELETE_SYSTEM: &str = "DELETE FROM documentation_systems WHERE id = $1";
/// The sum is cast: PostgreSQL sums BIGINTs as NUMERIC and SQLite integers as INTEGER,
/// neither of which reads as a float.
const SYSTEM_STATS: &str = "SELECT status, type, owner, COUNT(*) AS n, CAST(SUM(response_time_ms) AS DOUBLE PRECISION) AS time_sum, \
     COUNT(response_time_ms) AS timed FROM documentation_systems GROUP BY status, type, owner";
const SYSTEM_EXISTS: &str = "SELECT COUNT(*) AS n FROM documentation_systems WHERE id = $1";

fn metadata(s: &System) -> Option<Value> {
    s.metadata.clone().map(Value::Object)
}

impl Store {
    pub async fn systems(&self, q: &SystemQuery) -> sqlx::Result<(Vec<System>, i64)> {
        let pattern = q.search.as_deref().map(shared::db::like_pattern);
        let order = order_clause(q.order_by, q.order_direction);
        self.db
            .timed("systems.list", async {
                on_reader!(self.db, |pool, D| async {
                    // The one statement built at run time: the ORDER BY is one of a fixed set.
                    let sql = format!(
                        concat!("SELECT ", system_columns!(), ", COUNT(*) OVER () AS total FROM documentation_systems{} ORDER BY {} LIMIT $5 OFFSET $6"),
                        D::SYSTEM_FILTER,
                        order
                    );
                    let rows = sqlx::query(AssertSqlSafe(sql))
                        .bind(q.status.map(SystemStatus::as_str))
                        .bind(q.system_type.map(SystemType::as_str))
                        .bind(q.owner.as_deref())
                        .bind(pattern.as_deref())
                        .bind(q.effective_limit())
                        .bind(q.offset)
                        .fetch_all(pool)
                        .await?;
                    let total = match rows.first() {
                        Some(row) => row.try_get("total")?,
                        None if q.offset > 0 => {
                            let sql = format!("SELECT COUNT(*) AS n FROM documentation_systems{}", D::SYSTEM_FILTER);
                            sqlx::query(AssertSqlSafe(sql))
                                .bind(q.status.map(SystemStatus::as_str))
                                .bind(q.system_type.map(SystemType::as_str))
                                .bind(q.owner.as_deref())
                                .bind(pattern.as_deref())
                                .fetch_one(pool)
                                .await?
                                .try_get("n")?
                        }
                        None => 0,
                    };
                    let systems = rows.iter().map(system_row::<D>).collect::<sqlx::Result<_>>()?;
                    Ok::<_, sqlx::Error>((systems, total))
                })
            })
            .await
    }

    pub async fn system(&self, id: Uuid) -> sqlx::Result<Option<System>> {
        self.db
            .timed("systems.get", async {
                on_reader!(self.db, |pool, D| async {
                    sqlx::query(system_by_id!())
                        .bind(D::uuid(id))
                        .fetch_optional(pool)
                        .await?
                        .as_ref()
                        .map(system_row::<D>)
                        .transpose()
                })
            })
            .await
    }

    pub async fn system_exists(&self, id: Uuid) -> sqlx::Result<bool> {
        on_reader!(self.db, |pool, D| async {
            let n: i64 = sqlx::query(SYSTEM_EXISTS)
                .bind(D::uuid(id))
                .fetch_one(pool)
                .await?
                .try_get("n")?;
            Ok::<_, sqlx::Error>(n > 0)
        })
    }

    pub async fn system_stats(&self) -> sqlx::Result<SystemStats> {
        self.db
            .timed("systems.stats", async {
                on_reader!(self.db, |pool, D| async {
                    let mut stats = SystemStats::default();
                    let (mut time_sum, mut timed) = (0.0, 0i64);
                    for row in sqlx::query(SYSTEM_STATS).fetch_all(pool).await? {
                        let owner = D::get_opt_text(&row, "owner")?;
                        stats.add(
                            &D::get_text(&row, "status")?,
                            &D::get_text(&row, "type")?,
                            owner.as_deref(),
                            D::get_i64(&row, "n")?,
                        );
                        time_sum += D::get_f64(&row, "time_sum")?.unwrap_or(0.0);
                        timed += D::get_i64(&row, "timed")?;
                    }
                    if timed > 0 {
                        stats.avg_response_time = (time_sum / timed as f64).round() as i64;
                    }
                    Ok::<_, sqlx::Error>(stats)
                })
            })
            .await
    }
}

impl WriteTx {
    /// The system, locked for the rest of the transaction.
    pub async fn system(&mut self, id: Uuid) -> sqlx::Result<Option<System>> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(D::SYSTEM_LOCKED)
                .bind(D::uuid(id))
                .fetch_optional(&mut *conn)
                .await?
                .as_ref()
                .map(system_row::<D>)
                .transpose()
        })
    }

    pub async fn insert_system(&mut self, s: &System) -> sqlx::Result<()> {
        let metadata = metadata(s);
        on_tx!(&mut self.0, |conn, D| async {
            bind_system!(sqlx::query(INSERT_SYSTEM), D, s, metadata)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }

    pub async fn update_system(&mut self, s: &System) -> sqlx::Result<()> {
        let metadata = metadata(s);
        on_tx!(&mut self.0, |conn, D| async {
            bind_system!(sqlx::query(UPDATE_SYSTEM), D, s, metadata)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }

    pub async fn delete_system(&mut self, id: Uuid) -> sqlx::Result<()> {
        on_tx!(&mut self.0, |conn, D| async {
            sqlx::query(DELETE_SYSTEM)
                .bind(D::uuid(id))
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })
    }
}
