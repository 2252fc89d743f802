//! Snippets: the stretch of a page with the most of the query's words, matches in
//! `<mark>`, HTML-escaped.
//!
//! tantivy's `SnippetGenerator` tokenizes a hit's whole text on every query; with ten or
//! fifty hits a search spent most of its time there. So each page is tokenized once, at
//! index time, into its words' ids (folded, unstemmed) and byte spans; a query turns its
//! words, and the corpus's forms of their stems, into ids, and a snippet is a scan of
//! integers.

use std::collections::HashMap;

use tantivy::Searcher;
use tantivy::schema::Field;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::analysis;

pub const SNIPPET_CHARS: usize = 200;
/// Terms of the dictionary read after a stem when looking for its forms.
const MAX_FORMS_PER_STEM: usize = 64;
/// How far before its first match a snippet may start, to show the match in context.
const LEAD_BYTES: usize = 40;

/// Every folded word of the corpus, numbered.
#[derive(Default)]
pub struct Vocabulary(HashMap<Box<str>, u32>);

impl Vocabulary {
    fn intern(&mut self, word: &str) -> u32 {
        if let Some(id) = self.0.get(word) {
            return *id;
        }
        let id = self.0.len() as u32;
        self.0.insert(word.into(), id);
        id
    }

    /// The ids of `words` known to the corpus: a handful, so a slice searched in
    /// order beats hashing every token of every hit.
    pub fn ids<'a>(&self, words: impl IntoIterator<Item = &'a str>) -> Vec<u32> {
        let mut ids: Vec<u32> = words
            .into_iter()
            .filter_map(|w| self.0.get(w).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// A page's words in order: their ids and where they are in the text.
#[derive(Debug, Default)]
pub struct Tokens {
    ids: Box<[u32]>,
    spans: Box<[(u32, u32)]>,
}

impl Tokens {
    pub fn of(text: &str, analyzer: &mut TextAnalyzer, vocabulary: &mut Vocabulary) -> Self {
        let mut ids = Vec::new();
        let mut spans = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            ids.push(vocabulary.intern(&token.text));
            spans.push((token.offset_from as u32, token.offset_to as u32));
        }
        Self {
            ids: ids.into(),
            spans: spans.into(),
        }
    }
}

/// The words snippets highlight: each word as typed, and every form in the corpus
/// that shares its stem (`configurações` for `configuracao`), read from the term
/// dictionary after the stem.
pub fn forms(searcher: &Searcher, field: Field, words: &[String]) -> tantivy::Result<Vec<String>> {
    let mut stem = analysis::stem();
    let mut forms: Vec<String> = words.to_vec();
    for word in words {
        for stemmed in analysis::terms(&mut stem, word) {
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted
                    .terms()
                    .range()
                    .ge(stemmed.as_bytes())
                    .into_stream()?;
                let mut read = 0;
                while read < MAX_FORMS_PER_STEM && stream.advance() {
                    read += 1;
                    let Ok(form) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if !form.starts_with(stemmed.as_str()) {
                        break;
                    }
                    if !forms.iter().any(|f| f == form)
                        && analysis::terms(&mut stem, form) == [stemmed.as_str()]
                    {
                        forms.push(form.to_string());
                    }
                }
            }
        }
    }
    Ok(forms)
}

/// The snippet of `text` for the words `matching`; `None` when none occurs in it.
pub fn render(text: &str, tokens: &Tokens, matching: &[u32]) -> Option<String> {
    let hits: Vec<(u32, usize, usize)> = tokens
        .ids
        .iter()
        .zip(tokens.spans.iter())
        .filter(|(id, _)| matching.contains(id))
        .map(|(id, (from, to))| (*id, *from as usize, *to as usize))
        .collect();
    if hits.is_empty() {
        return None;
    }
    // The window starting at the match with the most distinct words after it.
    let mut best = (0, 0);
    let mut distinct: Vec<u32> = Vec::with_capacity(matching.len());
    for (i, (_, from, _)) in hits.iter().enumerate() {
        distinct.clear();
        for (id, _, _) in hits[i..]
            .iter()
            .take_while(|(_, _, to)| *to <= from + SNIPPET_CHARS)
        {
            if !distinct.contains(id) {
                distinct.push(*id);
            }
        }
        if distinct.len() > best.1 {
            best = (i, distinct.len());
        }
    }
    let first = hits[best.0].1;
    let start = floor_boundary(text, first.saturating_sub(LEAD_BYTES));
    let start = text[start..first]
        .find(char::is_whitespace)
        .map_or(start, |i| start + i + 1)
        .min(first);
    let end = floor_boundary(text, (start + SNIPPET_CHARS).min(text.len()));
    let mut out = Snippet::with_capacity(end - start + 64);
    let mut at = start;
    for (_, from, to) in &hits[best.0..] {
        if *to > end {
            break;
        }
        out.text(&text[at..*from]);
        out.mark(&text[*from..*to]);
        at = *to;
    }
    out.text(&text[at..end]);
    Some(out.finish())
}

/// The page's first words, escaped: the snippet of a page matched by no word of its text.
pub fn leading(text: &str) -> String {
    let end = floor_boundary(text, SNIPPET_CHARS.min(text.len()));
    let mut out = Snippet::with_capacity(end + 16);
    out.text(&text[..end]);
    out.finish()
}

/// A snippet being written: HTML-escaped, every run of whitespace one space, none at
/// either end, in one pass over the text.
struct Snippet {
    out: String,
    /// Whitespace was seen since the last word: a space is due before the next one.
    space: bool,
}

impl Snippet {
    fn with_capacity(bytes: usize) -> Self {
        Self {
            out: String::with_capacity(bytes),
            space: false,
        }
    }

    fn text(&mut self, text: &str) {
        for (i, word) in text.split(|c: char| c.is_whitespace()).enumerate() {
            if i > 0 {
                self.space = true;
            }
            if !word.is_empty() {
                self.word(word);
            }
        }
    }

    fn mark(&mut self, word: &str) {
        self.space_if_due();
        self.out.push_str("<mark>");
        push_escaped(&mut self.out, word);
        self.out.push_str("</mark>");
    }

    fn word(&mut self, word: &str) {
        self.space_if_due();
        push_escaped(&mut self.out, word);
    }

    fn space_if_due(&mut self) {
        if self.space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.space = false;
    }

    fn finish(self) -> String {
        self.out
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// `text` with `& < > " '` as entities; the stretches between them are copied whole.
fn push_escaped(out: &mut String, text: &str) {
    let mut copied = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[copied..i]);
        out.push_str(entity);
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis;

    #[test]
    fn marks_the_densest_stretch() {
        let text = "Intro about nothing. ".repeat(20)
            + "As configurações <ficam> & a Configuração também. "
            + &"Filler words here. ".repeat(20);
        let mut vocabulary = Vocabulary::default();
        let tokens = Tokens::of(&text, &mut analysis::exact(), &mut vocabulary);
        let matching = vocabulary.ids(["configuracoes", "configuracao"]);
        let snippet = render(&text, &tokens, &matching).expect("a match");
        assert!(
            snippet.contains(
                "As <mark>configurações</mark> &lt;ficam&gt; &amp; a <mark>Configuração</mark>"
            ),
            "{snippet}"
        );
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 40, "{snippet}");
        assert!(render(&text, &tokens, &vocabulary.ids(["absent"])).is_none());
    }
}
