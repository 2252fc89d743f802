//! Reading spec files: YAML or JSON text into one JSON model (the `.json` variants, the
//! checks, versions and search all work on it), and which documents the directory holds.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

/// The largest spec file read: a document is text, and parsing is done whole in memory.
pub const MAX_SPEC_BYTES: u64 = 16 * 1024 * 1024;

/// What a parsed document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    OpenApi,
    AsyncApi,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OpenApi => "openapi",
            Kind::AsyncApi => "asyncapi",
        }
    }

    /// The kind a document declares by its top-level key (`swagger` counts as OpenAPI,
    /// so that a Swagger 2 file is reported as unsupported rather than ignored).
    pub fn of(value: &Value) -> Option<Kind> {
        let object = value.as_object()?;
        if object.contains_key("openapi") || object.contains_key("swagger") {
            Some(Kind::OpenApi)
        } else if object.contains_key("asyncapi") {
            Some(Kind::AsyncApi)
        } else {
            None
        }
    }
}

/// Whether a file name has one of the spec extensions (`.yaml`, `.yml`, `.json`).
pub fn is_spec_name(name: &str) -> bool {
    !name.starts_with('.')
        && [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

pub fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The text of a spec file as JSON; the error is the parser's sentence (line and column
/// included), which is what a person fixing the file needs.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Value, String> {
    if name.ends_with(".json") {
        return serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"));
    }
    let mut yaml: Yaml =
        serde_yaml_ng::from_slice(bytes).map_err(|e| format!("invalid YAML: {e}"))?;
    yaml.apply_merge()
        .map_err(|e| format!("invalid YAML merge key: {e}"))?;
    Ok(yaml_to_json(yaml))
}

/// A YAML value as JSON. Keys that are not strings (`200:` unquoted) become their text,
/// as every OpenAPI tool reads them; tags are dropped; non-finite floats become null.
pub fn yaml_to_json(value: Yaml) -> Value {
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into()
            } else if let Some(u) = n.as_u64() {
                u.into()
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (key_text(k), yaml_to_json(v)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

fn key_text(key: Yaml) -> String {
    match key {
        Yaml::String(s) => s,
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Null => "null".to_string(),
        other => serde_yaml_ng::to_string(&other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

/// One spec file read from disk.
pub struct Loaded {
    /// The file name (no directory).
    pub file: String,
    pub bytes: Vec<u8>,
    pub modified: Option<SystemTime>,
    /// The document, or why it could not be read as one.
    pub parsed: Result<Value, String>,
}

impl Loaded {
    pub fn read(file: &str, path: &Path) -> std::io::Result<Self> {
        let meta = fs::metadata(path)?;
        let modified = meta.modified().ok();
        if meta.len() > MAX_SPEC_BYTES {
            return Ok(Self {
                file: file.to_string(),
                bytes: Vec::new(),
                modified,
                parsed: Err(format!(
                    "the file has {} bytes, more than the {MAX_SPEC_BYTES} a spec may have",
                    meta.len()
                )),
            });
        }
        let bytes = fs::read(path)?;
        let parsed = parse(file, &bytes);
        Ok(Self {
            file: file.to_string(),
            bytes,
            modified,
            parsed,
        })
    }

    /// An OpenAPI/AsyncAPI document, or a broken file that may have been meant as one;
    /// other YAML and JSON (JSON Schemas, configuration) is not a spec.
    pub fn is_document(&self) -> bool {
        match &self.parsed {
            Ok(value) => Kind::of(value).is_some(),
            Err(_) => true,
        }
    }

    pub fn kind(&self) -> Option<Kind> {
        self.parsed.as_ref().ok().and_then(Kind::of)
    }

    /// `info.version` as written.
    pub fn version(&self) -> Option<String> {
        let version = self.parsed.as_ref().ok()?.get("info")?.get("version")?;
        match version {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// The spec files at the top of `dir`, by name: regular files (or symlinks to files
/// inside `dir`) with a spec extension, hidden files left out.
pub fn candidates(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let root = fs::canonicalize(dir)?;
    let mut out = Vec::new();
    for entry in fs::read_dir(&root)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !is_spec_name(&name) {
            continue;
        }
        let path = entry.path();
        let inside = fs::canonicalize(&path).is_ok_and(|real| real.starts_with(&root));
        if inside && fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            out.push((name, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Every document at the top of `dir`, read and parsed.
pub fn documents(dir: &Path) -> std::io::Result<Vec<Loaded>> {
    let mut out = Vec::new();
    for (name, path) in candidates(dir)? {
        let loaded = Loaded::read(&name, &path)?;
        if loaded.is_document() {
            out.push(loaded);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keys_that_are_numbers_become_text_and_order_is_kept() {
        let value =
            parse("a.yaml", b"b: 1\na:\n  200: {description: ok}\n  true: x\n").expect("valid");
        assert_eq!(
            serde_json::to_string(&value).expect("json"),
            r#"{"b":1,"a":{"200":{"description":"ok"},"true":"x"}}"#
        );
    }

    #[test]
    fn broken_yaml_says_where() {
        let error = parse("a.yaml", b"a: [1, 2\nb: c\n").expect_err("invalid");
        assert!(error.starts_with("invalid YAML"), "{error}");
        assert!(error.contains("line"), "{error}");
    }

    #[test]
    fn spec_names() {
        assert!(is_spec_name("documentation-api.yaml"));
        assert!(is_spec_name("a.json"));
        assert!(!is_spec_name(".hidden.yaml"));
        assert!(!is_spec_name("README.md"));
        assert!(!is_spec_name(".yaml"));
    }
}
