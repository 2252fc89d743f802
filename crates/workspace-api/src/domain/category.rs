//! Categories: addressed by their slug `name` (which is also their `id`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use shared::ApiError;
use shared::validate::{Fields, is_hex_colour, is_slug};

pub const DEFAULT_COLOUR: &str = "#6B7280";

/// The one shape every category route returns (the original's mutations returned raw rows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub color: String,
    pub icon: Option<String>,
    pub display_order: i64,
    pub is_active: bool,
    #[serde(with = "shared::time::serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "shared::time::serde_millis")]
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// The category fields a request may set, once their types are right.
#[derive(Debug, Clone, Default)]
struct CategoryFields {
    name: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    color: Option<String>,
    icon: Option<String>,
    display_order: Option<i64>,
}

impl CategoryFields {
    /// The rules on each field, reported in field order after the type errors.
    fn check(&self, f: &mut Fields<'_>) {
        length(
            f,
            "name",
            self.name.as_deref(),
            1..=100,
            "Category name must be 1-100 characters",
        );
        if self.name.as_deref().is_some_and(|name| !is_slug(name)) {
            f.error(
                "name",
                "invalid_format",
                "Category name must be lowercase letters, numbers, and hyphens only",
            );
        }
        let display_name = self.display_name.as_deref();
        length(
            f,
            "display_name",
            display_name,
            1..=200,
            "Display name must be 1-200 characters",
        );
        let description = self.description.as_deref();
        length(
            f,
            "description",
            description,
            0..=2000,
            "Description must be at most 2000 characters",
        );
        if self
            .color
            .as_deref()
            .is_some_and(|colour| !is_hex_colour(colour))
        {
            f.error(
                "color",
                "invalid_format",
                "Color must be a hex colour like #6B7280",
            );
        }
        length(
            f,
            "icon",
            self.icon.as_deref(),
            1..=50,
            "Icon must be 1-50 characters",
        );
        if self
            .display_order
            .is_some_and(|order| !(0..=1_000_000).contains(&order))
        {
            f.error(
                "display_order",
                "too_small",
                "display_order must be an integer from 0 to 1000000",
            );
        }
    }
}

/// A field error when `value` is present and its length in characters is outside `range`.
fn length(
    f: &mut Fields<'_>,
    key: &str,
    value: Option<&str>,
    range: std::ops::RangeInclusive<usize>,
    message: &str,
) {
    if value.is_some_and(|v| !range.contains(&v.chars().count())) {
        f.error(key, "too_big", message);
    }
}

/// A validated create request.
#[derive(Debug, Clone)]
pub struct NewCategory {
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub color: String,
    pub icon: Option<String>,
    /// `None`: after the last one (max + 1). An explicit 0 is kept.
    pub display_order: Option<i64>,
    pub is_active: bool,
}

/// A validated update; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<Option<String>>,
    pub color: Option<String>,
    pub icon: Option<Option<String>>,
    pub display_order: Option<i64>,
    pub is_active: Option<bool>,
}

