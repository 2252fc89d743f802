//! `GET /api/v1/files/{id}` and `/download`: the stored bytes, with their type, an RFC
//! 6266 name, the checksum as a strong ETag (`If-None-Match` → 304) and one byte range
//! (206, or 416 past the end) read by the database. Only a whole download (200, not
//! HEAD) counts and is audited. Byte responses are never compressed, so that their
//! lengths, ranges and tags stay true of what is sent.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::ApiError;
use shared::extract::Path;
use shared::middleware::Uncompressed;

use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::download::{RangeRequest, content_disposition, if_range_holds, none_match};
use crate::domain::file::{File, Viewer};
use crate::domain::file_type;
use crate::error::Result;

/// How the browser is told to present the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presentation {
    /// `inline` for types without scripts or markup (images, PDF, plain text, CSV,
    /// JSON); `attachment` for the rest (SVG, XML, archives, office documents).
    ByType,
    /// Always `attachment`.
    Attachment,
}

pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
    meta: RequestMeta,
    method: Method,
    headers: HeaderMap,
) -> Result<Response> {
    serve(
        &state,
        &id,
        viewer,
        &meta,
        &method,
        &headers,
        Presentation::ByType,
    )
    .await
}

pub async fn download(
    State(state): State<AppState>,
    Path(id): Path<String>,
    viewer: Viewer,
    meta: RequestMeta,
    method: Method,
    headers: HeaderMap,
) -> Result<Response> {
    serve(
        &state,
        &id,
        viewer,
        &meta,
        &method,
        &headers,
        Presentation::Attachment,
    )
    .await
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn value(text: &str) -> HeaderValue {
    // Every value here is built from ASCII (tags are hex, names percent-encoded).
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

async fn serve(
    state: &AppState,
    id: &str,
    viewer: Viewer,
    meta: &RequestMeta,
    method: &Method,
    headers: &HeaderMap,
    presentation: Presentation,
) -> Result<Response> {
    let file = state.docs.file(id, viewer).await?;
    let etag = file.etag();
    let len = u64::try_from(file.size_bytes).unwrap_or(0);
    if text(headers, header::IF_NONE_MATCH).is_some_and(|h| none_match(h, &etag)) {
        return Ok(respond(
            StatusCode::NOT_MODIFIED,
            &file,
            presentation,
            Body::empty(),
            None,
        ));
    }
    let range = if if_range_holds(text(headers, header::IF_RANGE), &etag) {
        RangeRequest::parse(text(headers, header::RANGE), len)
    } else {
        RangeRequest::Full
    };
    let head = method == Method::HEAD;
    match range {
        RangeRequest::Unsatisfiable => Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "RANGE_NOT_SATISFIABLE",
            format!("Range not satisfiable: the file has {len} bytes"),
        )
        .with_header(header::CONTENT_RANGE, value(&format!("bytes */{len}")))
        .into()),
        RangeRequest::Part { start, end } => {
            let body = if head {
                Body::empty()
            } else {
                Body::from(state.docs.file_bytes(&file, Some((start, end))).await?)
            };
            let mut response = respond(
                StatusCode::PARTIAL_CONTENT,
                &file,
                presentation,
                body,
                Some(end - start + 1),
            );
            response.headers_mut().insert(
                header::CONTENT_RANGE,
                value(&format!("bytes {start}-{end}/{len}")),
            );
            Ok(response)
        }
        RangeRequest::Full if head => Ok(respond(
            StatusCode::OK,
            &file,
            presentation,
            Body::empty(),
            Some(len),
        )),
        RangeRequest::Full => {
            let bytes = state.docs.file_bytes(&file, None).await?;
            state.docs.record_download(&file, meta).await?;
            Ok(respond(
                StatusCode::OK,
                &file,
                presentation,
                Body::from(bytes),
                Some(len),
            ))
        }
    }
}

fn respond(
    status: StatusCode,
    file: &File,
    presentation: Presentation,
    body: Body,
    length: Option<u64>,
) -> Response {
    let kind = file_type::by_mime(&file.mime_type);
    let inline = presentation == Presentation::ByType && kind.is_some_and(|k| k.inline);
    let content_type = match kind {
        Some(k) if k.text => format!("{}; charset=utf-8", file.mime_type),
        _ => file.mime_type.clone(),
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::ETAG, value(&file.etag()));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if status != StatusCode::NOT_MODIFIED {
        h.insert(header::CONTENT_TYPE, value(&content_type));
        h.insert(
            header::CONTENT_DISPOSITION,
            value(&content_disposition(inline, &file.original_name)),
        );
        // A file is never a page of this origin, whatever it holds.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(length) = length {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response.extensions_mut().insert(Uncompressed);
    response
}
