//! Serving a service's OpenAPI document (docs/decisions.md#d19) and checking it against
//! the routes.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};

/// A service's OpenAPI document, parsed once at start-up.
#[derive(Clone)]
pub struct OpenApiDoc {
    yaml: Bytes,
    json: Bytes,
    parsed: Arc<serde_json::Value>,
}

impl OpenApiDoc {
    /// Parses the YAML text (embedded with `include_str!`); a broken document is a bug
    /// caught by every test run, so it fails loudly.
    pub fn from_yaml(text: &'static str) -> Result<Self, String> {
        let parsed: serde_json::Value =
            serde_yaml_ng::from_str(text).map_err(|e| format!("invalid OpenAPI YAML: {e}"))?;
        let json = serde_json::to_vec(&parsed).map_err(|e| e.to_string())?;
        Ok(Self {
            yaml: Bytes::from_static(text.as_bytes()),
            json: Bytes::from(json),
            parsed: Arc::new(parsed),
        })
    }

    pub fn json_response(&self) -> Response {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.json.clone(),
        )
            .into_response()
    }

    pub fn yaml_response(&self) -> Response {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/yaml"),
            )],
            self.yaml.clone(),
        )
            .into_response()
    }

    pub fn document(&self) -> &serde_json::Value {
        &self.parsed
    }

    /// Every `(METHOD, path)` the document describes.
    pub fn operations(&self) -> BTreeSet<(String, String)> {
        const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
        let mut out = BTreeSet::new();
        if let Some(paths) = self.parsed.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in paths {
                for method in METHODS {
                    if item.get(method).is_some() {
                        out.insert((method.to_ascii_uppercase(), path.clone()));
                    }
                }
            }
        }
        out
    }
}

/// The differences between routed and documented operations: `(undocumented, unrouted)`.
pub fn compare_routes(
    doc: &OpenApiDoc,
    routed: impl IntoIterator<Item = (Method, String)>,
) -> (Vec<String>, Vec<String>) {
    let routed: BTreeSet<(String, String)> = routed
        .into_iter()
        .map(|(m, p)| (m.as_str().to_string(), p))
        .collect();
    let documented = doc.operations();
    let show = |(m, p): &(String, String)| format!("{m} {p}");
    (
        routed.difference(&documented).map(show).collect(),
        documented.difference(&routed).map(show).collect(),
    )
}
