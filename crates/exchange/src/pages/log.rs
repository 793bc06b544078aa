//! The message log: a GET form of filters (client, service, status, date range, request id),
//! the entries newest first a page at a time (keyset paging by sequence number), and an
//! entry's page with all its metadata, its hashes and, when they were kept, the bodies.
//!
//! Visibility: staff see the calls their organisation made or answered, list and entries
//! alike; the platform operator sees every call and can verify the whole log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};

use super::names::Names;
use super::{FieldError, PagesState, When, counted, log_query};
use crate::log::{self, LogFilter, LogListItem};
use publica_kernel::web::form::{DayEnd, instant, query};

/// Entries on one page.
const PAGE_SIZE: i64 = 50;

/// Whether the staff member sees the whole log.
fn operator(staff: &StaffSession) -> bool {
    staff.org_kind == OrgKind::Platform
}

/// The filters as typed, sent back into the form.
#[derive(Clone, Debug, Default)]
struct Filters {
    client: String,
    service: String,
    status: String,
    from: String,
    to: String,
    request_id: String,
}

impl Filters {
    fn of(params: &[(String, String)]) -> Filters {
        let param = |key: &str| {
            params.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
        };
        Filters {
            client: param("client"),
            service: param("service"),
            status: param("status"),
            from: param("from"),
            to: param("to"),
            request_id: param("request_id"),
        }
    }

    fn any(&self) -> bool {
        [&self.client, &self.service, &self.status, &self.from, &self.to, &self.request_id]
            .iter()
            .any(|v| !v.is_empty())
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("client", &self.client),
            ("service", &self.service),
            ("status", &self.status),
            ("from", &self.from),
            ("to", &self.to),
            ("request_id", &self.request_id),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// The log filter, or the problems with what was typed, each naming its input.
    fn checked(&self, ctx: &PageCtx) -> Result<LogFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let parts = |text: &str, n: usize| {
            let parts: Vec<&str> = text.split('/').collect();
            parts.len() == n && parts.iter().all(|p| !p.is_empty())
        };
        if !self.client.is_empty() && !parts(&self.client, 4) {
            errors.push(FieldError::local("log-client", ctx.t("exchange-error-client")));
        }
        if !self.service.is_empty() && !parts(&self.service, 5) {
            errors.push(FieldError::local("log-service", ctx.t("exchange-error-service")));
        }
        let status = match self.status.as_str() {
            "" => None,
            text => match text.parse::<u16>() {
                Ok(n) if (100..=599).contains(&n) => Some(n),
                _ => {
                    errors.push(FieldError::local("log-status", ctx.t("exchange-error-status")));
                    None
                }
            },
        };
        let from = instant(&self.from, DayEnd::Start).unwrap_or_else(|()| {
            errors.push(FieldError::local("log-from", ctx.t("exchange-error-date")));
            None
        });
        let to = instant(&self.to, DayEnd::After).unwrap_or_else(|()| {
            errors.push(FieldError::local("log-to", ctx.t("exchange-error-date")));
            None
        });
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            errors.push(FieldError::local("log-to", ctx.t("exchange-error-date-order")));
        }
        if self.request_id.chars().count() > 200 {
            errors.push(FieldError::local("log-request-id", ctx.t("exchange-error-request-id")));
        }
        let text = |v: &str| (!v.is_empty()).then(|| v.to_string());
        if errors.is_empty() {
            Ok(LogFilter {
                client: text(&self.client),
                service: text(&self.service),
                status,
                from,
                to,
                request_id: text(&self.request_id),
            })
        } else {
            Err(errors)
        }
    }
}

/// One entry in the list.
struct Row {
    seq: i64,
    at: When,
    client: String,
    service: String,
    method: String,
    path: String,
    status: u16,
    request_id: String,
}

#[derive(Template)]
#[template(path = "exchange/log.html", config = "templates/askama.toml")]
struct LogPage {
    ctx: PageCtx,
    operator: bool,
    filters: Filters,
    filtered: bool,
    rows: Vec<Row>,
    summary: String,
    next: Option<String>,
    /// The first page with the same filters, when this is a later one.
    first: Option<String>,
    /// The result of verifying the whole log, when asked: intact, and the summary.
    verified: Option<(bool, String)>,
    errors: Vec<FieldError>,
}

impl LogPage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }

    /// The `aria-describedby` of a filter: its hint and, when there is one, its error.
    fn described(&self, id: &str) -> String {
        let mut ids = vec![format!("{id}-hint")];
        if self.error(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }
}

