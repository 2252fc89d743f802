//! Spec serving: files of `SPECS_DIR` as YAML and JSON, strong tags, traversal refused,
//! the archive. Fixtures are generated per test; storage is not involved (SQLite).

use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_with};

pub const WIDGETS: &str = r##"openapi: 3.1.0
# A comment the published copy keeps.
info:
  title: Widgets API
  version: 1.0.0
  description: Widgets and their gadgets.
servers:
  - url: http://localhost:9999
    description: local
paths:
  /widgets:
    get:
      operationId: listWidgets
      summary: List widgets
      description: Every widget in the warehouse, newest first.
      responses:
        "200": { $ref: "#/components/responses/Widgets" }
    post:
      operationId: createWidget
      summary: Create a widget
      responses:
        "201": { description: Created. }
  /widgets/{id}:
    get:
      operationId: getWidget
      summary: One widget by id
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200": { description: The widget. }
  /gadgets:
    get:
      operationId: listGadgets
      summary: List gadgets
      description: Gadgets attached to widgets.
      responses:
        "200": { description: Gadgets. }
components:
  schemas:
    Widget:
      type: object
      description: A widget in the warehouse.
      properties: { id: { type: string }, colour: { type: string } }
  responses:
    Widgets:
      description: Widgets.
      content: { application/json: { schema: { type: array, items: { $ref: "#/components/schemas/Widget" } } } }
"##;

pub const EVENTS: &str = r#"asyncapi: 2.6.0
info:
  title: Docs events
  version: 0.3.0
  description: What the docs service announces.
channels:
  docs/events:
    description: Index lifecycle events.
    subscribe:
      message:
        name: DocsIndexRebuilt
        summary: The docs index was rebuilt.
        payload: { type: object, properties: { filesIndexed: { type: integer } } }
"#;

pub const OWN: &str = "openapi: 3.1.0\ninfo: {title: Documentation API, version: 0.1.0, description: This service.}\nservers: [{url: 'http://localhost:3400', description: local}]\npaths: {}\ncomponents: {schemas: {}, responses: {}}\n";

/// A specs directory, a versions directory and the app serving them.
pub struct SpecsApp {
    pub app: TestApp,
    pub specs: PathBuf,
    pub versions: PathBuf,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for SpecsApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

pub fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write fixture");
}

/// The app over a specs directory holding `files` (name, text).
pub async fn spawn_specs(files: &[(&str, &str)]) -> SpecsApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = dir.path().join("specs");
    let versions = dir.path().join("data/versions");
    std::fs::create_dir_all(&specs).expect("mkdir");
    for (name, text) in files {
        write(&specs, name, text);
    }
    let app = spawn_with(
        Backend::Sqlite,
        &[
            ("SPECS_DIR", specs.to_str().expect("utf-8")),
            ("SPECS_VERSIONS_DIR", versions.to_str().expect("utf-8")),
        ],
    )
    .await;
    SpecsApp {
        app,
        specs,
        versions,
        _dir: dir,
    }
}

pub async fn fleet_fixture() -> SpecsApp {
    spawn_specs(&[
        ("widgets.yaml", WIDGETS),
        ("events.yaml", EVENTS),
        ("documentation-api.yaml", OWN),
        ("schemas/README.md", "# Schemas\n"),
    ])
    .await
}

#[tokio::test]
async fn yaml_is_served_as_is_and_json_is_converted() {
    let app = fleet_fixture().await;
    let yaml = app.get("/spec/widgets.yaml").await;
    assert_eq!(yaml.status, StatusCode::OK);
    assert_eq!(yaml.header("content-type"), Some("application/yaml"));
    assert_eq!(yaml.text, WIDGETS);
    let json = app.get("/api/v1/docs/spec/widgets.json").await;
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert_eq!(json.body["info"]["title"], "Widgets API");
    assert_eq!(
        json.body["paths"]["/widgets"]["get"]["responses"]["200"]["$ref"],
        "#/components/responses/Widgets"
    );
    let nested = app.get("/spec/schemas/README.md").await;
    assert_eq!(nested.status, StatusCode::OK);
    assert_eq!(nested.text, "# Schemas\n");
}

#[tokio::test]
async fn openapi_yaml_is_the_services_own_document() {
    let app = fleet_fixture().await;
    let alias = app.get("/spec/openapi.yaml").await;
    assert_eq!(alias.status, StatusCode::OK);
    assert_eq!(alias.text, OWN);
    let json = app.get("/spec/openapi.json").await;
    assert_eq!(json.body["info"]["title"], "Documentation API");
}

