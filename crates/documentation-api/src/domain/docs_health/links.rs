//! Where a link of a page leads: outside the corpus (external, counted, never fetched),
//! to a heading of the same page, or to a file of the corpus and maybe one of its
//! headings. Relative and root-relative targets are resolved as a docs site does:
//! `guide` and `guide/` find `guide.md`, `guide.mdx`, `guide/index.md` or
//! `guide/README.md`; `/docs/x` is `x` from the corpus root; a path climbing above the
//! root leaves the corpus and is not checked.

use std::collections::{HashMap, HashSet};

/// What the audit may ask of the file system: whether a file that is not a page exists
/// (an image, a YAML file), and the anchors that HTML in a page sets (`<a id="x">`),
/// which markdown headings do not show.
pub trait Files {
    fn exists(&self, rel_path: &str) -> bool;
    fn html_anchors(&self, rel_path: &str) -> Vec<String>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    External,
    Ok,
    MissingFile(String),
    MissingAnchor { page: String, anchor: String },
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    External,
    Anchor,
    Internal,
}

/// The pages of the corpus by relative path, each with its heading anchors (lower-cased;
/// a repeated heading also answers to `-1`, `-2`…, as docs sites number them).
pub struct PageIndex {
    anchors: HashMap<String, HashSet<String>>,
}

impl PageIndex {
    pub fn new<'a>(pages: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Self {
        let mut anchors = HashMap::new();
        for (rel, heading_anchors) in pages {
            let mut set = HashSet::new();
            for anchor in heading_anchors {
                let anchor = anchor.to_lowercase();
                let mut candidate = anchor.clone();
                let mut n = 0;
                while !set.insert(candidate.clone()) {
                    n += 1;
                    candidate = format!("{anchor}-{n}");
                }
            }
            anchors.insert(rel.to_string(), set);
        }
        Self { anchors }
    }

    fn page(&self, rel: &str) -> Option<&HashSet<String>> {
        self.anchors.get(rel)
    }
}

pub fn kind(target: &str) -> Kind {
    let target = target.trim();
    if is_external(target) {
        Kind::External
    } else if target.starts_with('#') {
        Kind::Anchor
    } else {
        Kind::Internal
    }
}

/// Whether `target` of the page `from` (a relative path) resolves.
pub fn resolve(index: &PageIndex, files: &dyn Files, from: &str, target: &str) -> Resolution {
    let target = target.trim();
    if target.is_empty() {
        return Resolution::Empty;
    }
    if is_external(target) {
        return Resolution::External;
    }
    let without_query = match target.split_once('?') {
        Some((path, rest)) => match rest.split_once('#') {
            Some((_, anchor)) => format!("{path}#{anchor}"),
            None => path.to_string(),
        },
        None => target.to_string(),
    };
    let (path, anchor) = match without_query.split_once('#') {
        Some((p, a)) => (decode(p), decode(a)),
        None => (decode(&without_query), String::new()),
    };
    let page = if path.is_empty() {
        from.to_string()
    } else {
        let Some(joined) = join(from, &path) else {
            return Resolution::External;
        };
        match candidates(&joined, path.ends_with('/'))
            .into_iter()
            .find(|c| index.page(c).is_some())
        {
            Some(page) => page,
            None if is_markdown_or_bare(&joined) => return Resolution::MissingFile(joined),
            None if files.exists(&joined) => return Resolution::Ok,
            None => return Resolution::MissingFile(joined),
        }
    };
    if anchor.is_empty() {
        return Resolution::Ok;
    }
    let wanted = anchor.to_lowercase();
    let found = index.page(&page).is_some_and(|a| a.contains(&wanted))
        || files
            .html_anchors(&page)
            .iter()
            .any(|a| a.to_lowercase() == wanted);
    if found {
        Resolution::Ok
    } else {
        Resolution::MissingAnchor { page, anchor }
    }
}

