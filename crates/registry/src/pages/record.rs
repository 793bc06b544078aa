//! A record's page: its data now, or as the register said it at another time (valid time and
//! transaction time), and its history as a timeline, newest first, each version with what
//! changed field by field since the version before.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use publica_kernel::db::Timestamp;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;

use super::data::{self, Words};
use super::diff::diff;
use super::{FieldError, PagesState, RegisterHead, When, can_write, reader};
use crate::domain::{AsOf, ChangeKind, Record};
use publica_kernel::web::form::{DayEnd, instant};

/// A field that differs from the version before.
struct ChangeRow {
    pointer: String,
    before: String,
    after: String,
}

/// One version in the timeline.
struct Version {
    number: usize,
    /// "Version 3", and the caption of its table of changes.
    heading: String,
    caption: String,
    kind: &'static str,
    kind_label: String,
    valid_from: When,
    valid_to: Option<When>,
    recorded: When,
    superseded: Option<When>,
    reason: Option<String>,
    /// Whether this version holds now, as the register knows it now.
    in_force: bool,
    changes: Vec<ChangeRow>,
    /// What to say instead of (or before) the table of changes.
    note: Option<String>,
}

/// The data shown at the top: now, or as of another time.
struct Shown {
    html: String,
    json: String,
    /// Which version of the timeline it is, said.
    version: String,
}

#[derive(Template)]
#[template(path = "registry/record.html", config = "templates/askama.toml")]
struct RecordPage {
    ctx: PageCtx,
    register: RegisterHead,
    crumbs: Vec<(String, String)>,
    id: String,
    notice: Option<String>,
    /// The "as of" read asked for, described; `None` for now.
    as_of: Option<String>,
    shown: Option<Shown>,
    /// Why nothing is shown (deleted, or not valid at that time).
    absent: String,
    deleted: bool,
    writer: bool,
    valid_at: String,
    known_at: String,
    errors: Vec<FieldError>,
    versions: Vec<Version>,
}

impl RecordPage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }
}

#[derive(Deserialize)]
pub(super) struct RecordQuery {
    #[serde(default)]
    valid_at: String,
    #[serde(default)]
    known_at: String,
    done: Option<String>,
}

fn kind_label(ctx: &PageCtx, kind: ChangeKind) -> String {
    ctx.t(&format!("registry-kind-{}", kind.as_str()))
}

/// The timeline of `history` (ascending by sequence number), newest first.
fn timeline(ctx: &PageCtx, history: &[Record], now: Timestamp) -> Vec<Version> {
    let absent = ctx.t("registry-diff-absent");
    let mut versions = Vec::with_capacity(history.len());
    let mut before: Option<&Record> = None;
    for (i, record) in history.iter().enumerate() {
        let number = i + 1;
        let (changes, note) = match (before, record.kind) {
            (None, _) => (Vec::new(), Some(ctx.t("registry-history-first"))),
            (Some(_), ChangeKind::Deleted) => (Vec::new(), Some(ctx.t("registry-history-deleted"))),
            (Some(previous), _) => {
                let changes: Vec<ChangeRow> = diff(&previous.data, &record.data)
                    .into_iter()
                    .map(|c| ChangeRow {
                        pointer: c.pointer,
                        before: c.before.unwrap_or_else(|| absent.clone()),
                        after: c.after.unwrap_or_else(|| absent.clone()),
                    })
                    .collect();
                let note = match (changes.is_empty(), record.valid_to) {
                    (true, Some(end)) if previous.valid_to.is_none() => Some(ctx.t_args(
                        "registry-history-closes",
                        &[("number", (number - 1).to_string()), ("date", When::of(end).text)],
                    )),
                    (true, _) => Some(ctx.t("registry-history-same")),
                    (false, _) => None,
                };
                (changes, note)
            }
        };
        versions.push(Version {
            number,
            heading: ctx.t1("registry-version-heading", "number", &number.to_string()),
            caption: ctx.t1("registry-diff-caption", "number", &number.to_string()),
            kind: record.kind.as_str(),
            kind_label: kind_label(ctx, record.kind),
            valid_from: When::of(record.valid_from),
            valid_to: record.valid_to.map(When::of),
            recorded: When::of(record.recorded_at),
            superseded: record.superseded_at.map(When::of),
            reason: record.reason.clone(),
            in_force: record.kind != ChangeKind::Deleted
                && record.superseded_at.is_none()
                && record.valid_from <= now
                && record.valid_to.is_none_or(|end| end > now),
            changes,
            note,
        });
        before = Some(record);
    }
    versions.reverse();
    versions
}

