//! `GET /api/v1/ideas`' query: filters, order and page, echoed back as `filters`.

use serde::Serialize;
use shared::ApiError;
use shared::extract::QueryPairs;
use shared::query::QueryFields;
use uuid::Uuid;

use super::idea::{IdeaCategory, IdeaPriority, IdeaStatus};
use super::system::{Direction, UNPAGED_CAP};

string_enum!(
    /// `priority` and `status` order by meaning (urgent above low, workflow order), not
    /// alphabetically; `due_date` puts ideas without one last either way.
    #[derive(Default)]
    IdeaOrder {
        /// The original's only order: most recently changed first.
        #[default]
        UpdatedAt = "updated_at",
        CreatedAt = "created_at",
        Title = "title",
        Priority = "priority",
        Status = "status",
        DueDate = "due_date",
    }
);

#[derive(Debug, Clone, Default, Serialize)]
pub struct IdeaQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<IdeaStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<IdeaCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<IdeaPriority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    pub offset: i64,
    pub order_by: IdeaOrder,
    pub order_direction: Direction,
}

impl IdeaQuery {
    pub fn parse(query: &QueryPairs) -> Result<Self, ApiError> {
        let keys = [
            "status",
            "category",
            "priority",
            "system_id",
            "assigned_to",
            "search",
            "limit",
            "offset",
            "order_by",
            "order_direction",
        ];
        let mut q = QueryFields::new(query, &keys);
        let system_id = q.text("system_id", 100).and_then(|raw| {
            let parsed = Uuid::parse_str(&raw).ok();
            if parsed.is_none() {
                q.error(
                    "system_id",
                    "invalid_uuid",
                    "system_id must be a valid UUID",
                );
            }
            parsed
        });
        let parsed = Self {
            status: IdeaStatus::from_query(&mut q, "status"),
            category: IdeaCategory::from_query(&mut q, "category"),
            priority: IdeaPriority::from_query(&mut q, "priority"),
            system_id,
            assigned_to: q.text("assigned_to", 100),
            search: q.text("search", 100),
            limit: q.integer("limit", 1..=1000),
            offset: q.integer("offset", 0..=i64::MAX).unwrap_or(0),
            order_by: IdeaOrder::from_query(&mut q, "order_by").unwrap_or_default(),
            order_direction: Direction::read(&mut q, "order_direction").unwrap_or_default(),
        };
        q.finish()?;
        Ok(parsed)
    }

    /// Without `limit`, every match up to the cap (`total` tells the truth).
    pub fn effective_limit(&self) -> i64 {
        self.limit.unwrap_or(UNPAGED_CAP)
    }
}
