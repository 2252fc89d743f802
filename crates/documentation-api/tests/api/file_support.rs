//! What the file tests share: multipart bodies built by hand (every byte and header as
//! a browser sends it), raw byte downloads, ideas inserted straight into the database,
//! and the row counts that prove a refused upload left nothing.

use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::testing::Reply;

use crate::helpers::TestApp;

pub const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0\x40\x10\x40\0\0\0\0\0\x40\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x40\08\0\x01\0\0\0\0\0\0\0";
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";

/// One part of a form: a file when `filename` is given, else a text field.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

pub fn file(field: &str, filename: &str, bytes: &[u8]) -> Part {
    Part {
        name: field.into(),
        filename: Some(filename.into()),
        content_type: Some("application/octet-stream".into()),
        bytes: bytes.to_vec(),
    }
}

pub fn text(field: &str, value: &str) -> Part {
    Part {
        name: field.into(),
        filename: None,
        content_type: None,
        bytes: value.as_bytes().to_vec(),
    }
}

const BOUNDARY: &str = "----tsboundary7MA4YWxkTrZu0gW";

pub fn form(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = &part.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// A raw response: status, headers, bytes.
pub struct Raw {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// POSTs `parts` as multipart/form-data, with extra headers.
    pub async fn upload_to(&self, path: &str, parts: &[Part], headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .request(Method::POST, path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(form(parts));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// Uploads one file to `/api/v1/files/upload` and returns its JSON (asserting 201).
    pub async fn upload_one(&self, filename: &str, bytes: &[u8], fields: &[(&str, &str)]) -> Value {
        let mut parts = vec![file("file", filename, bytes)];
        parts.extend(fields.iter().map(|(k, v)| text(k, v)));
        let reply = self.upload_to("/api/v1/files/upload", &parts, &[]).await;
        assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
        reply.body["data"].clone()
    }

    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)]) -> Raw {
        let mut request = self.request(method, path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body").to_vec();
        Raw {
            status,
            headers,
            bytes,
        }
    }

    /// Inserts an idea straight into the database (the ideas API is another area's).
    pub async fn insert_idea(&self, title: &str) -> String {
        let id = uuid::Uuid::now_v7();
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url)
                .await
                .expect("sqlite");
            sqlx::query(
                "INSERT INTO documentation_ideas (id, title, category, created_by, created_at, updated_at) \
                 VALUES ($1, $2, 'content', 'test', 0, 0)",
            )
            .bind(id.to_string())
            .bind(title)
            .execute(&pool)
            .await
            .expect("insert idea");
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url)
                .await
                .expect("postgres");
            sqlx::query(
                "INSERT INTO documentation_ideas (id, title, category, created_by, created_at, updated_at) \
                 VALUES ($1, $2, 'content', 'test', now(), now())",
            )
            .bind(id)
            .bind(title)
            .execute(&pool)
            .await
            .expect("insert idea");
            pool.close().await;
        }
        id.to_string()
    }

    /// Rows of the files table, the contents table and the audit log.
    pub async fn file_rows(&self) -> (i64, i64, i64) {
        (
            self.count_rows("documentation_files").await,
            self.count_rows("documentation_file_contents").await,
            self.count_rows("documentation_audit_log").await,
        )
    }
}
