//! Test support shared by every service's black-box tests (feature `testing`): the real
//! application on a real loopback socket, a client that reads whole replies, assertions
//! on the fleet envelope, and the OpenAPI/route consistency check.

use std::net::SocketAddr;
use std::ops::Deref;

use axum::http::Method;
use reqwest::StatusCode;
use serde_json::Value;

pub use shared_db::testing::{
    TestSchema, fresh_schema, open_transaction, postgres_url, wait_until_blocking,
};

use crate::App;
use crate::openapi::{OpenApiDoc, compare_routes};
use crate::routing::INFRASTRUCTURE_ROUTES;
use crate::server::{FdBudget, ServeOptions};

/// A client bound to one running application.
pub struct TestClient {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl TestClient {
    /// Serves `app` on `127.0.0.1:0` for the rest of the test, as the binary would.
    pub async fn serve(app: App, options: ServeOptions) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(crate::server::serve(
            listener,
            app,
            options,
            FdBudget::unlimited(),
            std::future::pending(),
        ));
        // Redirects are answers to check, not to follow.
        let client = shared_http_client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { addr, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
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

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn json(&self, method: Method, path: &str, body: Value) -> Reply {
        self.send(self.request(method, path).json(&body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.json(Method::POST, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
    pub text: String,
}

impl Deref for Reply {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.body
    }
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the fleet error envelope with `status` and `code` (readable sentence in
    /// both `error` and `message`, a request id echoed in `x-correlation-id`).
    pub fn envelope(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["success"], false, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["error"], self.body["message"], "{}", self.text);
        assert!(
            self.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{}",
            self.text
        );
        let id = self.body["requestId"].as_str().unwrap_or_default();
        assert!(!id.is_empty() && id != "-", "{}", self.text);
        assert_eq!(self.header("x-correlation-id"), Some(id), "{}", self.text);
        &self.body
    }

    /// The `field`s of `errors[]`, each checked to carry `msg` equal to `message`.
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

    /// The message of the error about `field`.
    pub fn field_message(&self, field: &str) -> String {
        self.body["errors"]
            .as_array()
            .and_then(|errors| errors.iter().find(|e| e["field"] == field))
            .and_then(|e| e["message"].as_str())
            .unwrap_or_else(|| panic!("no error for {field}: {}", self.text))
            .to_string()
    }
}

/// Fails unless the routed operations (plus the infrastructure routes every app gets)
/// and the documented ones are the same set.
pub fn assert_routes_documented(doc: &OpenApiDoc, routed: &[(Method, String)]) {
    let routed = routed.iter().cloned().chain(
        INFRASTRUCTURE_ROUTES
            .iter()
            // axum's catch-all `{*file}` is OpenAPI's `{file}`.
            .map(|p| (Method::GET, p.replace("{*", "{"))),
    );
    let (undocumented, unrouted) = compare_routes(doc, routed);
    assert!(
        undocumented.is_empty(),
        "routed but not in the OpenAPI document: {undocumented:#?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:#?}"
    );
}

/// Rows in `table` of the database at `url` (SQLite or PostgreSQL), read straight from
/// it, bypassing the service.
pub async fn count_rows(url: &str, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
        let n = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        let n = sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        n
    }
}
