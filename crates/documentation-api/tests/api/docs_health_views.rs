//! Documentation-health views from stored runs: every dashboard-metrics key with and
//! without data, posted audits and their validation, trends and the history's order,
//! recorded fixes, and runs surviving a restart.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::testing::TestClient;

use crate::both_backends;
use crate::helpers::{TestApp, state_sharing};

both_backends!(
    dashboard_metrics_without_data,
    dashboard_metrics_of_the_contract_example,
    update_metrics_refuses_bad_documents,
    trends_and_historical_are_daily_and_oldest_first,
    record_fix_counts_fixes,
    runs_survive_a_restart,
);

/// The contract's example audit document (score 0.4·80 + 0.3·90 + 0.3·98 = 88.4).
fn example() -> Value {
    json!({
        "frontmatter": {
            "total_files": 10, "complete": 8, "missing": 1, "outdated_count": 2,
            "owner_distribution": {"A": 6, "B": 4},
            "files": [{"path": "docs/tools/x.md", "days_old": 10}, {"path": "docs/api/y.md", "days_old": 100}],
        },
        "links": {"total_links": 10, "broken_links": 1},
        "duplicates": {"exact_duplicates": 1},
    })
}

async fn post_audit(app: &TestClient, body: Value) -> Value {
    let reply = app.post("/api/v1/docs/health/update-metrics", body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["message"], "Metrics updated successfully");
    reply.body["data"].clone()
}

async fn dashboard(app: &TestClient) -> Value {
    let reply = app.get("/api/v1/docs/health/dashboard-metrics").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["success"], true);
    reply.body["data"].clone()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

async fn dashboard_metrics_without_data(app: TestApp) {
    let d = dashboard(&app).await;
    assert_eq!(d["hasData"], false);
    assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(d["metadata"]["generatedAt"].is_string());
    assert_eq!(d["metadata"]["source"], "documentation-api");
    assert_eq!(
        d["healthScore"],
        json!({"current": 0, "grade": "F", "status": "no_data", "trend": "stable"})
    );
    assert_eq!(
        d["freshness"]["distribution"],
        json!([
            {"label": "<30 days", "count": 0, "percentage": 0},
            {"label": "30-60 days", "count": 0, "percentage": 0},
            {"label": "60-90 days", "count": 0, "percentage": 0},
            {"label": ">90 days", "count": 0, "percentage": 0},
        ])
    );
    assert_eq!(
        (
            d["freshness"]["outdatedCount"].clone(),
            d["freshness"]["averageAge"].clone()
        ),
        (json!(0), json!(0))
    );
    assert_eq!(
        d["issues"],
        json!({
            "breakdown": {"frontmatter": 0, "links": 0, "content": 0},
            "bySeverity": {"critical": 0, "high": 0, "medium": 0, "low": 0},
            "total": 0,
        })
    );
    assert_eq!(
        d["coverage"],
        json!({"byOwner": [], "byCategory": [], "totalFiles": 0})
    );
    assert_eq!(d["historical"], json!([]));

    let summary = app.get("/api/v1/docs/health/summary").await.body["data"].clone();
    assert_eq!(summary["hasData"], false);
    assert_eq!(
        (summary["grade"].clone(), summary["status"].clone()),
        (json!("N/A"), json!("no_data"))
    );
    assert_eq!(summary["lastAuditDate"], Value::Null);
    let metrics = app.get("/api/v1/docs/health/metrics").await.body["data"].clone();
    assert_eq!(
        (metrics["health_score"].clone(), metrics["has_data"].clone()),
        (json!(0.0), json!(false))
    );
    let trends = app.get("/api/v1/docs/health/trends").await.body["data"].clone();
    assert_eq!(
        trends,
        json!({"days": 30, "health_score": [], "broken_links": [], "outdated_docs": [], "has_data": false})
    );
}

