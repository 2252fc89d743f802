//! Files: an upload is typed from its bytes, its idea and system checked, and its
//! metadata row, content row and audit row committed in one transaction; private files
//! are invisible (404) to callers without a token when auth is on; only a whole
//! download counts and is audited.

use serde::Serialize;
use serde_json::json;
use shared::ApiError;
use uuid::Uuid;

use super::{Change, Documentation, image};
use crate::domain::audit::{Action, AuditEntry, RequestMeta};
use crate::domain::file::{File, FilePatch, FileQuery, UploadFields, Viewer};
use crate::domain::file_stats::FileStats;
use crate::domain::{Entity, file_type, new_id, now};
use crate::error::{Error, Result};
use crate::repo::{Parent, WriteTx};

/// The most files one request may upload.
pub const MAX_FILES_PER_REQUEST: usize = 5;

/// A file as read from an upload form: the client's name (cleaned), its bytes and their
/// SHA-256, computed while they streamed in.
#[derive(Debug)]
pub struct Received {
    pub original_name: String,
    pub bytes: Vec<u8>,
    pub checksum: String,
}

/// A file of a multi-upload that was not stored, as the 207 lists it.
#[derive(Debug, Clone, Serialize)]
pub struct UploadRefusal {
    pub filename: String,
    pub error: String,
    pub code: &'static str,
}

impl UploadRefusal {
    pub fn of(filename: &str, error: &ApiError) -> Self {
        Self {
            filename: filename.to_string(),
            error: error.message().to_string(),
            code: error.code(),
        }
    }
}

/// Files never validated their ids: anything that is not a UUID is simply not found.
fn file_id(raw: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| Error::NotFound(Entity::File))
}

fn parent_entity(parent: Parent) -> (Entity, &'static str) {
    match parent {
        Parent::Idea => (Entity::Idea, "idea_id"),
        Parent::System => (Entity::System, "system_id"),
    }
}

/// The file's idea and system exist, checked inside the write.
async fn check_parents(tx: &mut WriteTx, idea: Option<Uuid>, system: Option<Uuid>) -> Result<()> {
    for (parent, id) in [(Parent::Idea, idea), (Parent::System, system)] {
        if let Some(id) = id
            && !tx.file_parent_exists(parent, id).await?
        {
            let (entity, field) = parent_entity(parent);
            return Err(Error::MissingReference { field, entity });
        }
    }
    Ok(())
}

impl Documentation {
    pub async fn files(&self, query: &FileQuery, viewer: Viewer) -> Result<(Vec<File>, i64)> {
        Ok(self.store.files(query, !viewer.sees_private).await?)
    }

    pub async fn file(&self, raw_id: &str, viewer: Viewer) -> Result<File> {
        let id = file_id(raw_id)?;
        match self.store.file(id).await? {
            Some(file) if viewer.can_see(&file) => Ok(file),
            _ => Err(Error::NotFound(Entity::File)),
        }
    }

    /// 404 unless the idea or system `raw_id` exists.
    pub async fn require_parent(&self, parent: Parent, raw_id: &str) -> Result<Uuid> {
        let missing = Error::NotFound(parent_entity(parent).0);
        let Ok(id) = Uuid::parse_str(raw_id) else {
            return Err(missing);
        };
        if self.store.file_parent_exists(parent, id).await? {
            Ok(id)
        } else {
            Err(missing)
        }
    }

    /// Every file of an idea or a system, oldest first.
    pub async fn files_of(
        &self,
        parent: Parent,
        raw_id: &str,
        viewer: Viewer,
    ) -> Result<Vec<File>> {
        let id = self.require_parent(parent, raw_id).await?;
        let query = match parent {
            Parent::Idea => FileQuery::children(Some(id), None),
            Parent::System => FileQuery::children(None, Some(id)),
        };
        Ok(self.files(&query, viewer).await?.0)
    }

    pub async fn file_stats(&self, viewer: Viewer) -> Result<FileStats> {
        let groups = self.store.file_groups(!viewer.sees_private).await?;
        Ok(FileStats::from_groups(&groups))
    }

