//! The person's preview page `/exchange/evidence/{id}`: who asks (organisation, service,
//! information system, purpose, legal basis, reason), which data items and the data itself,
//! and a form to agree or refuse (CSRF-checked) that sends the browser back to the service.
//! Only the person the request is about gets past [`person::identify`]: a visitor not signed
//! in (or not verified) is sent to the identity provider and comes back; someone else signed
//! in is told the request is not theirs, without a word of whose it is. Plain HTML that works
//! without JavaScript, in every language Publica speaks. Every answer is
//! `Cache-Control: no-store`: it shows personal data.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::Kernel;
use publica_kernel::citizen::{self, Citizen};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::web::{Page, PageCtx, PageError, render};
use serde::Deserialize;
use uuid::Uuid;

use super::model::{Decision, EvidenceRequest, EvidenceStatus, Unusable};
use super::person::{self, Visitor};
use super::service::{self, Decided, Preview, Unavailable};
use super::view::{self, Row, Shown, Words};
use super::{PAGE_PREFIX, store};
use crate::service::Exchange;

/// What the page handlers receive.
#[derive(Clone)]
pub struct EvidencePages {
    kernel: Kernel,
    exchange: Arc<Exchange>,
}

impl EvidencePages {
    pub fn new(kernel: Kernel, exchange: Arc<Exchange>) -> EvidencePages {
        EvidencePages { kernel, exchange }
    }

    fn t(&self, ctx: &PageCtx, id: &str, args: &[(&str, &str)]) -> String {
        let args: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.kernel.i18n().t_args(ctx.lang, id, &args)
    }
}

impl FromRef<EvidencePages> for Kernel {
    fn from_ref(state: &EvidencePages) -> Kernel {
        state.kernel.clone()
    }
}

#[derive(Template)]
#[template(path = "evidence/preview.html", config = "templates/askama.toml")]
struct PreviewPage {
    ctx: PageCtx,
    action: String,
    lead: String,
    who: Vec<Row>,
    source: String,
    items: Vec<String>,
    rows: Vec<Row>,
    rows_cut: bool,
    text: Option<String>,
    opaque: Option<String>,
    deadline: String,
    /// The digest to approve; none when the data cannot be sent.
    digest: Option<String>,
    /// Why there is nothing to agree to.
    problem: Option<String>,
    /// Shown above everything (the page was reloaded elsewhere).
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "evidence/status.html", config = "templates/askama.toml")]
struct StatusPage {
    ctx: PageCtx,
    title: String,
    body: String,
    /// A link onwards: its address and its words.
    link: Option<(String, String)>,
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: Option<String>,
    digest: Option<String>,
}