async fn dashboard_metrics_of_the_contract_example(app: TestApp) {
    let summary = post_audit(&app, example()).await;
    assert_eq!(summary["trigger"], "posted");
    assert_eq!(summary["healthScore"], 88.4);
    let d = dashboard(&app).await;
    assert_eq!(
        keys(&d),
        [
            "coverage",
            "freshness",
            "hasData",
            "healthScore",
            "historical",
            "issues",
            "lastAuditDate",
            "metadata"
        ]
    );
    assert_eq!(keys(&d["metadata"]), ["generatedAt", "source", "version"]);
    assert_eq!(
        d["healthScore"],
        json!({"current": 88.4, "grade": "B", "status": "good", "trend": "stable"})
    );
    let counts: Vec<&Value> = d["freshness"]["distribution"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| &b["count"])
        .collect();
    assert_eq!(counts, [1, 0, 0, 1]);
    assert_eq!(
        d["freshness"]["distribution"][3],
        json!({"label": ">90 days", "count": 1, "percentage": 50})
    );
    assert_eq!(d["freshness"]["outdatedCount"], 2);
    assert_eq!(d["freshness"]["averageAge"], 55);
    assert_eq!(
        d["issues"]["breakdown"],
        json!({"frontmatter": 1, "links": 1, "content": 2})
    );
    assert_eq!(
        d["issues"]["bySeverity"],
        json!({"critical": 2, "high": 0, "medium": 2, "low": 0})
    );
    assert_eq!(d["issues"]["total"], 4);
    assert_eq!(
        d["coverage"]["byOwner"][0],
        json!({"owner": "A", "count": 6, "percentage": 60})
    );
    assert_eq!(
        d["coverage"]["byOwner"][1],
        json!({"owner": "B", "count": 4, "percentage": 40})
    );
    assert_eq!(
        d["coverage"]["byCategory"],
        json!([{"category": "API", "count": 1, "percentage": 10}, {"category": "Tools", "count": 1, "percentage": 10}])
    );
    assert_eq!(d["coverage"]["totalFiles"], 10);
    let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
    assert_eq!(
        d["historical"],
        json!([{"date": today, "healthScore": 88.4, "issueCount": 4}])
    );
    assert_eq!(d["hasData"], true);
}

async fn update_metrics_refuses_bad_documents(app: TestApp) {
    let reply = app
        .post(
            "/api/v1/docs/health/update-metrics",
            json!({"frontmatter": {}}),
        )
        .await;
    reply.envelope(400, "INVALID_AUDIT_DATA");
    assert_eq!(
        reply.body["error"],
        "Invalid audit data. Must include frontmatter, links, and duplicates"
    );
    assert_eq!(reply.error_fields(), ["links", "duplicates"]);

    let mut bad = example();
    bad["frontmatter"]["total_files"] = json!(-3);
    bad["links"]["broken_links"] = json!(11);
    bad["timestamp"] = json!("yesterday-ish");
    let reply = app.post("/api/v1/docs/health/update-metrics", bad).await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        reply.error_fields(),
        ["timestamp", "frontmatter.total_files", "links.broken_links"]
    );

    let reply = app
        .post("/api/v1/docs/health/update-metrics", json!([1]))
        .await;
    reply.envelope(400, "VALIDATION_ERROR");
    let raw = app
        .send(
            app.request(reqwest::Method::POST, "/api/v1/docs/health/update-metrics")
                .body("frontmatter"),
        )
        .await;
    raw.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    let mut future = example();
    future["timestamp"] = json!((Utc::now() + Duration::days(2)).to_rfc3339());
    app.post("/api/v1/docs/health/update-metrics", future)
        .await
        .envelope(400, "VALIDATION_ERROR");
    // Nothing of the refused documents was stored.
    assert_eq!(app.count_rows("documentation_docs_health_runs").await, 0);

    // U+0000 is refused in any body, as everywhere in the fleet (PostgreSQL cannot store it).
    let mut nul = example();
    nul["frontmatter"]["owner_distribution"] = json!({"a\u{0}b": 10});
    let reply = app.post("/api/v1/docs/health/update-metrics", nul).await;
    reply.envelope(400, "VALIDATION_ERROR");
}

fn at(days_ago: i64) -> String {
    (Utc::now() - Duration::days(days_ago)).to_rfc3339()
}

/// An audit document scoring `complete × 4 + 60` (links and duplicates perfect).
fn scoring(complete: i64, days_ago: i64, broken: i64) -> Value {
    json!({
        "timestamp": at(days_ago),
        "frontmatter": {"total_files": 10, "complete": complete},
        "links": {"total_links": 100, "broken_links": broken},
        "duplicates": {},
    })
}

