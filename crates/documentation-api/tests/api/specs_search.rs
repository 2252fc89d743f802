//! Spec search and suggest over every document and version: ranking, filters, scores
//! within 0..1, validation.

use reqwest::StatusCode;
use serde_json::json;

use crate::specs::{WIDGETS, fleet_fixture, write};

fn titles(reply: &shared::testing::Reply) -> Vec<String> {
    reply.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn ranks_title_matches_first_with_normalised_scores() {
    let app = fleet_fixture().await;
    let reply = app.get("/api/v1/search?q=gadgets").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["version"], "latest");
    let results = reply.body["results"].as_array().expect("results");
    assert_eq!(results[0]["title"], "List gadgets", "{}", reply.text);
    assert_eq!(results[0]["type"], "endpoint");
    assert_eq!(results[0]["method"], "GET");
    assert_eq!(results[0]["path"], "/gadgets");
    assert_eq!(results[0]["source"], "openapi");
    assert_eq!(results[0]["version"], "1.0.0");
    assert_eq!(results[0]["score"], 1.0);
    // Titles first; "List gadgets" only says "widgets" in its description.
    let reply = app.get("/api/v1/search?q=widgets&type=endpoint").await;
    assert_eq!(
        titles(&reply).last().map(String::as_str),
        Some("List gadgets"),
        "{}",
        reply.text
    );
    let results = reply.body["results"].as_array().expect("results");
    assert_eq!(results.len(), 4, "{}", reply.text);
    assert_eq!(reply.body["total"], 4);
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().expect("score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
    assert_eq!(scores[0], 1.0);
    assert!(scores[3] < 1.0, "{scores:?}");
    // Stemmed: "widget" finds the plural.
    assert!(
        titles(&app.get("/api/v1/search?q=widget").await).contains(&"List widgets".to_string())
    );
}

#[tokio::test]
async fn filters_by_type_source_and_limit() {
    let app = fleet_fixture().await;
    let schemas = app.get("/api/v1/search?q=widget&type=schema").await;
    assert_eq!(titles(&schemas), ["Widget"]);
    assert_eq!(
        schemas.body["results"][0]["path"],
        "#/components/schemas/Widget"
    );
    let async_only = app
        .get("/api/v1/search?q=docs%20index&source=asyncapi")
        .await;
    let kinds: Vec<&str> = async_only.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["type"].as_str().unwrap_or_default())
        .collect();
    assert!(
        kinds.contains(&"channel") && kinds.contains(&"message"),
        "{}",
        async_only.text
    );
    assert_eq!(async_only.body["results"][0]["source"], "asyncapi");
    for document in ["events", "events.yaml"] {
        let one = app
            .get(&format!("/api/v1/search?q=docs&document={document}"))
            .await;
        let documents: Vec<&str> = one.body["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["document"].as_str().unwrap_or_default())
            .collect();
        assert!(
            !documents.is_empty() && documents.iter().all(|d| *d == "events"),
            "{}",
            one.text
        );
    }
    let limited = app.get("/api/v1/search?q=widget&limit=1").await;
    assert_eq!(limited.body["results"].as_array().map(Vec::len), Some(1));
    assert!(
        limited.body["total"].as_u64().is_some_and(|t| t > 1),
        "total counts every match"
    );
}

#[tokio::test]
async fn published_versions_are_searched_and_latest_is_the_default() {
    let app = fleet_fixture().await;
    assert_eq!(app.get("/api/v1/search?q=sprockets").await.body["total"], 0);
    write(
        &app.specs,
        "widgets.yaml",
        &WIDGETS.replace("List gadgets", "List sprockets"),
    );
    let minor = app
        .post("/api/v1/docs/versions/widgets", json!({"type": "minor"}))
        .await;
    assert_eq!(minor.status, StatusCode::CREATED, "{}", minor.text);
    write(&app.specs, "widgets.yaml", WIDGETS);
    let latest = app.get("/api/v1/search?q=sprockets").await;
    assert_eq!(titles(&latest), ["List sprockets"], "{}", latest.text);
    assert_eq!(latest.body["results"][0]["version"], "1.1.0");
    let current = app
        .get("/api/v1/search?q=gadgets&version=current&type=endpoint")
        .await;
    assert_eq!(
        current.body["results"][0]["version"], "1.0.0",
        "{}",
        current.text
    );
    let exact = app.get("/api/v1/search?q=sprockets&version=1.0.0").await;
    assert_eq!(exact.body["total"], 0);
    let all = app
        .get("/api/v1/search?q=widgets&version=all&type=endpoint&limit=100")
        .await;
    let versions: std::collections::BTreeSet<&str> = all.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["version"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(versions.into_iter().collect::<Vec<_>>(), ["1.0.0", "1.1.0"]);
}

#[tokio::test]
async fn invalid_parameters_are_a_400_with_errors() {
    let app = fleet_fixture().await;
    for path in [
        "/api/v1/search",
        "/api/v1/search?q=%20%20",
        "/api/v1/search?q=x&type=guide",
        "/api/v1/search?q=x&source=markdown",
        "/api/v1/search?q=x&limit=0",
        "/api/v1/search?q=x&limit=101",
        "/api/v1/search?q=x&version=newest",
        "/api/v1/suggest",
        "/api/v1/suggest?q=wid&limit=11",
    ] {
        let reply = app.get(path).await;
        reply.envelope(400, "VALIDATION_ERROR");
        assert!(
            reply.body["errors"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn suggest_completes_prefixes_once_per_text() {
    let app = fleet_fixture().await;
    assert_eq!(
        app.post("/api/v1/docs/versions/widgets", json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
    let reply = app.get("/api/v1/suggest?q=wid&version=all").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let texts: Vec<&str> = reply.body["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .map(|s| s["text"].as_str().unwrap_or_default())
        .collect();
    assert!(
        texts.contains(&"Widget") && texts.contains(&"List widgets"),
        "{texts:?}"
    );
    let unique: std::collections::BTreeSet<&&str> = texts.iter().collect();
    assert_eq!(
        unique.len(),
        texts.len(),
        "de-duplicated by text: {texts:?}"
    );
    assert!(texts.len() <= 5);
    let first = &reply.body["suggestions"][0];
    for key in ["text", "type", "source", "version"] {
        assert!(first[key].is_string(), "{key}: {first}");
    }
    let two_words = app.get("/api/v1/suggest?q=list%20gad").await;
    assert_eq!(
        two_words.body["suggestions"][0]["text"], "List gadgets",
        "{}",
        two_words.text
    );
}
