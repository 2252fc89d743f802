//! Published versions of one document: `<versions_dir>/<semver>/<file>`, each a frozen
//! copy of the document with its `info.version` rewritten. The working document in
//! `SPECS_DIR` is the base; the service never writes there.

use std::fs;
use std::path::Path;

use semver::Version;
use serde_json::{Map, Value, json};

/// Which version a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Latest,
    Stable,
    /// `current` and `base`: the working document in `SPECS_DIR`.
    Current,
    Exact(Version),
}

impl Selector {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "latest" => Some(Self::Latest),
            "stable" => Some(Self::Stable),
            "current" | "base" => Some(Self::Current),
            other => Version::parse(other.strip_prefix('v').unwrap_or(other))
                .ok()
                .map(Self::Exact),
        }
    }
}

/// Where a resolved version's text lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The working document in `SPECS_DIR`.
    Current,
    Published(Version),
}

/// The versions of one document.
#[derive(Debug, Clone)]
pub struct VersionSet {
    /// `info.version` of the working document, as written.
    pub base: Option<String>,
    /// Published versions, ascending.
    pub published: Vec<Version>,
}

impl VersionSet {
    /// The published versions of `file` under `versions_dir` (missing directory: none).
    pub fn read(versions_dir: &Path, file: &str, base: Option<String>) -> std::io::Result<Self> {
        let mut published = Vec::new();
        match fs::read_dir(versions_dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry?;
                    let Some(version) = entry
                        .file_name()
                        .to_str()
                        .and_then(|n| Version::parse(n).ok())
                    else {
                        continue;
                    };
                    if entry.path().join(file).is_file() {
                        published.push(version);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        published.sort();
        Ok(Self { base, published })
    }

    pub fn base_semver(&self) -> Option<Version> {
        self.base.as_deref().and_then(|b| Version::parse(b).ok())
    }

    /// The base (when it is a semantic version) and every published one, ascending.
    pub fn all(&self) -> Vec<Version> {
        let mut all = self.published.clone();
        all.extend(self.base_semver());
        all.sort();
        all.dedup();
        all
    }

    pub fn latest(&self) -> Option<Version> {
        self.all().pop()
    }

    /// The highest version with the base's major (the latest when the base has none).
    pub fn stable(&self) -> Option<Version> {
        match self.base_semver() {
            Some(base) => self.all().into_iter().rfind(|v| v.major == base.major),
            None => self.latest(),
        }
    }

    /// A version number to its text: a published copy wins over a working document
    /// that says the same version (the copy is what was released).
    fn source_of(&self, version: &Version) -> Option<Source> {
        if self.published.contains(version) {
            Some(Source::Published(version.clone()))
        } else if self.base_semver().as_ref() == Some(version) {
            Some(Source::Current)
        } else {
            None
        }
    }

    /// The version a selector names and where it lives.
    pub fn resolve(&self, selector: &Selector) -> Option<(String, Source)> {
        let version = match selector {
            Selector::Current => {
                return Some((self.base.clone().unwrap_or_default(), Source::Current));
            }
            Selector::Latest => self.latest(),
            Selector::Stable => self.stable(),
            Selector::Exact(v) => Some(v.clone()),
        };
        match version {
            Some(v) => self.source_of(&v).map(|source| (v.to_string(), source)),
            // A working document without a semantic version is still its own latest.
            None if *selector != Selector::Latest && *selector != Selector::Stable => None,
            None => Some((self.base.clone().unwrap_or_default(), Source::Current)),
        }
    }

    /// The number the next publication of `bump` gets.
    pub fn next(&self, bump: Bump) -> Option<Version> {
        let latest = self.latest()?;
        Some(match bump {
            Bump::Major => Version::new(latest.major + 1, 0, 0),
            Bump::Minor => Version::new(latest.major, latest.minor + 1, 0),
            Bump::Patch => Version::new(latest.major, latest.minor, latest.patch + 1),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bump {
    Major,
    Minor,
    Patch,
}

impl Bump {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "major" => Some(Self::Major),
            "minor" => Some(Self::Minor),
            "patch" => Some(Self::Patch),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
        }
    }
}

/// The document's text with `info.version` set to `version`. YAML is edited in place on
/// the one line, so comments and layout survive; when the layout is one the line edit
/// cannot handle (flow style, anchors), the document is written out again from its model.
pub fn rewrite_version(file: &str, text: &str, model: &Value, version: &str) -> Option<String> {
    let mut expected = model.clone();
    expected
        .pointer_mut("/info")?
        .as_object_mut()?
        .insert("version".to_string(), json!(version));
    if file.ends_with(".json") {
        return serde_json::to_string_pretty(&expected)
            .ok()
            .map(|s| s + "\n");
    }
    if let Some(edited) = edit_yaml_line(text, version)
        && super::document::parse(file, edited.as_bytes())
            .ok()
            .as_ref()
            == Some(&expected)
    {
        return Some(edited);
    }
    serde_yaml_ng::to_string(&expected).ok()
}

fn edit_yaml_line(text: &str, version: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| {
        let l = l.trim_end();
        l == "info:" || l.starts_with("info: #")
    })?;
    let mut child_indent = None;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let trimmed = line.trim_start();
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 {
            return None;
        }
        let child = *child_indent.get_or_insert(indent);
        if indent != child {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("version:") {
            let quote = match rest.trim_start().chars().next() {
                Some(q @ ('"' | '\'')) => q.to_string(),
                _ => String::new(),
            };
            let ending = if line.ends_with('\n') { "\n" } else { "" };
            let replaced = format!(
                "{}version: {quote}{version}{quote}{ending}",
                &line[..indent]
            );
            let mut out: String = lines[..i].concat();
            out.push_str(&replaced);
            out.push_str(&lines[i + 1..].concat());
            return Some(out);
        }
    }
    None
}

/// The key-level differences between two versions of a document.
pub fn compare(old: &Value, new: &Value) -> Value {
    let mut components = Map::new();
    let kinds: std::collections::BTreeSet<&String> = [old, new]
        .iter()
        .filter_map(|d| d.get("components").and_then(Value::as_object))
        .flat_map(|c| c.keys())
        .collect();
    for kind in kinds {
        let at = format!("/components/{}", kind.replace('~', "~0").replace('/', "~1"));
        components.insert(kind.clone(), diff(old.pointer(&at), new.pointer(&at)));
    }
    json!({
        "paths": diff(old.get("paths"), new.get("paths")),
        "operations": diff(
            Some(&operations(old)).filter(|o| !o.as_object().is_some_and(Map::is_empty)),
            Some(&operations(new)).filter(|o| !o.as_object().is_some_and(Map::is_empty)),
        ),
        "components": components,
        "channels": diff(old.get("channels"), new.get("channels")),
    })
}

/// `METHOD /path` → operation, for an operation-level diff of OpenAPI documents.
fn operations(doc: &Value) -> Value {
    let mut out = Map::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if super::validate::is_method(method) {
                out.insert(
                    format!("{} {path}", method.to_uppercase()),
                    operation.clone(),
                );
            }
        }
    }
    Value::Object(out)
}

fn diff(old: Option<&Value>, new: Option<&Value>) -> Value {
    let empty = Map::new();
    let old = old.and_then(Value::as_object).unwrap_or(&empty);
    let new = new.and_then(Value::as_object).unwrap_or(&empty);
    let added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let modified: Vec<&String> = new
        .iter()
        .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| k)
        .collect();
    json!({"added": added, "removed": removed, "modified": modified})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(base: &str, published: &[&str]) -> VersionSet {
        VersionSet {
            base: Some(base.to_string()),
            published: published
                .iter()
                .map(|v| Version::parse(v).expect("semver"))
                .collect(),
        }
    }

    #[test]
    fn latest_stable_and_next() {
        let s = set("1.0.0", &["1.1.0", "2.0.0"]);
        assert_eq!(s.latest().map(|v| v.to_string()).as_deref(), Some("2.0.0"));
        assert_eq!(s.stable().map(|v| v.to_string()).as_deref(), Some("1.1.0"));
        assert_eq!(
            s.next(Bump::Patch).map(|v| v.to_string()).as_deref(),
            Some("2.0.1")
        );
        assert_eq!(
            s.resolve(&Selector::Current),
            Some(("1.0.0".to_string(), Source::Current))
        );
        assert_eq!(s.resolve(&Selector::parse("9.9.9").expect("semver")), None);
    }

    #[test]
    fn the_version_line_is_edited_in_place() {
        let text = "# keep me\nopenapi: 3.1.0\ninfo:\n  title: T\n  version: \"0.1.0\" # old\n  description: d\npaths: {}\n";
        let model = super::super::document::parse("a.yaml", text.as_bytes()).expect("valid");
        let out = rewrite_version("a.yaml", text, &model, "0.2.0").expect("rewritten");
        assert!(out.starts_with("# keep me\n"), "{out}");
        assert!(out.contains("  version: \"0.2.0\"\n"), "{out}");
    }
}
