//! The files of `SPECS_DIR` as the service hands them out: one file by a client's
//! relative path (traversal refused, symlinks followed only while they stay inside),
//! the `.json` variant of a YAML document, and the whole directory as a zip.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use chrono::{Datelike, Timelike};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use super::document::{self, MAX_SPEC_BYTES};
use crate::error::{Error, Result};

/// The name `/spec/openapi.yaml` gave in the original's `GET /`: this service's document.
const ALIAS: (&str, &str) = ("openapi", "documentation-api");
/// The most bytes the archive packs: it is built in memory.
const MAX_ARCHIVE_BYTES: u64 = 64 * 1024 * 1024;
const MAX_DEPTH: usize = 8;

/// A file ready to send.
pub struct Served {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// Strong: a digest of exactly these bytes.
    pub etag: String,
}

impl Served {
    fn new(bytes: Vec<u8>, content_type: &'static str) -> Self {
        let etag = etag_of(&bytes);
        Self {
            bytes,
            content_type,
            etag,
        }
    }
}

pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

pub fn content_type(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
    {
        Some(ext) if ext == "yaml" || ext == "yml" => "application/yaml",
        Some(ext) if ext == "json" => "application/json",
        Some(ext) if ext == "md" => "text/markdown; charset=utf-8",
        Some(ext) if ext == "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn not_found(request: &str) -> Error {
    Error::SpecNotFound(format!("Spec file not found: {request}"))
}

/// A client's path checked before it touches the disk: relative, no `..`, no NUL, no
/// empty or `.` segments; hidden names are simply not there.
pub fn relative(request: &str) -> Result<PathBuf> {
    if request.is_empty() || request.contains('\0') || request.contains('\\') {
        return Err(Error::InvalidSpecPath(
            "the path is empty or has a forbidden character".into(),
        ));
    }
    if request.starts_with('/') {
        return Err(Error::InvalidSpecPath("the path must be relative".into()));
    }
    let mut out = PathBuf::new();
    for segment in request.split('/') {
        match segment {
            "" | "." => {
                return Err(Error::InvalidSpecPath(
                    "the path has an empty segment".into(),
                ));
            }
            ".." => return Err(Error::InvalidSpecPath("the path may not contain ..".into())),
            s if s.starts_with('.') => return Err(not_found(request)),
            s => out.push(s),
        }
    }
    match out.components().next() {
        Some(Component::Normal(_)) => Ok(out),
        _ => Err(Error::InvalidSpecPath("the path must be relative".into())),
    }
}

/// `relative` under `root` (already canonical), when it is a file that stays inside.
fn inside(root: &Path, relative: &Path, request: &str) -> Result<Option<PathBuf>> {
    let candidate = root.join(relative);
    match fs::canonicalize(&candidate) {
        Ok(real) if !real.starts_with(root) => Err(Error::InvalidSpecPath(
            "the path leads outside the specs directory".into(),
        )),
        Ok(real) if real.is_file() => Ok(Some(real)),
        Ok(_) => Err(not_found(request)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(None),
        Err(e) => Err(Error::spec_io("resolving a spec path", e)),
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>> {
    let len = fs::metadata(path)
        .map_err(|e| Error::spec_io("reading a spec file", e))?
        .len();
    if len > MAX_SPEC_BYTES {
        return Err(Error::SpecConflict(
            "The spec file is too large to serve".into(),
        ));
    }
    fs::read(path).map_err(|e| Error::spec_io("reading a spec file", e))
}

/// The file `request` names under `dir`: as it is on disk, else (for `X.json`) the JSON
/// of `X.yaml` or `X.yml`; `openapi.*` falls back to this service's own document.
pub fn serve(dir: &Path, request: &str) -> Result<Served> {
    let relative = relative(request)?;
    let root = fs::canonicalize(dir).map_err(|_| not_found(request))?;
    if let Some(found) = find(&root, &relative, request)? {
        return Ok(found);
    }
    let name = relative
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Some((stem, ext)) = name.rsplit_once('.')
        && stem == ALIAS.0
        && relative.parent() == Some(Path::new(""))
    {
        let aliased = PathBuf::from(format!("{}.{ext}", ALIAS.1));
        if let Some(found) = find(&root, &aliased, request)? {
            return Ok(found);
        }
    }
    Err(not_found(request))
}

fn find(root: &Path, relative: &Path, request: &str) -> Result<Option<Served>> {
    let name = relative
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    if let Some(path) = inside(root, relative, request)? {
        return Ok(Some(Served::new(read_capped(&path)?, content_type(&name))));
    }
    let Some(stem) = name.strip_suffix(".json") else {
        return Ok(None);
    };
    for ext in ["yaml", "yml"] {
        let yaml = relative.with_file_name(format!("{stem}.{ext}"));
        if let Some(path) = inside(root, &yaml, request)? {
            let bytes = read_capped(&path)?;
            let model = document::parse(&format!("{stem}.{ext}"), &bytes).map_err(|reason| {
                Error::SpecConflict(format!("{stem}.{ext} has no JSON variant: {reason}"))
            })?;
            let mut json = serde_json::to_vec_pretty(&model)
                .map_err(|e| Error::SpecStorage(format!("serialising JSON: {e}")))?;
            json.push(b'\n');
            return Ok(Some(Served::new(json, "application/json")));
        }
    }
    Ok(None)
}

/// Every file under `dir` (hidden ones and symlinks leading outside left out) as a zip
/// built in memory, names relative to `dir`.
pub fn archive(dir: &Path) -> Result<Vec<u8>> {
    let root = fs::canonicalize(dir)
        .map_err(|_| Error::SpecNotFound("The specs directory does not exist".into()))?;
    let mut files = Vec::new();
    collect(&root, &root, 0, &mut files).map_err(|e| Error::spec_io("listing the specs", e))?;
    files.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut total = 0u64;
    for (name, path) in files {
        let meta = fs::metadata(&path).map_err(|e| Error::spec_io("reading a spec file", e))?;
        total += meta.len();
        if total > MAX_ARCHIVE_BYTES {
            return Err(Error::SpecConflict(
                "The specs directory is too large to archive".into(),
            ));
        }
        let bytes = fs::read(&path).map_err(|e| Error::spec_io("reading a spec file", e))?;
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip_time(meta.modified().ok()));
        zip.start_file(name, options)
            .and_then(|()| zip.write_all(&bytes).map_err(Into::into))
            .map_err(|e| Error::SpecStorage(format!("writing the archive: {e}")))?;
    }
    zip.finish()
        .map(std::io::Cursor::into_inner)
        .map_err(|e| Error::SpecStorage(format!("finishing the archive: {e}")))
}

fn collect(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<(String, PathBuf)>,
) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(real) = fs::canonicalize(&path) else {
            continue;
        };
        if !real.starts_with(root) {
            continue;
        }
        if real.is_dir() {
            collect(root, &path, depth + 1, out)?;
        } else if real.is_file()
            && let Ok(name) = path.strip_prefix(root)
        {
            out.push((name.to_string_lossy().replace('\\', "/"), real));
        }
    }
    Ok(())
}

/// A file's modification time in the zip's format (which starts in 1980).
fn zip_time(modified: Option<std::time::SystemTime>) -> zip::DateTime {
    modified
        .map(chrono::DateTime::<chrono::Utc>::from)
        .and_then(|t| {
            zip::DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                u8::try_from(t.month()).ok()?,
                u8::try_from(t.day()).ok()?,
                u8::try_from(t.hour()).ok()?,
                u8::try_from(t.minute()).ok()?,
                u8::try_from(t.second()).ok()?,
            )
            .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused_before_the_disk() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\0b",
            "a\\b",
        ] {
            assert!(
                matches!(relative(bad), Err(Error::InvalidSpecPath(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            relative(".git/config"),
            Err(Error::SpecNotFound(_))
        ));
        assert_eq!(
            relative("schemas/a.yaml").ok(),
            Some(PathBuf::from("schemas/a.yaml"))
        );
    }
}
