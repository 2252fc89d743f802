//! Audit rows: written inside the change's transaction, read newest first.

use shared::db::{Codec, Tx, on_reader, on_tx};
use sqlx::Row;

use super::Store;
use crate::domain::Entity;
use crate::domain::audit::{Action, AuditEntry, AuditFilter};

const INSERT_AUDIT: &str = "INSERT INTO documentation_audit_log (id, entity_type, entity_id, action, user_id, \
     changes, ip_address, user_agent, request_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

macro_rules! audit_filter {
    () => {
        " WHERE (CAST($1 AS TEXT) IS NULL OR entity_type = $1) AND (CAST($2 AS TEXT) IS NULL OR entity_id = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR action = $3) AND (CAST($4 AS TEXT) IS NULL OR user_id = $4) \
         AND ($5 IS NULL OR created_at >= $5) AND ($6 IS NULL OR created_at <= $6)"
    };
}
const AUDIT_PAGE: &str = concat!(
    "SELECT *, COUNT(*) OVER () AS total FROM documentation_audit_log",
    audit_filter!(),
    " ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8"
);
const AUDIT_COUNT: &str = concat!(
    "SELECT COUNT(*) AS n FROM documentation_audit_log",
    audit_filter!()
);

pub(super) async fn insert(tx: &mut Tx, a: &AuditEntry) -> sqlx::Result<()> {
    on_tx!(tx, |conn, D| async {
        sqlx::query(INSERT_AUDIT)
            .bind(D::uuid(a.id))
            .bind(a.entity_type.name())
            .bind(a.entity_id.as_str())
            .bind(a.action.as_str())
            .bind(a.user_id.as_str())
            .bind(a.changes.as_ref().map(D::json))
            .bind(a.ip_address.as_deref())
            .bind(a.user_agent.as_deref())
            .bind(a.request_id.as_deref())
            .bind(D::time(a.created_at))
            .execute(&mut *conn)
            .await
            .map(|_| ())
    })
}

fn audit_row<D: Codec>(row: &D::Row) -> sqlx::Result<AuditEntry> {
    let bad = |column: &str| {
        sqlx::Error::Decode(format!("unexpected {column} in the documentation database").into())
    };
    Ok(AuditEntry {
        id: D::get_uuid(row, "id")?,
        entity_type: Entity::parse(&D::get_text(row, "entity_type")?)
            .ok_or_else(|| bad("entity_type"))?,
        entity_id: D::get_text(row, "entity_id")?,
        action: Action::parse(&D::get_text(row, "action")?).ok_or_else(|| bad("action"))?,
        user_id: D::get_text(row, "user_id")?,
        changes: D::get_json(row, "changes")?,
        ip_address: D::get_opt_text(row, "ip_address")?,
        user_agent: D::get_opt_text(row, "user_agent")?,
        request_id: D::get_opt_text(row, "request_id")?,
        created_at: D::get_time(row, "created_at")?,
    })
}

macro_rules! bind_filter {
    ($query:expr, $D:ident, $f:expr) => {
        $query
            .bind($f.entity_type)
            .bind($f.entity_id.as_deref())
            .bind($f.action.map(Action::as_str))
            .bind($f.user_id.as_deref())
            .bind($f.from.map($D::time))
            .bind($f.to.map($D::time))
    };
}

impl Store {
    /// A page of audit rows, newest first, and how many match.
    pub async fn audit(&self, f: &AuditFilter) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        self.db
            .timed("audit.list", async {
                on_reader!(self.db, |pool, D| async {
                    let rows = bind_filter!(sqlx::query(AUDIT_PAGE), D, f)
                        .bind(f.limit)
                        .bind(f.offset)
                        .fetch_all(pool)
                        .await?;
                    let total = match rows.first() {
                        Some(row) => row.try_get("total")?,
                        None => bind_filter!(sqlx::query(AUDIT_COUNT), D, f)
                            .fetch_one(pool)
                            .await?
                            .try_get("n")?,
                    };
                    let entries = rows
                        .iter()
                        .map(audit_row::<D>)
                        .collect::<sqlx::Result<_>>()?;
                    Ok::<_, sqlx::Error>((entries, total))
                })
            })
            .await
    }
}
