//! The docs index's life: rebuilds (reported, throttled, never twice at once, searches
//! answering throughout), the watcher, and page content by path.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::docs_corpus::{Corpus, page, spawn_indexed, wait_for_index};

fn corpus() -> Corpus {
    Corpus::new(&[
        (
            "guides/setup.md",
            &page("Setup", "", "Install and run the fleet."),
        ),
        (
            "guides/ops.mdx",
            &page("Operations", "", "Backups and restores."),
        ),
        (
            "broken.md",
            "---\ntitle: [unclosed\n---\n# Still a page\n\nfleet\n",
        ),
    ])
}

#[tokio::test]
async fn reindex_reports_what_it_indexed_and_what_it_could_not_read() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    corpus.write(
        "guides/new.md",
        &page("New page", "tags: [fresh]\n", "fleet"),
    );
    let reply = app
        .post("/api/v1/docs/reindex", serde_json::json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let indexed = &reply["indexed"];
    assert_eq!(indexed["files"], 4, "{indexed}");
    assert_eq!(indexed["tags"], 1, "{indexed}");
    assert_eq!(indexed["errorsTotal"], 1, "{indexed}");
    assert_eq!(indexed["errors"][0]["file"], "broken.md", "{indexed}");
    let error = indexed["errors"][0]["error"].as_str().expect("error");
    assert!(error.contains("YAML"), "{error}");
    assert!(!reply.text.contains(&corpus.path().display().to_string()));
    let found = app.get("/api/v1/docs/search?q=fleet").await;
    assert_eq!(found["total"], 3, "{}", found.text);
}

#[tokio::test]
async fn reindex_is_throttled_from_the_start_up_build() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[("DOCS_REINDEX_MIN_INTERVAL_S", "600")]).await;
    let reply = app
        .post("/api/v1/docs/reindex", serde_json::json!({}))
        .await;
    let body = reply.envelope(429, "REINDEX_THROTTLED");
    let message = body["error"].as_str().expect("message");
    assert!(message.starts_with("Please wait "), "{message}");
    let retry: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((590..=600).contains(&retry), "{retry}");
}

#[tokio::test]
async fn concurrent_reindexes_build_once_while_searches_answer() {
    let pages: Vec<(String, String)> = (0..400)
        .map(|i| {
            (
                format!("bulk/page-{i}.md"),
                page(&format!("Page {i}"), "", &"word filler text ".repeat(100)),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = pages
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let corpus = Corpus::new(&refs);
    let app = spawn_indexed(&corpus, &[]).await;
    let mut reindexes = tokio::task::JoinSet::new();
    let mut searches = tokio::task::JoinSet::new();
    for _ in 0..4 {
        reindexes.spawn(send(&app.http, Method::POST, "/api/v1/docs/reindex"));
    }
    for _ in 0..20 {
        searches.spawn(send(
            &app.http,
            Method::GET,
            "/api/v1/docs/search?q=filler&limit=1",
        ));
    }
    let reindexes = reindexes.join_all().await;
    let built = reindexes.iter().filter(|r| r.0 == StatusCode::OK).count();
    assert_eq!(built, 1, "{reindexes:?}");
    for (status, retry_after, body) in reindexes.iter().filter(|r| r.0 != StatusCode::OK) {
        assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["code"], "REINDEX_IN_PROGRESS", "{body}");
        assert!(retry_after.is_some());
    }
    for (status, _, body) in searches.join_all().await {
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 400, "{body}");
    }
}

/// A request in a task of its own, so that several are in flight at once.
fn send(
    http: &shared::testing::TestClient,
    method: Method,
    path: &str,
) -> impl Future<Output = (StatusCode, Option<String>, serde_json::Value)> + Send + 'static {
    let request = http.client.request(method, http.url(path));
    async move {
        let reply = request.send().await.expect("send");
        let status = reply.status();
        let retry_after = reply
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = reply.json().await.unwrap_or(serde_json::Value::Null);
        (status, retry_after, body)
    }
}

#[tokio::test]
async fn the_watcher_rebuilds_after_a_change() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[("DOCS_WATCH", "true")]).await;
    corpus.write("guides/watched.md", &page("Watched", "", "zebra crossing"));
    for _ in 0..100 {
        let reply = app.get("/api/v1/docs/search?q=zebra").await;
        if reply["total"] == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new page was not indexed within 10 s");
}

#[tokio::test]
async fn content_by_relative_path() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app.get("/api/v1/docs/content?path=guides/setup.md").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let text = std::fs::read_to_string(corpus.file("guides/setup.md")).expect("read");
    assert_eq!(reply["content"], text.as_str());
    assert_eq!(reply["path"], "guides/setup.md");
    assert_eq!(reply["size"], text.encode_utf16().count());
    // The dashboard asks for search results' paths, which carry no extension.
    let reply = app.get("/api/v1/docs/content?path=guides/ops").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply["path"], "guides/ops.mdx");
    app.get("/api/v1/docs/content?path=guides/none.md")
        .await
        .envelope(404, "NOT_FOUND");
    app.get("/api/v1/docs/content?path=guides")
        .await
        .envelope(404, "NOT_FOUND");
    app.get("/api/v1/docs/content")
        .await
        .envelope(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn content_never_leaves_the_corpus() {
    let corpus = corpus();
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.md"), "secret").expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret.md"), corpus.file("link.md"))
        .expect("symlink");
    std::os::unix::fs::symlink(outside.path(), corpus.file("linkdir")).expect("symlink");
    std::os::unix::fs::symlink(corpus.file("guides/setup.md"), corpus.file("inside.md"))
        .expect("symlink");
    let app = spawn_indexed(&corpus, &[]).await;
    for path in [
        "../secret.md",
        "guides/../../secret.md",
        "/etc/passwd",
        "link.md",
        "linkdir/secret.md",
        "guides%5Csetup.md",
    ] {
        let reply = app.get(&format!("/api/v1/docs/content?path={path}")).await;
        let body = reply.envelope(400, "INVALID_PATH");
        assert_eq!(body["error"], "Invalid file path", "{path}");
        assert!(!reply.text.contains("secret"), "{path}: {}", reply.text);
    }
    app.get("/api/v1/docs/content?path=guides%00.md")
        .await
        .envelope(400, "VALIDATION_ERROR");
    let inside = app.get("/api/v1/docs/content?path=inside.md").await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text);
    // The scan does not follow links either: the outside page is not indexed.
    wait_for_index(&app).await;
    let reply = app.get("/api/v1/docs/search?q=secret").await;
    assert_eq!(reply["total"], 0, "{}", reply.text);
}

#[tokio::test]
async fn every_index_build_is_audited_unless_turned_off() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let metrics = app.get("/api/v1/docs/health/dashboard-metrics").await;
    assert_eq!(metrics["data"]["hasData"], true, "{}", metrics.text);
    assert_eq!(
        metrics["data"]["coverage"]["totalFiles"], 3,
        "{}",
        metrics.text
    );
    let reply = app
        .post("/api/v1/docs/reindex", serde_json::json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply["indexed"]["audit"].is_object(), "{}", reply.text);

    let quiet = spawn_indexed(&corpus, &[("DOCS_AUDIT_ON_REINDEX", "false")]).await;
    let reply = quiet
        .post("/api/v1/docs/reindex", serde_json::json!({}))
        .await;
    assert!(reply["indexed"].get("audit").is_none(), "{}", reply.text);
    let metrics = quiet.get("/api/v1/docs/health/dashboard-metrics").await;
    assert_eq!(metrics["data"]["hasData"], false, "{}", metrics.text);
}
