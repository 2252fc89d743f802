//! How text becomes terms for a Portuguese corpus.
//!
//! Two analyses, both lower-cased and ASCII-folded (so `configuracao` is `configuração`):
//! - `pt_exact`: the folded word, for exact matches, which rank above stemmed ones;
//! - `pt_stem`: the folded word's Portuguese stem (tantivy's Snowball stemmer), so
//!   `configuração`, `configurações` and `configurar` share `configur`.
//!
//! Snowball's Portuguese rules are written for accented words, and a user who types
//! `configuracoes` gets `configuraco` from it, not `configur`. So before stemming,
//! [`NasalEndings`] brings a folded word's nasal ending back to its written form, the
//! plural to the singular (`-coes`/`-cao` → `-ção`, `-oes`/`-aes`/`-aos`/`-ao` → `-ão`).
//! Index and queries go through the same chain, so both spellings meet on one stem;
//! the stem itself is folded again.

use std::mem;
use std::sync::LazyLock;

use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

pub const EXACT: &str = "pt_exact";
pub const STEM: &str = "pt_stem";
/// Longer tokens are base64, hashes or minified code, never words anyone searches.
const MAX_TOKEN_BYTES: usize = 40;

pub fn register(index: &Index) {
    index.tokenizers().register(EXACT, exact());
    index.tokenizers().register(STEM, stem());
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn stem() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(NasalEndings)
        .filter(Stemmer::new(Language::Portuguese))
        .filter(AsciiFoldingFilter)
        .build()
}

/// `pt_exact` without Portuguese and English stop words. They are matched before
/// folding, as the lists spell them (`não`).
static CONTENT_WORDS: LazyLock<TextAnalyzer> = LazyLock::new(|| {
    let stop = |language| StopWordFilter::new(language).expect("tantivy has the list");
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(stop(Language::Portuguese))
        .filter(stop(Language::English))
        .filter(AsciiFoldingFilter)
        .build()
});

/// The words a query is searched by: its folded words without stop words (`de`, `the`).
/// Those are on nearly every page, so requiring them finds the same pages and BM25 gives
/// them next to no weight, while their postings are the longest to read. A query of stop
/// words only is searched by all of them.
pub fn query_words(text: &str) -> Vec<String> {
    let content = terms(&mut CONTENT_WORDS.clone(), text);
    if content.is_empty() {
        terms(&mut exact(), text)
    } else {
        content
    }
}

/// The terms `analyzer` makes of `text`, in order.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Restores the written nasal ending of a folded Portuguese word (see the module doc).
#[derive(Clone)]
pub struct NasalEndings;

const ENDINGS: &[(&str, &str)] = &[
    ("coes", "ção"),
    ("cao", "ção"),
    ("oes", "ão"),
    ("aes", "ão"),
    ("aos", "ão"),
    ("ao", "ão"),
];

fn restore(word: &str) -> Option<String> {
    ENDINGS.iter().find_map(|(folded, written)| {
        let stem = word.strip_suffix(folded)?;
        // A two-letter word ending in -ao (`ao`, `nao`) is a word, not a suffix.
        (stem.len() >= 2).then(|| format!("{stem}{written}"))
    })
}

impl TokenFilter for NasalEndings {
    type Tokenizer<T: Tokenizer> = NasalEndingsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> NasalEndingsFilter<T> {
        NasalEndingsFilter(tokenizer)
    }
}

#[derive(Clone)]
pub struct NasalEndingsFilter<T>(T);

impl<T: Tokenizer> Tokenizer for NasalEndingsFilter<T> {
    type TokenStream<'a> = NasalEndingsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        NasalEndingsStream(self.0.token_stream(text))
    }
}

pub struct NasalEndingsStream<T>(T);

impl<T: TokenStream> TokenStream for NasalEndingsStream<T> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let token = self.0.token_mut();
        if let Some(mut written) = restore(&token.text) {
            mem::swap(&mut token.text, &mut written);
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        terms(&mut stem(), text)
    }

    #[test]
    fn accented_and_folded_spellings_share_a_stem() {
        let families: &[&[&str]] = &[
            &[
                "configuração",
                "configurações",
                "configuracao",
                "configuracoes",
                "Configurar",
            ],
            &["migração", "migrações", "migracao", "migracoes"],
            &["serviço", "serviços", "servico", "servicos"],
            &["versão", "versões", "versao", "versoes"],
            &["sincronização", "sincronizacao"],
        ];
        for family in families {
            let first = stems(family[0]);
            assert_eq!(first.len(), 1, "{first:?}");
            for word in &family[1..] {
                assert_eq!(stems(word), first, "{word} vs {}", family[0]);
            }
        }
        assert!(first_is_ascii(&stems("configuração")));
    }

    #[test]
    fn queries_leave_out_stop_words_unless_that_is_all_they_are() {
        assert_eq!(
            query_words("Serviço de sincronização"),
            ["servico", "sincronizacao"]
        );
        assert_eq!(query_words("não the index"), ["index"]);
        assert_eq!(query_words("de para"), ["de", "para"]);
    }

    fn first_is_ascii(terms: &[String]) -> bool {
        terms.first().is_some_and(|t| t.is_ascii())
    }

    #[test]
    fn exact_terms_are_folded_words() {
        assert_eq!(
            terms(&mut exact(), "Configuração do DOCS_WATCH"),
            ["configuracao", "do", "docs", "watch"]
        );
        assert_eq!(stems("não"), stems("nao"));
    }
}
