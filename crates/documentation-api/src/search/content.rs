//! `GET /api/v1/docs/content?path=`: one corpus file's text, by its path below the corpus.
//!
//! Only relative paths inside the corpus: `..` segments, absolute paths, drive letters,
//! backslashes and NUL are refused before the file system is touched, and the resolved
//! path (symbolic links followed) must still lie inside the corpus directory.

use std::path::{Path, PathBuf};

use shared::ApiError;

/// Files larger than this are not documentation pages.
pub const MAX_CONTENT_BYTES: u64 = 5 * 1024 * 1024;

pub struct Content {
    pub path: String,
    pub text: String,
}

fn invalid() -> ApiError {
    ApiError::bad_request("INVALID_PATH", "Invalid file path")
}

fn not_found() -> ApiError {
    ApiError::not_found("File not found")
}

/// The relative path's segments, or 400 when it could leave the corpus.
fn segments(path: &str) -> Result<Vec<&str>, ApiError> {
    let refused = path.contains('\0')
        || path.contains('\\')
        || path.starts_with('/')
        || path.as_bytes().get(1) == Some(&b':');
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if refused || segments.is_empty() || segments.contains(&"..") {
        return Err(invalid());
    }
    Ok(segments)
}

/// Reads `path` below `root`. A path without an extension also finds its `.mdx` or
/// `.md` page, the names the dashboard's search results point at.
pub async fn read(root: &Path, path: &str) -> Result<Content, ApiError> {
    let segments = segments(path)?;
    let relative: PathBuf = segments.iter().collect();
    let root = tokio::fs::canonicalize(root)
        .await
        .map_err(|_| not_found())?;
    let mut candidates = vec![relative.clone()];
    if relative.extension().is_none() {
        candidates.push(relative.with_extension("mdx"));
        candidates.push(relative.with_extension("md"));
    }
    for candidate in candidates {
        let resolved = match tokio::fs::canonicalize(root.join(&candidate)).await {
            Ok(resolved) => resolved,
            Err(_) => continue,
        };
        if !resolved.starts_with(&root) {
            return Err(invalid());
        }
        let meta = tokio::fs::metadata(&resolved)
            .await
            .map_err(|_| not_found())?;
        if !meta.is_file() {
            continue;
        }
        if meta.len() > MAX_CONTENT_BYTES {
            return Err(ApiError::payload_too_large(MAX_CONTENT_BYTES as usize));
        }
        let bytes = tokio::fs::read(&resolved).await.map_err(|e| {
            tracing::warn!(error = %e, "reading a docs file failed");
            ApiError::internal("Failed to read file")
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| ApiError::unsupported_media_type("The file is not UTF-8 text"))?;
        let path = candidate
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        return Ok(Content { path, text });
    }
    Err(not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_corpus_are_refused() {
        for path in [
            "../x.md",
            "a/../../x",
            "/etc/passwd",
            "a\\b",
            "C:/x",
            "a\0b",
            "./",
        ] {
            assert!(segments(path).is_err(), "{path}");
        }
        assert_eq!(
            segments("guides//./setup.md").expect("valid"),
            ["guides", "setup.md"]
        );
    }
}
