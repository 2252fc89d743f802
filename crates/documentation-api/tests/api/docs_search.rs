//! Docs search: ranking, Portuguese analysis, typos, filters and facets, suggest,
//! hybrid search, stats and health of the index.

use reqwest::StatusCode;
use serde_json::Value;

use crate::docs_corpus::{Corpus, page, spawn_indexed};
use crate::helpers::{Backend, spawn_with};

fn corpus() -> Corpus {
    Corpus::new(&[
        (
            "operations/configuracao.md",
            &page(
                "Configuração do serviço",
                "domain: operations\ntype: guide\ntags: [config, pt]\nsummary: Como configurar.\n",
                "As configurações ficam em arquivos env. Defina a porta antes de iniciar.",
            ),
        ),
        (
            "operations/backup.md",
            &page(
                "Backup and restore",
                "domain: operations\ntype: runbook\ntags: [backup, postgres]\n",
                "Dump each schema nightly and keep seven copies.",
            ),
        ),
        (
            "services/sync.md",
            &page(
                "Sync worker",
                "domain: services\ntype: reference\nstatus: draft\ntags: [sync, postgres]\n",
                "When a run fails, restore the checkpoint from the backup before retrying.",
            ),
        ),
        (
            "services/proxy.md",
            &page(
                "Proxy limits",
                "domain: services\ntype: reference\ntags: [proxy]\n",
                "Each client gets sixty requests a minute (bursts < 10 & steady); configurar o limite é opcional.",
            ),
        ),
        (
            "notes/plain.md",
            "Intro without front matter.\n\n## Plain heading\n\nrestore",
        ),
    ])
}

fn titles(reply: &Value) -> Vec<String> {
    reply["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["title"].as_str().expect("title").to_string())
        .collect()
}

#[tokio::test]
async fn ranks_title_matches_first() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app.get("/api/v1/docs/search?q=restore").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let found = titles(&reply);
    assert_eq!(found[0], "Backup and restore", "{found:?}");
    assert_eq!(reply["total"], 3, "{}", reply.text);
    let scores: Vec<f64> = reply["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["score"].as_f64().expect("a number"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores[0] > scores[2] && scores[2] > 0.0, "{scores:?}");
    let first = &reply["results"][0];
    assert_eq!(first["path"], "/docs/operations/backup");
    assert_eq!(first["domain"], "operations");
    assert_eq!(first["type"], "runbook");
    assert_eq!(first["status"], "active");
    assert_eq!(reply["query"]["q"], "restore");
    let body_hit = reply["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["title"] == "Sync worker")
        .expect("the body match");
    let snippet = body_hit["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>restore</mark>"), "{snippet}");
}

#[tokio::test]
async fn portuguese_spellings_find_each_other() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    for q in [
        "configuracao",
        "configuração",
        "configurações",
        "CONFIGURACOES",
    ] {
        let reply = app.get(&format!("/api/v1/docs/search?q={q}")).await;
        let found = titles(&reply);
        assert_eq!(
            found.first().map(String::as_str),
            Some("Configuração do serviço"),
            "{q}: {found:?}"
        );
        // `configurar` on the proxy page is the same stem, ranked below the exact page.
        assert!(
            found.contains(&"Proxy limits".to_string()),
            "{q}: {found:?}"
        );
    }
}

#[tokio::test]
async fn a_typo_still_finds_the_page() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app.get("/api/v1/docs/search?q=checkpiont").await;
    assert_eq!(titles(&reply), ["Sync worker"], "{}", reply.text);
    // Short words are not fuzzy: one edit would make them other words.
    let reply = app.get("/api/v1/docs/search?q=dumq").await;
    assert_eq!(reply["total"], 0, "{}", reply.text);
}

/// `o` is on the proxy page and not on the sync page: a query's stop words neither
/// require nor admit a page, in search and facets alike.
#[tokio::test]
async fn stop_words_do_not_decide_what_matches() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app.get("/api/v1/docs/search?q=o%20checkpoint").await;
    assert_eq!(titles(&reply), ["Sync worker"], "{}", reply.text);
    assert_eq!(reply["total"], 1);
    let facets = app.get("/api/v1/docs/facets?q=o%20checkpoint").await;
    assert_eq!(facets["total"], 1, "{}", facets.text);
    // A query of stop words only is searched by them.
    let reply = app.get("/api/v1/docs/search?q=o%20a").await;
    assert!(
        titles(&reply).contains(&"Proxy limits".to_string()),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn filters_and_facets_agree() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let search = app
        .get("/api/v1/docs/search?q=restore&domain=services&tags=postgres,sync")
        .await;
    assert_eq!(titles(&search), ["Sync worker"], "{}", search.text);
    assert_eq!(search["query"]["filters"]["tags"][1], "sync");
    let facets = app.get("/api/v1/docs/facets?q=restore&tags=postgres").await;
    assert_eq!(facets.status, StatusCode::OK, "{}", facets.text);
    let all = app.get("/api/v1/docs/search?q=restore&tags=postgres").await;
    assert_eq!(facets["total"], all["total"]);
    assert_eq!(all["total"], 2, "{}", all.text);
    let domains = &facets["facets"]["domains"];
    assert_eq!(domains.as_array().map(Vec::len), Some(2), "{domains}");
    let tags = &facets["facets"]["tags"];
    assert_eq!(tags[0]["value"], "postgres");
    assert_eq!(tags[0]["count"], 2);

    let everything = app.get("/api/v1/docs/facets").await;
    assert_eq!(everything["total"], 5, "{}", everything.text);
    let statuses = &everything["facets"]["statuses"];
    assert_eq!(statuses[0]["value"], "active");
    assert_eq!(statuses[0]["count"], 4);
    assert_eq!(statuses[1]["value"], "draft");
    let listing = app.get("/api/v1/docs/search?status=draft").await;
    assert_eq!(titles(&listing), ["Sync worker"], "{}", listing.text);
    assert_eq!(listing["results"][0]["score"], 0.0);
}

