//! Updates of one item that arrive together are decided in order and written at once;
//! each caller still gets the answer it would have had alone: its own version, its own
//! audit row (its actor, its request id), its own refusal.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    racing_updates_each_get_their_own_version,
    racing_if_match_admits_one,
    a_refused_update_in_a_run_leaves_the_others,
);

const RACERS: usize = 16;

/// Sends every request at once; answers (status, body, ETag) in completion order.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<(StatusCode, Value, Option<String>)> {
    let mut sent = JoinSet::new();
    for request in requests {
        sent.spawn(async move {
            let reply = request.send().await.expect("request");
            let status = reply.status();
            let etag = reply
                .headers()
                .get("etag")
                .map(|v| v.to_str().expect("ascii").to_string());
            (status, reply.json::<Value>().await.expect("json"), etag)
        });
    }
    let mut answers = Vec::new();
    while let Some(done) = sent.join_next().await {
        answers.push(done.expect("task"));
    }
    answers
}

async fn racing_updates_each_get_their_own_version(app: TestApp) {
    let item = app.create_item("raced").await;
    let path = format!("/api/items/{}", item["id"].as_str().expect("id"));
    let requests = (0..RACERS)
        .map(|i| {
            app.request(Method::PUT, &path)
                .header("x-user-id", format!("racer-{i}"))
                .json(&json!({"title": format!("title {i}"), "metadata": {"racer": i}}))
        })
        .collect();
    let mut versions = BTreeSet::new();
    for (status, body, etag) in race(requests).await {
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        let racer = data["metadata"]["racer"].as_u64().expect("racer");
        assert_eq!(data["title"], format!("title {racer}"), "its own change");
        assert_eq!(data["updatedBy"], format!("racer-{racer}"));
        let version = etag
            .as_deref()
            .and_then(|e| {
                e.strip_prefix("\"v")?
                    .strip_suffix('"')?
                    .parse::<i64>()
                    .ok()
            })
            .expect("a version ETag");
        versions.insert(version);
    }
    let expected: BTreeSet<i64> = (2..2 + RACERS as i64).collect();
    assert_eq!(versions, expected, "one version each, none skipped");

    let history = app.get(&format!("{path}/history")).await;
    let entries = history.body["data"].as_array().expect("entries");
    assert_eq!(entries.len(), RACERS + 1);
    let mut request_ids = BTreeSet::new();
    // Newest first: each update's old image is the one before's new image.
    for pair in entries.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        assert_eq!(newer["action"], "updated");
        assert_eq!(
            newer["oldValues"], older["newValues"],
            "a chain of versions"
        );
        let racer = newer["newValues"]["metadata"]["racer"]
            .as_u64()
            .expect("racer");
        assert_eq!(newer["actor"], format!("racer-{racer}"), "its own actor");
        assert_eq!(newer["ipAddress"], "127.0.0.1");
        assert!(
            newer["changedFields"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("title"))),
            "{newer}"
        );
        assert!(newer["changedAt"].as_str().is_some(), "{newer}");
        request_ids.insert(newer["requestId"].as_str().expect("request id").to_string());
    }
    assert_eq!(request_ids.len(), RACERS, "its own request id");
    let current = app.get(&path).await;
    assert_eq!(current.body["data"], entries[0]["newValues"]);
    assert_eq!(
        app.count_rows("workspace_audit_log").await,
        i64::try_from(RACERS + 1).expect("small")
    );
}

async fn racing_if_match_admits_one(app: TestApp) {
    let item = app.create_item("guarded race").await;
    let path = format!("/api/items/{}", item["id"].as_str().expect("id"));
    let requests = (0..RACERS)
        .map(|i| {
            app.request(Method::PUT, &path)
                .header("if-match", "\"v1\"")
                .json(&json!({"title": format!("winner {i}")}))
        })
        .collect();
    let answers = race(requests).await;
    let won: Vec<_> = answers.iter().filter(|(s, ..)| s.is_success()).collect();
    assert_eq!(won.len(), 1, "only one update was decided on v1");
    for (status, body, _) in &answers {
        if !status.is_success() {
            assert_eq!(*status, StatusCode::PRECONDITION_FAILED, "{body}");
            assert_eq!(body["success"], false);
        }
    }
    let current = app.get(&path).await;
    assert_eq!(current.header("etag"), Some("\"v2\""));
    assert_eq!(current.body["data"]["title"], won[0].1["data"]["title"]);
    assert_eq!(app.count_rows("workspace_audit_log").await, 2);
}

async fn a_refused_update_in_a_run_leaves_the_others(app: TestApp) {
    let item = app.create_item("mixed race").await;
    let path = format!("/api/items/{}", item["id"].as_str().expect("id"));
    let requests = (0..RACERS)
        .map(|i| {
            let body = match i % 4 {
                // Into a category that does not exist: 400 for this one only.
                0 => json!({"category": "no-such-category"}),
                // Into another active one: its run ends there, the rest follow.
                1 => json!({"category": if i % 8 == 1 { "banco-dados" } else { "dashboard" }}),
                _ => json!({"title": format!("title {i}")}),
            };
            app.request(Method::PUT, &path).json(&body)
        })
        .collect();
    let mut statuses: Vec<u16> = Vec::new();
    for (status, body, _) in race(requests).await {
        if status == StatusCode::BAD_REQUEST {
            assert_eq!(body["code"], "INVALID_CATEGORY", "{body}");
        }
        statuses.push(status.as_u16());
    }
    statuses.sort_unstable();
    let refused = RACERS / 4;
    let mut expected = vec![200; RACERS - refused];
    expected.extend(vec![400; refused]);
    assert_eq!(statuses, expected);
    let history = app.get(&format!("{path}/history")).await;
    let entries = history.body["data"].as_array().expect("entries");
    let current = app.get(&path).await;
    let version = current.header("etag").expect("etag").to_string();
    assert_eq!(
        format!("\"v{}\"", entries.len()),
        version,
        "an audit row per version"
    );
    assert_eq!(current.body["data"], entries[0]["newValues"]);
    for pair in entries.windows(2) {
        assert_eq!(pair[0]["oldValues"], pair[1]["newValues"]);
    }
}
