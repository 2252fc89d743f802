//! A cache of serialized list responses, validated on every request against the change
//! version: the sum of the change counters, one of which every write bumps in the
//! statement that writes its audit row. One read of a few tiny rows replaces the list
//! query and the serialization, and a write by any instance sharing the database makes
//! every instance's entries stale at once (the original's Redis cache served stale
//! lists for five minutes).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// How many distinct queries are kept; past that the cache starts over.
const MAX_ENTRIES: usize = 256;

#[derive(Default)]
pub struct ListCache {
    entries: Mutex<HashMap<String, (i64, Bytes)>>,
}

impl ListCache {
    /// The body cached for `key`, if it was built at `version`.
    pub fn get(&self, key: &str, version: i64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, body)| body.clone())
    }

    pub fn put(&self, key: String, version: i64, body: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (version, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_only_served_at_their_version() {
        let cache = ListCache::default();
        cache.put("q".into(), 3, Bytes::from_static(b"x"));
        assert_eq!(cache.get("q", 3).as_deref(), Some(&b"x"[..]));
        assert_eq!(cache.get("q", 4), None);
        assert_eq!(cache.get("other", 3), None);
    }

    #[test]
    fn bounded() {
        let cache = ListCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            cache.put(format!("q{i}"), 1, Bytes::new());
        }
        assert!(cache.entries.lock().expect("lock").len() <= MAX_ENTRIES);
    }
}
