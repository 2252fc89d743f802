//! `TestApp`: the real application on a real socket over a real database — a fresh
//! SQLite file, or a fresh schema in the PostgreSQL that `scripts/test.sh` starts.

use std::ops::Deref;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::config::Env;
use shared::testing::TestClient;
use workspace_api::{AppState, Config, router};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub http: TestClient,
    pub backend: Backend,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

impl Deref for TestApp {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.http
    }
}

/// A fresh schema for one test, as a URL whose connections use it.
pub async fn postgres_schema() -> String {
    shared::testing::fresh_schema("t").await.url
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, &[]).await
}

/// A second instance of the service on `app`'s database, as a deployment of several
/// instances sharing one PostgreSQL runs.
pub async fn spawn_sharing(app: &TestApp) -> TestClient {
    let state = state_sharing(app).await;
    let options = state.core.serve_options();
    TestClient::serve(router(state), options).await
}

/// The state of another instance on `app`'s database, to call its layers directly.
pub async fn state_sharing(app: &TestApp) -> AppState {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = Env::from_pairs(
        dir.path(),
        [
            ("WORKSPACE_DATABASE_URL", app.database_url.as_str()),
            ("RATE_LIMIT_MAX", "100000"),
        ],
    );
    let config = Config::from_env(&env, false).expect("valid test config");
    AppState::build(&config).await.expect("state")
}

/// Starts the app with extra env settings (rate limits, auth, ...).
pub async fn spawn_with(backend: Backend, settings: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}/workspace.db", dir.path().display()),
        Backend::Postgres => postgres_schema().await,
    };
    let mut pairs: Vec<(String, String)> = vec![
        ("WORKSPACE_DATABASE_URL".into(), database_url.clone()),
        // Generous by default; the rate-limit tests set their own.
        ("RATE_LIMIT_MAX".into(), "100000".into()),
    ];
    pairs.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env = Env::from_pairs(dir.path(), pairs);
    let config = Config::from_env(&env, false).expect("valid test config");
    let state = AppState::build(&config).await.expect("state");
    let options = state.core.serve_options();
    TestApp {
        http: TestClient::serve(router(state), options).await,
        backend,
        database_url,
        _dir: dir,
    }
}

impl TestApp {
    /// Creates an item in `dashboard` and returns its JSON.
    pub async fn create_item(&self, title: &str) -> Value {
        let reply = self
            .json(
                Method::POST,
                "/api/items",
                json!({"title": title, "description": format!("about {title}"), "category": "dashboard", "priority": "medium"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["data"].clone()
    }

    /// Rows in a workspace table, read straight from the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.database_url)
                    .await
                    .expect("sqlite");
                let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&pool)
                    .await
                    .expect("count");
                pool.close().await;
                n
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.database_url)
                    .await
                    .expect("postgres");
                let n = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&pool)
                    .await
                    .expect("count");
                pool.close().await;
                n
            }
        }
    }
}

/// Declares each test of the HTTP stack once, on SQLite: `name::sqlite`. The stack does
/// not depend on the storage engine, which the storage tests cover on both.
#[macro_export]
macro_rules! stack_only {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::spawn($crate::helpers::Backend::Sqlite).await).await;
                }
            }
        )+
    };
}

/// Declares each test once per backend: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::spawn($crate::helpers::Backend::Sqlite).await).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::helpers::spawn($crate::helpers::Backend::Postgres).await).await;
                }
            }
        )+
    };
}
