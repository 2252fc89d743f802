//! The proxy as the dashboard reads it (its `firecrawlService.ts`): its parsing rules
//! are re-stated here, and every answer the proxy gives must make sense through them —
//! whether Firecrawl's scrape answer came enveloped or bare.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use crate::helpers::{Reply, fake, spawn};

/// What `firecrawlService.ts` makes of a scrape or status answer.
#[derive(Debug, PartialEq)]
struct Read {
    success: bool,
    data: Value,
    error: Option<String>,
}

fn dashboard_reads(reply: &Reply) -> Read {
    let payload = &reply.body;
    if !reply.status.is_success() {
        // The UI shows `payload.error`, else `HTTP error! status: N`.
        let error = payload["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP error! status: {}", reply.status.as_u16()));
        return Read {
            success: false,
            data: Value::Null,
            error: Some(error),
        };
    }
    let object = payload.as_object().expect("an object");
    if !object.contains_key("success") && !object.contains_key("error") {
        // The "bare payload" path: the whole body is the data.
        return Read {
            success: true,
            data: payload.clone(),
            error: None,
        };
    }
    Read {
        success: payload["success"] != false,
        data: payload["data"].clone(),
        error: payload["error"].as_str().map(str::to_string),
    }
}

#[tokio::test]
async fn scrapes_read_the_same_whether_firecrawl_enveloped_them_or_not() {
    let enveloped = spawn().await;
    fake::on(
        &enveloped.firecrawl,
        "POST",
        "/v1/scrape",
        fake::scrape_ok("https://example.com"),
    )
    .await;
    let bare = spawn().await;
    let bare_body = json!({"markdown": "# Hello", "metadata": {"statusCode": 200}});
    fake::on(
        &bare.firecrawl,
        "POST",
        "/v1/scrape",
        ResponseTemplate::new(200).set_body_json(bare_body),
    )
    .await;
    for app in [&enveloped, &bare] {
        let reply = app
            .post(
                "/api/v1/scrape",
                json!({"url": "https://example.com", "formats": ["markdown"]}),
            )
            .await;
        let read = dashboard_reads(&reply);
        assert!(read.success, "{}", reply.text);
        assert_eq!(read.data["markdown"], "# Hello");
        assert_eq!(read.data["metadata"]["statusCode"], 200);
        assert_eq!(read.error, None);
    }
}

#[tokio::test]
async fn a_crawl_gives_the_dashboard_its_job_id_and_status() {
    let app = spawn().await;
    let id = fake::CRAWL_ID;
    fake::on(&app.firecrawl, "POST", "/v1/crawl", fake::crawl_started(id)).await;
    fake::on(
        &app.firecrawl,
        "GET",
        &format!("/v1/crawl/{id}"),
        fake::status_page(id, "scraping", Some(1)),
    )
    .await;
    let started = dashboard_reads(
        &app.post(
            "/api/v1/crawl",
            json!({"url": "https://example.com", "limit": 10, "maxDepth": 2}),
        )
        .await,
    );
    // Crawl has no bare path: it needs `{success, data:{id,url}}`.
    assert!(started.success);
    assert_eq!(started.data["id"], id);
    let status_url = started.data["url"].as_str().expect("url");
    let status = dashboard_reads(&app.get(status_url).await);
    assert!(status.success);
    // `CrawlStatusData`: status, numbers, documents, next.
    assert_eq!(status.data["status"], "scraping");
    assert!(status.data["total"].is_number() && status.data["completed"].is_number());
    assert_eq!(status.data["data"][0]["metadata"]["title"], "Hello");
    let next = status.data["next"].as_str().expect("next");
    assert!(
        next.starts_with(&format!("/api/v1/crawl/{id}?skip=1")),
        "{next}"
    );
}

#[tokio::test]
async fn errors_read_as_sentences() {
    let app = spawn().await;
    fake::on(
        &app.firecrawl,
        "GET",
        "/v1/crawl/gone",
        fake::error(404, None, "Job not found"),
    )
    .await;
    let cases = [
        (app.get("/api/v1/crawl/gone").await, "Job not found"),
        (
            app.post("/api/v1/scrape", json!({})).await,
            "Validation failed: url: URL is required",
        ),
        (
            app.get("/api/v1/crawl/not%20an%20id").await,
            "Validation failed: id: Crawl ID must be alphanumeric (letters, digits, - and _, at most 100 characters)",
        ),
    ];
    for (reply, sentence) in cases {
        let read = dashboard_reads(&reply);
        assert!(!read.success);
        assert_eq!(read.error.as_deref(), Some(sentence));
    }
    // `healthCheck()` only looks at `response.ok`: a down Firecrawl must not look like a
    // down proxy.
    let down = crate::helpers::spawn_with(&[(
        "FIRECRAWL_PROXY_BASE_URL",
        &crate::helpers::refused_url().await,
    )])
    .await;
    assert!(down.get("/health").await.status.is_success());
}
