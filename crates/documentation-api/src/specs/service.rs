//! [`Specs`]: what the spec routes call.

use std::sync::{Arc, RwLock};

use serde_json::{Value, json};

use super::dirs::{self, Dirs, Fingerprint, Status, stamp, stem};
use super::document::{self, Kind};
use super::files::{self, Served};
use super::search::{Hit, SearchQuery, SpecIndex, Suggestion};
use super::validate;
use super::versions::{self, Bump, Source};
use crate::config::SpecsSettings;
use crate::error::{Error, Result};

struct Built {
    index: SpecIndex,
    fingerprint: Fingerprint,
}

pub struct Specs {
    dirs: Dirs,
    index: RwLock<Option<Arc<Built>>>,
    /// One publication at a time in this instance (the version number is read, then
    /// taken); another instance is kept out by the atomic create of the file itself.
    publishing: tokio::sync::Mutex<()>,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::SpecStorage(format!("spec task failed: {e}")))?
}

impl Specs {
    pub fn new(settings: &SpecsSettings) -> Self {
        Self {
            dirs: Dirs {
                specs: settings.dir.clone(),
                versions: settings.versions_dir.clone(),
            },
            index: RwLock::new(None),
            publishing: tokio::sync::Mutex::new(()),
        }
    }

    pub async fn file(&self, path: String) -> Result<Served> {
        let dir = self.dirs.specs.clone();
        blocking(move || files::serve(&dir, &path)).await
    }

    pub async fn archive(&self) -> Result<Vec<u8>> {
        let dir = self.dirs.specs.clone();
        blocking(move || files::archive(&dir)).await
    }

    pub async fn status(&self) -> Result<Status> {
        let dir = self.dirs.specs.clone();
        blocking(move || Ok(dirs::status_of(&dir))).await
    }

    /// `GET /api/v1/docs/versions`: every document with its versions.
    pub async fn all_versions(&self) -> Result<Vec<Value>> {
        let dirs = self.dirs.clone();
        blocking(move || {
            let docs = document::documents(&dirs.specs).unwrap_or_default();
            docs.iter()
                .filter(|d| d.kind().is_some())
                .map(|d| Ok(dirs::version_summary(d, &dirs.version_set(d)?)))
                .collect()
        })
        .await
    }

    pub async fn versions(&self, name: String) -> Result<Value> {
        let dirs = self.dirs.clone();
        blocking(move || {
            let current = dirs.document(&name)?;
            Ok(dirs::version_summary(
                &current,
                &dirs.version_set(&current)?,
            ))
        })
        .await
    }

    pub async fn version(&self, name: String, selector: String) -> Result<Value> {
        let dirs = self.dirs.clone();
        blocking(move || {
            let (current, version, source, loaded) = dirs.version_text(&name, &selector)?;
            let document = stem(&current.file);
            Ok(json!({
                "document": document,
                "file": current.file,
                "kind": current.kind().map(Kind::as_str),
                "version": version,
                "source": if source == Source::Current { "current" } else { "published" },
                "path": format!("/api/v1/docs/versions/{document}/{version}/spec"),
                "lastUpdated": stamp(loaded.modified),
            }))
        })
        .await
    }

    pub async fn version_spec(&self, name: String, selector: String) -> Result<Served> {
        let dirs = self.dirs.clone();
        blocking(move || {
            let (current, _, _, loaded) = dirs.version_text(&name, &selector)?;
            Ok(Served {
                etag: files::etag_of(&loaded.bytes),
                content_type: files::content_type(&current.file),
                bytes: loaded.bytes,
            })
        })
        .await
    }

    pub async fn version_status(&self, name: String, selector: String) -> Result<Value> {
        let dirs = self.dirs.clone();
        blocking(move || {
            let (current, version, _, loaded) = dirs.version_text(&name, &selector)?;
            let report = validate::check(&loaded);
            let mut out = json!({
                "document": stem(&current.file),
                "version": version,
                "status": if report.valid { "healthy" } else { "error" },
                "lastUpdated": stamp(loaded.modified),
            });
            if let (Some(out), Value::Object(report)) = (out.as_object_mut(), json!(report)) {
                out.extend(report.into_iter().filter(|(k, _)| k != "version"));
            }
            Ok(out)
        })
        .await
    }

    pub async fn compare(&self, name: String, v1: String, v2: String) -> Result<Value> {
        let dirs = self.dirs.clone();
        blocking(move || {
            let (current, a, _, old) = dirs.version_text(&name, &v1)?;
            let (_, b, _, new) = dirs.version_text(&name, &v2)?;
            let unreadable =
                |v: &str| Error::SpecConflict(format!("Version '{v}' of '{name}' does not parse"));
            let old = old.parsed.map_err(|_| unreadable(&v1))?;
            let new = new.parsed.map_err(|_| unreadable(&v2))?;
            Ok(json!({
                "document": stem(&current.file),
                "v1": a,
                "v2": b,
                "changes": versions::compare(&old, &new),
            }))
        })
        .await
    }

    /// Copies the working document to the next version's directory, `info.version`
    /// rewritten. A document that does not validate is not published.
    pub async fn publish(&self, name: String, bump: Bump) -> Result<Value> {
        let _one_at_a_time = self.publishing.lock().await;
        let dirs = self.dirs.clone();
        let published = blocking(move || dirs::publish(&dirs, &name, bump)).await?;
        self.invalidate();
        Ok(published)
    }

    fn invalidate(&self) {
        if let Ok(mut index) = self.index.write() {
            *index = None;
        }
    }

    /// The index, rebuilt first when the files changed since it was built.
    async fn index(&self) -> Result<Arc<Built>> {
        let dirs = self.dirs.clone();
        let known = self.index.read().ok().and_then(|i| i.clone());
        let built = blocking(move || {
            let fingerprint = dirs.fingerprint();
            if let Some(built) = known.filter(|b| b.fingerprint == fingerprint) {
                return Ok(built);
            }
            let index = SpecIndex::build(&dirs.indexed_versions())
                .map_err(|e| Error::SpecStorage(format!("building the spec index: {e}")))?;
            Ok(Arc::new(Built { index, fingerprint }))
        })
        .await?;
        if let Ok(mut index) = self.index.write() {
            *index = Some(built.clone());
        }
        Ok(built)
    }

    pub async fn search(&self, query: SearchQuery) -> Result<(usize, Vec<Hit>)> {
        let built = self.index().await?;
        blocking(move || {
            built
                .index
                .search(&query)
                .map_err(|e| Error::SpecStorage(format!("spec search: {e}")))
        })
        .await
    }

    pub async fn suggest(&self, query: SearchQuery) -> Result<Vec<Suggestion>> {
        let built = self.index().await?;
        blocking(move || {
            built
                .index
                .suggest(&query)
                .map_err(|e| Error::SpecStorage(format!("spec suggest: {e}")))
        })
        .await
    }
}