#[tokio::test]
async fn strong_etag_and_304() {
    let app = fleet_fixture().await;
    let first = app.get("/spec/widgets.yaml").await;
    let tag = first.header("etag").expect("etag").to_string();
    assert!(tag.starts_with('"') && !tag.starts_with("W/"), "{tag}");
    let again = app
        .send(
            app.request(Method::GET, "/spec/widgets.yaml")
                .header("if-none-match", &tag),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    let json_tag = app
        .get("/spec/widgets.json")
        .await
        .header("etag")
        .map(String::from);
    assert_ne!(
        json_tag.as_deref(),
        Some(tag.as_str()),
        "each representation has its own tag"
    );
    write(
        &app.specs,
        "widgets.yaml",
        &WIDGETS.replace("Widgets API", "Widgets API 2"),
    );
    let changed = app
        .send(
            app.request(Method::GET, "/spec/widgets.yaml")
                .header("if-none-match", &tag),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
}

#[tokio::test]
async fn a_broken_yaml_has_no_json_variant() {
    let app = spawn_specs(&[("broken.yaml", "openapi: 3.1.0\ninfo: [unclosed\n")]).await;
    let yaml = app.get("/spec/broken.yaml").await;
    assert_eq!(
        yaml.status,
        StatusCode::OK,
        "the file itself is still served"
    );
    let json = app.get("/spec/broken.json").await;
    json.envelope(409, "CONFLICT");
    assert!(
        json.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("invalid YAML")),
        "{}",
        json.text
    );
}

#[tokio::test]
async fn missing_files_are_a_json_404() {
    let app = fleet_fixture().await;
    app.get("/spec/nothing.yaml")
        .await
        .envelope(404, "NOT_FOUND");
    app.get("/api/v1/docs/spec/nothing.json")
        .await
        .envelope(404, "NOT_FOUND");
    app.get("/spec/.hidden").await.envelope(404, "NOT_FOUND");
}

#[tokio::test]
async fn traversal_and_symlink_escapes_are_refused() {
    let app = fleet_fixture().await;
    let outside = app.specs.parent().expect("parent").join("secret.yaml");
    std::fs::write(&outside, "secret: true\n").expect("write");
    std::os::unix::fs::symlink(&outside, app.specs.join("escape.yaml")).expect("symlink");
    std::os::unix::fs::symlink(app.specs.parent().expect("parent"), app.specs.join("up"))
        .expect("symlink");
    std::os::unix::fs::symlink(app.specs.join("widgets.yaml"), app.specs.join("inner.yaml"))
        .expect("symlink");
    for path in [
        "/spec/..%2Fsecret.yaml",
        "/spec/schemas/..%2F..%2Fsecret.yaml",
        "/api/v1/docs/spec/%2Fetc%2Fpasswd",
        "/spec/a%00b.yaml",
        "/spec/escape.yaml",
        "/spec/escape.json",
        "/spec/up/secret.yaml",
    ] {
        let reply = app.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
        assert!(!reply.text.contains("secret: true"), "{path}");
        assert_eq!(reply.body["success"], false, "{path}: {}", reply.text);
    }
    let inner = app.get("/spec/inner.yaml").await;
    assert_eq!(
        inner.status,
        StatusCode::OK,
        "a symlink inside the directory is served"
    );
}

#[tokio::test]
async fn download_zips_the_directory() {
    let app = fleet_fixture().await;
    write(&app.specs, ".git/config", "hidden");
    let reply = app
        .send(app.request(Method::GET, "/api/v1/docs/download"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/zip"));
    assert_eq!(
        reply.header("content-disposition"),
        Some("attachment; filename=\"tradingsystem-specs.zip\"")
    );
    let bytes = app
        .request(Method::GET, "/api/v1/docs/download")
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("a name").into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "documentation-api.yaml",
            "events.yaml",
            "schemas/README.md",
            "widgets.yaml"
        ]
    );
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("widgets.yaml").expect("entry"), &mut text)
        .expect("read");
    assert_eq!(text, WIDGETS);
}

#[tokio::test]
async fn download_without_a_specs_directory_is_a_404() {
    let app = spawn_specs(&[]).await;
    std::fs::remove_dir(&app.specs).expect("rmdir");
    app.get("/api/v1/docs/download")
        .await
        .envelope(404, "NOT_FOUND");
    let status = app.get("/api/v1/docs/status").await;
    assert_eq!(status.body["data"]["status"], "error", "{}", status.text);
}

/// The JSON body of a successful reply.
pub fn data(reply: &shared::testing::Reply) -> &Value {
    assert!(reply.status.is_success(), "{}", reply.text);
    assert_eq!(reply.body["success"], true, "{}", reply.text);
    &reply.body["data"]
}