    /// Stores one file: 415 unless its bytes are an allowed type, 400 when its idea or
    /// system does not exist.
    pub async fn upload(
        &self,
        received: Received,
        fields: &UploadFields,
        uploader: &str,
        meta: &RequestMeta,
    ) -> Result<File> {
        let kind = file_type::classify(&received.original_name, &received.bytes)?;
        let (id, at) = (new_id(), now());
        let file = File {
            id,
            filename: file_type::stored_name(id, &received.original_name, kind),
            original_name: received.original_name,
            mime_type: kind.mime.to_string(),
            size_bytes: i64::try_from(received.bytes.len()).unwrap_or(i64::MAX),
            description: fields.description.clone(),
            idea_id: fields.idea_id,
            system_id: fields.system_id,
            uploaded_by: uploader.to_string(),
            is_public: fields.is_public,
            download_count: 0,
            checksum: received.checksum,
            created_at: at,
            updated_at: at,
        };
        let bytes = received.bytes;
        self.write("files.upload", || {
            async |tx| {
                check_parents(tx, file.idea_id, file.system_id).await?;
                tx.insert_file(&file, &bytes).await?;
                let audit = AuditEntry::record(
                    Entity::File,
                    file.id,
                    Action::Create,
                    None,
                    Some(image(&file)),
                    meta,
                    at,
                );
                Ok(Change::Made(file.clone(), tx.record(&audit).await?))
            }
        })
        .await
    }

    /// Stores each file in its own transaction. A refused type is listed and the rest go
    /// on; a missing idea or system refuses the whole request while nothing is stored.
    pub async fn upload_many(
        &self,
        files: Vec<Received>,
        mut refused: Vec<UploadRefusal>,
        fields: &UploadFields,
        uploader: &str,
        meta: &RequestMeta,
    ) -> Result<(Vec<File>, Vec<UploadRefusal>)> {
        let mut stored = Vec::with_capacity(files.len());
        for received in files {
            let name = received.original_name.clone();
            match self.upload(received, fields, uploader, meta).await {
                Ok(file) => stored.push(file),
                Err(Error::Api(e)) => refused.push(UploadRefusal::of(&name, &e)),
                Err(e @ Error::MissingReference { .. }) if !stored.is_empty() => {
                    refused.push(UploadRefusal::of(&name, &ApiError::from(e)));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((stored, refused))
    }

    pub async fn update_file(
        &self,
        raw_id: &str,
        patch: FilePatch,
        meta: &RequestMeta,
    ) -> Result<File> {
        let id = file_id(raw_id)?;
        self.write("files.update", || {
            async |tx| {
                let current = tx.file(id).await?.ok_or(Error::NotFound(Entity::File))?;
                let mut next = current.clone();
                patch.clone().apply_to(&mut next);
                if next == current {
                    return Ok(Change::None(current));
                }
                let changed = |a: Option<Uuid>, b: Option<Uuid>| (a != b).then_some(a).flatten();
                check_parents(
                    tx,
                    changed(next.idea_id, current.idea_id),
                    changed(next.system_id, current.system_id),
                )
                .await?;
                let at = now();
                next.updated_at = at.max(current.updated_at);
                tx.update_file(&next).await?;
                let audit =
                    AuditEntry::update(Entity::File, id, image(&current), image(&next), meta, at);
                Ok(Change::Made(next, tx.record(&audit).await?))
            }
        })
        .await
    }

    /// Deletes the file and its bytes.
    pub async fn delete_file(&self, raw_id: &str, meta: &RequestMeta) -> Result<()> {
        let id = file_id(raw_id)?;
        self.write("files.delete", || {
            async |tx| {
                let current = tx.file(id).await?.ok_or(Error::NotFound(Entity::File))?;
                tx.delete_file(id).await?;
                let audit = AuditEntry::delete(Entity::File, id, image(&current), meta, now());
                Ok(Change::Made((), tx.record(&audit).await?))
            }
        })
        .await
    }

    /// The whole content, or bytes `start..=end` of it read by the database.
    pub async fn file_bytes(&self, file: &File, range: Option<(u64, u64)>) -> Result<Vec<u8>> {
        let bytes = match range {
            None => self.store.file_content(file.id).await?,
            Some((start, end)) => {
                // Sizes are bounded by the upload limit (at most 1 GiB).
                let too_big = |_| Error::NotFound(Entity::File);
                let len = i32::try_from(end - start + 1).map_err(too_big)?;
                let start = i32::try_from(start).map_err(too_big)?;
                self.store.file_range(file.id, start, len).await?
            }
        };
        bytes.ok_or(Error::NotFound(Entity::File))
    }

    /// Counts a whole download and writes its audit row; the new count.
    pub async fn record_download(&self, file: &File, meta: &RequestMeta) -> Result<i64> {
        self.write("files.download", || {
            async |tx| {
                let count = tx
                    .count_download(file.id)
                    .await?
                    .ok_or(Error::NotFound(Entity::File))?;
                let audit = AuditEntry::record(
                    Entity::File,
                    file.id,
                    Action::Download,
                    Some(json!({"download_count": count - 1})),
                    Some(json!({"download_count": count})),
                    meta,
                    now(),
                );
                Ok(Change::Made(count, tx.record(&audit).await?))
            }
        })
        .await
    }
}
