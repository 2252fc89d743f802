//! The HTTP rules of serving a file's bytes: one byte range (RFC 9110, section 14), entity-tag
//! matching for `If-None-Match` and `If-Range`, and the RFC 6266 `Content-Disposition`.

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No range, or one this server ignores (several ranges, another unit, bad syntax):
    /// the whole file.
    Full,
    /// Bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// A well-formed range that lies past the end: 416.
    Unsatisfiable,
}

impl RangeRequest {
    pub fn parse(header: Option<&str>, len: u64) -> Self {
        let Some(spec) = header.and_then(|h| {
            let (unit, spec) = h.trim().split_once('=')?;
            unit.trim()
                .eq_ignore_ascii_case("bytes")
                .then_some(spec.trim())
        }) else {
            return Self::Full;
        };
        if spec.contains(',') {
            return Self::Full;
        }
        let Some((first, last)) = spec.split_once('-') else {
            return Self::Full;
        };
        let number = |s: &str| -> Option<u64> {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let (first, last) = (first.trim(), last.trim());
        if first.is_empty() {
            // `-n`: the last n bytes.
            return match number(last) {
                None => Self::Full,
                Some(0) => Self::Unsatisfiable,
                Some(_) if len == 0 => Self::Unsatisfiable,
                Some(n) => Self::Part {
                    start: len.saturating_sub(n),
                    end: len - 1,
                },
            };
        }
        let Some(start) = number(first) else {
            return Self::Full;
        };
        let end = if last.is_empty() {
            None
        } else {
            match number(last) {
                Some(end) if end >= start => Some(end),
                _ => return Self::Full,
            }
        };
        if start >= len {
            return Self::Unsatisfiable;
        }
        Self::Part {
            start,
            end: end.map_or(len - 1, |end| end.min(len - 1)),
        }
    }
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, `*` matches).
pub fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// Whether an `If-Range` value lets a range through: only our strong entity tag does
/// (a date, or another tag, means "send everything").
pub fn if_range_holds(header: Option<&str>, etag: &str) -> bool {
    header.is_none_or(|value| value.trim() == etag)
}

/// `Content-Disposition` with the name twice: an ASCII fallback in `filename` (quotes,
/// backslashes, `%` and anything outside printable ASCII replaced) and the exact name
/// in `filename*` (RFC 8187 UTF-8 percent-encoding).
pub fn content_disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if !matches!(c, '"' | '\\' | '%') => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        let plain = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if plain {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let disposition = if inline { "inline" } else { "attachment" };
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges_are_honoured_and_others_ignored() {
        let p = |h: &str| RangeRequest::parse(Some(h), 10);
        assert_eq!(p("bytes=0-3"), RangeRequest::Part { start: 0, end: 3 });
        assert_eq!(p("bytes=5-"), RangeRequest::Part { start: 5, end: 9 });
        assert_eq!(p("bytes=-4"), RangeRequest::Part { start: 6, end: 9 });
        assert_eq!(p("bytes=-40"), RangeRequest::Part { start: 0, end: 9 });
        assert_eq!(p("bytes=8-100"), RangeRequest::Part { start: 8, end: 9 });
        assert_eq!(p("bytes=10-"), RangeRequest::Unsatisfiable);
        assert_eq!(p("bytes=10-12"), RangeRequest::Unsatisfiable);
        assert_eq!(p("bytes=-0"), RangeRequest::Unsatisfiable);
        for ignored in [
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=3-1",
            "bytes=a-b",
            "bytes=",
            "bytes=-",
        ] {
            assert_eq!(p(ignored), RangeRequest::Full, "{ignored}");
        }
        assert_eq!(RangeRequest::parse(None, 10), RangeRequest::Full);
        assert_eq!(
            RangeRequest::parse(Some("bytes=0-"), 0),
            RangeRequest::Unsatisfiable
        );
    }

    #[test]
    fn entity_tags_match_as_http_says() {
        let tag = "\"abc\"";
        assert!(none_match("\"abc\"", tag));
        assert!(none_match("\"x\", W/\"abc\"", tag));
        assert!(none_match("*", tag));
        assert!(!none_match("\"abcd\"", tag));
        assert!(if_range_holds(None, tag));
        assert!(if_range_holds(Some("\"abc\""), tag));
        assert!(!if_range_holds(Some("Wed, 21 Oct 2015 07:28:00 GMT"), tag));
    }

    #[test]
    fn disposition_names_are_escaped_both_ways() {
        assert_eq!(
            content_disposition(false, "a.txt"),
            "attachment; filename=\"a.txt\"; filename*=UTF-8''a.txt"
        );
        assert_eq!(
            content_disposition(true, "relatório \"final\" 100%.pdf"),
            "inline; filename=\"relat_rio _final_ 100_.pdf\"; filename*=UTF-8''relat%C3%B3rio%20%22final%22%20100%25.pdf"
        );
    }
}
