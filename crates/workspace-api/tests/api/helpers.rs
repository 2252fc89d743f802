//! `TestApp`: the real application on a real socket over a real database — a fresh
//! SQLite file, or a fresh schema in the PostgreSQL that `scripts/test.sh` starts.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::config::Env;
use workspace_api::{AppState, Config, router};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server of this test run. A PostgreSQL test never skips: without the
/// server it fails and says how to get one.
pub fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("TEST_DATABASE_URL is not set: run scripts/test.sh, which starts a throwaway PostgreSQL cluster")
    })
}

/// A fresh schema for one test, as a URL whose connections use it.
async fn postgres_schema() -> String {
    let base = postgres_url();
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&base)
        .await
        .expect("connect to TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options[search_path]={schema}")
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, &[]).await
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(state);
    tokio::spawn(shared::server::serve(
        listener,
        app,
        std::future::pending(),
        std::time::Duration::from_secs(1),
    ));
    TestApp {
        addr,
        client: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client"),
        backend,
        database_url,
        _dir: dir,
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the fleet error envelope and returns it.
    pub fn envelope(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["success"], false, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["error"], self.body["message"], "{}", self.text);
        assert!(self.body["error"].as_str().is_some_and(|e| !e.is_empty()));
        assert!(
            self.body["requestId"]
                .as_str()
                .is_some_and(|id| !id.is_empty() && id != "-"),
            "{}",
            self.text
        );
        assert_eq!(
            self.header("x-correlation-id"),
            self.body["requestId"].as_str()
        );
        &self.body
    }

    /// The `field`s of `errors[]`, each with `msg` equal to `message`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        assert_eq!(e["msg"], e["message"]);
                        e["field"].as_str().unwrap_or_default().to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn json(&self, method: Method, path: &str, body: Value) -> Reply {
        self.send(self.request(method, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }

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
