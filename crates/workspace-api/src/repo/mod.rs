//! The repository layer: the only place with SQL, and nothing but SQL. Reads run on the
//! pool; writes run inside a [`WriteTx`], whose rules (category checks, If-Match, audit
//! rows) the service layer decides.

mod pg;
mod sqlite;

use shared::db::{Db, Pools};

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

/// Reads, straight from the pool.
pub(crate) trait Reads: Send + Sync {
    fn list_items(
        &self,
        q: &ItemQuery,
    ) -> impl Future<Output = sqlx::Result<(Vec<Item>, i64)>> + Send;
    fn item(&self, id: ItemId) -> impl Future<Output = sqlx::Result<Option<Item>>> + Send;
    fn item_stats(&self) -> impl Future<Output = sqlx::Result<ItemStats>> + Send;
    fn audit(
        &self,
        f: &AuditFilter,
    ) -> impl Future<Output = sqlx::Result<(Vec<AuditEntry>, i64)>> + Send;
    fn categories(&self) -> impl Future<Output = sqlx::Result<Vec<Category>>> + Send;
    fn change_version(&self) -> impl Future<Output = sqlx::Result<i64>> + Send;
}

/// Writes, inside one transaction.
pub(crate) trait Tx: Send + Sized {
    /// The category, locked against concurrent deletion/rename when the backend can.
    fn category(
        &mut self,
        name: &str,
    ) -> impl Future<Output = sqlx::Result<Option<Category>>> + Send;
    fn active_category_names(&mut self) -> impl Future<Output = sqlx::Result<Vec<String>>> + Send;
    fn next_display_order(&mut self) -> impl Future<Output = sqlx::Result<i64>> + Send;
    fn insert_category(&mut self, c: &Category) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn write_category(
        &mut self,
        old_name: &str,
        c: &Category,
    ) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn delete_category(&mut self, name: &str) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn items_in_category(
        &mut self,
        name: &str,
    ) -> impl Future<Output = sqlx::Result<Vec<Item>>> + Send;
    /// The item, locked for the rest of the transaction.
    fn item(&mut self, id: ItemId) -> impl Future<Output = sqlx::Result<Option<Item>>> + Send;
    fn insert_item(&mut self, item: &Item) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn write_item(&mut self, item: &Item) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn delete_item(&mut self, item: &Item) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn audit(&mut self, entry: &AuditEntry) -> impl Future<Output = sqlx::Result<()>> + Send;
    /// Bumps the change counter every list cache validates against.
    fn touch(&mut self) -> impl Future<Output = sqlx::Result<()>> + Send;
    fn commit(self) -> impl Future<Output = sqlx::Result<()>> + Send;
}

#[derive(Clone, Debug)]
enum Backend {
    Pg(pg::PgStore),
    Sqlite(sqlite::SqliteStore),
}

/// The workspace's storage, whichever backend the URL picked.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    backend: Backend,
}

/// Runs `$body` with `$s` bound to the backend's store, timed as `$op`.
macro_rules! on_backend {
    ($self:ident, $op:literal, $s:ident => $body:expr) => {
        match &$self.backend {
            Backend::Pg($s) => $self.db.timed($op, $body).await,
            Backend::Sqlite($s) => $self.db.timed($op, $body).await,
        }
    };
}

