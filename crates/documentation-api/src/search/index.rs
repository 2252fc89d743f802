//! One built index of the corpus: a tantivy index in memory plus the pages' metadata,
//! immutable once built (a rebuild makes a new one and swaps it in).
//!
//! Fields: title, headings, summary and body stemmed (`pt_stem`), title and body again
//! folded but unstemmed (`pt_exact`, so exact matches score on top of stemmed ones);
//! domain, type, status and tags as raw terms for filters; the page's ordinal as a fast
//! field, read once into [`PageTable`]. The index is merged into one segment after it is
//! written, so a query sets up its scorers once.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, TantivyDocument, TantivyError, Term};

use super::analysis::{self, EXACT, STEM};
use super::facets::{FacetIds, FacetTable};
use super::matches::{PageOrdinals, PageTable};
use super::query::Filters;
use super::ranking::{CorpusStatistics, EXACT_FIELDS, FIELD_BOOSTS, Fields};
use super::snippet::{self, Tokens, Vocabulary};
use crate::corpus::Page;

const INDEX_MEMORY_BYTES: usize = 50_000_000;

/// What search results and facets read of a page.
#[derive(Debug)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub domain: String,
    pub doc_type: String,
    pub status: String,
    pub tags: Vec<String>,
    pub summary: String,
    pub path: String,
    pub url: String,
    text: String,
    tokens: Tokens,
    pub facets: FacetIds,
}

impl Entry {
    fn of(
        page: &Page,
        analyzer: &mut tantivy::tokenizer::TextAnalyzer,
        vocabulary: &mut Vocabulary,
        facets: &mut FacetTable,
    ) -> Self {
        Self {
            tokens: Tokens::of(&page.text, analyzer, vocabulary),
            facets: facets.ids(&page.domain, &page.doc_type, &page.status, &page.tags),
            id: page.id.clone(),
            title: page.title.clone(),
            domain: page.domain.clone(),
            doc_type: page.doc_type.clone(),
            status: page.status.clone(),
            tags: page.tags.clone(),
            summary: page.summary.clone(),
            path: page.path.clone(),
            url: page.url.clone(),
            text: page.text.clone(),
        }
    }
}

pub struct Snapshot {
    pub entries: Vec<Entry>,
    reader: IndexReader,
    fields: Fields,
    pages: PageTable,
    statistics: CorpusStatistics,
    vocabulary: Vocabulary,
    pub facets: FacetTable,
    /// The facets of every page (the dashboard's first call), counted once.
    all_facets: OnceLock<Value>,
}

/// One scored page of a query.
pub struct Hit<'a> {
    pub entry: &'a Entry,
    pub score: f32,
    pub snippet: String,
}

/// The pages a query matched: the best `limit` of them, and how many there were.
#[derive(Default)]
pub struct Hits<'a> {
    pub top: Vec<Hit<'a>>,
    pub total: usize,
}

impl Snapshot {
    pub fn empty() -> Self {
        Self::build(&[]).expect("an empty in-memory index builds")
    }

