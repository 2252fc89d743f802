//! Uploads: the multipart form read as a stream, each file's size and SHA-256 taken
//! chunk by chunk, and a file refused the moment it passes the limit (nothing past it
//! is kept). Upload routes have no body limit of their own size (see [`super::files`]);
//! the whole body is bounded here by what the form may hold.

use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::extract::Path;
use shared::middleware::Actor;
use shared::{ApiError, FieldError};
use uuid::Uuid;

use super::created;
use crate::AppState;
use crate::domain::audit::RequestMeta;
use crate::domain::file::UploadFields;
use crate::domain::{file_type, path_id};
use crate::error::Result;
use crate::repo::Parent;
use crate::service::{MAX_FILES_PER_REQUEST, Received, UploadRefusal};

/// Text fields: at most this many, of at most this many bytes each.
const TEXT_FIELDS_MAX: usize = 32;
const TEXT_FIELD_BYTES: usize = 64 * 1024;
/// Room for the form's headers, boundaries and text fields beyond the files' bytes.
const FORM_SLACK: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `/files/upload`: one file in the field `file`.
    One,
    /// `/files/upload-multiple`, `/ideas/{id}/files`: up to five in `files` (or `files[]`).
    Many,
}

impl Shape {
    fn takes(self, field: &str) -> bool {
        match self {
            Self::One => field == "file",
            Self::Many => matches!(field, "files" | "files[]"),
        }
    }

    fn max_files(self) -> usize {
        match self {
            Self::One => 1,
            Self::Many => MAX_FILES_PER_REQUEST,
        }
    }
}

#[derive(Debug, Default)]
struct Form {
    files: Vec<Received>,
    /// Files over the limit in a multi-upload (a single upload answers 413 at once).
    refused: Vec<UploadRefusal>,
    fields: Vec<(String, String)>,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("File too large. Maximum size: {limit} bytes"),
    )
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Request body is too large",
        )
    } else {
        ApiError::bad_request(
            "INVALID_MULTIPART",
            format!("Malformed multipart body: {}", e.body_text()),
        )
    }
}

async fn read_form(req: Request, limit: u64, shape: Shape) -> Result<Form, ApiError> {
    let max_files = shape.max_files();
    let whole = limit
        .saturating_mul(max_files as u64)
        .saturating_add(FORM_SLACK);
    let whole = usize::try_from(whole).unwrap_or(usize::MAX);
    // A single file is about the whole body: its buffer is sized once from the declared
    // length, so it never grows by doubling to twice the file while it arrives.
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let capacity = match shape {
        Shape::One => declared.map_or(0, |n| n.min(limit)),
        _ => 0,
    };
    let capacity = usize::try_from(capacity).unwrap_or(0);
    let req = req.map(|body| Body::new(Limited::new(body, whole)));
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|_| ApiError::unsupported_media_type("Expected a multipart/form-data body"))?;
    let mut form = Form::default();
    let mut files = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        if shape.takes(&name) {
            files += 1;
            if files > max_files {
                return Err(ApiError::bad_request(
                    "TOO_MANY_FILES",
                    format!("Too many files. Maximum {max_files} files per request"),
                ));
            }
            let original_name = file_type::clean_name(file_name.as_deref().unwrap_or(""));
            match read_file(&mut field, limit, capacity).await? {
                // A form's empty file input: no file at all.
                Some((bytes, _))
                    if bytes.is_empty() && file_name.as_deref().is_none_or(str::is_empty) =>
                {
                    files -= 1;
                }
                Some((bytes, checksum)) => form.files.push(Received {
                    original_name,
                    bytes,
                    checksum,
                }),
                None if shape == Shape::One => return Err(too_large(limit)),
                None => form
                    .refused
                    .push(UploadRefusal::of(&original_name, &too_large(limit))),
            }
        } else if file_name.is_some() {
            return Err(ApiError::bad_request(
                "UNEXPECTED_FIELD",
                format!("Unexpected file field '{name}'"),
            ));
        } else {
            if form.fields.len() >= TEXT_FIELDS_MAX {
                return Err(ApiError::bad_request(
                    "TOO_MANY_FIELDS",
                    format!("Too many form fields. Maximum {TEXT_FIELDS_MAX}"),
                ));
            }
            let text = read_text(&mut field, &name).await?;
            form.fields.push((name, text));
        }
    }
    Ok(form)
}