/// Runs `$body` with `$t` bound to the backend's transaction.
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match &mut $tx.0 {
            TxBackend::Pg($t) => $body.await,
            TxBackend::Sqlite($t) => $body.await,
        }
    };
}
impl Store {
    pub fn new(db: Db) -> Self {
        let backend = match &db.pools {
            Pools::Postgres(pool) => Backend::Pg(pg::PgStore::new(pool.clone())),
            Pools::Sqlite { reader, writer } => {
                Backend::Sqlite(sqlite::SqliteStore::new(reader.clone(), writer.clone()))
            }
        };
        Self { db, backend }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates hypertables and policies where TimescaleDB offers them (PostgreSQL only).
    pub async fn apply_timescale(&self) {
        if let Backend::Pg(s) = &self.backend {
            s.apply_timescale().await;
        }
    }

    pub async fn list_items(&self, q: &ItemQuery) -> sqlx::Result<(Vec<Item>, i64)> {
        on_backend!(self, "items.list", s => s.list_items(q))
    }

    pub async fn item(&self, id: ItemId) -> sqlx::Result<Option<Item>> {
        on_backend!(self, "items.get", s => s.item(id))
    }

    pub async fn item_stats(&self) -> sqlx::Result<ItemStats> {
        on_backend!(self, "items.stats", s => s.item_stats())
    }

    pub async fn audit(&self, f: &AuditFilter) -> sqlx::Result<(Vec<AuditEntry>, i64)> {
        on_backend!(self, "audit.list", s => s.audit(f))
    }

    pub async fn categories(&self) -> sqlx::Result<Vec<Category>> {
        on_backend!(self, "categories.list", s => s.categories())
    }

    /// Where the data stands: any committed write, by any instance, changes it.
    pub async fn change_version(&self) -> sqlx::Result<i64> {
        on_backend!(self, "changes.version", s => s.change_version())
    }

    /// Opens a write. The change mark that list caches validate against is made inside
    /// it before anything else, so the data and the invalidation commit together or not
    /// at all: there is no way to commit a write without it.
    pub async fn write(&self) -> sqlx::Result<WriteTx> {
        let mut tx = match &self.backend {
            Backend::Pg(s) => WriteTx(TxBackend::Pg(s.begin().await?)),
            Backend::Sqlite(s) => WriteTx(TxBackend::Sqlite(s.begin().await?)),
        };
        on_tx!(tx, t => t.touch())?;
        Ok(tx)
    }
}

enum TxBackend {
    Pg(pg::PgTx),
    Sqlite(sqlite::SqliteTx),
}

/// One write transaction, from [`Store::write`]. Dropped without [`WriteTx::commit`], it
/// rolls back.
pub struct WriteTx(TxBackend);

impl WriteTx {
    /// The category, locked against concurrent change for the rest of the transaction.
    pub async fn category(&mut self, name: &str) -> sqlx::Result<Option<Category>> {
        on_tx!(self, t => t.category(name))
    }

    pub async fn active_category_names(&mut self) -> sqlx::Result<Vec<String>> {
        on_tx!(self, t => t.active_category_names())
    }

    pub async fn next_display_order(&mut self) -> sqlx::Result<i64> {
        on_tx!(self, t => t.next_display_order())
    }

    pub async fn insert_category(&mut self, c: &Category) -> sqlx::Result<()> {
        on_tx!(self, t => t.insert_category(c))
    }

    pub async fn write_category(&mut self, old_name: &str, c: &Category) -> sqlx::Result<()> {
        on_tx!(self, t => t.write_category(old_name, c))
    }

    pub async fn delete_category(&mut self, name: &str) -> sqlx::Result<()> {
        on_tx!(self, t => t.delete_category(name))
    }

    /// The items of a category, locked.
    pub async fn items_in_category(&mut self, name: &str) -> sqlx::Result<Vec<Item>> {
        on_tx!(self, t => t.items_in_category(name))
    }

    /// The item, locked for the rest of the transaction.
    pub async fn item(&mut self, id: ItemId) -> sqlx::Result<Option<Item>> {
        on_tx!(self, t => t.item(id))
    }

    pub async fn insert_item(&mut self, item: &Item) -> sqlx::Result<()> {
        on_tx!(self, t => t.insert_item(item))
    }

    pub async fn write_item(&mut self, item: &Item) -> sqlx::Result<()> {
        on_tx!(self, t => t.write_item(item))
    }

    pub async fn delete_item(&mut self, item: &Item) -> sqlx::Result<()> {
        on_tx!(self, t => t.delete_item(item))
    }

    pub async fn audit(&mut self, entry: &AuditEntry) -> sqlx::Result<()> {
        on_tx!(self, t => t.audit(entry))
    }

    pub async fn commit(self) -> sqlx::Result<()> {
        match self.0 {
            TxBackend::Pg(t) => t.commit().await,
            TxBackend::Sqlite(t) => t.commit().await,
        }
    }
}