/// The "as of" read the query asks for, or the errors naming the inputs at fault.
fn as_of(ctx: &PageCtx, query: &RecordQuery) -> Result<AsOf, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut read = |text: &str, end: DayEnd, id: &str| match instant(text, end) {
        Ok(t) => t,
        Err(()) => {
            errors.push(FieldError { id: id.into(), pointer: None, message: ctx.t("registry-error-date"), lang: None });
            None
        }
    };
    let valid_at = read(&query.valid_at, DayEnd::Start, "asof-valid");
    let known_at = read(&query.known_at, DayEnd::Last, "asof-known");
    if errors.is_empty() { Ok(AsOf { valid_at, known_at }) } else { Err(errors) }
}

pub(super) async fn show(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
    Query(query): Query<RecordQuery>,
) -> Result<Response, PageError> {
    reader(&staff)?;
    let info = state.registry.register(&name).await?;
    let history = state.registry.history(&info.name, &id).await?;
    let now = Timestamp::now();
    let deleted =
        history.iter().any(|r| r.kind == ChangeKind::Deleted && r.superseded_at.is_none() && r.valid_to.is_none());
    let (read, errors) = match as_of(&ctx, &query) {
        Ok(read) => (read, Vec::new()),
        Err(errors) => (AsOf::now(), errors),
    };
    let record = state.registry.get(&info.name, &id, &read).await?;
    let words = Words::of(&ctx);
    let shown = record.map(|r| Shown {
        html: data::html(&r.data, &words),
        json: serde_json::to_string_pretty(&r.data).unwrap_or_default(),
        version: ctx.t1(
            "registry-record-version",
            "number",
            &history.iter().position(|h| h.seq == r.seq).map_or(0, |p| p + 1).to_string(),
        ),
    });
    let described = |t: Option<Timestamp>, id: &str| t.map(|t| ctx.t_args(id, &[("when", When::of(t).text)]));
    let as_of = match (read.valid_at, read.known_at) {
        (None, None) => None,
        (valid, known) => Some(
            [
                described(valid, "registry-asof-valid-at").unwrap_or_else(|| ctx.t("registry-asof-valid-now")),
                described(known, "registry-asof-known-at").unwrap_or_else(|| ctx.t("registry-asof-known-now")),
            ]
            .join(" "),
        ),
    };
    let absent = if as_of.is_some() {
        ctx.t("registry-record-absent-then")
    } else if deleted {
        ctx.t("registry-record-deleted")
    } else {
        ctx.t("registry-record-absent-now")
    };
    let notice = query.done.as_deref().and_then(|d| {
        ["created", "changed", "corrected", "deleted"].contains(&d).then(|| ctx.t(&format!("registry-done-{d}")))
    });
    let versions = timeline(&ctx, &history, now);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = RecordPage {
        register: RegisterHead::of(&info),
        crumbs: vec![(format!("/registry/{}", info.name), info.title.clone()), (String::new(), id.clone())],
        id,
        notice,
        as_of,
        shown,
        absent,
        deleted,
        writer: can_write(&info, &staff),
        valid_at: query.valid_at.trim().to_string(),
        known_at: query.known_at.trim().to_string(),
        errors,
        versions,
        ctx,
    };
    Ok((status, render(&page)).into_response())
}
