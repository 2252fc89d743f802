//! The docs corpus: every markdown page (`.md`, `.mdx`) under `DOCS_CONTENT_DIR`, read
//! once per index build into [`Page`]s that search, content lookups and the
//! documentation-health audit all share.
//!
//! Directories named like build output (`node_modules`, `.git`, `build`, `dist`, `.next`,
//! `coverage`, `temp`, `tmp`) are skipped by path *segment* below the corpus root, so a
//! checkout under `/tmp` still indexes and `build-ci.md` is a page like any other. A
//! page without front matter is still a page (its title is its first heading, else its
//! file name); a page that cannot be read, or whose front matter is broken, is reported
//! in [`Corpus::errors`] and never stops the scan.

pub mod front_matter;
pub mod markdown;

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use serde_yaml_ng::Mapping;
use sha2::{Digest, Sha256};

pub use markdown::{Heading, Link};

const EXCLUDED_SEGMENTS: &[&str] = &[
    "node_modules",
    ".git",
    "build",
    "dist",
    ".next",
    "coverage",
    "temp",
    "tmp",
];
const EXTENSIONS: &[&str] = &["md", "mdx"];
/// Front-matter keys the documentation-health audit expects on every page.
pub const REQUIRED_KEYS: &[&str] = &["title", "domain", "type", "status", "owner", "last_review"];

/// One markdown page and what the index and the audit read from it.
#[derive(Debug, Clone)]
pub struct Page {
    /// Path below the corpus root with `/` separators, extension included.
    pub rel_path: String,
    /// The relative path without `.md`/`.mdx`, lower-cased, other characters than
    /// `[a-z0-9/-]` made `-`: stable across rebuilds.
    pub id: String,
    pub title: String,
    pub domain: String,
    pub doc_type: String,
    pub status: String,
    pub tags: Vec<String>,
    pub summary: String,
    pub owner: Option<String>,
    /// `last_review` (or `lastReviewed`) as written.
    pub last_review: Option<String>,
    /// `/docs/<relative path without extension>`: what the dashboard turns back into a
    /// content path.
    pub path: String,
    /// Where the docs site publishes the page: `path`, or what its `slug` says.
    pub url: String,
    pub headings: Vec<Heading>,
    pub links: Vec<Link>,
    /// The page's text without markup, for the index.
    pub text: String,
    /// The front matter, when the page has a valid one.
    pub front_matter: Option<Mapping>,
    /// SHA-256 (hex) of the bytes after the front matter: equal for exact duplicates.
    pub body_sha256: String,
    pub lines: usize,
    pub bytes: usize,
    pub modified: Option<SystemTime>,
}

/// A file the scan could not make a page of, or could only partly read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub file: String,
    pub error: String,
}

/// One scan of the corpus directory.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub pages: Vec<Page>,
    pub errors: Vec<ScanError>,
    /// False when the directory itself is missing or unreadable.
    pub dir_exists: bool,
}

/// Reads every page under `dir`, sorted by relative path. Blocking: call it from
/// `spawn_blocking`.
pub fn scan(dir: &Path) -> Corpus {
    let mut corpus = Corpus {
        dir_exists: dir.is_dir(),
        ..Corpus::default()
    };
    let mut files = Vec::new();
    walk(dir, dir, &mut files, &mut corpus.errors);
    files.sort();
    for rel in files {
        let rel_path = slash_path(&rel);
        match std::fs::read(dir.join(&rel)) {
            Err(e) => corpus.errors.push(ScanError {
                file: rel_path,
                error: format!("cannot be read: {}", e.kind()),
            }),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => corpus.errors.push(ScanError {
                    file: rel_path,
                    error: "is not UTF-8 text".into(),
                }),
                Ok(text) => {
                    let modified = std::fs::metadata(dir.join(&rel))
                        .and_then(|m| m.modified())
                        .ok();
                    let (page, error) = page(&rel_path, &text, modified);
                    if let Some(error) = error {
                        corpus.errors.push(ScanError {
                            file: rel_path,
                            error,
                        });
                    }
                    corpus.pages.push(page);
                }
            },
        }
    }
    corpus
}

/// Files with a markdown extension, relative to `root`. Symbolic links are not followed:
/// a link could lead out of the corpus or into a loop.
fn walk(root: &Path, dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<ScanError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            if dir != root {
                errors.push(ScanError {
                    file: slash_path(dir.strip_prefix(root).unwrap_or(dir)),
                    error: format!("directory cannot be read: {}", e.kind()),
                });
            }
            return;
        }
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        let name = entry.file_name();
        if kind.is_dir() {
            if !EXCLUDED_SEGMENTS.iter().any(|s| name == *s) {
                walk(root, &path, files, errors);
            }
        } else if kind.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            && let Ok(rel) = path.strip_prefix(root)
        {
            files.push(rel.to_path_buf());
        }
    }
}

fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Builds the page of one file's text; the error says what could not be read of it.
pub fn page(rel_path: &str, text: &str, modified: Option<SystemTime>) -> (Page, Option<String>) {
    let split = front_matter::split(text);
    let (front_matter, error) = match split.front_matter {
        None => (None, None),
        Some(Ok(map)) => (Some(map), None),
        Some(Err(e)) => (None, Some(e)),
    };
    let fm = front_matter.clone().unwrap_or_default();
    let markdown = markdown::read(split.body, split.body_line);
    let stem = rel_path
        .rsplit_once('.')
        .map_or(rel_path, |(stem, _)| stem)
        .to_string();
    let dirs: Vec<&str> = stem.split('/').collect::<Vec<_>>();
    let dirs = &dirs[..dirs.len() - 1];
    let file_name = stem.rsplit('/').next().unwrap_or(&stem);
    let title = front_matter::text(&fm, "title")
        .or_else(|| markdown.headings.first().map(|h| h.text.clone()))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| file_name.replace(['-', '_'], " "));
    let path = format!("/docs/{stem}");
    let url = match front_matter::text(&fm, "slug") {
        Some(slug) if slug.starts_with('/') => format!("/docs{}", slug.trim_end_matches('/')),
        Some(slug) => match stem.rsplit_once('/') {
            Some((parent, _)) => format!("/docs/{parent}/{slug}"),
            None => format!("/docs/{slug}"),
        },
        None => path.clone(),
    };
    let page = Page {
        id: id_of(&stem),
        title,
        domain: front_matter::text(&fm, "domain")
            .or_else(|| dirs.first().map(|d| d.to_string()))
            .unwrap_or_else(|| "shared".into()),
        doc_type: front_matter::text(&fm, "type")
            .or_else(|| dirs.get(1).map(|d| d.to_string()))
            .unwrap_or_else(|| "guide".into()),
        status: front_matter::text(&fm, "status").unwrap_or_else(|| "active".into()),
        tags: front_matter::list(&fm, "tags"),
        summary: front_matter::text(&fm, "summary")
            .or_else(|| front_matter::text(&fm, "description"))
            .unwrap_or_default(),
        owner: front_matter::text(&fm, "owner"),
        last_review: front_matter::text(&fm, "last_review")
            .or_else(|| front_matter::text(&fm, "lastReviewed")),
        path,
        url,
        headings: markdown.headings,
        links: markdown.links,
        text: markdown.text,
        front_matter,
        body_sha256: hex(&Sha256::digest(split.body.trim().as_bytes())),
        lines: text.lines().count(),
        bytes: text.len(),
        modified,
        rel_path: rel_path.to_string(),
    };
    (page, error)
}

fn id_of(stem: &str) -> String {
    stem.chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '/' | '-') => c,
            _ => '-',
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn scans_by_segment_and_reports_bad_files() {
        let dir = tempfile::Builder::new()
            .prefix("tmp")
            .tempdir()
            .expect("tempdir");
        let root = dir.path();
        write(
            root,
            "tools/build-ci.md",
            "---\ntitle: Build CI\n---\nbody\n",
        );
        write(root, "tools/build/out.md", "# skipped\n");
        write(root, "node_modules/x.md", "# skipped\n");
        write(root, "notes.txt", "not markdown");
        write(
            root,
            "apps/workspace/plain.mdx",
            "Intro\n\n## First heading\n",
        );
        write(root, "broken.md", "---\ntitle: [x\n---\n# Broken page\n");
        std::fs::write(root.join("latin1.md"), [0x23, 0x20, 0xe7]).expect("write");

        let corpus = scan(root);
        let paths: Vec<&str> = corpus.pages.iter().map(|p| p.rel_path.as_str()).collect();
        assert_eq!(
            paths,
            ["apps/workspace/plain.mdx", "broken.md", "tools/build-ci.md"]
        );
        let files: Vec<&str> = corpus.errors.iter().map(|e| e.file.as_str()).collect();
        assert_eq!(files, ["broken.md", "latin1.md"], "{:?}", corpus.errors);

        let plain = &corpus.pages[0];
        assert_eq!(plain.title, "First heading");
        assert_eq!(
            (plain.domain.as_str(), plain.doc_type.as_str()),
            ("apps", "workspace")
        );
        assert_eq!(plain.status, "active");
        assert_eq!(plain.path, "/docs/apps/workspace/plain");
        assert_eq!(plain.id, "apps/workspace/plain");
        assert_eq!(corpus.pages[1].title, "Broken page");
        assert_eq!(corpus.pages[2].domain, "tools");
        assert_eq!(corpus.pages[2].doc_type, "guide");
    }

    #[test]
    fn slug_sets_the_url_not_the_path() {
        let (absolute, _) = page("ops/Run Book.md", "---\nslug: /run\n---\n", None);
        assert_eq!(absolute.url, "/docs/run");
        assert_eq!(absolute.path, "/docs/ops/Run Book");
        assert_eq!(absolute.id, "ops/run-book");
        assert_eq!(absolute.title, "Run Book");
        let (relative, _) = page("ops/a.md", "---\nslug: b\n---\n", None);
        assert_eq!(relative.url, "/docs/ops/b");
    }

    #[test]
    fn equal_bodies_hash_alike_whatever_the_front_matter() {
        let (a, _) = page("a.md", "---\ntitle: A\n---\nsame body\n", None);
        let (b, _) = page("b.md", "same body", None);
        assert_eq!(a.body_sha256, b.body_sha256);
        assert_eq!(a.lines, 4);
    }
}