/// The file's bytes and SHA-256, or `None` as soon as it passes `limit` bytes.
async fn read_file(
    field: &mut Field<'_>,
    limit: u64,
    capacity: usize,
) -> Result<Option<(Vec<u8>, String)>, ApiError> {
    let mut bytes = Vec::with_capacity(capacity);
    let mut hasher = Sha256::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Ok(None);
        }
        hasher.update(&chunk);
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some((bytes, format!("{:x}", hasher.finalize()))))
}

async fn read_text(field: &mut Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > TEXT_FIELD_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("Form field '{name}' is larger than {TEXT_FIELD_BYTES} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            name,
            "invalid_string",
            "Must be UTF-8 text",
        )])
    })
}

/// The uploader: the token's name when auth is on; otherwise the form's `uploaded_by`,
/// else `X-User-Id`, else `anonymous`. The audit row records the same name.
fn uploader(actor: &Actor, mut meta: RequestMeta, fields: &UploadFields) -> RequestMeta {
    if !actor.authenticated
        && let Some(name) = &fields.uploaded_by
    {
        meta.actor = name.clone();
    }
    meta
}

pub async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    meta: RequestMeta,
    req: Request,
) -> Result<Response> {
    let form = read_form(req, state.docs.upload_limit(), Shape::One).await?;
    let fields = UploadFields::parse(&form.fields)?;
    let Some(received) = form.files.into_iter().next() else {
        return Err(ApiError::bad_request("NO_FILE_UPLOADED", "No file uploaded").into());
    };
    let meta = uploader(&actor, meta, &fields);
    let file = state
        .docs
        .upload(received, &fields, &meta.actor, &meta)
        .await?;
    Ok(created(json!({
        "success": true,
        "data": file,
        "message": "File uploaded successfully",
    })))
}

pub async fn upload_multiple(
    State(state): State<AppState>,
    actor: Actor,
    meta: RequestMeta,
    req: Request,
) -> Result<Response> {
    upload_many(state, actor, meta, req, None).await
}

/// `POST /api/v1/ideas/{id}/files`: upload-multiple with the idea of the path.
pub async fn idea_upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    actor: Actor,
    meta: RequestMeta,
    req: Request,
) -> Result<Response> {
    let id = path_id(&id)?;
    state
        .docs
        .require_parent(Parent::Idea, &id.to_string())
        .await?;
    upload_many(state, actor, meta, req, Some(id)).await
}

async fn upload_many(
    state: AppState,
    actor: Actor,
    meta: RequestMeta,
    req: Request,
    idea: Option<Uuid>,
) -> Result<Response> {
    let form = read_form(req, state.docs.upload_limit(), Shape::Many).await?;
    let mut fields = UploadFields::parse(&form.fields)?;
    if idea.is_some() {
        fields.idea_id = idea;
    }
    if form.files.is_empty() && form.refused.is_empty() {
        return Err(ApiError::bad_request("NO_FILE_UPLOADED", "No files uploaded").into());
    }
    let meta = uploader(&actor, meta, &fields);
    let (stored, refused) = state
        .docs
        .upload_many(form.files, form.refused, &fields, &meta.actor, &meta)
        .await?;
    if stored.is_empty() {
        let details = refused
            .iter()
            .map(|r| FieldError::new(r.filename.as_str(), r.code, r.error.as_str()))
            .collect();
        return Err(ApiError::bad_request(
            "NO_FILES_UPLOADED",
            "No files were uploaded successfully",
        )
        .with_errors(details)
        .into());
    }
    let message = format!("{} file(s) uploaded successfully", stored.len());
    if refused.is_empty() {
        return Ok(created(json!({
            "success": true,
            "data": stored,
            "message": message,
        })));
    }
    Ok((
        StatusCode::MULTI_STATUS,
        axum::Json(json!({
            "success": true,
            "data": stored,
            "message": message,
            "errors": refused,
        })),
    )
        .into_response())
}
