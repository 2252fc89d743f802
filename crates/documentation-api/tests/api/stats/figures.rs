//! The figures of `/stats`, `/stats/{systems,ideas,files,dashboard,analytics}` against
//! what is stored, finite numbers included.

use super::*;
use crate::both_backends;

both_backends!(
    an_empty_database_has_finite_zero_figures,
    figures_count_what_is_stored,
    completion_rate_is_a_fraction,
    timeframes_are_echoed_and_checked,
);

async fn an_empty_database_has_finite_zero_figures(app: TestApp) {
    let reply = app.get("/api/v1/stats").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.body["generated_at"].is_string());
    let stats = &reply.body["data"];
    assert_eq!(stats["systems"]["total"], 0);
    assert_eq!(stats["systems"]["by_status"], json!({}));
    assert_eq!(stats["systems"]["online_count"], 0);
    assert_eq!(stats["systems"]["port_range"], Value::Null);
    let ideas = &stats["ideas"];
    assert_eq!(ideas["total"], 0);
    assert_eq!(
        ideas["completion_rate"].as_f64(),
        Some(0.0),
        "a number, not null"
    );
    assert_eq!(ideas["average_completion_days"].as_f64(), Some(0.0));
    assert_eq!(
        ideas["by_status"],
        json!({"backlog": 0, "todo": 0, "in_progress": 0, "review": 0, "done": 0, "cancelled": 0})
    );
    assert_eq!(
        ideas["recent_activity"],
        json!({"created_last_7_days": 0, "completed_last_7_days": 0})
    );
    let files = &stats["files"];
    assert_eq!(
        (files["total"].as_i64(), files["total_size"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(files["total_size_mb"].as_f64(), Some(0.0));
    assert_eq!(files["average_size_mb"].as_f64(), Some(0.0));
    assert_eq!(files["downloads_per_file"].as_f64(), Some(0.0));
    assert_eq!(
        (files["by_mime_type"].clone(), files["by_idea"].clone()),
        (json!({}), json!({}))
    );

    let health = data(&app, "/api/v1/stats/health").await;
    assert_eq!(health["overall_health"], "no_systems");
    assert_eq!(health["systems"], json!([]));
    assert_eq!(
        health["counters"],
        json!({"total": 0, "online": 0, "offline": 0, "error": 0, "unknown": 0, "maintenance": 0})
    );
    let dashboard = app.get("/api/v1/stats/dashboard").await;
    assert_eq!(dashboard.body["timeframe"], "30d");
    assert_eq!(
        dashboard.body["data"]["overview"],
        json!({"total_systems": 0, "active_systems": 0, "total_ideas": 0, "completed_ideas": 0,
               "total_files": 0, "total_storage_mb": 0.0})
    );
    let days = data(&app, "/api/v1/stats/activity").await;
    let days = days.as_array().expect("series");
    assert_eq!(days.len(), 30, "default 30 days");
    assert!(days.iter().all(|d| d["systems_created"] == 0
        && d["ideas_created"] == 0
        && d["ideas_completed"] == 0
        && d["files_uploaded"] == 0));
    let analytics = data(&app, "/api/v1/stats/analytics").await;
    assert_eq!(
        analytics["charts"]["files"]["size_distribution"],
        json!({"labels": ["Small (<1MB)", "Medium (1-10MB)", "Large (10-100MB)", "X-Large (>100MB)"],
               "values": [0, 0, 0, 0]})
    );
    assert_eq!(
        analytics["charts"]["systems"]["by_type"],
        json!({"labels": [], "values": []})
    );
}

async fn figures_count_what_is_stored(app: TestApp) {
    for (name, kind, status, port) in [
        ("web", "api", "online", json!(3000)),
        ("docs", "docs", "offline", json!(8080)),
        ("api", "api", "online", Value::Null),
        ("tool", "tool", "maintenance", Value::Null),
    ] {
        create(
            &app,
            "/api/v1/systems",
            json!({"name": name, "type": kind, "status": status, "port": port}),
        )
        .await;
    }
    let mut ideas = Vec::new();
    for (title, status, category, priority) in [
        ("one", "done", "api", "high"),
        ("two", "done", "api", "low"),
        ("three", "todo", "content", "high"),
        ("four", "in_progress", "frontend", "urgent"),
    ] {
        let body =
            json!({"title": title, "status": status, "category": category, "priority": priority});
        ideas.push(create(&app, "/api/v1/ideas", body).await);
    }
    // "one" took three days from creation to completion, "two" none: 1.5 on average.
    backdate(
        &app,
        "documentation_ideas",
        "created_at",
        3,
        "title = 'one'",
    )
    .await;
    let idea = ideas[0]["id"].as_str().expect("id");
    for f in [
        FileRow {
            name: "design.pdf",
            mime: "application/pdf",
            size: 2 * MIB,
            public: true,
            downloads: 3,
            idea: Some(idea),
            uploader: "maria",
            description: None,
            days_ago: 0,
        },
        FileRow {
            name: "notes.txt",
            mime: "text/plain",
            size: MIB / 2,
            public: false,
            downloads: 1,
            idea: Some(idea),
            uploader: "ana",
            description: None,
            days_ago: 0,
        },
        FileRow {
            name: "dump.zip",
            mime: "application/zip",
            size: 150 * MIB,
            public: false,
            downloads: 0,
            idea: None,
            uploader: "maria",
            description: None,
            days_ago: 0,
        },
    ] {
        insert_file(&app, f).await;
    }

    let systems = data(&app, "/api/v1/stats/systems").await;
    assert_eq!(systems["total"], 4);
    assert_eq!(
        systems["by_status"],
        json!({"maintenance": 1, "offline": 1, "online": 2})
    );
    assert_eq!(systems["by_type"], json!({"api": 2, "docs": 1, "tool": 1}));
    assert_eq!(
        (systems["online_count"].as_i64(), systems["active"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(systems["port_range"], json!({"min": 3000, "max": 8080}));

    let figures = data(&app, "/api/v1/stats/ideas").await;
    assert_eq!(
        [
            &figures["total"],
            &figures["completed"],
            &figures["in_progress"],
            &figures["pending"],
            &figures["review"],
            &figures["cancelled"]
        ],
        [4, 2, 1, 1, 0, 0]
    );
    assert_eq!(figures["completion_rate"].as_f64(), Some(0.5));
    assert_eq!(figures["average_completion_days"].as_f64(), Some(1.5));
    assert_eq!(
        figures["by_priority"],
        json!({"high": 2, "low": 1, "medium": 0, "urgent": 1})
    );
    assert_eq!(figures["by_category"]["api"], 2);
    assert_eq!(figures["by_category"]["bug_fix"], 0);
    assert_eq!(
        figures["recent_activity"],
        json!({"created_last_7_days": 4, "completed_last_7_days": 2})
    );

    let files = data(&app, "/api/v1/stats/files").await;
    let total = 2 * MIB + MIB / 2 + 150 * MIB;
    assert_eq!(files["total"], 3);
    assert_eq!(
        (
            files["total_size"].as_i64(),
            files["total_size_bytes"].as_i64()
        ),
        (Some(total), Some(total))
    );
    assert_eq!(files["total_size_mb"].as_f64(), Some(152.5));
    assert_eq!(files["average_size_mb"].as_f64(), Some(50.83));
    assert_eq!(files["total_downloads"], 4);
    assert_eq!(files["downloads_per_file"].as_f64(), Some(1.33));
    assert_eq!(
        files["by_mime_type"],
        json!({"application/pdf": {"count": 1, "size": 2 * MIB}, "application/zip": {"count": 1, "size": 150 * MIB},
               "text/plain": {"count": 1, "size": MIB / 2}})
    );
    assert_eq!(files["by_uploader"], json!({"ana": 1, "maria": 2}));
    assert_eq!(files["by_idea"].as_object().map(|m| m.len()), Some(1));
    assert_eq!(files["by_idea"][idea], 2);
    assert_eq!(
        files["by_visibility"],
        json!({"public": {"count": 1, "size": 2 * MIB}, "private": {"count": 2, "size": 150 * MIB + MIB / 2}})
    );
    assert_eq!(
        files["size_distribution"],
        json!({"small": 1, "medium": 1, "large": 0, "xlarge": 1})
    );
    assert_eq!(
        files["storage_efficiency"],
        json!({"small_files_percentage": 33, "large_files_percentage": 33})
    );

    let stats = data(&app, "/api/v1/stats").await;
    assert_eq!(stats["systems"], systems);
    assert_eq!(stats["ideas"], figures);
    assert_eq!(stats["files"], files);

    let dashboard = data(&app, "/api/v1/stats/dashboard").await;
    assert_eq!(
        dashboard["overview"],
        json!({"total_systems": 4, "active_systems": 2, "total_ideas": 4, "completed_ideas": 2,
               "total_files": 3, "total_storage_mb": 152.5})
    );
    assert_eq!(
        dashboard["recent_activity"],
        json!({"period_days": 30, "systems_created": 4, "ideas_created": 4, "ideas_completed": 2, "files_uploaded": 3})
    );
    assert_eq!(dashboard["ideas"], figures);

    let charts = data(&app, "/api/v1/stats/analytics").await["charts"].clone();
    assert_eq!(
        charts["systems"]["by_type"],
        json!({"labels": ["api", "docs", "tool"], "values": [2, 1, 1]})
    );
    assert_eq!(
        charts["ideas"]["by_status"],
        json!({"labels": ["backlog", "todo", "in_progress", "review", "done", "cancelled"], "values": [0, 1, 1, 0, 2, 0]})
    );
    assert_eq!(
        charts["files"]["by_type"],
        json!({"labels": ["pdf", "plain", "zip"], "values": [1, 1, 1]})
    );
    assert_eq!(
        charts["files"]["size_distribution"]["values"],
        json!([1, 1, 0, 1])
    );
    assert_eq!(
        charts["files"]["by_visibility"],
        json!({"labels": ["Public", "Private"], "values": [1, 2]})
    );
}

async fn completion_rate_is_a_fraction(app: TestApp) {
    for status in ["done", "review", "backlog"] {
        create(
            &app,
            "/api/v1/ideas",
            json!({"title": status, "category": "api", "status": status}),
        )
        .await;
    }
    let rate = data(&app, "/api/v1/stats").await["ideas"]["completion_rate"].clone();
    assert_eq!(rate.as_f64(), Some(0.3333), "1 of 3, a fraction: {rate}");
    assert_eq!(
        data(&app, "/api/v1/stats/ideas").await["completion_rate"],
        rate
    );
}

async fn timeframes_are_echoed_and_checked(app: TestApp) {
    let week = app.get("/api/v1/stats/dashboard?timeframe=7d").await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.text);
    assert_eq!(week.body["timeframe"], "7d");
    assert_eq!(week.body["data"]["recent_activity"]["period_days"], 7);
    let analytics = app.get("/api/v1/stats/analytics?timeframe=90d").await;
    assert_eq!(
        (
            analytics.body["timeframe"].as_str(),
            analytics.body["data"]["timeframe"].as_str()
        ),
        (Some("90d"), Some("90d"))
    );
    assert_eq!(
        app.get("/api/v1/stats/analytics").await.body["data"]["timeframe"],
        "30d"
    );
    for path in [
        "/api/v1/stats/dashboard?timeframe=1y",
        "/api/v1/stats/analytics?timeframe=0d",
        "/api/v1/stats/dashboard?timeframe=366d",
    ] {
        let refused = app.get(path).await;
        refused.envelope(400, "VALIDATION_ERROR");
        assert_eq!(refused.error_fields(), ["timeframe"], "{path}");
    }
}
