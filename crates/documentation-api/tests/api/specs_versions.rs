//! Versions per document: publish, list, resolve, compare; nothing written to SPECS_DIR.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::specs::{WIDGETS, data, fleet_fixture, write};

#[tokio::test]
async fn publish_list_and_resolve() {
    let app = fleet_fixture().await;
    let before = data(&app.get("/api/v1/docs/versions/widgets").await).clone();
    assert_eq!(before["base"], "1.0.0");
    assert_eq!(before["latest"], "1.0.0");
    assert_eq!(before["all"], json!(["1.0.0"]));

    let minor = app
        .post("/api/v1/docs/versions/widgets", json!({"type": "minor"}))
        .await;
    assert_eq!(minor.status, StatusCode::CREATED, "{}", minor.text);
    assert_eq!(minor.body["data"]["version"], "1.1.0");
    let published = std::fs::read_to_string(app.versions.join("1.1.0/widgets.yaml")).expect("copy");
    assert!(published.contains("  version: 1.1.0\n"), "{published}");
    assert!(published.contains("# A comment the published copy keeps."));
    assert_eq!(
        std::fs::read_to_string(app.specs.join("widgets.yaml")).expect("original"),
        WIDGETS
    );

    let empty_body = app
        .send(app.request(Method::POST, "/api/v1/docs/versions/widgets.yaml"))
        .await;
    assert_eq!(
        empty_body.body["data"]["version"], "1.2.0",
        "minor by default: {}",
        empty_body.text
    );
    let major = app
        .post("/api/v1/docs/versions/widgets", json!({"type": "major"}))
        .await;
    assert_eq!(major.body["data"]["version"], "2.0.0");

    let list = data(&app.get("/api/v1/docs/versions/widgets").await).clone();
    assert_eq!(list["all"], json!(["1.0.0", "1.1.0", "1.2.0", "2.0.0"]));
    assert_eq!(list["latest"], "2.0.0");
    assert_eq!(list["stable"], "1.2.0", "the highest of the base's major");
    let others = data(&app.get("/api/v1/docs/versions/events").await).clone();
    assert_eq!(others["all"], json!(["0.3.0"]), "versions are per document");

    let latest = data(&app.get("/api/v1/docs/versions/widgets/latest").await).clone();
    assert_eq!(latest["version"], "2.0.0");
    assert_eq!(latest["source"], "published");
    let base = data(&app.get("/api/v1/docs/versions/widgets/base").await).clone();
    assert_eq!(base["version"], "1.0.0");
    assert_eq!(base["source"], "current");
    let spec = app.get("/api/v1/docs/versions/widgets/stable/spec").await;
    assert_eq!(spec.header("content-type"), Some("application/yaml"));
    assert!(spec.text.contains("version: 1.2.0"));
    let status = data(&app.get("/api/v1/docs/versions/widgets/1.1.0/status").await).clone();
    assert_eq!(status["status"], "healthy");
    assert_eq!(status["version"], "1.1.0");
    assert_eq!(status["endpoints"], 4);

    let all = app.get("/api/v1/docs/versions").await;
    assert_eq!(all.body["count"], 3, "{}", all.text);
}

#[tokio::test]
async fn errors_speak_the_envelope() {
    let app = fleet_fixture().await;
    app.get("/api/v1/docs/versions/nope")
        .await
        .envelope(404, "NOT_FOUND");
    app.get("/api/v1/docs/versions/widgets/9.9.9")
        .await
        .envelope(404, "NOT_FOUND");
    app.get("/api/v1/docs/versions/widgets/banana/spec")
        .await
        .envelope(404, "NOT_FOUND");
    let bad = app
        .post("/api/v1/docs/versions/widgets", json!({"type": "huge"}))
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["errors"][0]["field"], "type");
    write(
        &app.specs,
        "widgets.yaml",
        &WIDGETS.replace(
            "summary: List gadgets\n      description: Gadgets attached to widgets.\n",
            "",
        ),
    );
    let broken = app.post("/api/v1/docs/versions/widgets", json!({})).await;
    broken.envelope(409, "CONFLICT");
    assert!(!app.versions.join("1.1.0").exists());
    write(&app.specs, "widgets.yaml", WIDGETS);
    assert_eq!(
        app.post("/api/v1/docs/versions/widgets", json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
    // A version another instance published is seen: the next number follows it.
    write(&app.versions, "1.2.0/widgets.yaml", WIDGETS);
    let taken = app
        .post("/api/v1/docs/versions/widgets", json!({"type": "patch"}))
        .await;
    assert_eq!(taken.body["data"]["version"], "1.2.1", "{}", taken.text);
}

#[tokio::test]
async fn compare_lists_added_removed_and_modified_keys() {
    let app = fleet_fixture().await;
    assert_eq!(
        app.post("/api/v1/docs/versions/widgets", json!({"type": "patch"}))
            .await
            .status,
        StatusCode::CREATED
    );
    let changed = WIDGETS
        .replace("  /gadgets:\n", "  /sprockets:\n")
        .replace("summary: Create a widget", "summary: Create one widget")
        .replace(
            "  responses:\n    Widgets:",
            "    Sprocket: { type: object, description: A sprocket. }\n  responses:\n    Widgets:",
        );
    write(
        &app.specs,
        "widgets.yaml",
        &changed.replace("version: 1.0.0", "version: 1.0.1"),
    );
    // 1.0.1 is published and wins over the working copy of the same number: publish 1.0.2.
    assert_eq!(
        app.post("/api/v1/docs/versions/widgets", json!({"type": "patch"}))
            .await
            .status,
        StatusCode::CREATED
    );
    let reply = app
        .get("/api/v1/docs/versions/widgets/compare/1.0.1/latest")
        .await;
    let diff = data(&reply);
    assert_eq!(diff["v1"], "1.0.1");
    assert_eq!(diff["v2"], "1.0.2");
    let changes = &diff["changes"];
    assert_eq!(changes["paths"]["added"], json!(["/sprockets"]));
    assert_eq!(changes["paths"]["removed"], json!(["/gadgets"]));
    assert_eq!(changes["paths"]["modified"], json!(["/widgets"]));
    assert_eq!(changes["operations"]["modified"], json!(["POST /widgets"]));
    assert_eq!(
        changes["components"]["schemas"]["added"],
        json!(["Sprocket"])
    );
    assert_eq!(changes["components"]["responses"]["modified"], json!([]));
    assert_eq!(changes["channels"]["added"], json!([]));
}
