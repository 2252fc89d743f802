//! The zero-filled activity series, the health scores, and the one search over
//! everything.

use super::*;
use crate::both_backends;

both_backends!(
    activity_is_a_zero_filled_daily_series,
    health_scores_and_overall_health,
    search_looks_in_systems_ideas_and_files,
);

async fn activity_is_a_zero_filled_daily_series(app: TestApp) {
    app.create_system("today").await;
    for title in ["now", "two days ago", "done long ago", "ten days ago"] {
        let status = if title == "done long ago" {
            "done"
        } else {
            "backlog"
        };
        create(
            &app,
            "/api/v1/ideas",
            json!({"title": title, "category": "api", "status": status}),
        )
        .await;
    }
    backdate(
        &app,
        "documentation_ideas",
        "created_at",
        2,
        "title = 'two days ago'",
    )
    .await;
    backdate(
        &app,
        "documentation_ideas",
        "created_at",
        5,
        "title = 'done long ago'",
    )
    .await;
    backdate(
        &app,
        "documentation_ideas",
        "completed_at",
        4,
        "title = 'done long ago'",
    )
    .await;
    backdate(
        &app,
        "documentation_ideas",
        "created_at",
        10,
        "title = 'ten days ago'",
    )
    .await;
    insert_file(
        &app,
        FileRow {
            name: "a.txt",
            mime: "text/plain",
            size: 1,
            public: false,
            downloads: 0,
            idea: None,
            uploader: "x",
            description: None,
            days_ago: 1,
        },
    )
    .await;

    let week = data(&app, "/api/v1/stats/activity?days=7").await;
    let week = week.as_array().expect("series");
    let today = Utc::now().date_naive();
    let dates: Vec<String> = (0..7)
        .rev()
        .map(|n| (today - Duration::days(n)).format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(
        week.iter()
            .map(|d| d["date"].as_str().expect("date"))
            .collect::<Vec<_>>(),
        dates,
        "oldest first"
    );
    let n = |d: &Value, key: &str| d[key].as_i64().expect("count");
    let counts: Vec<(i64, i64, i64, i64)> = week
        .iter()
        .map(|d| {
            (
                n(d, "systems_created"),
                n(d, "ideas_created"),
                n(d, "ideas_completed"),
                n(d, "files_uploaded"),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            (0, 0, 0, 0),
            (0, 1, 0, 0),
            (0, 0, 1, 0),
            (0, 0, 0, 0),
            (0, 1, 0, 0),
            (0, 0, 0, 1),
            (1, 1, 0, 0)
        ]
    );
    let month = data(&app, "/api/v1/stats/activity?days=30").await;
    let month = month.as_array().expect("series");
    assert_eq!(month.len(), 30);
    assert_eq!(month[19]["ideas_created"], 1, "ten days ago");
    assert_eq!(
        month
            .iter()
            .map(|d| d["ideas_created"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        4
    );
    assert_eq!(
        data(&app, "/api/v1/stats/activity?days=1")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    for bad in ["0", "366", "week"] {
        let refused = app.get(&format!("/api/v1/stats/activity?days={bad}")).await;
        refused.envelope(400, "VALIDATION_ERROR");
        assert_eq!(refused.error_fields(), ["days"], "{bad}");
    }
}

async fn health_scores_and_overall_health(app: TestApp) {
    for (name, status, url) in [
        ("web", "online", Some("http://localhost:1")),
        ("db", "maintenance", None),
        ("old", "unknown", None),
        ("bad", "error", None),
    ] {
        create(
            &app,
            "/api/v1/systems",
            json!({"name": name, "status": status, "url": url}),
        )
        .await;
    }
    let (pg_now, sqlite_now) = at(Utc::now());
    let (pg_old, sqlite_old) = at(Utc::now() - Duration::days(2));
    let set = |time: &str, rest: &str, name: &str| {
        format!(
            "UPDATE documentation_systems SET last_checked = {time}{rest} WHERE name = '{name}'"
        )
    };
    exec(
        &app,
        &set(&pg_now, ", response_time_ms = 1500", "web"),
        &set(&sqlite_now, ", response_time_ms = 1500", "web"),
    )
    .await;
    exec(
        &app,
        &set(&pg_old, ", last_message = 'HTTP 500'", "bad"),
        &set(&sqlite_old, ", last_message = 'HTTP 500'", "bad"),
    )
    .await;

    let health = data(&app, "/api/v1/stats/health").await;
    let systems = health["systems"].as_array().expect("systems");
    let scored: Vec<(&str, i64, Vec<&str>)> = systems
        .iter()
        .map(|s| {
            let issues = s["issues"]
                .as_array()
                .expect("issues")
                .iter()
                .map(|i| i.as_str().expect("issue"))
                .collect();
            (
                s["name"].as_str().expect("name"),
                s["health_score"].as_i64().expect("score"),
                issues,
            )
        })
        .collect();
    assert_eq!(
        scored,
        [
            (
                "bad",
                15,
                vec![
                    "Last check failed: HTTP 500",
                    "No URL to check",
                    "Not checked for over 24 hours"
                ]
            ),
            ("db", 75, vec!["In maintenance", "No URL to check"]),
            (
                "old",
                40,
                vec!["Status unknown", "No URL to check", "Never checked"]
            ),
            ("web", 90, vec!["Slow response: 1500 ms"]),
        ]
    );
    let web = &systems[3];
    assert_eq!(web["url"], "http://localhost:1");
    assert!(web["last_checked"].is_string() && web["last_updated"].is_string());
    assert_eq!(systems[1]["last_checked"], Value::Null);
    assert_eq!(
        health["counters"],
        json!({"total": 4, "online": 1, "offline": 0, "error": 1, "unknown": 1, "maintenance": 1})
    );
    assert_eq!(
        health["overall_health"], "degraded",
        "one of three watched fails"
    );

    let web_id = web["id"].as_str().expect("id");
    let down = app
        .json(
            Method::PUT,
            &format!("/api/v1/systems/{web_id}"),
            json!({"status": "offline"}),
        )
        .await;
    assert_eq!(down.status, StatusCode::OK, "{}", down.text);
    let health = data(&app, "/api/v1/stats/health").await;
    assert_eq!(
        health["overall_health"], "critical",
        "two of three watched fail"
    );
    assert_eq!(health["systems"][3]["health_score"], 0);
}

async fn search_looks_in_systems_ideas_and_files(app: TestApp) {
    app.create_system("Docs Hub").await;
    app.create_system("Grafana").await;
    create(
        &app,
        "/api/v1/ideas",
        json!({"title": "Write DOCS", "category": "content"}),
    )
    .await;
    create(
        &app,
        "/api/v1/ideas",
        json!({"title": "other", "description": "see the docs", "category": "api"}),
    )
    .await;
    create(
        &app,
        "/api/v1/ideas",
        json!({"title": "unrelated", "category": "api"}),
    )
    .await;
    for (name, description) in [
        ("docs.pdf", None),
        ("x.bin", Some("the Docs dump")),
        ("y.bin", None),
    ] {
        insert_file(
            &app,
            FileRow {
                name,
                mime: "application/octet-stream",
                size: 10,
                public: false,
                downloads: 0,
                idea: None,
                uploader: "x",
                description,
                days_ago: 0,
            },
        )
        .await;
    }
    let found = data(&app, "/api/v1/stats/search?q=%20doc%20").await;
    assert_eq!(found["query"], "doc");
    assert_eq!(found["total_results"], 5);
    let names = |kind: &str, key: &str| -> Vec<String> {
        found["results"][kind]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r[key].as_str().expect("name").to_string())
            .collect()
    };
    assert_eq!(names("systems", "name"), ["Docs Hub"]);
    assert_eq!(names("ideas", "title"), ["other", "Write DOCS"]);
    assert_eq!(names("files", "original_name"), ["x.bin", "docs.pdf"]);
    assert_eq!(found["results"]["files"][0]["size_bytes"], 10);
    assert_eq!(
        found["filters_applied"],
        json!({"systems": true, "ideas": true, "files": true, "limit": 20})
    );

    let only = data(
        &app,
        "/api/v1/stats/search?q=doc&ideas=false&files=false&limit=1",
    )
    .await;
    assert_eq!(only["total_results"], 1);
    assert_eq!(
        (
            only["results"]["ideas"].clone(),
            only["results"]["files"].clone()
        ),
        (json!([]), json!([]))
    );
    assert_eq!(
        only["filters_applied"],
        json!({"systems": true, "ideas": false, "files": false, "limit": 1})
    );
    let capped = data(&app, "/api/v1/stats/search?q=doc&limit=1").await;
    assert_eq!(capped["total_results"], 3, "at most one of each");

    for q in ["q=a", "q=%20%20a%20", "", "q="] {
        let short = app.get(&format!("/api/v1/stats/search?{q}")).await;
        short.envelope(400, "VALIDATION_ERROR");
        assert_eq!(
            short.body["error"], "Search query must be at least 2 characters long",
            "{q}"
        );
    }
    let bad = app
        .get("/api/v1/stats/search?q=doc&limit=101&systems=maybe")
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(bad.error_fields(), ["systems", "limit"]);
}
