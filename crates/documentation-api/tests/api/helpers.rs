//! `TestApp`: the real application on a real socket over a real database — a fresh
//! SQLite file, or a fresh schema in the PostgreSQL that `scripts/test.sh` starts.

use std::ops::Deref;

use documentation_api::{AppState, Config, router};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::config::Env;
use shared::testing::TestClient;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub http: TestClient,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

impl Deref for TestApp {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.http
    }
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, &[]).await
}

/// The state of another instance on `app`'s database, to start its background parts.
pub async fn state_sharing(app: &TestApp, settings: &[(&str, &str)]) -> AppState {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pairs = vec![("DOCUMENTATION_DATABASE_URL", app.database_url.as_str())];
    pairs.extend_from_slice(settings);
    let env = Env::from_pairs(dir.path(), pairs);
    let config = Config::from_env(&env, false).expect("valid test config");
    AppState::build(&config).await.expect("state")
}

/// Starts the app with extra env settings (auth, limits, health checks, ...). The
/// background health checker is off unless a test turns it on.
pub async fn spawn_with(backend: Backend, settings: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}/documentation.db", dir.path().display()),
        Backend::Postgres => shared::testing::fresh_schema("d").await.url,
    };
    let mut pairs: Vec<(String, String)> = vec![
        ("DOCUMENTATION_DATABASE_URL".into(), database_url.clone()),
        ("RATE_LIMIT_MAX".into(), "100000".into()),
        ("DOCUMENTATION_HEALTH_CHECK_INTERVAL_S".into(), "0".into()),
    ];
    pairs.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env = Env::from_pairs(dir.path(), pairs);
    let config = Config::from_env(&env, false).expect("valid test config");
    let state = AppState::build(&config).await.expect("state");
    let options = state.core.serve_options();
    TestApp {
        http: TestClient::serve(router(state), options).await,
        database_url,
        _dir: dir,
    }
}

impl TestApp {
    /// Registers a system named `name` and returns its JSON.
    pub async fn create_system(&self, name: &str) -> Value {
        let reply = self
            .json(
                Method::POST,
                "/api/v1/systems",
                json!({"name": name, "type": "api", "description": format!("about {name}")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["data"].clone()
    }

    /// Rows in a table, read straight from the database.
    pub async fn count_rows(&self, table: &str) -> i64 {
        shared::testing::count_rows(&self.database_url, table).await
    }

    /// The audit rows of one entity, newest first.
    pub async fn audit_of(&self, id: &str) -> Vec<Value> {
        let reply = self.get(&format!("/api/v1/audit?entity_id={id}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["data"].as_array().expect("audit rows").clone()
    }
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

/// Declares each test of what does not depend on storage once, on SQLite.
#[macro_export]
macro_rules! sqlite_only {
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
