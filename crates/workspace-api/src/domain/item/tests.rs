//! The item rules' unit tests: parsing and validation of each field.

use super::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[test]
fn create_trims_dedupes_and_defaults() {
    let item = NewItem::parse(&obj(json!({
        "title": "  Hello ", "description": " d ", "category": "dashboard", "priority": "high",
        "tags": [" a", "b", "a "], "id": "ignored"
    })))
    .expect("valid");
    assert_eq!(item.title, "Hello");
    assert_eq!(item.description, "d");
    assert_eq!(item.tags, ["a", "b"]);
    assert_eq!(item.status, Status::New);
    assert!(item.metadata.is_empty());
}

#[test]
fn create_reports_every_field_like_zod() {
    let error = NewItem::parse(&obj(
        json!({"description": "", "category": "Bad", "priority": "SUPER"}),
    ))
    .expect_err("invalid");
    let got: Vec<(&str, &str, &str)> = error
        .field_errors()
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "title",
                "invalid_type",
                "Invalid input: expected string, received undefined"
            ),
            ("description", "too_small", "Description is required"),
            (
                "category",
                "invalid_format",
                "Category must be lowercase letters, numbers, and hyphens only"
            ),
            (
                "priority",
                "invalid_value",
                "Invalid option: expected one of \"low\"|\"medium\"|\"high\"|\"critical\""
            ),
        ]
    );
}

#[test]
fn bounds() {
    let base =
        json!({"title": "t".repeat(200), "description": "d", "category": "c", "priority": "low"});
    assert!(
        NewItem::parse(&obj(base.clone())).is_ok(),
        "200 characters is allowed"
    );
    let mut long = base.clone();
    long["title"] = json!("t".repeat(201));
    assert_eq!(
        NewItem::parse(&obj(long))
            .expect_err("too long")
            .field_errors()[0]
            .code,
        "too_big"
    );
    let mut many = base.clone();
    many["tags"] = json!((0..51).map(|i| format!("t{i}")).collect::<Vec<_>>());
    assert_eq!(
        NewItem::parse(&obj(many))
            .expect_err("too many")
            .field_errors()[0]
            .field,
        "tags"
    );
    let mut big = base;
    big["metadata"] = json!({"blob": "x".repeat(METADATA_MAX_BYTES)});
    assert_eq!(
        NewItem::parse(&obj(big))
            .expect_err("too big")
            .field_errors()[0]
            .field,
        "metadata"
    );
}

#[test]
fn update_rejects_unknown_keys_by_name() {
    let error = ItemPatch::parse(&obj(json!({"title": "x", "id": "1", "updatedAt": "now"})))
        .expect_err("invalid");
    let fields: Vec<&str> = error
        .field_errors()
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(fields, ["id", "updatedAt"]);
    assert!(ItemPatch::parse(&obj(json!({}))).is_ok());
    let status = ItemPatch::parse(&obj(json!({"status": "invalid-status"}))).expect_err("invalid");
    assert_eq!(status.field_errors()[0].field, "status");
}
