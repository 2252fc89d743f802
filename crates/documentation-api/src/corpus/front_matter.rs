//! YAML front matter: the block between a page's first `---` line and the next `---`
//! (or `...`) line.

use serde_yaml_ng::{Mapping, Value};

/// A page split into its front matter and its body.
#[derive(Debug)]
pub struct Split<'a> {
    /// `None` when the page has no front matter block.
    pub front_matter: Option<Result<Mapping, String>>,
    pub body: &'a str,
    /// The body's first line in the file, 1-based.
    pub body_line: usize,
}

pub fn split(text: &str) -> Split<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let no_front_matter = Split {
        front_matter: None,
        body: text,
        body_line: 1,
    };
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return no_front_matter;
    };
    let mut offset = 0;
    for (index, line) in rest.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Split {
                front_matter: Some(parse(yaml)),
                body,
                body_line: index + 3,
            };
        }
        offset += line.len();
    }
    // An opening fence without a closing one is markdown (a thematic break), not YAML.
    no_front_matter
}

fn parse(yaml: &str) -> Result<Mapping, String> {
    if yaml.trim().is_empty() {
        return Ok(Mapping::new());
    }
    match serde_yaml_ng::from_str::<Value>(yaml) {
        Ok(Value::Mapping(map)) => Ok(map),
        Ok(Value::Null) => Ok(Mapping::new()),
        Ok(_) => Err("front matter is not a mapping of keys to values".into()),
        Err(e) => Err(format!("front matter is not valid YAML: {e}")),
    }
}

/// The text of a scalar value (strings, numbers, booleans, dates YAML read as strings).
pub fn text(map: &Mapping, key: &str) -> Option<String> {
    let text = match map.get(key)? {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Tags as a YAML list, or as one comma-separated string.
pub fn list(map: &Mapping, key: &str) -> Vec<String> {
    let items: Vec<String> = match map.get(key) {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(csv)) => csv.split(',').map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|seen| seen == item) {
            out.push(item.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_body_line() {
        let page = split("---\ntitle: Hello\ntags: [a, b, a]\n---\n# Body\n");
        let map = page.front_matter.expect("present").expect("valid");
        assert_eq!(text(&map, "title").as_deref(), Some("Hello"));
        assert_eq!(list(&map, "tags"), ["a", "b"]);
        assert_eq!(page.body, "# Body\n");
        assert_eq!(page.body_line, 5);
    }

    #[test]
    fn no_block_or_no_closing_fence_is_body() {
        assert!(split("# Title\n").front_matter.is_none());
        let open = split("---\nnot closed\n");
        assert!(open.front_matter.is_none());
        assert_eq!(open.body, "---\nnot closed\n");
    }

    #[test]
    fn broken_yaml_is_an_error_not_a_panic() {
        let page = split("---\ntitle: [unclosed\n---\nbody\n");
        assert!(page.front_matter.expect("present").is_err());
        assert_eq!(
            list(
                &split("---\ntags: x, y\n---\n")
                    .front_matter
                    .expect("present")
                    .expect("valid"),
                "tags"
            ),
            ["x", "y"]
        );
    }
}
