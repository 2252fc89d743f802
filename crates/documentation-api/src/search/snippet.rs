//! Snippets: the stretch of a page with the most of the query's words, matches in
//! `<mark>`, HTML-escaped.
//!
//! tantivy's `SnippetGenerator` tokenizes a hit's whole text on every query; with ten or
//! fifty hits a search spent most of its time there. So each page is tokenized once, at
//! index time, into its words' ids (folded, unstemmed) and byte spans, and the corpus's
//! words are grouped by stem; a query turns its words, and the words sharing their stems,
//! into ids, and a snippet is a scan of integers.

use std::collections::HashMap;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::analysis;

pub const SNIPPET_CHARS: usize = 200;
/// How far before its first match a snippet may start, to show the match in context.
const LEAD_BYTES: usize = 40;

/// Every folded word of the corpus, numbered, and the words of each stem.
#[derive(Default)]
pub struct Vocabulary {
    ids: HashMap<Box<str>, u32>,
    by_stem: HashMap<Box<str>, Vec<u32>>,
}

impl Vocabulary {
    fn intern(&mut self, word: &str) -> u32 {
        if let Some(id) = self.ids.get(word) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(word.into(), id);
        id
    }

    /// Groups the words by their stem, once every page has been read.
    pub fn group_by_stem(&mut self) {
        let mut stem = analysis::stem();
        self.by_stem.clear();
        for (word, id) in &self.ids {
            if let [stemmed] = analysis::terms(&mut stem, word).as_slice() {
                self.by_stem
                    .entry(stemmed.as_str().into())
                    .or_default()
                    .push(*id);
            }
        }
    }

    /// The ids of the words snippets highlight for a query's `words`: each word as
    /// typed, and every word of the corpus that shares its stem (`configurações` for
    /// `configuracao`). A handful, so a slice searched in order beats hashing every
    /// token of every hit.
    pub fn matching(&self, words: &[String]) -> Vec<u32> {
        let mut stem = analysis::stem();
        let mut ids = Vec::new();
        for word in words {
            ids.extend(self.ids.get(word.as_str()).copied());
            for stemmed in analysis::terms(&mut stem, word) {
                ids.extend(self.by_stem.get(stemmed.as_str()).into_iter().flatten());
            }
        }
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

/// The snippet of `text` for the words `matching`; `None` when none occurs in it.
pub fn render(text: &str, tokens: &Tokens, matching: &[u32]) -> Option<String> {
    let mut hits: Vec<(u32, usize, usize)> = Vec::new();
    for (id, (from, to)) in tokens.ids.iter().zip(tokens.spans.iter()) {
        if matching.contains(id) {
            hits.push((*id, *from as usize, *to as usize));
        }
    }
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

    /// `text`'s words, each run of whitespace (as `char::is_whitespace` has it) one
    /// space. ASCII, nearly all of it, is told apart by its byte alone.
    fn text(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut word_from = None;
        let mut at = 0;
        while at < bytes.len() {
            let (width, space) = match bytes[at] {
                b' ' | b'\t'..=b'\r' => (1, true),
                0..0x80 => (1, false),
                _ => text[at..]
                    .chars()
                    .next()
                    .map_or((1, false), |c| (c.len_utf8(), c.is_whitespace())),
            };
            if space {
                if let Some(from) = word_from.take() {
                    self.word(&text[from..at]);
                }
                self.space = true;
            } else if word_from.is_none() {
                word_from = Some(at);
            }
            at += width;
        }
        if let Some(from) = word_from {
            self.word(&text[from..]);
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
        vocabulary.group_by_stem();
        let matching = vocabulary.matching(&["configuracao".to_string()]);
        let snippet = render(&text, &tokens, &matching).expect("a match");
        assert!(
            snippet.contains(
                "As <mark>configurações</mark> &lt;ficam&gt; &amp; a <mark>Configuração</mark>"
            ),
            "{snippet}"
        );
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 40, "{snippet}");
        let absent = vocabulary.matching(&["absent".to_string()]);
        assert!(absent.is_empty());
        assert!(render(&text, &tokens, &absent).is_none());
    }

    #[test]
    fn every_run_of_whitespace_is_one_space() {
        let text = "  Porta\u{a0}\u{a0}3400\t\x0b\r\n de <api>\u{3000}ação  ";
        assert_eq!(leading(text), "Porta 3400 de &lt;api&gt; ação");
    }
}
