//! `TestApp`: the real proxy on a real socket (127.0.0.1:0, `shared::server::serve`),
//! pointed at its own fake Firecrawl.
//!
//! The fake is a `wiremock` server per test. Its answers follow the upstream wire format
//! of Firecrawl v1 (`{success, data}` scrapes, `{success, id, url}`
//! crawl starts, `{success, status, completed, total, next, data}` status pages, and the
//! error bodies `{success:false, code?, error}`), built in [`fake`]. Every request the
//! proxy sends is recorded, so tests assert on exactly what reached "Firecrawl".

use std::ops::Deref;

use serde_json::Value;
use shared::config::Env;
use shared::testing::TestClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::MockServer;

use firecrawl_proxy::{AppState, Config, router};

pub struct TestApp {
    pub http: TestClient,
    /// The fake Firecrawl; `FIRECRAWL_PROXY_BASE_URL` points at it unless a test says
    /// otherwise.
    pub firecrawl: MockServer,
}

pub async fn spawn() -> TestApp {
    spawn_with(&[]).await
}

/// Starts the proxy with extra env settings; a blank value unsets a default below.
pub async fn spawn_with(settings: &[(&str, &str)]) -> TestApp {
    let firecrawl = MockServer::start().await;
    let mut pairs: Vec<(String, String)> = vec![
        ("FIRECRAWL_PROXY_BASE_URL".into(), firecrawl.uri()),
        // Generous by default; the rate-limit tests set their own.
        ("RATE_LIMIT_MAX".into(), "100000".into()),
    ];
    pairs.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env = Env::from_pairs(std::env::temp_dir(), pairs);
    let config = Config::from_env(&env, false).expect("valid test config");
    let state = AppState::build(&config).expect("state");
    let options = state.core.serve_options();
    TestApp {
        http: TestClient::serve(router(state), options).await,
        firecrawl,
    }
}

impl Deref for TestApp {
    type Target = TestClient;
    fn deref(&self) -> &TestClient {
        &self.http
    }
}

/// A base URL where nothing listens: a port bound, then released.
pub async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

pub use shared::testing::Reply;

impl TestApp {
    /// Sends `GET <target>` byte for byte: clients normalise `..` and `%2E%2E` away, and
    /// the id tests need exactly those on the wire. Returns the status code.
    pub async fn raw_get(&self, target: &str) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let request = format!("GET {target} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        let answer = String::from_utf8_lossy(&answer);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
    }

    /// Every request the fake Firecrawl received, as `(METHOD, path?query)`.
    pub async fn upstream_calls(&self) -> Vec<(String, String)> {
        self.firecrawl
            .received_requests()
            .await
            .expect("recording is on")
            .iter()
            .map(|r| {
                let target = match r.url.query() {
                    Some(q) => format!("{}?{q}", r.url.path()),
                    None => r.url.path().to_string(),
                };
                (r.method.to_string(), target)
            })
            .collect()
    }

    /// The JSON bodies the fake received, in order.
    pub async fn upstream_bodies(&self) -> Vec<Value> {
        self.firecrawl
            .received_requests()
            .await
            .expect("recording is on")
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    /// The text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.get("/metrics").await.text
    }
}

/// Firecrawl v1 answers and mocks, in its wire format.
pub mod fake {
    use std::time::Duration;

    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    /// The address Firecrawl puts in the URLs it hands out (its own Host header).
    pub const INTERNAL: &str = "http://firecrawl-api:3002";
    pub const CRAWL_ID: &str = "0f6e1c9a-3b1d-4c8e-9a55-7d2b9c1e4f00";

    /// A Document (`types.ts` `Document`): markdown plus the always-present metadata.
    pub fn document(url: &str) -> Value {
        json!({
            "markdown": "# Hello",
            "metadata": {"title": "Hello", "sourceURL": url, "url": url, "statusCode": 200, "proxyUsed": "basic"}
        })
    }

    /// `POST /v1/scrape` → 200 `{success:true, data:<Document>}`.
    pub fn scrape_ok(url: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": document(url)}))
    }

    /// `POST /v1/crawl` → 200 `{success:true, id, url}` with Firecrawl's internal URL.
    pub fn crawl_started(id: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(
            json!({"success": true, "id": id, "url": format!("{INTERNAL}/v1/crawl/{id}")}),
        )
    }

    /// `GET /v1/crawl/:id` → 200 status page; `next` present while more pages remain.
    pub fn status_page(id: &str, status: &str, next_skip: Option<u64>) -> ResponseTemplate {
        let mut body = json!({
            "success": true,
            "status": status,
            "completed": 1,
            "total": 3,
            "creditsUsed": 1,
            "expiresAt": "2026-01-02T03:04:05.000Z",
            "data": [document("https://example.com/")]
        });
        if let Some(skip) = next_skip {
            body["next"] = json!(format!("{INTERNAL}/v1/crawl/{id}?skip={skip}&limit=1"));
        }
        ResponseTemplate::new(200).set_body_json(body)
    }

    /// An error body as Firecrawl sends them.
    pub fn error(status: u16, code: Option<&str>, message: &str) -> ResponseTemplate {
        let mut body = json!({"success": false, "error": message});
        if let Some(code) = code {
            body["code"] = json!(code);
        }
        ResponseTemplate::new(status).set_body_json(body)
    }

    pub async fn on(server: &MockServer, verb: &str, route: &str, answer: ResponseTemplate) {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(answer)
            .mount(server)
            .await;
    }

    /// Answers `route` only after `delay`.
    pub async fn slow(
        server: &MockServer,
        verb: &str,
        route: &str,
        answer: ResponseTemplate,
        delay: Duration,
    ) {
        on(server, verb, route, answer.set_delay(delay)).await;
    }
}