    pub fn build(pages: &[Page]) -> tantivy::Result<Self> {
        let mut schema = Schema::builder();
        let mut by_name = HashMap::new();
        for (name, _) in FIELD_BOOSTS {
            let analyzer = if EXACT_FIELDS.contains(name) {
                EXACT
            } else {
                STEM
            };
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqs);
            let options = TextOptions::default().set_indexing_options(indexing);
            by_name.insert(*name, schema.add_text_field(name, options));
        }
        for name in ["domain", "type", "status", "tag"] {
            by_name.insert(name, schema.add_text_field(name, STRING));
        }
        let ord_field = schema.add_u64_field("ord", FAST);
        let fields = Fields::new(by_name);
        let index = Index::create_in_ram(schema.build());
        analysis::register(&index);
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, INDEX_MEMORY_BYTES)?;
        for (ord, page) in pages.iter().enumerate() {
            let mut doc = TantivyDocument::new();
            doc.add_text(fields.get("title"), &page.title);
            doc.add_text(fields.get("title_exact"), &page.title);
            for heading in &page.headings {
                doc.add_text(fields.get("headings"), &heading.text);
            }
            doc.add_text(fields.get("summary"), &page.summary);
            doc.add_text(fields.get("body"), &page.text);
            doc.add_text(fields.get("body_exact"), &page.text);
            doc.add_text(fields.get("domain"), &page.domain);
            doc.add_text(fields.get("type"), &page.doc_type);
            doc.add_text(fields.get("status"), &page.status);
            for tag in &page.tags {
                doc.add_text(fields.get("tag"), tag);
            }
            doc.add_u64(ord_field, ord as u64);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let segments = index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let pages_table = PageTable::of(&searcher)?;
        let statistics = CorpusStatistics::of(&searcher, &fields)?;
        let mut vocabulary = Vocabulary::default();
        let mut facets = FacetTable::default();
        let mut analyzer = analysis::exact();
        let entries = pages
            .iter()
            .map(|page| Entry::of(page, &mut analyzer, &mut vocabulary, &mut facets))
            .collect();
        vocabulary.group_by_stem();
        Ok(Self {
            entries,
            vocabulary,
            facets,
            reader,
            fields,
            pages: pages_table,
            statistics,
            all_facets: OnceLock::new(),
        })
    }

    /// Pages matching every word of `text` (stop words aside) and the filters, best
    /// first; see [`Self::relaxations`] for what matches.
    pub fn search(&self, text: &str, filters: &Filters, limit: usize) -> tantivy::Result<Hits<'_>> {
        let words = analysis::query_words(text);
        let searcher = self.reader.searcher();
        // One pass counts every match and keeps the best `limit`: a count of its own
        // would look up and open every term's postings a second time.
        let collector = (Count, TopDocs::with_limit(limit.max(1)).order_by_score());
        let statistics = self.statistics.with(&searcher);
        let mut found = None;
        for query in self.fields.relaxations(&words, filters) {
            let (total, top) =
                searcher.search_with_statistics_provider(&query, &collector, &statistics)?;
            if total > 0 {
                found = Some((total, top));
                break;
            }
        }
        let Some((total, top)) = found else {
            return Ok(Hits::default());
        };
        let matching = self.vocabulary.matching(&words);
        let addresses: Vec<DocAddress> = top.iter().map(|(_, a)| *a).collect();
        let entries = self.entries_of(&addresses)?;
        let top = top
            .into_iter()
            .zip(entries)
            .map(|((score, _), entry)| Hit {
                entry,
                score,
                snippet: snippet_of(entry, &matching),
            })
            .collect();
        Ok(Hits { top, total })
    }

    /// Every page the same query as [`Self::search`] matches, for facet counts.
    pub fn matching(&self, text: &str, filters: &Filters) -> tantivy::Result<Vec<&Entry>> {
        let words = analysis::query_words(text);
        let searcher = self.reader.searcher();
        for query in self.fields.relaxations(&words, filters) {
            let ordinals = searcher.search(&query, &PageOrdinals(&self.pages))?;
            if !ordinals.is_empty() {
                return Ok(ordinals
                    .into_iter()
                    .filter_map(|ord| self.entries.get(ord as usize))
                    .collect());
            }
        }
        Ok(Vec::new())
    }

    /// Titles whose words start with what was typed: every word but the last in full
    /// (folded), the last as a prefix.
    pub fn suggest(&self, text: &str, limit: usize) -> tantivy::Result<Vec<&Entry>> {
        let words = analysis::terms(&mut analysis::exact(), text);
        let Some((last, full)) = words.split_last() else {
            return Ok(Vec::new());
        };
        let title = self.fields.get("title_exact");
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = full
            .iter()
            .map(|word| {
                let term = Term::from_field_text(title, word);
                (
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                )
            })
            .collect();
        let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(title, last), 0, false);
        clauses.push((Occur::Must, Box::new(prefix)));
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit.max(1) * 4).order_by_score(),
        )?;
        let addresses: Vec<DocAddress> = top.into_iter().map(|(_, a)| a).collect();
        let mut entries = self.entries_of(&addresses)?;
        // A prefix match scores alike on every title: shorter titles are the closer ones.
        entries.sort_by(|a, b| {
            a.title
                .len()
                .cmp(&b.title.len())
                .then(a.title.cmp(&b.title))
        });
        entries.dedup_by(|a, b| a.title == b.title);
        entries.truncate(limit);
        Ok(entries)
    }

    /// The pages of `addresses`, in their order.
    fn entries_of(&self, addresses: &[DocAddress]) -> tantivy::Result<Vec<&Entry>> {
        addresses
            .iter()
            .map(|address| {
                self.pages
                    .page(*address)
                    .and_then(|ord| self.entries.get(ord as usize))
                    .ok_or_else(|| TantivyError::InternalError("a page without its ordinal".into()))
            })
            .collect()
    }

    /// The facets over every page, counted by `count` the first time.
    pub fn all_facets(&self, count: impl FnOnce(&[Entry]) -> Value) -> &Value {
        self.all_facets.get_or_init(|| count(&self.entries))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The page's stretch with the most matches, else its summary, else its first words.
fn snippet_of(entry: &Entry, matching: &[u32]) -> String {
    snippet::render(&entry.text, &entry.tokens, matching).unwrap_or_else(|| {
        if entry.summary.is_empty() {
            snippet::leading(&entry.text)
        } else {
            snippet::escape_html(&entry.summary)
        }
    })
}
