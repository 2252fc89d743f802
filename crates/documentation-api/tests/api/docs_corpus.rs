//! A generated docs corpus in a temporary directory, and an app that indexes it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, spawn_with};

pub struct Corpus {
    pub dir: tempfile::TempDir,
}

impl Corpus {
    pub fn new(pages: &[(&str, &str)]) -> Self {
        let corpus = Self {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        for (path, text) in pages {
            corpus.write(path, text);
        }
        corpus
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.file(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write page");
    }
}

/// A page with complete front matter.
pub fn page(title: &str, extra: &str, body: &str) -> String {
    format!(
        "---\ntitle: {title}\nowner: docs-team\nlast_review: 2026-11-20\n{extra}---\n# {title}\n\n{body}\n"
    )
}

/// The app over `corpus`, once its start-up index is built. Reindexing is not
/// throttled unless `settings` say otherwise.
pub async fn spawn_indexed(corpus: &Corpus, settings: &[(&str, &str)]) -> TestApp {
    let dir = corpus.path().display().to_string();
    let mut pairs = vec![
        ("DOCS_CONTENT_DIR", dir.as_str()),
        ("DOCS_REINDEX_MIN_INTERVAL_S", "0"),
    ];
    pairs.extend_from_slice(settings);
    let app = spawn_with(Backend::Sqlite, &pairs).await;
    wait_for_index(&app).await;
    app
}

/// Waits until an index build has finished.
pub async fn wait_for_index(app: &TestApp) {
    for _ in 0..200 {
        let stats = app.get("/api/v1/docs/stats").await;
        assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
        if !stats["stats"]["lastReindexTime"].is_null() && stats["stats"]["indexing"] == false {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the docs index was not built within 5 s");
}
