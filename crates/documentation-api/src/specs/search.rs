//! Spec search: an in-RAM tantivy index of every endpoint, schema, channel and message
//! of every document version, ranked by BM25 over title (boosted), path, description and
//! the words inside (operationIds, tags, parameter and property names). Specs are
//! English: lower-cased, ASCII-folded, English stems, with the unstemmed title as a
//! second field so exact words rank above their inflections and suggest can match
//! prefixes of what people type.

use serde::Serialize;
use serde_json::Value;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RegexQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value as _,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

use super::document::Kind;
use super::entries::{Entry, extract};

const STEMMED: &str = "spec_stemmed";
const PLAIN: &str = "spec_plain";

/// One version of one document, as the index is given it.
pub struct IndexedVersion {
    pub document: String,
    pub kind: Kind,
    pub version: String,
    /// Which selectors name this version of its document: `latest`, `stable`, `current`.
    pub labels: Vec<&'static str>,
    pub model: Value,
}

/// Which versions a search looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionFilter {
    /// Every document's version with this label.
    Label(&'static str),
    Exact(String),
    All,
}

#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub q: String,
    pub kind: Option<String>,
    pub source: Option<String>,
    pub document: Option<String>,
    pub version: VersionFilter,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub description: String,
    pub path: String,
    pub method: String,
    pub source: String,
    pub version: String,
    pub document: String,
    /// The BM25 score over the best one's: 1 for the best match, always within 0..1.
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub version: String,
    pub document: String,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    source: Field,
    version: Field,
    document: Field,
    labels: Field,
    title: Field,
    title_plain: Field,
    description: Field,
    path: Field,
    method: Field,
    content: Field,
}

pub struct SpecIndex {
    reader: IndexReader,
    index: Index,
    f: Fields,
}

fn text_options(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

fn analyzer(stem: bool) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    if stem {
        builder.filter(Stemmer::new(Language::English)).build()
    } else {
        builder.build()
    }
}

