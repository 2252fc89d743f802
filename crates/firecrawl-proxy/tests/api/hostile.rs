//! A hostile or broken upstream and hostile targets: answers larger than the cap are a
//! 502 however they are sent, relayed sentences lose file paths and stack frames,
//! unknown status fields stay behind, and metadata addresses are never scraped.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::ResponseTemplate;

use crate::helpers::{fake, spawn, spawn_with};

#[tokio::test]
async fn an_answer_larger_than_the_cap_is_a_502() {
    let app = spawn_with(&[("FIRECRAWL_PROXY_MAX_RESPONSE_BYTES", "65536")]).await;
    let page = "x".repeat(200_000);
    let huge = json!({"success": true, "data": {"markdown": page, "metadata": {}}});
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        ResponseTemplate::new(200).set_body_json(huge),
    )
    .await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    reply.envelope(502, "UPSTREAM_ERROR");
    assert!(reply.text.len() < 1024, "{}", reply.text.len());
}

/// An upstream that sends a chunked answer (no length announced) larger than the cap.
async fn chunked_upstream(chunks: usize, chunk: usize) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                // A valid document once whole: without the cap it would be a 200.
                let mut frames = vec![r#"{"success":true,"data":{"markdown":""#.to_string()];
                frames.extend((0..chunks).map(|_| "y".repeat(chunk)));
                frames.push(r#"","metadata":{}}}"#.to_string());
                for frame in frames {
                    let frame = format!("{:x}\r\n{frame}\r\n", frame.len());
                    if stream.write_all(frame.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_chunked_answer_is_cut_off_at_the_cap() {
    let small = chunked_upstream(2, 1024).await;
    let app = spawn_with(&[
        ("FIRECRAWL_PROXY_BASE_URL", small.as_str()),
        ("FIRECRAWL_PROXY_MAX_RESPONSE_BYTES", "65536"),
    ])
    .await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    assert_eq!(reply.status, 200, "under the cap: {}", reply.text);

    let upstream = chunked_upstream(64, 16 * 1024).await;
    let app = spawn_with(&[
        ("FIRECRAWL_PROXY_BASE_URL", upstream.as_str()),
        ("FIRECRAWL_PROXY_MAX_RESPONSE_BYTES", "65536"),
    ])
    .await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    reply.envelope(502, "UPSTREAM_ERROR");
}

#[tokio::test]
async fn relayed_sentences_lose_file_paths_and_stack_frames() {
    let app = spawn().await;
    let sentence = "Worker crashed at /srv/firecrawl/src/worker.ts:88\n    at Object.run (/srv/firecrawl/src/run.ts:3:9)\n    at node:internal/process/task_queues:95:5";
    fake::on(
        &app.firecrawl,
        "POST",
        "/v1/scrape",
        fake::error(500, None, sentence),
    )
    .await;
    let reply = app
        .post("/api/v1/scrape", json!({"url": "https://example.com"}))
        .await;
    reply.envelope(502, "UPSTREAM_ERROR");
    for leaked in ["/srv/", "worker.ts", "Object.run", "node:internal"] {
        assert!(!reply.text.contains(leaked), "{leaked}: {}", reply.text);
    }
    assert!(reply.text.contains("Worker crashed"), "{}", reply.text);
}

#[tokio::test]
async fn unknown_status_fields_stay_behind() {
    let app = spawn().await;
    let mut page = json!({
        "success": true, "status": "scraping", "completed": 1, "total": 3,
        "data": [fake::document("https://example.com/")],
        "workerHost": "playwright-service:3000", "internalQueue": {"depth": 12},
    });
    page["creditsUsed"] = json!(1);
    let route = format!("/v1/crawl/{}", fake::CRAWL_ID);
    fake::on(
        &app.firecrawl,
        "GET",
        &route,
        ResponseTemplate::new(200).set_body_json(page),
    )
    .await;
    let reply = app.get(&format!("/api/v1/crawl/{}", fake::CRAWL_ID)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let data = reply.body["data"].as_object().expect("data");
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["completed", "creditsUsed", "data", "status", "total"]
    );
}

#[tokio::test]
async fn metadata_targets_are_refused_before_firecrawl_sees_them() {
    let app = spawn().await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ] {
        for path in ["/api/v1/scrape", "/api/v1/crawl"] {
            let reply = app.post(path, json!({"url": url})).await;
            reply.envelope(400, "VALIDATION_ERROR");
            assert_eq!(reply.error_fields(), ["url"], "{url}: {}", reply.text);
        }
    }
    assert!(app.upstream_calls().await.is_empty());
}

#[tokio::test]
async fn private_targets_pass_unless_the_deployment_denies_them() {
    let open = spawn().await;
    fake::on(
        &open.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("http://10.0.0.5/"),
    )
    .await;
    let reply = open
        .post("/api/v1/scrape", json!({"url": "http://10.0.0.5/"}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let closed = spawn_with(&[("FIRECRAWL_PROXY_DENY_PRIVATE_TARGETS", "true")]).await;
    for url in [
        "http://10.0.0.5/",
        "http://localhost:8080/",
        "http://[::1]/",
    ] {
        let reply = closed.post("/api/v1/scrape", json!({"url": url})).await;
        reply.envelope(400, "VALIDATION_ERROR");
    }
    assert!(closed.upstream_calls().await.is_empty());
}

#[tokio::test]
async fn a_repeated_page_key_is_a_400_naming_it() {
    let app = spawn().await;
    let reply = app
        .get(&format!("/api/v1/crawl/{}?skip=1&skip=2", fake::CRAWL_ID))
        .await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(reply.error_fields(), ["skip"]);
    assert!(app.upstream_calls().await.is_empty());
}
