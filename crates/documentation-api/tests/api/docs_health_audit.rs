//! The built-in audit over HTTP: its findings on the fixture corpus, the score
//! arithmetic, the issue lists, the latest report and the metrics on `/metrics`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::docs_health_fixture::CorpusApp;
use crate::on_corpus;

on_corpus!(true =>
    audit_finds_what_the_fixture_holds,
    issues_list_each_kind_with_limits,
    latest_report_is_the_latest_stored_run,
    metrics_read_the_stored_values,
);
on_corpus!(false => audit_of_an_empty_corpus_scores_zero);

async fn audit(c: &CorpusApp) -> Value {
    let reply = c.app.post("/api/v1/docs/health/audit", json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["success"], true);
    reply.body["data"].clone()
}

async fn audit_finds_what_the_fixture_holds(c: CorpusApp) {
    let summary = audit(&c).await;
    assert_eq!(summary["healthScore"], 71.9, "{summary}");
    assert_eq!(summary["grade"], "C");
    assert_eq!(summary["status"], "fair");
    assert_eq!(summary["trigger"], "manual");
    assert_eq!(summary["totalFiles"], 8);
    assert_eq!(
        summary["issuesSummary"],
        json!({"frontmatter": 4, "links": 3, "duplicates": 1, "outdated": 1})
    );
    let again = c.app.get("/api/v1/docs/health/summary").await;
    assert_eq!(again.body["data"], summary);

    let m = c.app.get("/api/v1/docs/health/metrics").await.body["data"].clone();
    assert_eq!(m["frontmatter_complete"], 4);
    assert_eq!(m["frontmatter_missing"], 1);
    assert_eq!(m["frontmatter_incomplete"], 1);
    assert_eq!(m["links_broken"], 3);
    assert_eq!(m["links_total"], 14);
    assert_eq!(m["links_success_rate"], 75.0);
    assert_eq!(m["duplicate_groups"], 1);
    assert_eq!(m["outdated_count"], 1);
    assert_eq!(m["audit_runs_total"], 1);
    assert_eq!(m["has_data"], true);

    let d = c
        .app
        .get("/api/v1/docs/health/dashboard-metrics")
        .await
        .body["data"]
        .clone();
    assert_eq!(d["hasData"], true);
    let counts: Vec<&Value> = d["freshness"]["distribution"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| &b["count"])
        .collect();
    assert_eq!(counts, [2, 1, 1, 1]);
    assert_eq!(d["freshness"]["distribution"][0]["percentage"], 40);
    assert_eq!(d["freshness"]["averageAge"], 66);
    assert_eq!(d["freshness"]["outdatedCount"], 1);
    assert_eq!(
        d["issues"],
        json!({
            "breakdown": {"frontmatter": 4, "links": 3, "content": 2},
            "bySeverity": {"critical": 4, "high": 3, "medium": 1, "low": 1},
            "total": 9,
        })
    );
    assert_eq!(
        d["coverage"]["byOwner"],
        json!([
            {"owner": "unassigned", "count": 3, "percentage": 38},
            {"owner": "alice", "count": 2, "percentage": 25},
            {"owner": "bob", "count": 2, "percentage": 25},
            // U+0000 is stored as U+FFFD on both engines.
            {"owner": "car\u{fffd}ol", "count": 1, "percentage": 13},
        ])
    );
    assert_eq!(
        d["coverage"]["byCategory"],
        json!([
            {"category": "guide", "count": 4, "percentage": 50},
            {"category": "Other", "count": 3, "percentage": 38},
            {"category": "notes", "count": 1, "percentage": 13},
        ])
    );
    assert_eq!(d["coverage"]["totalFiles"], 8);
    assert_eq!(d["healthScore"]["current"], 71.9);
    assert_eq!(d["historical"].as_array().map(Vec::len), Some(1));
}

