//! The disk side of spec serving: documents at the top of `SPECS_DIR`, their published
//! versions under `SPECS_VERSIONS_DIR`, the status of them all, and publication.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::document::{self, Kind, Loaded};
use super::search::IndexedVersion;
use super::validate::{self, Report};
use super::versions::{self, Bump, Selector, Source, VersionSet};
use crate::error::{Error, Result};

#[derive(Clone)]
pub struct Dirs {
    pub specs: PathBuf,
    pub versions: PathBuf,
}

/// What the index was built from: every file's path, size and modification time.
pub type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// `/api/v1/docs/status`: every document's report and the verdict over all of them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// `ok` when there is at least one document and every one is valid.
    pub status: &'static str,
    pub last_checked: String,
    pub documents: Map<String, Value>,
    pub total: usize,
    pub invalid: usize,
    /// Problems of the directory itself (missing, no document in it).
    pub issues: Vec<String>,
}

pub fn stamp(time: Option<SystemTime>) -> Option<String> {
    time.map(|t| shared::time::rfc3339_millis(t.into()))
}

pub fn stem(file: &str) -> &str {
    file.rsplit_once('.').map_or(file, |(s, _)| s)
}

impl Dirs {
    /// A document named by its file name or its stem (`documentation-api`), at the top
    /// of `SPECS_DIR`.
    pub fn document(&self, name: &str) -> Result<Loaded> {
        let missing = || Error::SpecNotFound(format!("Spec document '{name}' not found"));
        let valid = !name.is_empty()
            && name.len() <= 200
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(missing());
        }
        let wanted: Vec<String> = if document::is_spec_name(name) {
            vec![name.to_string()]
        } else {
            ["yaml", "yml", "json"]
                .iter()
                .map(|e| format!("{name}.{e}"))
                .collect()
        };
        let candidates = document::candidates(&self.specs).map_err(|_| missing())?;
        for want in wanted {
            if let Some((file, path)) = candidates.iter().find(|(f, _)| *f == want) {
                let loaded =
                    Loaded::read(file, path).map_err(|e| Error::spec_io("reading a spec", e))?;
                if loaded.is_document() {
                    return Ok(loaded);
                }
            }
        }
        Err(missing())
    }

    pub fn version_set(&self, loaded: &Loaded) -> Result<VersionSet> {
        VersionSet::read(&self.versions, &loaded.file, loaded.version())
            .map_err(|e| Error::spec_io("listing published versions", e))
    }

    pub fn published_path(&self, version: &semver::Version, file: &str) -> PathBuf {
        self.versions.join(version.to_string()).join(file)
    }

    /// The text of one version of a document.
    pub fn version_text(
        &self,
        name: &str,
        selector: &str,
    ) -> Result<(Loaded, String, Source, Loaded)> {
        let current = self.document(name)?;
        let set = self.version_set(&current)?;
        let unknown = || Error::SpecNotFound(format!("Version '{selector}' of '{name}' not found"));
        let parsed = Selector::parse(selector).ok_or_else(unknown)?;
        let (version, source) = set.resolve(&parsed).ok_or_else(unknown)?;
        let loaded = match &source {
            Source::Current => Loaded::read(&current.file, &self.specs.join(&current.file)),
            Source::Published(v) => {
                Loaded::read(&current.file, &self.published_path(v, &current.file))
            }
        }
        .map_err(|e| Error::spec_io("reading a spec version", e))?;
        Ok((current, version, source, loaded))
    }

    pub fn fingerprint(&self) -> Fingerprint {
        let mut out = Fingerprint::new();
        let mut add = |path: PathBuf| {
            if let Ok(meta) = fs::metadata(&path) {
                out.push((path, meta.len(), meta.modified().ok()));
            }
        };
        for (_, path) in document::candidates(&self.specs).unwrap_or_default() {
            add(path);
        }
        for dir in fs::read_dir(&self.versions).into_iter().flatten().flatten() {
            for file in fs::read_dir(dir.path()).into_iter().flatten().flatten() {
                add(file.path());
            }
        }
        out.sort();
        out
    }

    /// Every parsed version of every document, labelled with the selectors naming it.
    pub fn indexed_versions(&self) -> Vec<IndexedVersion> {
        let mut out = Vec::new();
        for current in document::documents(&self.specs).unwrap_or_default() {
            let (Ok(model), Some(kind)) = (&current.parsed, current.kind()) else {
                continue;
            };
            let Ok(set) = self.version_set(&current) else {
                continue;
            };
            let latest = set.resolve(&Selector::Latest).map(|(_, s)| s);
            let stable = set.resolve(&Selector::Stable).map(|(_, s)| s);
            let labels = |source: &Source| {
                let mut labels = Vec::new();
                if latest.as_ref() == Some(source) {
                    labels.push("latest");
                }
                if stable.as_ref() == Some(source) {
                    labels.push("stable");
                }
                labels
            };
            let document = stem(&current.file).to_string();
            let mut current_labels = labels(&Source::Current);
            current_labels.push("current");
            out.push(IndexedVersion {
                document: document.clone(),
                kind,
                version: set.base.clone().unwrap_or_default(),
                labels: current_labels,
                model: model.clone(),
            });
            for version in &set.published {
                let path = self.published_path(version, &current.file);
                let Ok(Loaded {
                    parsed: Ok(model), ..
                }) = Loaded::read(&current.file, &path)
                else {
                    continue;
                };
                if Kind::of(&model).is_none() {
                    continue;
                }
                out.push(IndexedVersion {
                    document: document.clone(),
                    kind,
                    version: version.to_string(),
                    labels: labels(&Source::Published(version.clone())),
                    model,
                });
            }
        }
        out
    }
}

