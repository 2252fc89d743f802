//! The AsyncAPI rules (2.x and 3.x) of the spec check: servers with an address and a
//! protocol, channels whose operations carry a message, 3.x operations with an action and
//! a channel, unique operationIds.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::validate::{Issues, count, deref, join, text};

/// The AsyncAPI rules (2.x and 3.x); answers the numbers of channels and messages.
pub(super) fn check(doc: &Value, issues: &mut Issues) -> (usize, usize) {
    let major = doc
        .get("asyncapi")
        .and_then(Value::as_str)
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    let Some(major @ (2 | 3)) = major else {
        issues.error("asyncapi", "asyncapi must be a 2.x or 3.x version string");
        return (0, 0);
    };
    if let Some(servers) = doc.get("servers") {
        match servers.as_object() {
            Some(servers) => {
                for (name, server) in servers {
                    let at = join("servers", name);
                    let address = if major == 2 { "url" } else { "host" };
                    let server = deref(doc, server);
                    if text(server.get(address)).is_none() {
                        issues.error(&at, format!("a server needs a {address}"));
                    }
                    if text(server.get("protocol")).is_none() {
                        issues.error(&at, "a server needs a protocol");
                    }
                }
            }
            None => issues.error("servers", "servers must be a map of named servers"),
        }
    }
    let channels = doc.get("channels").and_then(Value::as_object);
    if major == 2 && channels.is_none() {
        issues.error("channels", "channels is missing");
    }
    let mut messages = count(doc.pointer("/components/messages"));
    let mut operation_ids: BTreeMap<String, String> = BTreeMap::new();
    for (name, channel) in channels.into_iter().flatten() {
        let at = join("channels", name);
        if major == 2 {
            for action in ["publish", "subscribe"] {
                let Some(operation) = channel.get(action) else {
                    continue;
                };
                let at = join(&at, action);
                match operation.get("message") {
                    None => issues.error(&at, "an operation needs a message"),
                    Some(m) if m.get("$ref").is_none() => messages += 1,
                    Some(_) => {}
                }
                if let Some(id) = text(operation.get("operationId"))
                    && let Some(first) = operation_ids.insert(id.to_string(), at.clone())
                {
                    issues.error(&at, format!("operationId {id} is also used by {first}"));
                }
            }
        } else if let Some(inline) = channel.get("messages").and_then(Value::as_object) {
            messages += inline.values().filter(|m| m.get("$ref").is_none()).count();
        }
    }
    if major == 3 {
        for (name, operation) in doc
            .get("operations")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let at = join("operations", name);
            if !matches!(
                operation.get("action").and_then(Value::as_str),
                Some("send" | "receive")
            ) {
                issues.error(&at, "an operation's action must be send or receive");
            }
            if operation.get("channel").is_none() {
                issues.error(&at, "an operation needs a channel");
            }
        }
    }
    (channels.map_or(0, Map::len), messages)
}
