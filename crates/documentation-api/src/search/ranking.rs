//! What a query's words become in the index, and the corpus statistics BM25 scores them
//! with.
//!
//! Each word is searched in six fields, boosted so that a title hit outranks a heading or
//! summary hit, which outranks a body hit, and each exact (unstemmed) hit adds to its
//! stemmed one. The query is kept as flat as its meaning allows (a one-word query without
//! filters is a plain union of term queries), so tantivy builds one scorer per term and
//! no nested unions around them.

use std::collections::HashMap;

use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::analysis;
use super::query::Filters;

/// The searched fields and their boosts.
pub const FIELD_BOOSTS: &[(&str, f32)] = &[
    ("title", 3.0),
    ("title_exact", 2.0),
    ("headings", 1.5),
    ("summary", 1.5),
    ("body", 1.0),
    ("body_exact", 0.5),
];
/// The fields analysed with `pt_exact`; the others are stemmed.
pub const EXACT_FIELDS: &[&str] = &["title_exact", "body_exact"];
/// Typo tolerance: one edit, on words long enough for one edit not to be another word.
const FUZZY_MIN_CHARS: usize = 5;

type Clauses = Vec<(Occur, Box<dyn Query>)>;

/// The index's fields by name.
pub struct Fields {
    by_name: HashMap<&'static str, Field>,
}

impl Fields {
    pub fn new(by_name: HashMap<&'static str, Field>) -> Self {
        Self { by_name }
    }

    pub fn get(&self, name: &str) -> Field {
        self.by_name[name]
    }

    /// The queries tried in turn until one matches anything: every word required; then
    /// words of five letters or more also one edit away; then any one word enough.
    pub fn relaxations<'q>(
        &'q self,
        words: &'q [String],
        filters: &'q Filters,
    ) -> impl Iterator<Item = BooleanQuery> + 'q {
        let steps = if words.is_empty() {
            &[][..]
        } else {
            &[
                (false, Occur::Must),
                (true, Occur::Must),
                (true, Occur::Should),
            ][..]
        };
        steps
            .iter()
            .map(move |(fuzzy, occur)| self.query(words, *fuzzy, *occur, filters))
    }

    /// `words`, each required (`Must`) or one enough (`Should`), and every filter.
    fn query(
        &self,
        words: &[String],
        fuzzy: bool,
        occur: Occur,
        filters: &Filters,
    ) -> BooleanQuery {
        let mut stem = analysis::stem();
        let mut per_word: Vec<Clauses> = words
            .iter()
            .map(|word| self.alternatives(word, &analysis::terms(&mut stem, word), fuzzy))
            .collect();
        let filters: Clauses = filters
            .terms()
            .into_iter()
            .map(|(name, value)| {
                let term = Term::from_field_text(self.get(name), value);
                let query: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                (Occur::Must, query)
            })
            .collect();
        if per_word.len() == 1 && filters.is_empty() {
            return BooleanQuery::new(per_word.remove(0));
        }
        let words: Clauses = per_word
            .into_iter()
            .map(|alternatives| {
                let query: Box<dyn Query> = Box::new(BooleanQuery::new(alternatives));
                (occur, query)
            })
            .collect();
        // Optional words among required filters would not be required at all: they keep a
        // clause of their own, which requires one of them.
        let mut clauses = if occur == Occur::Must {
            words
        } else {
            vec![(
                Occur::Must,
                Box::new(BooleanQuery::new(words)) as Box<dyn Query>,
            )]
        };
        clauses.extend(filters);
        BooleanQuery::new(clauses)
    }

    /// One word in every field, any of them enough: the exact fields by the folded word,
    /// the others by its stems, and with `fuzzy` the exact fields also one edit away.
    fn alternatives(&self, word: &str, stemmed: &[String], fuzzy: bool) -> Clauses {
        let mut alternatives: Clauses = Vec::new();
        for (name, boost) in FIELD_BOOSTS {
            let field = self.get(name);
            let exact = EXACT_FIELDS.contains(name);
            let terms: Vec<&str> = if exact {
                vec![word]
            } else {
                stemmed.iter().map(String::as_str).collect()
            };
            for text in terms {
                let term = Term::from_field_text(field, text);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), *boost)),
                ));
            }
            if fuzzy && exact && word.chars().count() >= FUZZY_MIN_CHARS {
                let term = Term::from_field_text(field, word);
                let query = FuzzyTermQuery::new(term, 1, true);
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost * 0.5)),
                ));
            }
        }
        alternatives
    }
}

/// BM25's corpus-wide figures, read once: an index never changes once built, so a query
/// looks up only its terms' document frequencies.
pub struct CorpusStatistics {
    tokens: HashMap<Field, u64>,
    docs: u64,
}

impl CorpusStatistics {
    pub fn of(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Self> {
        let mut tokens = HashMap::new();
        for (name, _) in FIELD_BOOSTS {
            let field = fields.get(name);
            tokens.insert(field, searcher.total_num_tokens(field)?);
        }
        Ok(Self {
            tokens,
            docs: searcher.num_docs(),
        })
    }

    /// The statistics of the index `searcher` reads.
    pub fn with<'a>(&'a self, searcher: &'a Searcher) -> Statistics<'a> {
        Statistics {
            corpus: self,
            searcher,
        }
    }
}

pub struct Statistics<'a> {
    corpus: &'a CorpusStatistics,
    searcher: &'a Searcher,
}

impl Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        match self.corpus.tokens.get(&field) {
            Some(tokens) => Ok(*tokens),
            None => self.searcher.total_num_tokens(field),
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.corpus.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.searcher.doc_freq(term)
    }
}
