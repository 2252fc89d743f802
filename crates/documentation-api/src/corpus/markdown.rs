//! A page's markdown read as events: its headings (with the anchors a docs site gives
//! them), its links (with their line), and its text for the index.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    /// `{#id}` when the heading sets one, else the slug of its text.
    pub anchor: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// 1-based line in the file (front matter included).
    pub line: usize,
    pub text: String,
    pub target: String,
}

#[derive(Debug, Default)]
pub struct Markdown {
    pub headings: Vec<Heading>,
    pub links: Vec<Link>,
    /// Every text, code and heading run, separated by newlines between blocks.
    pub text: String,
}

/// Reads `body`, which starts on line `first_line` of its file.
pub fn read(body: &str, first_line: usize) -> Markdown {
    let options = Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |offset: usize| first_line + line_starts.partition_point(|&s| s <= offset) - 1;

    let mut out = Markdown::default();
    let mut heading: Option<(HeadingLevel, Option<String>, String)> = None;
    let mut link: Option<(usize, String, String)> = None;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((level, id.map(|id| id.to_string()), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, id, text)) = heading.take() {
                    let text = text.trim().to_string();
                    let anchor = id.unwrap_or_else(|| slug(&text));
                    out.headings.push(Heading {
                        level: level as u8,
                        text,
                        anchor,
                    });
                }
                out.text.push('\n');
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                link = Some((line_of(range.start), dest_url.to_string(), String::new()));
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some((line, target, text)) = link.take() {
                    out.links.push(Link {
                        line,
                        text: text.trim().to_string(),
                        target,
                    });
                }
                out.text.push(' ');
            }
            Event::Text(text) | Event::Code(text) => {
                for run in [
                    heading.as_mut().map(|h| &mut h.2),
                    link.as_mut().map(|l| &mut l.2),
                ]
                .into_iter()
                .flatten()
                {
                    run.push_str(&text);
                }
                out.text.push_str(&text);
            }
            Event::SoftBreak | Event::HardBreak => out.text.push(' '),
            Event::End(_) => out.text.push('\n'),
            _ => {}
        }
    }
    out
}

/// The anchor a docs site (GitHub, Docusaurus) gives a heading: lower-cased, letters,
/// digits, `-` and `_` kept (accented letters too), spaces made `-`, the rest dropped.
pub fn slug(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_links_and_text() {
        let md = "# Configuração do serviço\n\nSee [the guide](../guide.md#setup) and `DOCS_WATCH`.\n\n## Custom {#mine}\n\n```sh\nrun it\n```\n";
        let read = read(md, 5);
        assert_eq!(
            read.headings,
            vec![
                Heading {
                    level: 1,
                    text: "Configuração do serviço".into(),
                    anchor: "configuração-do-serviço".into()
                },
                Heading {
                    level: 2,
                    text: "Custom".into(),
                    anchor: "mine".into()
                },
            ]
        );
        assert_eq!(
            read.links,
            vec![Link {
                line: 7,
                text: "the guide".into(),
                target: "../guide.md#setup".into()
            }]
        );
        assert!(read.text.contains("DOCS_WATCH"), "{}", read.text);
        assert!(read.text.contains("run it"), "{}", read.text);
        assert!(
            read.text.starts_with("Configuração do serviço\nSee"),
            "{}",
            read.text
        );
    }

    #[test]
    fn slugs_drop_punctuation() {
        assert_eq!(slug("What's new? (2.0)"), "whats-new-20");
        assert_eq!(slug("  API_keys & roles "), "api_keys--roles");
    }
}
