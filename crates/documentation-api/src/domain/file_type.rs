//! Which files may be stored, decided from their bytes: formats with magic numbers are
//! recognised by `infer` (an executable renamed `.pdf` is still an executable);
//! formats without them (markdown, CSV, JSON, YAML, XML, SVG, plain text) are accepted
//! only as UTF-8 without NUL, their type named by the extension. The client's declared
//! content type plays no part.

use shared::ApiError;

/// One allowed type: its MIME name, its extensions (the first is the canonical one),
/// and whether it is recognised by magic number or is text.
#[derive(Debug, PartialEq, Eq)]
pub struct FileKind {
    pub mime: &'static str,
    pub extensions: &'static [&'static str],
    pub text: bool,
    /// Safe to show in a browser tab (`inline`): no scripts, no markup.
    pub inline: bool,
}

const fn binary(mime: &'static str, extensions: &'static [&'static str], inline: bool) -> FileKind {
    FileKind {
        mime,
        extensions,
        text: false,
        inline,
    }
}

const fn text(mime: &'static str, extensions: &'static [&'static str], inline: bool) -> FileKind {
    FileKind {
        mime,
        extensions,
        text: true,
        inline,
    }
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// The allow-list. SVG and XML are stored but always served as attachments.
pub const ALLOWED: &[FileKind] = &[
    binary("application/pdf", &["pdf"], true),
    binary("image/png", &["png"], true),
    binary("image/jpeg", &["jpg", "jpeg"], true),
    binary("image/gif", &["gif"], true),
    binary("image/webp", &["webp"], true),
    binary("application/zip", &["zip"], false),
    binary("application/msword", &["doc"], false),
    binary(DOCX, &["docx"], false),
    binary("application/vnd.ms-excel", &["xls"], false),
    binary(XLSX, &["xlsx"], false),
    binary("application/vnd.ms-powerpoint", &["ppt"], false),
    binary(PPTX, &["pptx"], false),
    text("text/plain", &["txt", "text", "log"], true),
    text("text/markdown", &["md", "markdown"], true),
    text("text/csv", &["csv"], true),
    text("application/json", &["json"], true),
    text("application/yaml", &["yaml", "yml"], false),
    text("application/xml", &["xml"], false),
    text("image/svg+xml", &["svg"], false),
];

/// Containers `infer` may name by their generic format when it cannot see inside:
/// OOXML documents are zip archives, the legacy Office formats OLE storage.
const CONTAINERS: &[(&str, &[&str])] = &[
    ("application/zip", &["docx", "xlsx", "pptx"]),
    ("application/x-ole-storage", &["doc", "xls", "ppt"]),
];

pub fn allowed_types() -> Vec<&'static str> {
    ALLOWED.iter().map(|k| k.mime).collect()
}

pub fn allowed_extensions() -> Vec<String> {
    ALLOWED
        .iter()
        .flat_map(|k| k.extensions.iter().map(|e| format!(".{e}")))
        .collect()
}

pub fn by_mime(mime: &str) -> Option<&'static FileKind> {
    ALLOWED.iter().find(|k| k.mime == mime)
}

fn by_extension(extension: &str) -> Option<&'static FileKind> {
    ALLOWED.iter().find(|k| k.extensions.contains(&extension))
}

/// The lower-cased extension of a name (`None` for `README` or `.profile`).
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The kind of `bytes` named `name`, or the 415 that refuses them.
pub fn classify(name: &str, bytes: &[u8]) -> Result<&'static FileKind, ApiError> {
    let ext = extension(name);
    let sniffed = infer::get(bytes).filter(|t| t.matcher_type() != infer::MatcherType::Text);
    if let Some(found) = sniffed {
        let mime = found.mime_type();
        if let (Some(ext), Some((_, members))) = (
            &ext,
            CONTAINERS.iter().find(|(container, _)| *container == mime),
        ) && members.contains(&ext.as_str())
        {
            return by_extension(ext).ok_or_else(|| not_allowed(mime));
        }
        let kind = by_mime(mime)
            .filter(|k| !k.text)
            .ok_or_else(|| not_allowed(mime))?;
        return match ext {
            Some(ext) if !kind.extensions.contains(&ext.as_str()) => Err(mismatch(&ext, mime)),
            _ => Ok(kind),
        };
    }
    // No magic number, or one `infer` guesses from text (HTML, XML, scripts): only
    // well-formed text is taken, typed by its extension.
    if bytes.contains(&0) || std::str::from_utf8(bytes).is_err() {
        return Err(not_allowed("application/octet-stream"));
    }
    match ext {
        None => by_mime("text/plain").ok_or_else(|| not_allowed("text/plain")),
        Some(ext) => match by_extension(&ext) {
            Some(kind) if kind.text => Ok(kind),
            Some(kind) => Err(mismatch(&ext, kind.mime)),
            None => Err(ApiError::unsupported_media_type(format!(
                "File extension not allowed: .{ext}. Allowed extensions: {}",
                allowed_extensions().join(", ")
            ))),
        },
    }
}