/// A URL with a scheme (`https:`, `mailto:`) or a protocol-relative `//host`.
fn is_external(target: &str) -> bool {
    if target.starts_with("//") {
        return true;
    }
    match target.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `path` from the page `from`, as a relative path of the corpus; `None` above its root.
fn join(from: &str, path: &str) -> Option<String> {
    let mut segments: Vec<&str> = Vec::new();
    let rest = if let Some(root_relative) = path.strip_prefix('/') {
        root_relative.strip_prefix("docs/").unwrap_or(root_relative)
    } else {
        segments.extend(from.split('/'));
        segments.pop();
        path
    };
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop()?;
            }
            s => segments.push(s),
        }
    }
    Some(segments.join("/"))
}

fn candidates(path: &str, directory: bool) -> Vec<String> {
    let dir = |p: &str| {
        let base = if p.is_empty() {
            String::new()
        } else {
            format!("{p}/")
        };
        ["index.md", "index.mdx", "README.md"].map(|f| format!("{base}{f}"))
    };
    if directory || path.is_empty() {
        return dir(path).to_vec();
    }
    let mut out = vec![path.to_string()];
    if is_markdown_or_bare(path) && !has_markdown_extension(path) {
        out.push(format!("{path}.md"));
        out.push(format!("{path}.mdx"));
        out.extend(dir(path));
    }
    out
}

fn has_markdown_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".mdx")
}

/// A markdown page, or a route without an extension (which can only be a page).
fn is_markdown_or_bare(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    has_markdown_extension(name) || !name.contains('.')
}

/// Percent-decoding of `%XX` (invalid sequences kept as written).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Disk;
    impl Files for Disk {
        fn exists(&self, rel_path: &str) -> bool {
            rel_path == "img/logo.png"
        }
        fn html_anchors(&self, rel_path: &str) -> Vec<String> {
            if rel_path == "decisions.md" {
                vec!["d24".into()]
            } else {
                Vec::new()
            }
        }
    }

    fn index() -> PageIndex {
        PageIndex::new([
            ("guide/setup.md", vec!["install", "faq", "faq"]),
            ("guide/index.md", vec![]),
            ("decisions.md", vec!["overview"]),
            ("Guia Rápido.md", vec!["configuração"]),
        ])
    }

    #[test]
    fn resolves_like_a_docs_site() {
        let i = index();
        let r = |from: &str, t: &str| resolve(&i, &Disk, from, t);
        assert_eq!(r("guide/index.md", "setup.md#install"), Resolution::Ok);
        assert_eq!(r("guide/index.md", "./setup#FAQ-1"), Resolution::Ok);
        assert_eq!(r("decisions.md", "guide/"), Resolution::Ok);
        assert_eq!(r("decisions.md", "/docs/guide/setup"), Resolution::Ok);
        assert_eq!(r("decisions.md", "#d24"), Resolution::Ok);
        assert_eq!(r("guide/setup.md", "../img/logo.png"), Resolution::Ok);
        assert_eq!(
            r(
                "decisions.md",
                "Guia%20R%C3%A1pido.md#configura%C3%A7%C3%A3o"
            ),
            Resolution::Ok
        );
        assert_eq!(
            r("decisions.md", "https://example.com/x"),
            Resolution::External
        );
        assert_eq!(r("decisions.md", "mailto:a@b.c"), Resolution::External);
        assert_eq!(
            r("decisions.md", "../../openapi/x.yaml"),
            Resolution::External
        );
        assert_eq!(
            r("guide/setup.md", "missing.md"),
            Resolution::MissingFile("guide/missing.md".into())
        );
        assert_eq!(
            r("guide/setup.md", "../img/none.png"),
            Resolution::MissingFile("img/none.png".into())
        );
        assert_eq!(
            r("guide/setup.md", "#nowhere"),
            Resolution::MissingAnchor {
                page: "guide/setup.md".into(),
                anchor: "nowhere".into()
            }
        );
        assert_eq!(r("guide/setup.md", " "), Resolution::Empty);
        assert_eq!(kind("#x"), Kind::Anchor);
        assert_eq!(kind("HTTP://x"), Kind::External);
        assert_eq!(kind("x.md"), Kind::Internal);
    }
}
