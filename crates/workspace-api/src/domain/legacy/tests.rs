//! How the originals' rows become ours.

use super::*;

#[test]
fn lowdb_categories_take_the_slug_from_id_and_the_label_from_name() {
    let row = json!({"id": "bug", "name": "Bug", "description": "Correção de bugs",
        "color": "#ef4444", "display_order": 2, "active": false});
    let c = category(SourceKind::LowDb, &row, 1, Utc::now()).expect("maps");
    assert_eq!(
        (c.value.name.as_str(), c.value.display_name.as_str()),
        ("bug", "Bug")
    );
    assert_eq!((c.value.display_order, c.value.is_active), (2, false));
    assert_eq!(c.value.color, "#ef4444");
}

#[test]
fn serial_ids_get_stable_v7_ids_of_their_creation_time() {
    let row = json!({"id": 7, "title": " T ", "category": "dashboard", "priority": "urgent",
        "status": "pending", "tags": ["a", "a", " b"], "created_at": "2025-01-02T03:04:05.678901+00:00"});
    let a = item(&row, 0).expect("maps");
    let b = item(&row, 0).expect("maps");
    assert_eq!(a.value.id, b.value.id);
    assert_eq!(
        a.value.id.created_at().timestamp_millis(),
        1_735_787_045_678
    );
    assert_eq!(a.value.metadata["legacyId"], json!("7"));
    assert_eq!(
        a.value.metadata["legacy"],
        json!({"priority": "urgent", "status": "pending"})
    );
    assert_eq!(a.value.tags, ["a", "b"]);
    assert_eq!(a.value.title, "T");
    assert_eq!(a.notes.len(), 2);
}

#[test]
fn v4_ids_are_kept_and_lowdb_ids_carry_their_time() {
    let v4 = Uuid::new_v4().to_string();
    let row = json!({"id": v4, "title": "t", "category": "x", "createdAt": "2025-01-02T03:04:05Z"});
    let kept = item(&row, 0).expect("maps");
    assert_eq!(kept.value.id.to_string(), v4);
    assert!(!kept.value.metadata.contains_key("legacyId"));
    let lowdb = json!({"id": "item-1795974873560-24fp6eb", "title": "t", "category": "x"});
    let m = item(&lowdb, 0).expect("maps");
    assert_eq!(m.value.created_at.timestamp_millis(), 1_795_974_873_560);
    assert_eq!(m.value.description, "");
    assert_eq!(
        item(&json!({"id": 1, "category": "x", "createdAt": 0}), 0)
            .expect_err("no title")
            .reason,
        "item without a title"
    );
}
