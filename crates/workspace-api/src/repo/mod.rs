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

    /// Opens a write. The change mark that list caches validate against is made inside
    /// it before anything else, so the data and the invalidation commit together or not
    /// at all: there is no way to commit a write without it.
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

/// One write transaction, from [`Store::write`]. Dropped without [`WriteTx::commit`], it
/// rolls back.
pub struct WriteTx(TxBackend);

/// Runs `$body` with `$conn` bound to the transaction's connection.
macro_rules! on_tx {
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
    /// The category, locked against concurrent change for the rest of the transaction.
    pub async fn category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        on_tx!(self, |c| Queries::category(c, name))
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
        match &mut self.0 {
            TxBackend::Pg(tx) => {
                Queries::item(&mut **tx, <Postgres as Dialect>::ITEM_LOCKED, id).await
            }
            TxBackend::Sqlite(tx) => {
                Queries::item(&mut **tx, <Sqlite as Dialect>::ITEM_LOCKED, id).await
            }
        }
    }

    pub async fn insert_item(&mut self, item: &Item) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::save_item(c, sql::INSERT_ITEM, item))
    }

    pub async fn write_item(&mut self, item: &Item) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::save_item(c, sql::UPDATE_ITEM, item))
    }

    pub async fn delete_item(&mut self, item: &Item) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::delete_item(c, item))
    }

    pub async fn audit(&mut self, entry: &AuditEntry) -> sqlx::Result<()> {
        on_tx!(self, |c| Queries::insert_audit(c, entry))
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self.0 {
            TxBackend::Pg(tx) => tx.commit().await,
            TxBackend::Sqlite(tx) => tx.commit().await,
        }
    }
}