pub fn version_summary(current: &Loaded, set: &VersionSet) -> Value {
    let text = |v: Option<semver::Version>| v.map(|v| v.to_string()).or_else(|| set.base.clone());
    json!({
        "document": stem(&current.file),
        "file": current.file,
        "base": set.base,
        "latest": text(set.latest()),
        "stable": text(set.stable()),
        "all": set.all().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "published": set.published.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

pub fn status_of(dir: &Path) -> Status {
    let mut status = Status {
        status: "error",
        last_checked: shared::time::now_rfc3339(),
        documents: Map::new(),
        total: 0,
        invalid: 0,
        issues: Vec::new(),
    };
    let documents = match document::documents(dir) {
        Ok(documents) => documents,
        Err(_) => {
            status
                .issues
                .push("The specs directory does not exist or cannot be read".into());
            return status;
        }
    };
    for loaded in &documents {
        let report: Report = validate::check(loaded);
        status.total += 1;
        if !report.valid {
            status.invalid += 1;
        }
        let mut entry = json!(report);
        if let Some(entry) = entry.as_object_mut() {
            entry.insert("lastModified".into(), json!(stamp(loaded.modified)));
        }
        status.documents.insert(loaded.file.clone(), entry);
    }
    if documents.is_empty() {
        status
            .issues
            .push("No OpenAPI or AsyncAPI document found".into());
    } else if status.invalid == 0 {
        status.status = "ok";
    }
    status
}

pub fn publish(dirs: &Dirs, name: &str, bump: Bump) -> Result<Value> {
    let current = dirs.document(name)?;
    let report = validate::check(&current);
    let model = match (&current.parsed, report.valid) {
        (Ok(model), true) => model,
        _ => {
            return Err(Error::SpecConflict(format!(
                "{} does not validate ({} errors): fix it before publishing",
                current.file,
                report.errors().max(1)
            )));
        }
    };
    let set = dirs.version_set(&current)?;
    let next = set.next(bump).ok_or_else(|| {
        Error::SpecConflict(format!(
            "{}'s info.version is not a semantic version (MAJOR.MINOR.PATCH)",
            current.file
        ))
    })?;
    let text = String::from_utf8_lossy(&current.bytes);
    let rewritten = versions::rewrite_version(&current.file, &text, model, &next.to_string())
        .ok_or_else(|| Error::SpecStorage("rewriting info.version failed".into()))?;
    let target_dir = dirs.versions.join(next.to_string());
    fs::create_dir_all(&target_dir)
        .map_err(|e| Error::spec_io("creating a version directory", e))?;
    let target = target_dir.join(&current.file);
    // Written aside, then linked into place: the link fails if the file exists, so two
    // instances publishing at once never overwrite each other's version.
    let temp = target_dir.join(format!(".{}.{}.tmp", current.file, uuid::Uuid::now_v7()));
    fs::write(&temp, rewritten.as_bytes()).map_err(|e| Error::spec_io("writing a version", e))?;
    let linked = fs::hard_link(&temp, &target);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::SpecConflict(format!(
                "Version {next} of {} already exists",
                current.file
            )));
        }
        Err(e) => return Err(Error::spec_io("writing a version", e)),
    }
    let document = stem(&current.file);
    Ok(json!({
        "document": document,
        "file": current.file,
        "version": next.to_string(),
        "previous": set.latest().map(|v| v.to_string()),
        "type": bump.as_str(),
        "path": format!("/api/v1/docs/versions/{document}/{next}/spec"),
        "lastUpdated": shared::time::now_rfc3339(),
    }))
}