async fn issues(c: &CorpusApp, query: &str) -> Value {
    let reply = c
        .app
        .get(&format!("/api/v1/docs/health/issues?{query}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["data"].clone()
}

async fn issues_list_each_kind_with_limits(c: CorpusApp) {
    let before = issues(&c, "type=links").await;
    assert_eq!(before["hasData"], false);
    assert!(before["message"].is_string());
    audit(&c).await;

    let links = issues(&c, "type=links").await;
    assert_eq!(
        (links["total"].clone(), links["showing"].clone()),
        (json!(3), json!(3))
    );
    let found: Vec<(String, i64, String)> = links["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            (
                i["url"].as_str().unwrap_or_default().to_string(),
                i["line"].as_i64().unwrap_or_default(),
                i["priority"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("guide/missing.md".to_string(), 16, "high".to_string()),
            (
                "guide/setup.md#nowhere".to_string(),
                17,
                "medium".to_string()
            ),
            ("#absent".to_string(), 19, "medium".to_string()),
        ]
    );
    assert_eq!(links["issues"][0]["file"], "index.md");
    assert_eq!(links["issues"][0]["link_text"], "Missing");
    assert_eq!(
        links["issues"][0]["error"],
        "File not found: guide/missing.md"
    );

    let fm = issues(&c, "type=frontmatter").await;
    let mut pairs: Vec<(String, String)> = fm["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| {
            (
                i["file"].as_str().unwrap_or_default().into(),
                i["issue"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    pairs.sort();
    let expected: Vec<(String, String)> = [
        ("broken.md", "Invalid frontmatter"),
        ("guide/copy-a.md", "Incomplete frontmatter"),
        ("guide/copy-b.md", "Invalid last_review"),
        ("notes/stub.md", "Missing frontmatter"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(pairs, expected);
    let missing = fm["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .find(|i| i["file"] == "notes/stub.md")
        .cloned();
    assert_eq!(missing.expect("missing")["severity"], "critical");

    let dups = issues(&c, "type=duplicates").await;
    assert_eq!(
        dups["issues"][0]["files"],
        json!(["guide/copy-a.md", "guide/copy-b.md"])
    );
    assert_eq!(dups["issues"][0]["count"], 2);
    assert_eq!(dups["issues"][0]["category"], "exact_duplicate");

    let outdated = issues(&c, "type=outdated").await;
    assert_eq!(outdated["total"], 1);
    assert_eq!(outdated["issues"][0]["file"], "guide/stale.md");
    assert_eq!(outdated["issues"][0]["days_old"], 200);
    assert_eq!(outdated["issues"][0]["domain"], "ops");
    assert_eq!(outdated["issues"][0]["type"], "guide");

    let one = issues(&c, "type=links&limit=1").await;
    assert_eq!(
        (one["total"].clone(), one["showing"].clone()),
        (json!(3), json!(1))
    );

    for bad in ["type=bogus", "", "type=links&limit=0"] {
        let reply = c
            .app
            .get(&format!("/api/v1/docs/health/issues?{bad}"))
            .await;
        reply.envelope(400, "VALIDATION_ERROR");
    }
    let reply = c.app.get("/api/v1/docs/health/issues?type=bogus").await;
    assert_eq!(
        reply.body["error"],
        "Invalid issue type. Must be: frontmatter, links, duplicates, or outdated"
    );
}

async fn latest_report_is_the_latest_stored_run(c: CorpusApp) {
    let none = c.app.get("/api/v1/docs/health/latest-report").await;
    none.envelope(404, "NOT_FOUND");
    assert_eq!(none.body["error"], "No audit reports found");
    let summary = audit(&c).await;
    let reply = c.app.get("/api/v1/docs/health/latest-report").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let report = &reply.body["data"];
    assert_eq!(report["id"], summary["id"]);
    assert_eq!(report["reportDate"], summary["lastAuditDate"]);
    assert_eq!(report["healthScore"], 71.9);
    assert!(
        report["reportFile"]
            .as_str()
            .is_some_and(|f| f.ends_with("-documentation-audit.md"))
    );
    assert!(
        report["content"]
            .as_str()
            .is_some_and(|t| t.contains("Health score: 71.9"))
    );
    let dir = c.dir.path().to_str().expect("path");
    assert!(!reply.text.contains(dir), "no server paths: {}", reply.text);
}

/// The value of the sample `line` (name with labels) on `/metrics`.
pub async fn sample(c: &CorpusApp, line: &str) -> Option<f64> {
    let text = c.app.get("/metrics").await.text;
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_read_the_stored_values(c: CorpusApp) {
    let s = r#"service="documentation-api""#;
    assert_eq!(
        sample(&c, &format!("docs_audit_runs_total{{{s}}}")).await,
        Some(0.0)
    );
    assert_eq!(sample(&c, &format!("docs_health_score{{{s}}}")).await, None);
    audit(&c).await;
    let expect = [
        (format!("docs_health_score{{{s}}}"), 71.9),
        (format!("docs_total_files{{{s}}}"), 8.0),
        (format!("docs_domain_files{{{s},domain=\"ops\"}}"), 6.0),
        (format!("docs_frontmatter_missing{{{s}}}"), 1.0),
        (format!("docs_links_broken{{{s},priority=\"high\"}}"), 1.0),
        (format!("docs_links_broken{{{s},priority=\"medium\"}}"), 2.0),
        (format!("docs_links{{{s},type=\"external\"}}"), 2.0),
        (format!("docs_links_success_rate{{{s}}}"), 75.0),
        (format!("docs_outdated_files{{{s}}}"), 1.0),
        (format!("docs_duplicate_groups{{{s}}}"), 1.0),
        (format!("docs_audit_runs_total{{{s}}}"), 1.0),
        (format!("docs_file_age_seconds_count{{{s}}}"), 5.0),
        (
            format!("docs_file_age_seconds_bucket{{{s},le=\"2592000\"}}"),
            2.0,
        ),
        (format!("docs_file_age_seconds_sum{{{s}}}"), 330.0 * 86400.0),
        (format!("docs_file_size_lines_count{{{s}}}"), 8.0),
        (format!("docs_audit_duration_seconds_count{{{s}}}"), 1.0),
    ];
    for (line, value) in expect {
        assert_eq!(sample(&c, &line).await, Some(value), "{line}");
    }
}

async fn audit_of_an_empty_corpus_scores_zero(c: CorpusApp) {
    let summary = audit(&c).await;
    assert_eq!(summary["healthScore"], 0.0);
    assert_eq!(summary["grade"], "F");
    assert_eq!(summary["status"], "critical");
    assert_eq!(summary["totalFiles"], 0);
    let d = c
        .app
        .get("/api/v1/docs/health/dashboard-metrics")
        .await
        .body["data"]
        .clone();
    assert_eq!(d["hasData"], true);
    assert_eq!(d["coverage"]["totalFiles"], 0);
}
