//! The repository's guarded item writes: a write decided on reads that another writer has
//! since overtaken writes nothing (no row, no audit row, no change mark), so the service
//! decides again.

use reqwest::Method;
use serde_json::json;
use workspace_api::domain::audit::{AuditEntry, EntityType, RequestMeta};
use workspace_api::domain::item::{Item, ItemId};
use workspace_api::repo::ItemWrite;

use crate::both_backends;
use crate::helpers::{TestApp, state_sharing};

both_backends!(overtaken_decisions_write_nothing);

fn audit_of(item: &Item) -> AuditEntry {
    let meta = RequestMeta {
        actor: "test".into(),
        ..RequestMeta::default()
    };
    AuditEntry::record(
        EntityType::Item,
        &item.id.to_string(),
        None,
        serde_json::to_value(item).ok(),
        &meta,
        item.updated_at,
    )
}

async fn overtaken_decisions_write_nothing(app: TestApp) {
    let state = state_sharing(&app).await;
    let store = state.workspace.store();
    let created = app.create_item("guarded").await;
    let path = format!("/api/items/{}", created["id"].as_str().expect("id"));
    let id = ItemId::parse(created["id"].as_str().expect("id")).expect("v7");
    let read = store.item(id).await.expect("read").expect("exists");
    app.json(Method::PUT, &path, json!({"title": "second"}))
        .await;

    let audit_rows = app.count_rows("workspace_audit_log").await;
    let version = store.change_version().await.expect("version");
    let mut lost = read.clone();
    lost.title = "lost update".into();
    lost.version = read.version + 1;
    // A run of two updates, decided on the version the PUT above has overtaken.
    let later = [audit_of(&lost)];
    let update = ItemWrite::Update {
        next: &lost,
        moves: false,
        read_version: read.version,
        later: &later,
    };
    assert!(
        !store
            .write_item(update, &audit_of(&lost))
            .await
            .expect("update")
    );
    assert!(
        !store
            .write_item(ItemWrite::Delete(&read), &audit_of(&read))
            .await
            .expect("delete")
    );
    app.send(app.request(Method::PATCH, "/api/categories/dashboard/toggle"))
        .await;
    let version_after_toggle = store.change_version().await.expect("version");
    assert_ne!(version_after_toggle, version, "the toggle is a write");
    let mut fresh = read.clone();
    fresh.id = ItemId::new(read.created_at);
    assert!(
        !store
            .write_item(ItemWrite::Insert(&fresh), &audit_of(&fresh))
            .await
            .expect("insert"),
        "the category is no longer active"
    );
    let mut moved = app.get(&path).await.body["data"].clone();
    assert_eq!(
        moved["title"], "second",
        "the overtaken update changed nothing"
    );
    assert_eq!(
        app.count_rows("workspace_audit_log").await,
        audit_rows + 1,
        "only the toggle left an audit row"
    );
    assert_eq!(
        store.change_version().await.expect("version"),
        version_after_toggle,
        "refused writes invalidate nothing"
    );
    assert_eq!(app.count_rows("workspace_items").await, 1);

    // The same decisions, taken on fresh reads, go through.
    let current = store.item(id).await.expect("read").expect("exists");
    let mut next = current.clone();
    next.category = "banco-dados".into();
    next.version = current.version + 1;
    let audit_rows = app.count_rows("workspace_audit_log").await;
    let later = [audit_of(&next), audit_of(&next)];
    let update = ItemWrite::Update {
        next: &next,
        moves: true,
        read_version: current.version,
        later: &later,
    };
    assert!(
        store
            .write_item(update, &audit_of(&next))
            .await
            .expect("update")
    );
    assert_eq!(
        app.count_rows("workspace_audit_log").await,
        audit_rows + 3,
        "a run's write leaves an audit row per update"
    );
    moved = app.get(&path).await.body["data"].clone();
    assert_eq!(moved["category"], "banco-dados");
    assert!(store.change_version().await.expect("version") > version_after_toggle);
    let mut back = next.clone();
    back.category = "dashboard".into();
    back.version = next.version + 1;
    let update = ItemWrite::Update {
        next: &back,
        moves: true,
        read_version: next.version,
        later: &[],
    };
    assert!(
        !store
            .write_item(update, &audit_of(&back))
            .await
            .expect("update"),
        "no move into an inactive category"
    );
}
