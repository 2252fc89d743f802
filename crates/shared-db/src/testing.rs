//! PostgreSQL for tests (feature `testing`): the server of the run and a fresh schema
//! per test, the same way for every crate's tests. A PostgreSQL test never skips:
//! without a server it fails and says how to get one.

use sqlx::{AssertSqlSafe, PgPool};

const HOW_TO_GET_ONE: &str = "run scripts/test.sh, which starts a throwaway PostgreSQL, or set TEST_DATABASE_URL to a PostgreSQL server the tests may create schemas in";

/// The PostgreSQL server of this test run (`TEST_DATABASE_URL`).
pub fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| panic!("TEST_DATABASE_URL is not set: {HOW_TO_GET_ONE}"))
}

/// A schema of its own for one test.
pub struct TestSchema {
    pub name: String,
    /// The server's URL with every connection's `search_path` set to the schema.
    pub url: String,
}

/// Creates `{prefix}_{random}` on the test server.
pub async fn fresh_schema(prefix: &str) -> TestSchema {
    let base = postgres_url();
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL ({e}): {HOW_TO_GET_ONE}"));
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
        .execute(&admin)
        .await
        .expect("create the test schema");
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    TestSchema {
        url: format!("{base}{separator}options[search_path]={name}"),
        name,
    }
}

/// A session of its own on `url`, inside a transaction, for a test to hold rows with.
/// It waits 30 s before looking for deadlocks, so in a deadlock with the service (whose
/// sessions look after 1 s) the service's transaction is the one rolled back.
pub async fn open_transaction(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("postgres");
    for statement in ["SET deadlock_timeout = '30s'", "BEGIN"] {
        sqlx::query(statement)
            .execute(&mut conn)
            .await
            .expect(statement);
    }
    conn
}

/// Returns once some other session waits for a lock `conn` holds (or panics after 5 s):
/// how a test knows the service's transaction has reached the row it holds.
pub async fn wait_until_blocking(conn: &mut sqlx::PgConnection) {
    for _ in 0..500 {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("pg_stat_activity");
        if blocked > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no session came to wait for this one's lock");
}
