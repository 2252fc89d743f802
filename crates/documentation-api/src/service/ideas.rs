//! Ideas: create, update and delete with their audit rows; the linked system must exist
//! (checked in the write's transaction, and kept from deletion until it commits), and
//! `completed_at` follows the status.

use uuid::Uuid;

use super::{Change, Documentation, image};
use crate::domain::audit::{Action, AuditEntry, RequestMeta};
use crate::domain::idea::{IdeaPatch, IdeaStatus, IdeaView};
use crate::domain::idea_query::IdeaQuery;
use crate::domain::system::System;
use crate::domain::{Entity, new_id, now};
use crate::error::{Error, Result};
use crate::repo::WriteTx;

/// The kanban's columns, every one always present, in workflow order.
#[derive(Debug, Default, serde::Serialize)]
pub struct Kanban {
    pub backlog: Vec<IdeaView>,
    pub todo: Vec<IdeaView>,
    pub in_progress: Vec<IdeaView>,
    pub review: Vec<IdeaView>,
    pub done: Vec<IdeaView>,
    pub cancelled: Vec<IdeaView>,
}

impl Documentation {
    pub async fn ideas(&self, query: &IdeaQuery) -> Result<(Vec<IdeaView>, i64)> {
        Ok(self.store.ideas(query).await?)
    }

    pub async fn idea(&self, id: Uuid) -> Result<IdeaView> {
        self.store
            .idea(id)
            .await?
            .ok_or(Error::NotFound(Entity::Idea))
    }

    /// The ideas by column; the order within each column is the query's.
    pub async fn kanban(&self) -> Result<Kanban> {
        let mut board = Kanban::default();
        for view in self.store.kanban().await? {
            let column = match view.idea.status {
                IdeaStatus::Backlog => &mut board.backlog,
                IdeaStatus::Todo => &mut board.todo,
                IdeaStatus::InProgress => &mut board.in_progress,
                IdeaStatus::Review => &mut board.review,
                IdeaStatus::Done => &mut board.done,
                IdeaStatus::Cancelled => &mut board.cancelled,
            };
            column.push(view);
        }
        Ok(board)
    }

    pub async fn create_idea(&self, patch: IdeaPatch, meta: &RequestMeta) -> Result<IdeaView> {
        let at = now();
        let mut idea = patch.into_idea(new_id(), &meta.actor, at);
        idea.track_completion(None, at);
        self.write("ideas.create", || {
            async |tx| {
                let system = linked_system(tx, idea.system_id).await?;
                tx.insert_idea(&idea).await.map_err(missing_system)?;
                let audit = AuditEntry::record(
                    Entity::Idea,
                    idea.id,
                    Action::Create,
                    None,
                    Some(image(&idea)),
                    meta,
                    at,
                );
                let view = IdeaView {
                    idea: idea.clone(),
                    system,
                };
                Ok(Change::Made(view, tx.record(&audit).await?))
            }
        })
        .await
    }

    pub async fn update_idea(
        &self,
        id: Uuid,
        patch: IdeaPatch,
        meta: &RequestMeta,
    ) -> Result<IdeaView> {
        self.write("ideas.update", || {
            async |tx| {
                let current = tx.idea(id).await?.ok_or(Error::NotFound(Entity::Idea))?;
                let mut next = current.clone();
                patch.clone().apply_to(&mut next);
                let at = now();
                next.track_completion(Some(current.status), at);
                let system = linked_system(tx, next.system_id).await?;
                if next == current {
                    return Ok(Change::None(IdeaView {
                        idea: current,
                        system,
                    }));
                }
                next.updated_at = at.max(current.updated_at);
                next.updated_by = Some(meta.actor.clone());
                tx.update_idea(&next).await.map_err(missing_system)?;
                let audit =
                    AuditEntry::update(Entity::Idea, id, image(&current), image(&next), meta, at);
                let view = IdeaView { idea: next, system };
                Ok(Change::Made(view, tx.record(&audit).await?))
            }
        })
        .await
    }

    /// Deletes the idea; its files stay, with their link cleared.
    pub async fn delete_idea(&self, id: Uuid, meta: &RequestMeta) -> Result<()> {
        self.write("ideas.delete", || {
            async |tx| {
                let current = tx.idea(id).await?.ok_or(Error::NotFound(Entity::Idea))?;
                tx.delete_idea(id).await?;
                let audit = AuditEntry::delete(Entity::Idea, id, image(&current), meta, now());
                Ok(Change::Made((), tx.record(&audit).await?))
            }
        })
        .await
    }
}

/// The system an idea links to, which must exist.
async fn linked_system(tx: &mut WriteTx, id: Option<Uuid>) -> Result<Option<System>> {
    let Some(id) = id else {
        return Ok(None);
    };
    match tx.referenced_system(id).await? {
        Some(system) => Ok(Some(system)),
        None => Err(Error::MissingReference {
            field: "system_id",
            entity: Entity::System,
        }),
    }
}

/// The foreign key's refusal, should the system vanish regardless: the client's 400.
fn missing_system(error: sqlx::Error) -> Error {
    let is_fk = error
        .as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::ForeignKeyViolation);
    if is_fk {
        Error::MissingReference {
            field: "system_id",
            entity: Entity::System,
        }
    } else {
        Error::from(error)
    }
}
