//! The public page of a file sent by email (`/notify/files/{id}`, the link in the message): it
//! names the sender and the file, asks for the recipient's email address first when the sender
//! wanted that, and answers the download with the file itself. Wrong addresses are counted per
//! file; after a few the page refuses for a while, so the address cannot be guessed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::crypto::{constant_time_eq, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;

use super::{PagesState, When};
use crate::domain::recipient;
use crate::service::ALLOWED_EXTENSIONS;
use crate::store::{self, FileRow};

/// Wrong addresses allowed per file within [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Past this many files tracked, entries older than the window are dropped.
const PRUNE_ABOVE: usize = 10_000;

/// Failed confirmations per file, in this process.
#[derive(Default)]
pub struct Attempts {
    failures: Mutex<HashMap<uuid::Uuid, (u32, Instant)>>,
}

impl Attempts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<uuid::Uuid, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the file's page refuses to check addresses for now.
    pub fn blocked(&self, id: uuid::Uuid) -> bool {
        self.lock().get(&id).is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < WINDOW)
    }

    /// Count a wrong address; the window starts at the first failure.
    pub fn failed(&self, id: uuid::Uuid) {
        let mut map = self.lock();
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(id).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, id: uuid::Uuid) {
        self.lock().remove(&id);
    }
}

#[derive(Template)]
#[template(path = "notify/file.html")]
struct FilePage {
    ctx: PageCtx,
    file_id: uuid::Uuid,
    service_name: String,
    filename: String,
    confirm: bool,
    until: When,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "notify/file_gone.html")]
struct Gone {
    ctx: PageCtx,
    title: String,
    message: String,
}

fn gone(ctx: PageCtx, status: StatusCode, title: &str, message: &str) -> Response {
    let page = Gone { title: ctx.t(title), message: ctx.t(message), ctx };
    (status, render(&page)).into_response()
}

/// The file behind a link, or the page that says it is not (or no longer) there.
async fn current(state: &PagesState, ctx: &PageCtx, id: &str) -> Result<Result<FileRow, Response>, PageError> {
    let unknown = || gone(ctx.clone(), StatusCode::NOT_FOUND, "notify-file-gone-title", "notify-file-unknown");
    let Ok(id) = uuid::Uuid::parse_str(id) else {
        return Ok(Err(unknown()));
    };
    // Uploaded letters are kept in the same table; only files sent by email are offered here.
    let Some(file) = store::file(state.kernel.db(), id).await?.filter(|f| f.purpose == "email") else {
        return Ok(Err(unknown()));
    };
    if file.expires_at <= Timestamp::now() {
        return Ok(Err(gone(ctx.clone(), StatusCode::GONE, "notify-file-gone-title", "notify-file-expired")));
    }
    Ok(Ok(file))
}

async fn page(
    state: &PagesState,
    ctx: PageCtx,
    file: &FileRow,
    email: String,
    error: Option<String>,
) -> Result<Response, PageError> {
    let service_name = store::service(state.kernel.db(), file.service_id).await?.map(|s| s.name).unwrap_or_default();
    let page = FilePage {
        file_id: file.id,
        service_name,
        filename: filename(file),
        confirm: file.confirm_email,
        until: When::to_minute(file.expires_at),
        email,
        error,
        ctx,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut response = (status, render(&page)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(response)
}

pub(super) async fn show(
    ctx: PageCtx,
    State(state): State<PagesState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    match current(&state, &ctx, &id).await? {
        Ok(file) => page(&state, ctx, &file, String::new(), None).await,
        Err(response) => Ok(response),
    }
}

#[derive(Deserialize)]
pub(super) struct DownloadForm {
    #[serde(default)]
    email: String,
}

pub(super) async fn download(
    ctx: PageCtx,
    State(state): State<PagesState>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DownloadForm>,
) -> Result<Response, PageError> {
    let file = match current(&state, &ctx, &id).await? {
        Ok(file) => file,
        Err(response) => return Ok(response),
    };
    if file.confirm_email {
        if state.attempts.blocked(file.id) {
            return Ok(gone(ctx, StatusCode::TOO_MANY_REQUESTS, "notify-file-blocked-title", "notify-file-blocked"));
        }
        let typed = form.email.trim();
        if typed.is_empty() {
            let error = ctx.t("notify-file-email-missing");
            return page(&state, ctx, &file, form.email, Some(error)).await;
        }
        if !matches_recipient(typed, file.recipient_hash.as_deref()) {
            state.attempts.failed(file.id);
            let error = ctx.t("notify-file-email-wrong");
            return page(&state, ctx, &file, form.email, Some(error)).await;
        }
        state.attempts.succeeded(file.id);
    }
    let bytes = state
        .kernel
        .keys()
        .master()
        .decrypt(file.id.as_bytes(), &file.sealed)
        .map_err(|_| Error::internal("a file sent by email cannot be opened with this master key"))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let mime = HeaderValue::from_str(&file.mime_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, mime);
    if let Ok(value) = HeaderValue::from_str(&disposition(&filename(&file))) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Whether `typed` is the address the file was sent to (compared as the sender stored it:
/// the SHA-256 of the normalised address), in constant time.
fn matches_recipient(typed: &str, hash: Option<&[u8]>) -> bool {
    let Some(hash) = hash else {
        return false;
    };
    let valid = recipient::validate_email(typed).unwrap_or_else(|_| typed.to_string());
    constant_time_eq(&sha256(recipient::normalise_email(&valid).as_bytes()), hash)
}

/// The file's name, or `file.<extension>` of its type when it was sent without one.
fn filename(file: &FileRow) -> String {
    file.filename.clone().unwrap_or_else(|| {
        let ext = ALLOWED_EXTENSIONS.iter().find(|(_, mime)| *mime == file.mime_type).map(|(e, _)| *e).unwrap_or("bin");
        format!("file.{ext}")
    })
}

/// `Content-Disposition: attachment` with an ASCII name for old clients and the exact name in
/// RFC 8187 encoding (`filename*=UTF-8''…`).
fn disposition(name: &str) -> String {
    let plain: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || " .-_()".contains(c) { c } else { '_' }).collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_match_as_the_sender_stored_them() {
        let hash = sha256(b"citizen@example.org").to_vec();
        assert!(matches_recipient("Citizen@Example.ORG ", Some(&hash)));
        assert!(!matches_recipient("other@example.org", Some(&hash)));
        assert!(!matches_recipient("citizen@example.org", None));
    }

    #[test]
    fn names_are_safe_in_the_header_and_exact_in_the_encoded_form() {
        assert_eq!(
            disposition("Relevé \"mars\".pdf"),
            "attachment; filename=\"Relev_ _mars_.pdf\"; filename*=UTF-8''Relev%C3%A9%20%22mars%22.pdf"
        );
        assert_eq!(disposition("a;b\r\n.txt"), "attachment; filename=\"a_b__.txt\"; filename*=UTF-8''a%3Bb%0D%0A.txt");
    }

    #[test]
    fn failures_block_a_file_until_a_success() {
        let attempts = Attempts::default();
        let id = uuid::Uuid::new_v4();
        let other = uuid::Uuid::new_v4();
        for _ in 0..MAX_FAILURES - 1 {
            attempts.failed(id);
        }
        assert!(!attempts.blocked(id));
        attempts.failed(id);
        assert!(attempts.blocked(id));
        assert!(!attempts.blocked(other), "counted per file");
        attempts.succeeded(id);
        assert!(!attempts.blocked(id));
    }
}