#[tokio::test]
async fn snippets_are_escaped_html() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app.get("/api/v1/docs/search?q=sixty").await;
    let snippet = reply["results"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("<mark>sixty</mark>"), "{snippet}");
    assert!(snippet.contains("&lt; 10 &amp; steady"), "{snippet}");
}

#[tokio::test]
async fn suggest_completes_titles() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app.get("/api/v1/docs/suggest?q=conf").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let first = &reply["suggestions"][0];
    assert_eq!(first["text"], "Configuração do serviço", "{}", reply.text);
    assert_eq!(first["path"], "/docs/operations/configuracao");
    let reply = app.get("/api/v1/docs/suggest?q=proxy%20li&limit=1").await;
    assert_eq!(reply["suggestions"].as_array().map(Vec::len), Some(1));
    assert_eq!(reply["suggestions"][0]["text"], "Proxy limits");
    app.get("/api/v1/docs/suggest")
        .await
        .envelope(400, "VALIDATION_ERROR");
    app.get("/api/v1/docs/suggest?q=x")
        .await
        .envelope(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn hybrid_answers_lexically() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let reply = app
        .get("/api/v1/docs/search-hybrid?q=backup&alpha=0.3&collection=ops&limit=1")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply["alpha"], 0.3);
    assert_eq!(reply["collection"], "ops");
    assert_eq!(reply["total"], 2, "{}", reply.text);
    let hit = &reply["results"][0];
    assert_eq!(hit["title"], "Backup and restore");
    assert_eq!(hit["source"], "lexical");
    assert_eq!(hit["components"]["semantic"], false);
    assert_eq!(hit["components"]["lexical"], true);
    assert_eq!(hit["url"], "/docs/operations/backup");
    assert!(hit["score"].as_f64().is_some_and(|s| s > 0.0), "{hit}");
    assert_eq!(reply["results"].as_array().map(Vec::len), Some(1));
    let defaults = app.get("/api/v1/docs/search-hybrid?q=backup").await;
    assert_eq!(defaults["alpha"], 0.65);
    assert_eq!(defaults["collection"], "documentation");
    for bad in ["q=a", "q=backup&alpha=2", "q=backup&limit=51", ""] {
        app.get(&format!("/api/v1/docs/search-hybrid?{bad}"))
            .await
            .envelope(400, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn search_validation() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    for bad in [
        "q=",
        "q=x",
        "limit=0",
        "limit=101",
        "status=",
        "domain=x&domain=y",
    ] {
        let reply = app.get(&format!("/api/v1/docs/search?{bad}")).await;
        if bad == "status=" {
            assert_eq!(reply.status, StatusCode::OK, "{bad}: {}", reply.text);
            continue;
        }
        reply.envelope(400, "VALIDATION_ERROR");
    }
    let long = "x".repeat(201);
    app.get(&format!("/api/v1/docs/search?q={long}"))
        .await
        .envelope(400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn an_empty_or_missing_corpus_is_degraded_not_down() {
    let app = spawn_with(
        Backend::Sqlite,
        &[("DOCS_CONTENT_DIR", "/nonexistent/docs")],
    )
    .await;
    crate::docs_corpus::wait_for_index(&app).await;
    let health = app.get("/health").await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text);
    assert_eq!(health["checks"]["searchIndex"]["status"], "degraded");
    assert_eq!(health["status"], "degraded");
    let hybrid = app.get("/api/v1/docs/search-hybrid?q=anything").await;
    assert_eq!(hybrid.status, StatusCode::OK, "{}", hybrid.text);
    assert_eq!(hybrid["results"].as_array().map(Vec::len), Some(0));
    assert!(!hybrid.text.contains("/nonexistent"), "{}", hybrid.text);

    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let health = app.get("/health").await;
    assert_eq!(health["checks"]["searchIndex"]["status"], "healthy");
    assert_eq!(
        health["checks"]["searchIndex"]["message"],
        "5 documents indexed"
    );
}

#[tokio::test]
async fn stats_count_the_index() {
    let corpus = corpus();
    let app = spawn_indexed(&corpus, &[]).await;
    let stats = app.get("/api/v1/docs/stats").await;
    let stats = &stats["stats"];
    assert_eq!(stats["totalFiles"], 5);
    assert_eq!(stats["totalDomains"], 3, "{stats}");
    assert_eq!(stats["totalTypes"], 3, "{stats}");
    assert_eq!(stats["totalTags"], 6, "{stats}");
    assert_eq!(stats["totalStatuses"], 2, "{stats}");
    assert_eq!(stats["cacheValid"], true);
    assert!(
        stats["lastReindexTime"]
            .as_u64()
            .is_some_and(|t| t > 1_700_000_000_000)
    );
}