pub(super) async fn list(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let operator = operator(&staff);
    let filters = Filters::of(&params);
    let before = params.iter().rev().find(|(k, _)| k == "before").and_then(|(_, v)| v.trim().parse::<i64>().ok());
    let verify = operator && params.iter().any(|(k, v)| k == "verify" && v == "1");
    let verified = if verify { Some(log::verify_summary(state.kernel.db(), state.kernel.keys()).await?) } else { None };
    let (mut items, errors) = match filters.checked(&ctx) {
        Ok(filter) => {
            let db = state.kernel.db();
            let items = if operator {
                log::list(db, &filter, before, PAGE_SIZE + 1).await?
            } else {
                log::list::list_for(db, staff.org_id, &filter, before, PAGE_SIZE + 1).await?
            };
            (items, Vec::new())
        }
        Err(errors) => (Vec::new(), errors),
    };
    let mut next = None;
    if items.len() as i64 > PAGE_SIZE {
        items.truncate(PAGE_SIZE as usize);
        if let Some(last) = items.last() {
            let seq = last.seq.to_string();
            let mut pairs = filters.pairs();
            pairs.push(("before", &seq));
            next = Some(format!("/exchange/log?{}", query(pairs)));
        }
    }
    let first = before.map(|_| {
        let q = query(filters.pairs());
        if q.is_empty() { "/exchange/log".to_string() } else { format!("/exchange/log?{q}") }
    });
    let summary = match items.len() {
        0 => ctx.t("exchange-log-none"),
        n => counted(&ctx, "exchange-log-count", n as i64),
    };
    let rows = items
        .into_iter()
        .map(|e| Row {
            seq: e.seq,
            at: When::of(e.at),
            client: e.client,
            service: e.service,
            method: e.method,
            path: e.path,
            status: e.status,
            request_id: e.request_id,
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page =
        LogPage { operator, filtered: filters.any(), filters, rows, summary, next, first, verified, errors, ctx };
    Ok((status, render(&page)).into_response())
}

/// A body as the entry page shows it: text (JSON indented), or Base64 when it is not text.
struct Body {
    text: String,
    base64: bool,
    /// Its size, in words.
    size: String,
}

impl Body {
    fn of(ctx: &PageCtx, bytes: Vec<u8>) -> Body {
        let size = counted(ctx, "exchange-bytes", bytes.len() as i64);
        match String::from_utf8(bytes) {
            Ok(text) => {
                let text = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or(text);
                Body { text, base64: false, size }
            }
            Err(e) => Body { text: STANDARD.encode(e.into_bytes()), base64: true, size },
        }
    }
}

#[derive(Template)]
#[template(path = "exchange/log_entry.html", config = "templates/askama.toml")]
struct EntryPage {
    ctx: PageCtx,
    crumbs: Vec<(String, String)>,
    entry: LogListItem,
    at: When,
    consumer: Option<String>,
    provider: Option<String>,
    eservice: Option<String>,
    /// Whether the staff member's organisation is a party, so the agreement and purpose pages
    /// open for them.
    party: bool,
    prev_hash: String,
    hash: String,
    request_body: Option<Body>,
    response_body: Option<Body>,
}

pub(super) async fn show(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(seq): Path<String>,
) -> Result<Response, PageError> {
    let not_found = || PageError(Error::not_found("message log entry"));
    let seq = seq.parse::<i64>().map_err(|_| not_found())?;
    let db = state.kernel.db();
    let entry = log::get(db, seq).await?.ok_or_else(not_found)?;
    let involved = log::list::involves(db, seq, staff.org_id).await?;
    if !involved && !operator(&staff) {
        return Err(not_found());
    }
    let mut names = Names::new(&state);
    let agreement = crate::store::agreements::get(db, entry.agreement_id).await?;
    let consumer = match &agreement {
        Some(a) => Some(names.org(a.consumer_org).await?),
        None => None,
    };
    let eservice = names.eservice(entry.eservice_id).await?;
    let provider = match &eservice {
        Some(e) => Some(names.org(e.provider_org).await?),
        None => None,
    };
    let (prev_hash, hash) = log_query::chain(db, seq).await?.ok_or_else(not_found)?;
    let (request_body, response_body) = if entry.has_bodies {
        let bodies = log::bodies(db, state.kernel.keys(), seq).await?.ok_or_else(not_found)?;
        (bodies.request.map(|b| Body::of(&ctx, b)), bodies.response.map(|b| Body::of(&ctx, b)))
    } else {
        (None, None)
    };
    let page = EntryPage {
        crumbs: vec![
            ("/exchange/log".into(), ctx.t("exchange-log-title")),
            (String::new(), ctx.t1("exchange-log-entry-title", "seq", &seq.to_string())),
        ],
        at: When::of(entry.at),
        consumer,
        provider,
        eservice: eservice.map(|e| e.title),
        party: involved,
        prev_hash: STANDARD.encode(prev_hash),
        hash: STANDARD.encode(hash),
        request_body,
        response_body,
        entry,
        ctx,
    };
    Ok(render(&page))
}