impl CategoryPatch {
    /// Overwrites the fields this patch sets, except `name`: a rename moves items too,
    /// which the repository does in the same transaction.
    pub fn apply_to(&self, category: &mut Category) {
        if let Some(v) = &self.display_name {
            category.display_name.clone_from(v);
        }
        if let Some(v) = &self.description {
            category.description.clone_from(v);
        }
        if let Some(v) = &self.color {
            category.color.clone_from(v);
        }
        if let Some(v) = &self.icon {
            category.icon.clone_from(v);
        }
        if let Some(v) = self.display_order {
            category.display_order = v;
        }
        if let Some(v) = self.is_active {
            category.is_active = v;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.display_name.is_none()
            && self.description.is_none()
            && self.color.is_none()
            && self.icon.is_none()
            && self.display_order.is_none()
            && self.is_active.is_none()
    }
}

/// A category update: fields from a client, or the toggle of `is_active`.
#[derive(Debug, Clone)]
pub enum CategoryChange {
    Patch(CategoryPatch),
    Toggle,
}

/// What [`read`] found: the validated fields, plus the nullable ones as sent
/// (`Some(None)` = explicit `null`) and the flag.
struct Read {
    fields: CategoryFields,
    description: Option<Option<String>>,
    icon: Option<Option<String>>,
    is_active: Option<bool>,
}

/// Reads the shared fields; blank descriptions and icons mean "none".
fn read(f: &mut Fields<'_>) -> Read {
    let name = f.optional_string("name").map(|s| s.trim().to_string());
    let display_name = f
        .optional_string("display_name")
        .map(|s| s.trim().to_string());
    let description = f.nullable_string("description").map(blank_to_none);
    let color = f.optional_string("color").map(|s| s.trim().to_string());
    let icon = f.nullable_string("icon").map(blank_to_none);
    // `sort_order` is what the original server read; accepted as an alias.
    let key = if f.has("display_order") {
        "display_order"
    } else {
        "sort_order"
    };
    let display_order = f.optional_integer(key);
    let is_active = f.optional_bool("is_active");
    let fields = CategoryFields {
        name,
        display_name,
        description: description.clone().flatten(),
        color,
        icon: icon.clone().flatten(),
        display_order,
    };
    fields.check(f);
    Read {
        fields,
        description,
        icon,
        is_active,
    }
}

fn blank_to_none(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl NewCategory {
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        if !f.has("name") {
            f.error("name", "invalid_type", "Category name is required");
        }
        let Read {
            fields,
            description,
            icon,
            is_active,
        } = read(&mut f);
        f.finish()?;
        let name = fields.name.unwrap_or_default();
        Ok(Self {
            display_name: fields.display_name.unwrap_or_else(|| name.clone()),
            name,
            description: description.flatten(),
            color: fields.color.unwrap_or_else(|| DEFAULT_COLOUR.to_string()),
            icon: icon.flatten(),
            display_order: fields.display_order,
            is_active: is_active.unwrap_or(true),
        })
    }
}

impl CategoryPatch {
    pub fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        let Read {
            fields,
            description,
            icon,
            is_active,
        } = read(&mut f);
        f.finish()?;
        Ok(Self {
            name: fields.name,
            display_name: fields.display_name,
            description,
            color: fields.color,
            icon,
            display_order: fields.display_order,
            is_active,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn create_defaults_match_the_original_tests_14_and_15() {
        let c = NewCategory::parse(&obj(
            json!({"name": "docs", "description": "d", "is_active": false}),
        ))
        .expect("valid");
        assert_eq!(
            (c.display_name.as_str(), c.color.as_str(), c.is_active),
            ("docs", DEFAULT_COLOUR, false)
        );
        assert_eq!(c.display_order, None);
        let c = NewCategory::parse(&obj(
            json!({"name": "feature", "color": "#10b981", "display_order": 0}),
        ))
        .expect("valid");
        assert_eq!((c.color.as_str(), c.display_order), ("#10b981", Some(0)));
    }

    #[test]
    fn bad_fields_are_named_in_order() {
        let e = NewCategory::parse(&obj(
            json!({"name": "Com Espaco", "color": "red", "display_order": -1}),
        ))
        .expect_err("invalid");
        let fields: Vec<&str> = e.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "color", "display_order"]);
        let e = NewCategory::parse(&obj(json!({}))).expect_err("missing name");
        assert_eq!(e.field_errors()[0].message, "Category name is required");
    }

    #[test]
    fn patch_clears_nullable_fields() {
        let p = CategoryPatch::parse(&obj(
            json!({"description": null, "icon": "", "sort_order": 3}),
        ))
        .expect("valid");
        assert_eq!(p.description, Some(None));
        assert_eq!(p.icon, Some(None));
        assert_eq!(p.display_order, Some(3));
        assert!(
            CategoryPatch::parse(&obj(json!({})))
                .expect("valid")
                .is_empty()
        );
    }

    #[test]
    fn lengths_are_counted_in_characters_with_their_own_sentences() {
        let e = CategoryPatch::parse(&obj(json!({
            "name": "a".repeat(101),
            "display_name": "",
            "description": "é".repeat(2001),
            "icon": "x".repeat(51),
        })))
        .expect_err("invalid");
        let found: Vec<(&str, &str)> = e
            .field_errors()
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("name", "Category name must be 1-100 characters"),
                ("display_name", "Display name must be 1-200 characters"),
                ("description", "Description must be at most 2000 characters"),
                ("icon", "Icon must be 1-50 characters"),
            ]
        );
        let fits = json!({"name": "a".repeat(100), "description": "é".repeat(2000)});
        assert!(CategoryPatch::parse(&obj(fits)).is_ok());
    }
}
