//! The structural checks of a spec document, on its parsed JSON model: what the
//! original's swagger-parser and AsyncAPI parser caught that matters to the fleet, plus
//! the rules the dashboard's API viewer relies on (info, servers, components, every
//! operation with responses and a summary, local `$ref`s that resolve, unique
//! operationIds, declared path parameters).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::document::{Kind, Loaded};

/// The most issues listed per document (`issuesTotal` still counts them all).
pub const MAX_ISSUES: usize = 100;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Whether a path item's key is an operation (and not `parameters`, `summary`, ...).
pub fn is_method(key: &str) -> bool {
    METHODS.contains(&key)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub severity: Severity,
    /// Where, as a dotted path into the document (`paths./api/v1/x.get.responses`).
    pub location: String,
    pub message: String,
}

/// One document's verdict, as `/api/v1/docs/status` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// `openapi`, `asyncapi`, or `unknown` for a file that does not parse.
    pub kind: &'static str,
    pub valid: bool,
    pub title: Option<String>,
    /// `info.version`.
    pub version: Option<String>,
    /// The `openapi`/`asyncapi` version the document declares.
    pub spec_version: Option<String>,
    /// Operations (path + method) of an OpenAPI document.
    pub endpoints: usize,
    pub channels: usize,
    pub messages: usize,
    pub schemas: usize,
    pub issues: Vec<Issue>,
    pub issues_total: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count()
    }
}

/// Checks one loaded file.
pub fn check(loaded: &Loaded) -> Report {
    let mut issues = Issues::default();
    let mut report = Report {
        kind: "unknown",
        valid: false,
        title: None,
        version: loaded.version(),
        spec_version: None,
        endpoints: 0,
        channels: 0,
        messages: 0,
        schemas: 0,
        issues: Vec::new(),
        issues_total: 0,
    };
    match (&loaded.parsed, loaded.kind()) {
        (Err(reason), _) => issues.error("", reason.clone()),
        (Ok(_), None) => issues.error("", "neither an OpenAPI nor an AsyncAPI document"),
        (Ok(doc), Some(kind)) => {
            report.kind = kind.as_str();
            report.title = text(doc.get("info").and_then(|i| i.get("title"))).map(String::from);
            report.spec_version = doc
                .get(kind.as_str())
                .or_else(|| doc.get("swagger"))
                .and_then(scalar_text);
            check_info(doc, &mut issues);
            check_refs(doc, doc, "", &mut issues);
            report.schemas = count(doc.pointer("/components/schemas"));
            match kind {
                Kind::OpenApi => report.endpoints = check_openapi(doc, &mut issues),
                Kind::AsyncApi => {
                    let (channels, messages) = super::asyncapi::check(doc, &mut issues);
                    report.channels = channels;
                    report.messages = messages;
                }
            }
        }
    }
    report.issues_total = issues.0.len();
    report.valid = !issues.0.iter().any(|i| i.severity == Severity::Error);
    issues.0.truncate(MAX_ISSUES);
    report.issues = issues.0;
    report
}

#[derive(Default)]
pub(super) struct Issues(Vec<Issue>);

impl Issues {
    pub(super) fn error(&mut self, location: &str, message: impl Into<String>) {
        self.push(Severity::Error, location, message);
    }
    pub(super) fn warning(&mut self, location: &str, message: impl Into<String>) {
        self.push(Severity::Warning, location, message);
    }
    fn push(&mut self, severity: Severity, location: &str, message: impl Into<String>) {
        self.0.push(Issue {
            severity,
            location: location.to_string(),
            message: message.into(),
        });
    }
}

pub(super) fn text(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn count(value: Option<&Value>) -> usize {
    value.and_then(Value::as_object).map_or(0, Map::len)
}

pub(super) fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

fn check_info(doc: &Value, issues: &mut Issues) {
    let Some(info) = doc.get("info").filter(|i| i.is_object()) else {
        issues.error("info", "info is missing");
        return;
    };
    for key in ["title", "version", "description"] {
        if text(info.get(key)).is_none() && !info.get(key).is_some_and(Value::is_number) {
            issues.error(
                &join("info", key),
                format!("info.{key} is missing or empty"),
            );
        }
    }
}

/// Every local `$ref` must point at something in the document; other references
/// (files, URLs) are outside what the service reads, and only noted.
fn check_refs(doc: &Value, node: &Value, at: &str, issues: &mut Issues) {
    match node {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                if let Some(pointer) = target.strip_prefix('#') {
                    if resolve_pointer(doc, pointer).is_none() {
                        issues.error(at, format!("unresolved reference {target}"));
                    }
                } else {
                    issues.warning(at, format!("external reference {target} is not checked"));
                }
            }
            for (key, value) in map {
                check_refs(doc, value, &join(at, key), issues);
            }
        }
        Value::Array(items) => {
            for (i, value) in items.iter().enumerate() {
                check_refs(doc, value, &join(at, &i.to_string()), issues);
            }
        }
        _ => {}
    }
}

