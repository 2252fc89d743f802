//! `/api/v1/docs/status` and `/check`: every document's verdict, broken ones included,
//! and the fleet's own `openapi/` directory passing every check.

use reqwest::StatusCode;

use crate::helpers::{Backend, spawn_with};
use crate::specs::{EVENTS, WIDGETS, data, fleet_fixture, spawn_specs};

#[tokio::test]
async fn every_document_is_listed_with_its_counts() {
    let app = fleet_fixture().await;
    let reply = app.get("/api/v1/docs/status").await;
    let status = data(&reply);
    assert_eq!(status["status"], "ok", "{}", reply.text);
    assert_eq!(status["total"], 3);
    let widgets = &status["documents"]["widgets.yaml"];
    assert_eq!(widgets["kind"], "openapi");
    assert_eq!(widgets["valid"], true);
    assert_eq!(widgets["version"], "1.0.0");
    assert_eq!(widgets["endpoints"], 4);
    assert_eq!(widgets["schemas"], 1);
    let events = &status["documents"]["events.yaml"];
    assert_eq!(events["kind"], "asyncapi");
    assert_eq!(events["channels"], 1);
    assert_eq!(events["messages"], 1);
    assert!(status["lastChecked"].is_string());
    let check = app.get("/api/v1/docs/check").await;
    assert_eq!(data(&check)["status"], "ok");
    assert!(
        data(&check)["message"]
            .as_str()
            .is_some_and(|m| m.contains("completed"))
    );
}

#[tokio::test]
async fn a_broken_spec_is_reported_never_a_500() {
    let structural = WIDGETS
        .replace("    description: local\n", "")
        .replace("      summary: One widget by id\n", "")
        .replace(
            "#/components/responses/Widgets",
            "#/components/responses/Missing",
        )
        .replace("operationId: listGadgets", "operationId: listWidgets")
        .replace("/widgets/{id}:", "/widgets/{widgetId}:");
    let app = spawn_specs(&[
        ("good.yaml", EVENTS),
        ("bad-yaml.yaml", "openapi: 3.1.0\ninfo: [unclosed\n"),
        ("structural.yaml", &structural),
        ("config.yaml", "just: settings\n"),
    ])
    .await;
    let reply = app.get("/api/v1/docs/status").await;
    assert_eq!(reply.status, StatusCode::OK);
    let status = data(&reply);
    assert_eq!(status["status"], "error");
    assert_eq!(
        status["total"], 3,
        "config.yaml is not a spec: {}",
        reply.text
    );
    assert_eq!(status["invalid"], 2);
    assert_eq!(status["documents"]["good.yaml"]["valid"], true);
    let bad = &status["documents"]["bad-yaml.yaml"];
    assert_eq!(bad["valid"], false);
    assert_eq!(bad["kind"], "unknown");
    assert!(
        bad["issues"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("invalid YAML")),
        "{bad}"
    );
    let issues: Vec<String> = status["documents"]["structural.yaml"]["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| i["message"].as_str().unwrap_or_default().to_string())
        .collect();
    for expected in [
        "a server needs a description",
        "an operation needs a summary or a description",
        "unresolved reference #/components/responses/Missing",
        "operationId listWidgets is also used by paths./widgets.get",
        "path parameter widgetId is not declared",
        "path parameter id is not in the path",
    ] {
        assert!(
            issues.iter().any(|i| i == expected),
            "{expected} not in {issues:#?}"
        );
    }
    let check = app.get("/api/v1/docs/check").await;
    assert_eq!(data(&check)["status"], "error");
    assert!(
        data(&check)["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 of 3")),
        "{}",
        check.text
    );
}

#[tokio::test]
async fn an_empty_directory_is_an_error_with_a_reason() {
    let app = spawn_specs(&[]).await;
    let reply = app.get("/api/v1/docs/status").await;
    assert_eq!(data(&reply)["status"], "error");
    assert_eq!(
        data(&reply)["issues"][0],
        "No OpenAPI or AsyncAPI document found"
    );
}

/// What the run command serves by default: the fleet's own documents, every check passed.
#[tokio::test]
async fn the_fleets_own_specs_validate() {
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi");
    let versions = tempfile::tempdir().expect("tempdir");
    let app = spawn_with(
        Backend::Sqlite,
        &[
            ("SPECS_DIR", specs),
            (
                "SPECS_VERSIONS_DIR",
                versions.path().to_str().expect("utf-8"),
            ),
        ],
    )
    .await;
    let reply = app.get("/api/v1/docs/status").await;
    let status = data(&reply);
    assert_eq!(status["status"], "ok", "{:#}", status);
    for name in [
        "documentation-api.yaml",
        "workspace-api.yaml",
        "firecrawl-proxy.yaml",
    ] {
        assert_eq!(status["documents"][name]["valid"], true, "{name}");
        assert!(
            status["documents"][name]["endpoints"]
                .as_u64()
                .is_some_and(|n| n > 5),
            "{name}"
        );
    }
    let own = app.get("/spec/openapi.json").await;
    assert_eq!(own.body["info"]["title"], "Documentation API");
}