fn not_allowed(mime: &str) -> ApiError {
    ApiError::unsupported_media_type(format!(
        "File type not allowed: {mime}. Allowed types: {}",
        allowed_types().join(", ")
    ))
}

fn mismatch(ext: &str, found: &str) -> ApiError {
    ApiError::unsupported_media_type(format!(
        "File content ({found}) does not match its extension .{ext}"
    ))
}

/// The name the server gives a file: its id and its extension, nothing of the client's.
pub fn stored_name(id: uuid::Uuid, original_name: &str, kind: &FileKind) -> String {
    let ext = extension(original_name)
        .filter(|e| kind.extensions.contains(&e.as_str()))
        .unwrap_or_else(|| kind.extensions[0].to_string());
    format!("{id}.{ext}")
}

/// A client's file name made safe to keep: the last path segment, without control
/// characters, trimmed, at most 255 characters (`file` when nothing is left).
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let kept = kept.trim();
    if kept.is_empty() || kept == "." || kept == ".." {
        "file".to_string()
    } else {
        kept.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0\x40\x10\x40\0\0\0\0\0\x40\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x40\08\0\x01\0\0\0\0\0\0\0";

    #[test]
    fn binary_types_come_from_the_bytes() {
        assert_eq!(classify("a.png", PNG).expect("png").mime, "image/png");
        assert_eq!(classify("noext", PNG).expect("png").mime, "image/png");
        assert_eq!(
            classify("a.pdf", b"%PDF-1.7\n").expect("pdf").mime,
            "application/pdf"
        );
        let elf = classify("x.pdf", ELF).expect_err("elf");
        assert_eq!(elf.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(elf.message().contains("application/x-executable"), "{elf}");
        let renamed = classify("photo.jpg", PNG).expect_err("mismatch");
        assert!(renamed.message().contains("does not match"), "{renamed}");
    }

    #[test]
    fn text_types_come_from_the_extension_of_utf8_without_nul() {
        assert_eq!(
            classify("a.md", "# Título\n".as_bytes()).expect("md").mime,
            "text/markdown"
        );
        assert_eq!(classify("a.csv", b"a,b\n").expect("csv").mime, "text/csv");
        assert_eq!(classify("README", b"hi").expect("txt").mime, "text/plain");
        assert_eq!(
            classify("d.svg", b"<?xml version=\"1.0\"?><svg/>")
                .expect("svg")
                .mime,
            "image/svg+xml"
        );
        assert_eq!(
            classify("page.md", b"<p align=\"center\">hi</p>")
                .expect("md")
                .mime,
            "text/markdown"
        );
        for (name, bytes) in [
            ("a.md", &b"a\0b"[..]),
            ("a.txt", &b"\xff\xfe"[..]),
            ("a.html", &b"<html></html>"[..]),
            ("a.exe", &b"text"[..]),
            ("a.pdf", &b"not a pdf"[..]),
        ] {
            let refused = classify(name, bytes).expect_err(name);
            assert_eq!(
                refused.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{name}"
            );
        }
    }

    #[test]
    fn names_are_cleaned_and_stored_names_are_the_servers() {
        assert_eq!(clean_name("../../etc/pass\nwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\b.txt"), "b.txt");
        assert_eq!(clean_name("  "), "file");
        let id = uuid::Uuid::nil();
        let md = by_mime("text/markdown").expect("md");
        assert_eq!(
            stored_name(id, "Notes.MARKDOWN", md),
            format!("{id}.markdown")
        );
        assert_eq!(stored_name(id, "notes", md), format!("{id}.md"));
    }
}