impl SpecIndex {
    pub fn build(versions: &[IndexedVersion]) -> tantivy::Result<Self> {
        let mut schema = Schema::builder();
        let f = Fields {
            id: schema.add_text_field("id", STRING | STORED),
            kind: schema.add_text_field("type", STRING | STORED),
            source: schema.add_text_field("source", STRING | STORED),
            version: schema.add_text_field("version", STRING | STORED),
            document: schema.add_text_field("document", STRING | STORED),
            labels: schema.add_text_field("labels", STRING),
            title: schema.add_text_field("title", text_options(STEMMED, true)),
            title_plain: schema.add_text_field("title_plain", text_options(PLAIN, false)),
            description: schema.add_text_field("description", text_options(STEMMED, true)),
            path: schema.add_text_field("path", text_options(STEMMED, true)),
            method: schema.add_text_field("method", STRING | STORED),
            content: schema.add_text_field("content", text_options(STEMMED, false)),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(STEMMED, analyzer(true));
        index.tokenizers().register(PLAIN, analyzer(false));
        // One thread: the corpus is a few thousand small entries; 15 MB is tantivy's floor.
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        for v in versions {
            let prefix = format!("{}@{}", v.document, v.version);
            for entry in extract(v.kind, &v.model, &prefix) {
                writer.add_document(document(f, v, &entry))?;
            }
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Self { reader, index, f })
    }

    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.f;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut exact = |field: Field, value: &str| {
            let term = TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            );
            out.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(term), 0.0)),
            ));
        };
        if let Some(kind) = &q.kind {
            exact(f.kind, kind);
        }
        if let Some(source) = &q.source {
            exact(f.source, source);
        }
        if let Some(document) = &q.document {
            exact(f.document, document);
        }
        match &q.version {
            VersionFilter::Label(label) => exact(f.labels, label),
            VersionFilter::Exact(version) => exact(f.version, version),
            VersionFilter::All => {}
        }
        out
    }

    fn tokens(&self, analyzer: &str, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(mut analyzer) = self.index.tokenizers().get(analyzer) {
            let mut stream = analyzer.token_stream(text);
            while let Some(token) = stream.next() {
                if !out.contains(&token.text) {
                    out.push(token.text.clone());
                }
            }
        }
        out.truncate(16);
        out
    }

    /// The matches, best first, with the number of all matches.
    pub fn search(&self, q: &SearchQuery) -> tantivy::Result<(usize, Vec<Hit>)> {
        let f = self.f;
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let boosted = [
            (f.title, 3.0),
            (f.path, 2.0),
            (f.description, 1.0),
            (f.content, 0.5),
        ];
        for token in self.tokens(STEMMED, &q.q) {
            for (field, boost) in boosted {
                let term = TermQuery::new(
                    Term::from_field_text(field, &token),
                    IndexRecordOption::WithFreqs,
                );
                words.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term), boost)),
                ));
            }
        }
        for token in self.tokens(PLAIN, &q.q) {
            let term = TermQuery::new(
                Term::from_field_text(f.title_plain, &token),
                IndexRecordOption::WithFreqs,
            );
            words.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(term), 1.5)),
            ));
        }
        if words.is_empty() {
            return Ok((0, Vec::new()));
        }
        let mut clauses = self.filters(q);
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(words))));
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let (top, total) = searcher.search(
            &query,
            &(TopDocs::with_limit(q.limit.max(1)).order_by_score(), Count),
        )?;
        let best = top
            .first()
            .map_or(1.0, |(s, _)| f64::from(*s))
            .max(f64::MIN_POSITIVE);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let get = |field| stored(&doc, field);
            let normalised = (f64::from(score) / best).clamp(0.0, 1.0);
            hits.push(Hit {
                id: get(f.id),
                kind: get(f.kind),
                title: get(f.title),
                description: get(f.description),
                path: get(f.path),
                method: get(f.method),
                source: get(f.source),
                version: get(f.version),
                document: get(f.document),
                score: (normalised * 10_000.0).round() / 10_000.0,
            });
        }
        Ok((total, hits))
    }

    /// Titles whose words start with what was typed (the last word as a prefix), each
    /// text once.
    pub fn suggest(&self, q: &SearchQuery) -> tantivy::Result<Vec<Suggestion>> {
        let f = self.f;
        let mut tokens = self.tokens(PLAIN, &q.q);
        let Some(last) = tokens.pop() else {
            return Ok(Vec::new());
        };
        let mut clauses = self.filters(q);
        for token in tokens {
            let term = TermQuery::new(
                Term::from_field_text(f.title_plain, &token),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Must, Box::new(term)));
        }
        // Tokens are letters and digits only, so the pattern needs no escaping.
        let safe: String = last.chars().filter(|c| c.is_alphanumeric()).collect();
        clauses.push((
            Occur::Must,
            Box::new(RegexQuery::from_pattern(
                &format!("{safe}.*"),
                f.title_plain,
            )?),
        ));
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(q.limit.max(1) * 10).order_by_score(),
        )?;
        let mut out: Vec<Suggestion> = Vec::new();
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = stored(&doc, f.title);
            if out.iter().any(|s| s.text == text) {
                continue;
            }
            out.push(Suggestion {
                text,
                kind: stored(&doc, f.kind),
                source: stored(&doc, f.source),
                version: stored(&doc, f.version),
                document: stored(&doc, f.document),
            });
            if out.len() == q.limit {
                break;
            }
        }
        Ok(out)
    }
}

fn stored(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

fn document(f: Fields, v: &IndexedVersion, entry: &Entry) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &entry.id);
    doc.add_text(f.kind, entry.kind);
    doc.add_text(f.source, v.kind.as_str());
    doc.add_text(f.version, &v.version);
    doc.add_text(f.document, &v.document);
    for label in &v.labels {
        doc.add_text(f.labels, label);
    }
    doc.add_text(f.title, &entry.title);
    doc.add_text(f.title_plain, &entry.title);
    doc.add_text(f.description, &entry.description);
    doc.add_text(f.path, &entry.path);
    doc.add_text(f.method, &entry.method);
    doc.add_text(f.content, &entry.content);
    doc
}
