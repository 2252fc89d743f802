//! Item ids: UUIDv7, whose time prefix is the item's creation time (PostgreSQL uses it to
//! search a single hypertable chunk). Items imported from the originals keep their UUIDs,
//! which are random (v4) and say nothing of the time: looking one up searches every
//! chunk (docs/decisions.md#d28). Parsed once, where a request or a row names one.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ItemId(Uuid);

impl ItemId {
    /// A fresh id carrying `at` (milliseconds) as its time.
    pub fn new(at: DateTime<Utc>) -> Self {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            u64::try_from(at.timestamp()).unwrap_or(0),
            at.timestamp_subsec_nanos(),
        );
        Self(Uuid::new_v7(ts))
    }

    /// A UUIDv7, or a v4 kept from the originals; anything else names no item.
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok().and_then(Self::from_uuid)
    }

    pub fn from_uuid(uuid: Uuid) -> Option<Self> {
        matches!(uuid.get_version_num(), 4 | 7).then_some(Self(uuid))
    }

    /// The creation times an item with this id can have, `[from, to)`: the millisecond
    /// a UUIDv7 carries; for a v4 kept from the originals, any time.
    pub fn created_window(self) -> (DateTime<Utc>, DateTime<Utc>) {
        if self.0.get_version_num() == 7 {
            let from = self.created_at();
            return (from, from + chrono::Duration::milliseconds(1));
        }
        let any = |year| {
            chrono::NaiveDate::from_ymd_opt(year, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
                .unwrap_or_default()
        };
        (any(1900), any(10000))
    }

    pub fn uuid(self) -> Uuid {
        self.0
    }

    /// The creation time the id carries, to the millisecond.
    pub fn created_at(self) -> DateTime<Utc> {
        self.0
            .get_timestamp()
            .and_then(|ts| {
                let (secs, nanos) = ts.to_unix();
                DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
            })
            .unwrap_or_default()
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("not an item id"))
    }
}

/// An item route's `{id}` as the client sent it: an item id, or text that can name no item
/// (which is a 404 like any missing item, never a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKey {
    Id(ItemId),
    Unknown(String),
}

impl ItemKey {
    pub fn id(&self) -> Option<ItemId> {
        match self {
            ItemKey::Id(id) => Some(*id),
            ItemKey::Unknown(_) => None,
        }
    }
}

impl From<&str> for ItemKey {
    fn from(text: &str) -> Self {
        ItemId::parse(text).map_or_else(|| ItemKey::Unknown(text.to_string()), ItemKey::Id)
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemKey::Id(id) => id.fmt(f),
            ItemKey::Unknown(text) => f.write_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for ItemKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ItemKey::from(String::deserialize(deserializer)?.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v7_ids_and_the_originals_v4() {
        let id = ItemId::new(Utc::now());
        assert_eq!(ItemId::parse(&id.to_string()), Some(id));
        assert_eq!(ItemId::parse("abc"), None);
        assert_eq!(ItemId::parse(&Uuid::nil().to_string()), None);
        let kept = ItemId::parse(&Uuid::new_v4().to_string()).expect("an original's id");
        let (from, to) = kept.created_window();
        assert!(from < Utc::now() && to > Utc::now());
        let (from, to) = id.created_window();
        assert_eq!(
            (from, to - from),
            (id.created_at(), chrono::Duration::milliseconds(1))
        );
        assert!((Utc::now() - id.created_at()).num_seconds().abs() < 5);
        assert_eq!(ItemKey::from("1"), ItemKey::Unknown("1".into()));
        assert_eq!(ItemKey::from(id.to_string().as_str()), ItemKey::Id(id));
        assert_eq!(ItemKey::Unknown("x/y".into()).to_string(), "x/y");
        assert_eq!(
            serde_json::to_value(id).expect("json"),
            serde_json::json!(id.to_string())
        );
    }
}