/// A JSON pointer (`/components/schemas/A`, percent-encoding and `~0`/`~1` undone).
pub fn resolve_pointer<'a>(doc: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return Some(doc);
    }
    let decoded = percent_decode(pointer)?;
    doc.pointer(&decoded)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A `$ref` followed (one level of indirection per step, at most a few steps).
pub(super) fn deref<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => match target
                .strip_prefix('#')
                .and_then(|p| resolve_pointer(doc, p))
            {
                Some(next) => value = next,
                None => return value,
            },
            None => return value,
        }
    }
    value
}

/// The OpenAPI rules; answers the number of operations.
fn check_openapi(doc: &Value, issues: &mut Issues) -> usize {
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => {}
        _ if doc.get("swagger").is_some() => issues.error(
            "swagger",
            "Swagger 2.0 is not supported: convert the document to OpenAPI 3",
        ),
        _ => issues.error("openapi", "openapi must be a 3.x version string"),
    }
    match doc.get("servers").and_then(Value::as_array) {
        Some(servers) if !servers.is_empty() => {
            for (i, server) in servers.iter().enumerate() {
                let at = format!("servers.{i}");
                if text(server.get("url")).is_none() {
                    issues.error(&at, "a server needs a url");
                }
                if text(server.get("description")).is_none() {
                    issues.error(&at, "a server needs a description");
                }
            }
        }
        _ => issues.error("servers", "servers must list at least one server"),
    }
    for key in ["schemas", "responses"] {
        if !doc
            .pointer(&format!("/components/{key}"))
            .is_some_and(Value::is_object)
        {
            issues.error(
                &join("components", key),
                format!("components.{key} is missing"),
            );
        }
    }
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        if doc.get("webhooks").is_none() {
            issues.error("paths", "paths is missing");
        }
        return 0;
    };
    let mut operation_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut shapes: BTreeMap<String, String> = BTreeMap::new();
    let mut operations = 0;
    for (path, item) in paths {
        let at = join("paths", path);
        if !path.starts_with('/') {
            issues.error(&at, "a path must start with /");
        }
        let shape = template_shape(path);
        if let Some(other) = shapes.insert(shape, path.clone()) {
            issues.error(
                &at,
                format!("the same path as {other} (only parameter names differ)"),
            );
        }
        let item = deref(doc, item);
        let shared = item.get("parameters");
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            operations += 1;
            let at = join(&at, method);
            check_operation(doc, path, operation, shared, &at, issues);
            if let Some(id) = text(operation.get("operationId"))
                && let Some(first) = operation_ids.insert(id.to_string(), at.clone())
            {
                issues.error(&at, format!("operationId {id} is also used by {first}"));
            }
        }
    }
    operations
}

/// `/a/{x}/b` and `/a/{y}/b` are one path to a router.
fn template_shape(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push('{');
            }
            '}' => {
                depth -= 1;
                out.push('}');
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// `200`, `4XX`: a status code or a range of them.
fn is_status_pattern(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 3
        && (b'1'..=b'5').contains(&b[0])
        && b[1..].iter().all(|c| c.is_ascii_digit() || *c == b'X')
}

fn template_names(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

fn check_operation(
    doc: &Value,
    path: &str,
    operation: &Value,
    shared: Option<&Value>,
    at: &str,
    issues: &mut Issues,
) {
    if text(operation.get("summary")).is_none() && text(operation.get("description")).is_none() {
        issues.error(at, "an operation needs a summary or a description");
    }
    match operation.get("responses").and_then(Value::as_object) {
        Some(responses) if !responses.is_empty() => {
            for (status, response) in responses {
                let valid_key = status == "default" || is_status_pattern(status);
                let at = join(&join(at, "responses"), status);
                if !valid_key {
                    issues.error(&at, format!("{status} is not a status code"));
                }
                if response.get("$ref").is_none() && text(response.get("description")).is_none() {
                    issues.error(&at, "a response needs a description");
                }
            }
        }
        _ => issues.error(&join(at, "responses"), "an operation needs responses"),
    }
    let mut declared = BTreeSet::new();
    for list in [shared, operation.get("parameters")].into_iter().flatten() {
        for parameter in list.as_array().into_iter().flatten() {
            let parameter = deref(doc, parameter);
            if parameter.get("in").and_then(Value::as_str) == Some("path")
                && let Some(name) = parameter.get("name").and_then(Value::as_str)
            {
                declared.insert(name.to_string());
            }
        }
    }
    let templated = template_names(path);
    for name in templated.difference(&declared) {
        issues.error(at, format!("path parameter {name} is not declared"));
    }
    for name in declared.difference(&templated) {
        issues.error(at, format!("path parameter {name} is not in the path"));
    }
}
