//! The repository layer: the only place with SQL, and nothing but SQL. Reads run on the
//! pool; writes run inside a [`WriteTx`], whose rules (category checks, If-Match, audit
//! rows) the service layer decides. Every statement is written once ([`queries`]), for
//! whichever engine the URL picked; `pg` and `sqlite` hold only what differs.

#[macro_use]
mod sql;
mod pg;
mod queries;
mod sqlite;

use shared::db::{Db, Pools};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use queries::{Dialect, Queries};
use sql::Records;

use crate::domain::audit::{AuditEntry, AuditFilter};
use crate::domain::category::Category;
use crate::domain::item::{Item, ItemId};
use crate::domain::query::{ItemQuery, ItemStats, SortKey, SortOrder};

/// The ORDER BY of the item list: whitelisted fragments, never client text. Every order
/// ends on `id` so pages are stable.
fn order_clause(sort: SortKey, order: SortOrder) -> &'static str {
    use SortKey::*;
    use SortOrder::*;
    match (sort, order) {
        (CreatedAt, Desc) => "created_at DESC, id DESC",
        (CreatedAt, Asc) => "created_at ASC, id ASC",
        (UpdatedAt, Desc) => "updated_at DESC, id DESC",
        (UpdatedAt, Asc) => "updated_at ASC, id ASC",
        (Priority, Desc) => {
            "CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, created_at DESC, id DESC"
        }
        (Priority, Asc) => {
            "CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END ASC, created_at DESC, id DESC"
        }
        (Title, Desc) => "lower(title) DESC, id DESC",
        (Title, Asc) => "lower(title) ASC, id ASC",
    }
}

/// A substring LIKE pattern with the client's `%`, `_` and `\` taken literally.
fn search_pattern(search: &str) -> String {
    let mut out = String::with_capacity(search.len() + 2);
    out.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[derive(Clone, Debug)]
enum Backend {
    Pg(PgPool),
    Sqlite {
        reader: SqlitePool,
        writer: SqlitePool,
    },
}

/// The workspace's storage, whichever backend the URL picked.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    backend: Backend,
}

/// Runs `$body` with `$pool` bound to the backend's read pool, timed as `$op`.
macro_rules! on_pool {
    ($self:ident, $op:literal, |$pool:ident| $body:expr) => {
        match &$self.backend {
            Backend::Pg($pool) => $self.db.timed($op, $body).await,
            Backend::Sqlite { reader: $pool, .. } => $self.db.timed($op, $body).await,
        }
    };
}

impl Store {
    pub fn new(db: Db) -> Self {
        let backend = match &db.pools {
            Pools::Postgres(pool) => Backend::Pg(pool.clone()),
            Pools::Sqlite { reader, writer } => Backend::Sqlite {
                reader: reader.clone(),
                writer: writer.clone(),
            },
        };
        Self { db, backend }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates hypertables and policies where TimescaleDB offers them (PostgreSQL only).
    pub async fn apply_timescale(&self) {
        if let Backend::Pg(pool) = &self.backend {
            pg::apply_timescale(pool).await;
        }
    }

    pub async fn list_items(&self, q: &ItemQuery) -> sqlx::Result<(Vec<Item>, i64)> {
        on_pool!(self, "items.list", |pool| Queries::list_items(pool, q))
    }

    pub async fn item(&self, id: ItemId) -> sqlx::Result<Option<Item>> {
        on_pool!(self, "items.get", |pool| Queries::item(
            pool,
            item_by_id!(),
            id
        ))
    }

    pub async fn item_stats(&self) -> sqlx::Result<ItemStats> {
        on_pool!(self, "items.stats", |pool| Queries::item_stats(pool))
    }

    pub async fn audit(&self, f: &AuditFilter) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        on_pool!(self, "audit.list", |pool| Queries::audit(pool, f))
    }

    pub async fn categories(&self) -> sqlx::Result<Vec<Category>> {
        on_pool!(self, "categories.list", |pool| Queries::categories(pool))
    }

    /// Where the data stands: any committed write, by any instance, changes it.
    pub async fn change_version(&self) -> sqlx::Result<i64> {
        on_pool!(self, "changes.version", |pool| Queries::change_version(
            pool
        ))
    }

    /// Opens a write.
    pub async fn write(&self) -> sqlx::Result<WriteTx> {
        Ok(WriteTx(match &self.backend {
            Backend::Pg(pool) => TxBackend::Pg(Queries::begin_write(pool).await?),
            Backend::Sqlite { writer, .. } => {
                TxBackend::Sqlite(Queries::begin_write(writer).await?)
            }
        }))
    }
}

