//! A generated docs corpus with known findings, and the app started on it (both
//! backends). Review dates are relative to today so that ages stay what the tests say.

use std::path::Path;

use chrono::{Duration, Utc};

use crate::helpers::{Backend, TestApp, spawn_with};

/// Words enough not to make a page a stub.
const FILLER: &str = "This page explains the service, its settings, how it is started and stopped, \
     what it logs, which metrics it exposes, how it fails and how to recover it, and who \
     to ask when something is unclear or out of date.";

fn days_ago(days: i64) -> String {
    (Utc::now().date_naive() - Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn front_matter(title: &str, owner: Option<&str>, last_review: &str) -> String {
    let owner = owner.map_or(String::new(), |o| format!("owner: {o}\n"));
    format!(
        "---\ntitle: {title}\ndomain: ops\ntype: guide\nstatus: active\n{owner}last_review: \"{last_review}\"\n---\n"
    )
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// The corpus the audit tests read:
/// - 8 pages; front matter complete on 4 (index, guide/setup, guide/stale, decisions),
///   missing on notes/stub, incomplete on guide/copy-a (no owner), invalid on
///   guide/copy-b (`last_review` not a date) and broken.md (not YAML);
/// - 12 checked links of which 3 are broken (a missing file on line 16 of index.md, a
///   missing anchor of another page, a missing anchor of the same page), 2 external
///   (an https URL and a path above the corpus root);
/// - guide/copy-a and guide/copy-b have the same body (one duplicate group);
/// - ages 10, 45, 70, 200 and 5 days (guide/stale is outdated);
/// - notes/stub is the one stub (under 30 words);
/// - guide/copy-b's owner holds U+0000 (a YAML `\0`), which PostgreSQL cannot store.
///
/// Score: 0.4 × 50 + 0.3 × 75 + 0.3 × 98 = 71.9, grade C, fair.
pub fn write_corpus(root: &Path) {
    let index = format!(
        "{}# Home\n\n{FILLER}\n\n## Overview\n\n\
         - [Setup](guide/setup.md#install)\n\
         - [Missing](guide/missing.md)\n\
         - [Bad anchor](guide/setup.md#nowhere)\n\
         - [Overview](#overview)\n\
         - [Absent](#absent)\n\
         - [Example](https://example.com/)\n\
         - ![Logo](img/logo.png)\n\
         - [Decision](decisions.md#d27)\n",
        front_matter("Home", Some("alice"), &days_ago(10))
    );
    write(root, "index.md", &index);
    write(
        root,
        "guide/setup.md",
        &format!(
            "{}# Setup\n\n{FILLER}\n\n## Install\n\n[Back](../index.md) and [above](../../outside.md).\n",
            front_matter("Setup", Some("alice"), &days_ago(45))
        ),
    );
    write(
        root,
        "guide/stale.md",
        &format!(
            "{}# Stale\n\n{FILLER}\n",
            front_matter("Stale", Some("bob"), &days_ago(200))
        ),
    );
    let copy = format!("# Copy\n\n{FILLER}\n");
    write(
        root,
        "guide/copy-a.md",
        &format!("{}{copy}", front_matter("Copy A", None, &days_ago(5))),
    );
    write(
        root,
        "guide/copy-b.md",
        &format!(
            "{}{copy}",
            front_matter("Copy B", Some("\"car\\0ol\""), "someday")
        ),
    );
    write(root, "notes/stub.md", "# Stub\n\nTo be written.\n");
    write(
        root,
        "decisions.md",
        &format!(
            "{}# Decisions\n\n{FILLER}\n\n<a id=\"d27\"></a>\n## D27. Health\n\n\
             [Home](index.md), [setup](guide/setup), [stale](/docs/guide/stale), \
             [install](./guide/setup.md#install).\n",
            front_matter("Decisions", Some("bob"), &days_ago(70))
        ),
    );
    write(
        root,
        "broken.md",
        &format!("---\ntitle: [unclosed\n---\n# Broken\n\n{FILLER}\n"),
    );
    write(root, "img/logo.png", "not really a png");
}

/// The app with its corpus in a directory of its own (kept as long as the app).
pub struct CorpusApp {
    pub app: TestApp,
    pub dir: tempfile::TempDir,
}

pub async fn spawn_on_corpus(backend: Backend, corpus: bool) -> CorpusApp {
    let dir = tempfile::tempdir().expect("tempdir");
    if corpus {
        write_corpus(dir.path());
    }
    let path = dir.path().to_str().expect("utf-8 path").to_string();
    // The tests run their audits themselves: none after the start-up index build.
    let settings = [
        ("DOCS_CONTENT_DIR", path.as_str()),
        ("DOCS_AUDIT_ON_REINDEX", "false"),
    ];
    let app = spawn_with(backend, &settings).await;
    CorpusApp { app, dir }
}

/// Declares each test once per backend, on the fixture corpus (`true`) or an empty
/// directory (`false`).
#[macro_export]
macro_rules! on_corpus {
    ($corpus:expr => $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                use $crate::helpers::Backend;
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::docs_health_fixture::spawn_on_corpus(Backend::Sqlite, $corpus).await).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::docs_health_fixture::spawn_on_corpus(Backend::Postgres, $corpus).await).await;
                }
            }
        )+
    };
}