async fn trends_and_historical_are_daily_and_oldest_first(app: TestApp) {
    // Posted out of order, and twice for the day three days ago (the later one counts).
    post_audit(&app, scoring(7, 1, 0)).await;
    post_audit(&app, scoring(1, 3, 0)).await;
    let mut later = scoring(5, 3, 2);
    later["timestamp"] =
        json!((Utc::now() - Duration::days(3) + Duration::minutes(1)).to_rfc3339());
    post_audit(&app, later).await;
    post_audit(&app, scoring(10, 0, 0)).await;
    // Older than the trend window asked for below.
    post_audit(&app, scoring(2, 20, 0)).await;

    let day = |n: i64| {
        (Utc::now() - Duration::days(n))
            .date_naive()
            .format("%Y-%m-%d")
            .to_string()
    };
    let t = app.get("/api/v1/docs/health/trends?days=7").await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    let t = &t.body["data"];
    assert_eq!(t["days"], 7);
    assert_eq!(t["has_data"], true);
    assert_eq!(
        t["health_score"],
        json!([
            {"timestamp": day(3), "value": 79.4},
            {"timestamp": day(1), "value": 88.0},
            {"timestamp": day(0), "value": 100.0},
        ])
    );
    assert_eq!(
        t["broken_links"][0],
        json!({"timestamp": day(3), "value": 2})
    );
    assert_eq!(t["outdated_docs"].as_array().map(Vec::len), Some(3));

    let d = dashboard(&app).await;
    let dates: Vec<&str> = d["historical"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|p| p["date"].as_str())
        .collect();
    assert_eq!(dates, [day(20), day(3), day(1), day(0)]);
    assert_eq!(d["historical"][1]["issueCount"], 2);
    assert_eq!(d["healthScore"]["trend"], "improving");
    assert_eq!(d["healthScore"]["current"], 100.0);

    post_audit(&app, scoring(0, 0, 50)).await;
    assert_eq!(dashboard(&app).await["healthScore"]["trend"], "declining");
    let bad = app.get("/api/v1/docs/health/trends?days=0").await;
    bad.envelope(400, "VALIDATION_ERROR");
}

async fn record_fix_counts_fixes(app: TestApp) {
    for bad in [
        json!({"issue_type": "foo"}),
        json!({}),
        json!({"issue_type": 3}),
    ] {
        let reply = app.post("/api/v1/docs/health/record-fix", bad).await;
        reply.envelope(400, "VALIDATION_ERROR");
        assert_eq!(reply.error_fields(), ["issue_type"]);
    }
    for _ in 0..2 {
        let reply = app
            .post(
                "/api/v1/docs/health/record-fix",
                json!({"issue_type": "links"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(reply.body["message"], "Issue fix recorded");
    }
    let reply = app
        .post(
            "/api/v1/docs/health/record-fix",
            json!({"issue_type": "frontmatter"}),
        )
        .await;
    assert_eq!(
        reply.body["data"],
        json!({"issue_type": "frontmatter", "issues_fixed": 1})
    );
    let m = app.get("/api/v1/docs/health/metrics").await.body["data"].clone();
    assert_eq!(m["issues_fixed_total"], 3);
    let text = app.get("/metrics").await.text;
    assert!(
        text.contains(
            r#"docs_issues_fixed_total{service="documentation-api",issue_type="links"} 2"#
        ),
        "{text}"
    );
}

/// A second instance on the same database (a restart): the stored runs, the counters,
/// and the metrics it loads at start.
async fn runs_survive_a_restart(app: TestApp) {
    let summary = post_audit(&app, example()).await;
    app.post(
        "/api/v1/docs/health/record-fix",
        json!({"issue_type": "duplicates"}),
    )
    .await;
    let state = state_sharing(&app, &[]).await;
    let options = state.core.serve_options();
    let second = TestClient::serve(documentation_api::router(state), options).await;
    let line = r#"docs_health_score{service="documentation-api"} 88.4"#;
    let mut loaded = false;
    for _ in 0..50 {
        if second.get("/metrics").await.text.contains(line) {
            loaded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(loaded, "the metrics were not loaded at start");
    let text = second.get("/metrics").await.text;
    assert!(
        text.contains(r#"docs_audit_runs_total{service="documentation-api"} 1"#),
        "{text}"
    );
    assert_eq!(
        second.get("/api/v1/docs/health/summary").await.body["data"],
        summary
    );
    let m = second.get("/api/v1/docs/health/metrics").await.body["data"].clone();
    assert_eq!(
        (
            m["audit_runs_total"].clone(),
            m["issues_fixed_total"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(dashboard(&second).await["healthScore"]["current"], 88.4);
}
