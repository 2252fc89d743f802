//! What the fleet's audit rows share: which fields a change touched.

use serde_json::Value;

/// The top-level keys whose values differ between two JSON images of an entity, sorted,
/// without `stamps` (server-maintained fields that change with every write and say
/// nothing on their own). Empty unless both images are objects.
pub fn changed_fields(old: Option<&Value>, new: Option<&Value>, stamps: &[&str]) -> Vec<String> {
    let (Some(Value::Object(old)), Some(Value::Object(new))) = (old, new) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = old
        .keys()
        .chain(new.keys())
        .filter(|k| !stamps.contains(&k.as_str()) && old.get(*k) != new.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_added_and_removed_keys_but_not_stamps() {
        let old = json!({"a": 1, "b": 2, "gone": true, "updated_at": "1"});
        let new = json!({"a": 1, "b": 3, "new": null, "updated_at": "2"});
        assert_eq!(
            changed_fields(Some(&old), Some(&new), &["updated_at"]),
            ["b", "gone", "new"]
        );
        assert!(changed_fields(None, Some(&new), &[]).is_empty());
    }
}