enum TxBackend {
    Pg(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

/// One write transaction, from [`Store::write`]. Its writes that matter to readers go
/// through [`WriteTx::record_item`] and [`WriteTx::record`], which write an audit row and
/// the change mark list caches validate against in the same statement as the change; and
/// [`WriteTx::commit`] takes the [`Recorded`] only they return. So no write commits
/// without its audit row and its cache invalidation, and a `WriteTx` dropped without
/// commit rolls back all three.
pub struct WriteTx(TxBackend);

/// Proof that a transaction wrote an audit row and the change mark.
#[must_use = "a write commits with the Recorded of its audit row"]
pub struct Recorded(());

/// An item change, written with its audit row.
#[derive(Clone, Copy)]
pub enum ItemChange<'a> {
    Insert(&'a Item),
    Update(&'a Item),
    Delete(&'a Item),
}

/// Runs `$body` with `$conn` bound to the transaction's connection (and `$D` to the
/// engine, when named).
macro_rules! on_tx {
    ($self:ident, |$conn:ident, $D:ident| $body:expr) => {
        match &mut $self.0 {
            TxBackend::Pg(tx) => {
                type $D = Postgres;
                let $conn = &mut **tx;
                $body.await
            }
            TxBackend::Sqlite(tx) => {
                type $D = Sqlite;
                let $conn = &mut **tx;
                $body.await
            }
        }
    };
    ($self:ident, |$conn:ident| $body:expr) => {
        match &mut $self.0 {
            TxBackend::Pg(tx) => {
                let $conn = &mut **tx;
                $body.await
            }
            TxBackend::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body.await
            }
        }
    };
}

impl WriteTx {
    /// The category, locked against any concurrent change for the rest of the transaction.
    pub async fn category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        on_tx!(self, |c, D| Queries::category(c, D::CATEGORY_LOCKED, name))
    }

    /// The category an item is filed under: locked against change or deletion, but not
    /// against other writers filing items under it too.
    pub async fn filing_category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        on_tx!(self, |c, D| Queries::category(c, D::CATEGORY_SHARED, name))
    }

    pub async fn active_category_names(&mut self) -> sqlx::Result<Vec<String>> {
        on_tx!(self, |c| Queries::active_category_names(c))
    }

    pub async fn next_display_order(&mut self) -> sqlx::Result<i64> {
        on_tx!(self, |c| Queries::next_display_order(c))
    }

    pub async fn insert_category(&mut self, category: &Category) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::insert_category(c, category))
    }

    pub async fn write_category(
        &mut self,
        old_name: &str,
        category: &Category,
    ) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::update_category(c, old_name, category))
    }

    pub async fn delete_category(&mut self, name: &str) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::delete_category(c, name))
    }

    /// The items of a category, locked.
    pub async fn items_in_category(&mut self, name: &str) -> sqlx::Result<Vec<Item>> {
        on_tx!(self, |c| Queries::items_in_category(c, name))
    }

    /// The item, locked for the rest of the transaction.
    pub async fn item(&mut self, id: ItemId) -> sqlx::Result<Option<Item>> {
        on_tx!(self, |c, D| Queries::item(c, D::ITEM_LOCKED, id))
    }

    /// Writes `change` and its audit row, with the change mark, as one statement.
    pub async fn record_item(
        &mut self,
        change: ItemChange<'_>,
        audit: &AuditEntry,
    ) -> sqlx::Result<Recorded> {
        let (pick, item): (fn(&Records) -> &'static str, _) = match change {
            ItemChange::Insert(item) => (|r| r.insert_item, item),
            ItemChange::Update(item) => (|r| r.update_item, item),
            ItemChange::Delete(item) => (|r| r.delete_item, item),
        };
        on_tx!(self, |c, D| Queries::record(
            c,
            pick(&D::RECORDS),
            audit,
            Some(item)
        ))?;
        Ok(Recorded(()))
    }

    /// Writes the audit row of a change made by the other statements, with the change mark.
    pub async fn record(&mut self, audit: &AuditEntry) -> sqlx::Result<Recorded> {
        on_tx!(self, |c, D| Queries::record(
            c,
            D::RECORDS.audit,
            audit,
            None
        ))?;
        Ok(Recorded(()))
    }

    pub async fn commit(self, _: Recorded) -> sqlx::Result<()> {
        match self.0 {
            TxBackend::Pg(tx) => tx.commit().await,
            TxBackend::Sqlite(tx) => tx.commit().await,
        }
    }
}
