//! Body readers shared by this service's entities, over the fleet's [`Fields`]: nullable
//! text with a length limit, enums, tags as an array or a comma string, and the keys a
//! client may send but the server sets.

use serde_json::Value;
use shared::validate::Fields;

/// Keys the server sets: accepted in a body (clients echo entities back) and ignored.
pub const SERVER_SET: [&str; 6] = [
    "id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "designated_timestamp",
];

/// Absent → `None`; `null` or blank → `Some(None)`; else the trimmed text, at most `max`
/// characters.
pub fn text(fields: &mut Fields<'_>, key: &str, max: usize) -> Option<Option<String>> {
    let value = fields.nullable_string(key)?;
    let Some(value) = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    else {
        return Some(None);
    };
    if value.chars().count() > max {
        fields.error(
            key,
            "too_big",
            format!("{key} must be at most {max} characters"),
        );
        return None;
    }
    Some(Some(value))
}

/// Text that must be present and not blank (at most `max` characters), when `required`;
/// otherwise absent is `None` but present must not be blank.
pub fn name(fields: &mut Fields<'_>, key: &str, max: usize, required: bool) -> Option<String> {
    if !required && !fields.has(key) {
        return None;
    }
    let value = fields.required_string(key)?.trim().to_string();
    if value.is_empty() {
        fields.error(key, "too_small", format!("{key} must not be empty"));
        return None;
    }
    if value.chars().count() > max {
        fields.error(
            key,
            "too_big",
            format!("{key} must be at most {max} characters"),
        );
        return None;
    }
    Some(value)
}

/// One of `allowed`, when present.
pub fn one_of<T: Copy>(fields: &mut Fields<'_>, key: &str, allowed: &[(&str, T)]) -> Option<T> {
    let value = fields.optional_string(key)?;
    if let Some((_, v)) = allowed.iter().find(|(name, _)| *name == value) {
        return Some(*v);
    }
    let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
    fields.error(
        key,
        "invalid_value",
        format!("{key} must be one of: {}", names.join(", ")),
    );
    None
}

/// Tags as an array of strings or one comma-separated string: trimmed, blanks dropped,
/// de-duplicated in order, at most 50 of at most 50 characters each.
pub fn tags(
    fields: &mut Fields<'_>,
    key: &str,
    object: &serde_json::Map<String, Value>,
) -> Option<Vec<String>> {
    let raw: Vec<String> = match object.get(key)? {
        Value::String(csv) => csv.split(',').map(str::to_string).collect(),
        Value::Null => Vec::new(),
        _ => fields.optional_string_array(key)?,
    };
    let mut out: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > 50 {
            fields.error(key, "too_big", "each tag must be at most 50 characters");
            return None;
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    if out.len() > 50 {
        fields.error(key, "too_big", "at most 50 tags");
        return None;
    }
    Some(out)
}

/// An integer within `range`, or `null`.
pub fn nullable_integer(
    fields: &mut Fields<'_>,
    object: &serde_json::Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Option<Option<i64>> {
    if matches!(object.get(key), Some(Value::Null)) {
        return Some(None);
    }
    let n = fields.optional_integer(key)?;
    if !range.contains(&n) {
        fields.error(
            key,
            "invalid_number",
            format!(
                "{key} must be an integer from {} to {}",
                range.start(),
                range.end()
            ),
        );
        return None;
    }
    Some(Some(n))
}
