//! Keeps Firecrawl's internals out of what clients read: sentences taken from upstream
//! bodies lose their stack frames, every server file path, and every URL that points
//! inside the deployment (the upstream itself, its workers, loopback, private ranges,
//! single-label compose names), and are bounded in length. URLs on the public internet stay: they are usually the page the client asked
//! for, and the sentence is useless without them.

use std::net::IpAddr;

use reqwest::Url;

/// What an internal URL becomes.
pub const HIDDEN_URL: &str = "[internal URL]";
/// What the upstream's `host:port` becomes outside a URL (socket errors print it bare).
pub const HIDDEN_ADDRESS: &str = "[internal address]";
/// What a file path on the upstream's machine becomes.
pub const HIDDEN_PATH: &str = "[internal path]";
/// Longest sentence passed on; Firecrawl's 500s can carry whole stack dumps.
const MAX_CHARS: usize = 500;

/// `text` without stack frames, with file paths, internal URLs and the upstream address
/// hidden, at most [`MAX_CHARS`].
pub fn redact(text: &str, upstream: &Url) -> String {
    let text = without_stack_frames(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_scheme(rest) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || "\"'<>`(){}|\\^".contains(c))
            .unwrap_or(candidate.len());
        let token = &candidate[..end];
        // Sentence punctuation after a URL is not part of it.
        let token = token.trim_end_matches(['.', ',', ';', ':', '!', '?']);
        match Url::parse(token) {
            Ok(url) if is_internal(&url, upstream) => out.push_str(HIDDEN_URL),
            _ => out.push_str(token),
        }
        rest = &candidate[token.len()..];
    }
    out.push_str(rest);
    if let Some(authority) = authority(upstream) {
        out = out.replace(&authority, HIDDEN_ADDRESS);
    }
    truncate(hide_paths(&out))
}

/// The text before the first line of a stack trace (`    at fn (file:line:col)`), with
/// trailing blanks dropped: a trace names the upstream's code and files, never the
/// client's problem.
fn without_stack_frames(text: &str) -> &str {
    let mut end = text.len();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.trim_start().starts_with("at ") {
            end = offset;
            break;
        }
        offset += line.len();
    }
    text[..end].trim_end()
}

/// Every absolute file path (`/srv/app/worker.ts:88`, `file:///app/x.js`,
/// `C:\app\x.js`) replaced by [`HIDDEN_PATH`]. URLs were handled before and do not
/// start like a path.
fn hide_paths(text: &str) -> String {
    let is_separator = |c: char| c.is_whitespace() || "()[]\"'`,;".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if is_path(token) {
            let kept = token.len() - token.trim_end_matches(['.', ':', '!', '?']).len();
            out.push_str(HIDDEN_PATH);
            out.push_str(&token[token.len() - kept..]);
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if is_separator(c) {
            flush(&mut token, &mut out);
            out.push(c);
        } else {
            token.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn is_path(token: &str) -> bool {
    let token = token.strip_prefix("file://").unwrap_or(token);
    let unix = token.starts_with('/') && token[1..].contains('/');
    let bytes = token.as_bytes();
    let windows = bytes.len() > 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/');
    unix || windows
}

/// Byte offset of the next `http://` or `https://`, any case.
fn find_scheme(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("http://"), lower.find("https://")]
        .into_iter()
        .flatten()
        .min()
}

fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

fn is_internal(url: &Url, upstream: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return true;
    };
    if Some(host) == upstream.host_str() {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return match ip.to_canonical() {
            IpAddr::V4(v4) => {
                v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
            }
        };
    }
    let host = host.to_ascii_lowercase();
    !host.contains('.')
        || [".localhost", ".local", ".internal", ".lan"]
            .iter()
            .any(|suffix| host.ends_with(suffix))
}

fn truncate(text: String) -> String {
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream() -> Url {
        Url::parse("http://firecrawl-api:3002").expect("url")
    }

    #[test]
    fn internal_urls_and_addresses_are_hidden() {
        let text = "Job failed at http://firecrawl-api:3002/v1/crawl/abc, worker http://playwright-service:3000/scrape \
                    (10.0.3.7 via http://10.0.3.7:8080/x and http://[::1]:3002/y); connect ECONNREFUSED firecrawl-api:3002.";
        let out = redact(text, &upstream());
        for leaked in [
            "firecrawl-api",
            "playwright-service",
            "http://10.0.3.7",
            "::1",
        ] {
            assert!(!out.contains(leaked), "{leaked} leaked: {out}");
        }
        assert!(
            out.starts_with("Job failed at [internal URL], worker [internal URL]"),
            "{out}"
        );
        assert!(
            out.ends_with("connect ECONNREFUSED [internal address]."),
            "{out}"
        );
    }

    #[test]
    fn public_urls_and_plain_text_stay() {
        let text = "Failed to scrape https://example.com/page?a=1. Try HTTP://Example.org.";
        assert_eq!(redact(text, &upstream()), text);
        assert_eq!(redact("Job not found", &upstream()), "Job not found");
    }

    #[test]
    fn file_paths_and_stack_frames_are_hidden() {
        let text = "TypeError: boom at /srv/firecrawl/src/worker.ts:88 (see file:///app/dist/x.js:1:2 or C:\\app\\y.js).\n    at Object.scrape (/srv/firecrawl/src/scraper.ts:12:7)\n    at process.tick (node:internal/process:1:1)";
        let out = redact(text, &upstream());
        assert_eq!(
            out,
            "TypeError: boom at [internal path] (see [internal path] or [internal path])."
        );
        assert_eq!(
            redact("Request at /v1/scrape failed", &upstream()),
            "Request at [internal path] failed"
        );
        let kept = "Scrape of https://example.com/a/b/c failed: 404 at /";
        assert_eq!(redact(kept, &upstream()), kept);
    }

    #[test]
    fn long_sentences_are_cut() {
        let out = redact(&"é".repeat(2000), &upstream());
        assert_eq!(out.chars().count(), MAX_CHARS + 1);
    }
}
