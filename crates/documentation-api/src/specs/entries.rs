//! What spec search indexes: one entry per endpoint, schema, channel and message of a
//! document version (the original's model of them, read from the right nesting level).

use serde_json::{Map, Value};

use super::document::Kind;
use super::validate::is_method;

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    /// `endpoint`, `schema`, `channel` or `message`.
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    pub path: String,
    pub method: String,
    /// Words found only here: operationIds, tags, parameter and property names.
    pub content: String,
}

fn text(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or_default()
}

fn first<'a>(candidates: &[&'a str]) -> &'a str {
    candidates
        .iter()
        .copied()
        .find(|s| !s.trim().is_empty())
        .unwrap_or_default()
}

fn objects(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(Map::iter)
}

/// Words of keys and string values that describe a schema or an operation, bounded so
/// one huge document cannot blow the index up.
fn words(value: &Value, out: &mut String) {
    if out.len() > 4096 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "properties" {
                    for name in v.as_object().into_iter().flat_map(Map::keys) {
                        out.push(' ');
                        out.push_str(name);
                    }
                }
                if matches!(key.as_str(), "name" | "operationId" | "title") {
                    out.push(' ');
                    out.push_str(text(Some(v)));
                }
                if key == "tags" {
                    for tag in v.as_array().into_iter().flatten() {
                        out.push(' ');
                        out.push_str(text(Some(tag)));
                    }
                }
                if !matches!(key.as_str(), "$ref" | "examples" | "example") {
                    words(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| words(v, out)),
        _ => {}
    }
}

/// Every entry of one document version; `prefix` (`<document>@<version>`) makes ids unique.
pub fn extract(kind: Kind, doc: &Value, prefix: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str,
                    key: &str,
                    title: &str,
                    description: &str,
                    path: &str,
                    method: &str,
                    node: &Value| {
        let mut content = String::new();
        words(node, &mut content);
        out.push(Entry {
            id: format!("{prefix}:{kind}:{key}"),
            kind,
            title: title.to_string(),
            description: description.to_string(),
            path: path.to_string(),
            method: method.to_string(),
            content,
        });
    };
    if kind == Kind::OpenApi {
        for (path, item) in objects(doc.get("paths")) {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !is_method(method) {
                    continue;
                }
                let method = method.to_uppercase();
                let fallback = format!("{method} {path}");
                let title = first(&[
                    text(op.get("summary")),
                    text(op.get("operationId")),
                    &fallback,
                ]);
                let description = first(&[text(op.get("description")), text(op.get("summary"))]);
                push("endpoint", &fallback, title, description, path, &method, op);
            }
        }
    }
    for (name, schema) in objects(doc.pointer("/components/schemas")) {
        let description = first(&[text(schema.get("description")), text(schema.get("title"))]);
        let path = format!("#/components/schemas/{name}");
        push("schema", name, name, description, &path, "", schema);
    }
    if kind == Kind::AsyncApi {
        for (name, channel) in objects(doc.get("channels")) {
            let address = first(&[text(channel.get("address")), name]);
            let description = first(&[
                text(channel.get("description")),
                text(channel.get("summary")),
            ]);
            push("channel", name, name, description, address, "", channel);
            // 2.x: publish/subscribe carry one message each; 3.x: the channel lists them.
            let inline = ["publish", "subscribe"]
                .iter()
                .filter_map(|op| channel.get(*op).and_then(|o| o.get("message")))
                .map(|m| (String::new(), m))
                .chain(objects(channel.get("messages")).map(|(k, m)| (k.clone(), m)));
            for (key, message) in inline {
                if message.get("$ref").is_some() {
                    continue;
                }
                let title = first(&[
                    text(message.get("name")),
                    text(message.get("title")),
                    &key,
                    name,
                ]);
                let description = first(&[
                    text(message.get("summary")),
                    text(message.get("description")),
                ]);
                push(
                    "message",
                    &format!("{name}/{title}"),
                    title,
                    description,
                    address,
                    "",
                    message,
                );
            }
        }
        for (name, message) in objects(doc.pointer("/components/messages")) {
            let title = first(&[text(message.get("name")), text(message.get("title")), name]);
            let description = first(&[
                text(message.get("summary")),
                text(message.get("description")),
            ]);
            let path = format!("#/components/messages/{name}");
            push("message", name, title, description, &path, "", message);
        }
    }
    out
}