/// Personal data: never stored by browsers or proxies.
fn private(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn page_path(id: Uuid) -> String {
    format!("{PAGE_PREFIX}/{id}")
}

fn format_time(at: Timestamp) -> String {
    let t = at.inner().to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

async fn load(state: &EvidencePages, id: &str) -> Result<EvidenceRequest, PageError> {
    let id = Uuid::try_parse(id).map_err(|_| Error::not_found("evidence request"))?;
    Ok(store::get(state.kernel.db(), id).await?.ok_or_else(|| Error::not_found("evidence request"))?)
}

/// No identity provider runs here, so nobody can be recognised as the person.
fn sign_in_unavailable(state: &EvidencePages, ctx: PageCtx) -> Response {
    let page = Page {
        title: state.t(&ctx, "exchange-evidence-unavailable-title", &[]),
        paragraphs: vec![
            state.t(&ctx, "exchange-evidence-unavailable-body", &[]),
            state.t(&ctx, "exchange-evidence-unavailable-later", &[]),
        ],
        paragraphs_lang: None,
        ctx,
    };
    (StatusCode::SERVICE_UNAVAILABLE, render(&page)).into_response()
}

/// Someone signed in who is not the person: nothing about the request, and a way to sign in
/// as the person.
fn someone_else(state: &EvidencePages, ctx: PageCtx, id: Uuid) -> Response {
    let again = citizen::sign_in_again_url(&state.kernel, &page_path(id), &person::NEED);
    let page = StatusPage {
        title: state.t(&ctx, "exchange-evidence-other-title", &[]),
        body: state.t(&ctx, "exchange-evidence-other-body", &[]),
        link: again.map(|to| (to, state.t(&ctx, "exchange-evidence-other-sign-in", &[]))),
        ctx,
    };
    (StatusCode::FORBIDDEN, render(&page)).into_response()
}

/// The person the request is about, or the answer for anyone else.
async fn the_person(
    state: &EvidencePages,
    ctx: &PageCtx,
    request: &EvidenceRequest,
    headers: &HeaderMap,
) -> Result<Result<Citizen, Response>, PageError> {
    let back = page_path(request.id);
    Ok(match person::identify(&state.kernel, request, headers, &back).await? {
        Visitor::Person(citizen) => Ok(citizen),
        Visitor::SignIn(to) => Err(Redirect::to(&to).into_response()),
        Visitor::SomeoneElse => Err(someone_else(state, ctx.clone(), request.id)),
        Visitor::SignInUnavailable => Err(sign_in_unavailable(state, ctx.clone())),
    })
}

/// A decided or expired request.
fn closed(state: &EvidencePages, ctx: PageCtx, request: &EvidenceRequest, status: EvidenceStatus) -> Response {
    let org = request.consumer_name.as_str();
    let (title, body, decision) = match status {
        EvidenceStatus::Approved => {
            ("exchange-evidence-approved-title", "exchange-evidence-approved-body", Some(EvidenceStatus::Approved))
        }
        EvidenceStatus::Refused => {
            ("exchange-evidence-refused-title", "exchange-evidence-refused-body", Some(EvidenceStatus::Refused))
        }
        _ => ("exchange-evidence-expired-title", "exchange-evidence-expired-body", None),
    };
    render(&StatusPage {
        title: state.t(&ctx, title, &[]),
        body: state.t(&ctx, body, &[("organisation", org)]),
        link: Some((service::return_to(request, decision), state.t(&ctx, "exchange-evidence-back", &[]))),
        ctx,
    })
}

/// The preview itself: the data is fetched now and kept sealed for the decision.
async fn preview(
    state: &EvidencePages,
    ctx: PageCtx,
    request: &EvidenceRequest,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let r = request;
    let t = |id: &str| state.t(&ctx, id, &[]);
    let row = |id: &str, value: &str| Row { label: t(id), value: value.to_string() };
    let who = vec![
        row("exchange-evidence-organisation", &r.consumer_name),
        row("exchange-evidence-service", &r.requester_title),
        row("exchange-evidence-system", &format!("{} ({})", r.subsystem_title, r.client)),
        row("exchange-evidence-reason", &r.reason),
        row("exchange-evidence-purpose", &r.purpose_title),
        row("exchange-evidence-legal-basis", &r.legal_basis),
    ];
    let provider = r.provider_name.as_str();
    let deadline = format_time(r.expires_at);
    let mut page = PreviewPage {
        action: page_path(r.id),
        lead: state.t(&ctx, "exchange-evidence-lead", &[("requester", &r.consumer_name)]),
        who,
        source: state.t(&ctx, "exchange-evidence-source", &[("provider", provider), ("eservice", &r.eservice_title)]),
        items: Vec::new(),
        rows: Vec::new(),
        rows_cut: false,
        text: None,
        opaque: None,
        deadline: state.t(&ctx, "exchange-evidence-deadline", &[("deadline", &deadline)]),
        digest: None,
        problem: None,
        notice,
        ctx: ctx.clone(),
    };
    match service::preview(&state.exchange, r).await? {
        Preview::Unavailable(why) => {
            page.problem = Some(match why {
                Unavailable::ServiceClosed | Unavailable::NotAuthorised => t("exchange-evidence-closed"),
                Unavailable::ProviderFailed(detail) => {
                    tracing::warn!(request = %r.id, detail, "evidence preview: the provider did not answer");
                    state.t(&ctx, "exchange-evidence-failed", &[("provider", provider)])
                }
            });
        }
        Preview::Shown { snapshot, digest } => {
            let (yes, no, none) = (t("exchange-evidence-yes"), t("exchange-evidence-no"), t("exchange-evidence-none"));
            match view::show(&snapshot, &Words { yes: &yes, no: &no, none: &none }) {
                Shown::Rows { rows, cut } => {
                    page.rows = rows;
                    page.rows_cut = cut;
                }
                Shown::Text(text) => page.text = Some(text),
                Shown::Opaque { content_type, bytes } => {
                    page.opaque = Some(state.t(
                        &ctx,
                        "exchange-evidence-opaque",
                        &[("type", &content_type), ("bytes", &bytes.to_string())],
                    ))
                }
            }
            page.items = snapshot.data_items.clone();
            match snapshot.refusal(&r.national_id) {
                None => page.digest = Some(digest),
                Some(Unusable::NoData) => {
                    page.rows.clear();
                    page.text = None;
                    page.opaque = None;
                    page.problem = Some(state.t(&ctx, "exchange-evidence-no-data", &[("provider", provider)]));
                }
                Some(Unusable::NotYours) => {
                    page.rows.clear();
                    page.text = None;
                    page.opaque = None;
                    page.items.clear();
                    page.problem = Some(t("exchange-evidence-not-yours"));
                }
            }
        }
    }
    Ok(render(&page))
}

/// `GET /exchange/evidence/{id}`.
pub async fn show(
    State(state): State<EvidencePages>,
    ctx: PageCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    private(match show_inner(&state, ctx, &id, &headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    })
}

async fn show_inner(state: &EvidencePages, ctx: PageCtx, id: &str, headers: &HeaderMap) -> Result<Response, PageError> {
    let request = load(state, id).await?;
    if let Err(response) = the_person(state, &ctx, &request, headers).await? {
        return Ok(response);
    }
    let now = Timestamp::now();
    match request.status_at(now) {
        EvidenceStatus::Pending => preview(state, ctx, &request, None).await,
        status => {
            if status == EvidenceStatus::Expired && request.status != EvidenceStatus::Expired {
                store::expire(state.kernel.db(), request.id, now).await?;
            }
            Ok(closed(state, ctx, &request, status))
        }
    }
}

/// `POST /exchange/evidence/{id}`: agree or refuse, then back to the service (303).
pub async fn decide(
    State(state): State<EvidencePages>,
    ctx: PageCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    private(match decide_inner(&state, ctx, &id, &headers, form).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    })
}

async fn decide_inner(
    state: &EvidencePages,
    ctx: PageCtx,
    id: &str,
    headers: &HeaderMap,
    form: DecisionForm,
) -> Result<Response, PageError> {
    let request = load(state, id).await?;
    let person = match the_person(state, &ctx, &request, headers).await? {
        Ok(person) => person,
        Err(response) => return Ok(response),
    };
    let decision = match form.decision.as_deref() {
        Some("approve") => Decision::Approve,
        Some("refuse") => Decision::Refuse,
        _ => {
            let notice = state.t(&ctx, "exchange-evidence-bad-decision", &[]);
            let page = preview(state, ctx, &request, Some(notice)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match service::decide(&state.exchange, &request, &person, decision, form.digest.as_deref()).await? {
        Decided::Done(status) => Ok(Redirect::to(&service::return_to(&request, Some(status))).into_response()),
        Decided::Stale => {
            let current = store::get(state.kernel.db(), request.id).await?.unwrap_or(request);
            let notice = state.t(&ctx, "exchange-evidence-changed", &[]);
            let page = preview(state, ctx, &current, Some(notice)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Decided::Closed(status) => Ok((StatusCode::CONFLICT, closed(state, ctx, &request, status)).into_response()),
    }
}
