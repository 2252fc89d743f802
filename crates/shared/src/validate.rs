//! Reading typed fields out of a JSON object while collecting every problem, so a client
//! learns about all bad fields at once, in the order the fields are read. Messages
//! follow the Zod wording the originals' clients and tests match
//! (`Invalid input: expected string, received number`).

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};
use crate::extract::json_type_name;

/// A field reader over one JSON object.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    pub fn new(object: &'a Map<String, Value>) -> Self {
        Self {
            object,
            errors: Vec::new(),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.object.contains_key(key)
    }

    pub fn error(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    fn type_error(&mut self, key: &str, expected: &str, got: Option<&Value>) {
        let received = got.map(json_type_name).unwrap_or("undefined");
        self.error(
            key,
            "invalid_type",
            format!("Invalid input: expected {expected}, received {received}"),
        );
    }

    /// A string that must be present.
    pub fn required_string(&mut self, key: &str) -> Option<String> {
        match self.object.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.type_error(key, "string", other);
                None
            }
        }
    }

    /// A string that may be absent (`null` is a type error).
    pub fn optional_string(&mut self, key: &str) -> Option<String> {
        match self.object.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.type_error(key, "string", other);
                None
            }
        }
    }

    /// Absent → `None`; `null` → `Some(None)`; a string → `Some(Some(s))`.
    pub fn nullable_string(&mut self, key: &str) -> Option<Option<String>> {
        match self.object.get(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            other => {
                self.type_error(key, "string", other);
                None
            }
        }
    }

    pub fn optional_bool(&mut self, key: &str) -> Option<bool> {
        match self.object.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            other => {
                self.type_error(key, "boolean", other);
                None
            }
        }
    }

    /// An integer (a JSON number without a fractional part).
    pub fn optional_integer(&mut self, key: &str) -> Option<i64> {
        match self.object.get(key) {
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) => Some(v),
                None => {
                    self.error(
                        key,
                        "invalid_type",
                        "Invalid input: expected int, received number",
                    );
                    None
                }
            },
            other => {
                self.type_error(key, "number", other);
                None
            }
        }
    }

    /// An array of strings; element problems are reported as `key.N`.
    pub fn optional_string_array(&mut self, key: &str) -> Option<Vec<String>> {
        match self.object.get(key) {
            None => None,
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            ok = false;
                            self.type_error(&format!("{key}.{i}"), "string", Some(other));
                        }
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.type_error(key, "array", other);
                None
            }
        }
    }

    pub fn optional_object(&mut self, key: &str) -> Option<Map<String, Value>> {
        match self.object.get(key) {
            None => None,
            Some(Value::Object(map)) => Some(map.clone()),
            other => {
                self.type_error(key, "object", other);
                None
            }
        }
    }

    /// Keys outside `allowed`, each reported by name.
    pub fn reject_unknown(&mut self, allowed: &[&str]) {
        let unknown: Vec<String> = self
            .object
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            self.error(
                key.clone(),
                "unrecognized_keys",
                format!("Unrecognized key: \"{key}\""),
            );
        }
    }

    /// `Ok` when nothing was wrong, else a 400 listing every problem.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// Lowercase letters, digits and hyphens: the slug form of category names.
pub fn is_slug(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `#RRGGBB`.
pub fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_is_collected_in_call_order() {
        let body = json!({"title": 5, "tags": ["ok", 3], "extra": true});
        let mut f = Fields::new(body.as_object().expect("object"));
        f.required_string("title");
        f.required_string("description");
        f.optional_string_array("tags");
        f.reject_unknown(&["title", "description", "tags"]);
        let error = f.finish().expect_err("invalid");
        let fields: Vec<(&str, &str)> = error
            .field_errors()
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("title", "Invalid input: expected string, received number"),
                (
                    "description",
                    "Invalid input: expected string, received undefined"
                ),
                ("tags.1", "Invalid input: expected string, received number"),
                ("extra", "Unrecognized key: \"extra\""),
            ]
        );
    }

    #[test]
    fn nullable_and_integers() {
        let body = json!({"a": null, "b": "x", "n": 1.5, "m": 3});
        let mut f = Fields::new(body.as_object().expect("object"));
        assert_eq!(f.nullable_string("a"), Some(None));
        assert_eq!(f.nullable_string("b"), Some(Some("x".into())));
        assert_eq!(f.nullable_string("c"), None);
        assert_eq!(f.optional_integer("m"), Some(3));
        assert_eq!(f.optional_integer("n"), None);
        assert!(f.has_errors());
    }

    #[test]
    fn slugs_and_colours() {
        assert!(is_slug("coleta-dados") && is_slug("a1"));
        assert!(!is_slug("Com Espaco") && !is_slug("") && !is_slug("ação"));
        assert!(is_hex_colour("#6B7280") && !is_hex_colour("6B7280") && !is_hex_colour("#GGGGGG"));
    }
}
