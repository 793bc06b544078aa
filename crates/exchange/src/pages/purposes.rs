//! Purposes: the organisation's own (as consumer) and those declared for its e-services (as
//! provider, waiting for approval first), each with the steps it may take now; the form that
//! declares a purpose for one of the organisation's active agreements; a purpose's page with
//! its declaration, state, history and step forms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::agreements::{HistoryRow, history};
use super::names::Names;
use super::steps::{self, RowStep, Shown, StepForm, StepInput};
use super::{Done, FieldError, PagesState, When, actor, caller, can_act, counted, number, path_id, state_label};
use crate::domain::{AgreementState, Party, Purpose, PurposeState};
use crate::service::NewPurpose;

const AGREEMENT: &str = "purpose-agreement";
const TITLE: &str = "purpose-title";
const DESCRIPTION: &str = "purpose-description";
const LEGAL_BASIS: &str = "purpose-legal-basis";
const DAILY_CALLS: &str = "purpose-daily-calls";
const CONFIDENTIAL_DAYS: &str = "purpose-confidential-days";

/// One purpose in a list.
struct Row {
    id: Uuid,
    cell: String,
    title: String,
    eservice: String,
    /// The other party's organisation.
    party: String,
    subsystem: String,
    legal_basis: String,
    daily_calls: String,
    state: &'static str,
    state_label: String,
    steps: Vec<RowStep>,
}

async fn rows(
    ctx: &PageCtx,
    names: &mut Names<'_>,
    staff: &StaffSession,
    list: Vec<Purpose>,
    side: Party,
) -> Result<Vec<Row>, PageError> {
    let caller = caller(staff);
    let member = can_act(staff);
    let mut out = Vec::with_capacity(list.len());
    for p in list {
        let other = if side == Party::Provider { p.consumer_org } else { p.provider_org };
        let allowed = if member { steps::purpose_steps(&caller, &p) } else { Vec::new() };
        out.push(Row {
            cell: format!("{}-{}", side.as_str(), p.id),
            id: p.id,
            eservice: names.eservice_label(p.eservice_id).await?.0,
            party: names.org(other).await?,
            subsystem: names.subsystem_id(p.consumer_subsystem_id).await?,
            title: p.title,
            legal_basis: p.legal_basis,
            daily_calls: number(ctx.lang, p.daily_calls),
            state: p.state.as_str(),
            state_label: state_label(ctx, p.state.as_str()),
            steps: steps::row_steps(ctx, &allowed),
        });
    }
    Ok(out)
}

/// What the declaration form sends.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct PurposeInput {
    #[serde(default)]
    agreement: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    daily_calls: String,
    #[serde(default)]
    confidential_days: String,
}

#[derive(Template)]
#[template(path = "exchange/purposes.html", config = "templates/askama.toml")]
struct ListPage {
    ctx: PageCtx,
    own: Vec<Row>,
    provided: Vec<Row>,
    can_create: bool,
    /// The organisation's active agreements: id and what they are for.
    agreements: Vec<(Uuid, String)>,
    /// What was sent, when the form comes back with problems.
    form: PurposeInput,
    errors: Vec<FieldError>,
}

impl ListPage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }

    /// The `aria-describedby` of an input: its hint and, when there is one, its error.
    fn described(&self, id: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{id}-hint"));
        }
        if self.error(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }
}

async fn list_page(
    state: &PagesState,
    ctx: PageCtx,
    staff: &StaffSession,
    input: PurposeInput,
    mut errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let caller = caller(staff);
    let mut names = Names::new(state);
    names.know_eservices(&state.exchange.eservices(None).await?);
    let own = state.exchange.purposes(&caller, Party::Consumer, None).await?;
    let mut provided = state.exchange.purposes(&caller, Party::Provider, None).await?;
    provided.sort_by_key(|p| p.state != PurposeState::WaitingForApproval);
    let mut agreements = Vec::new();
    for a in state.exchange.agreements(&caller, Party::Consumer, Some(AgreementState::Active)).await? {
        let (title, xroad) = names.eservice_label(a.eservice_id).await?;
        let subsystem = names.subsystem_id(a.consumer_subsystem_id).await?;
        let label = ctx.t_args(
            "exchange-purpose-agreement-option",
            &[("eservice", title), ("service", xroad), ("subsystem", subsystem)],
        );
        agreements.push((a.id, label));
    }
    if agreements.is_empty() {
        // Without an active agreement the form is not shown: point at the explanation.
        errors.iter_mut().for_each(|e| e.id = "create-heading".into());
    }
    let page = ListPage {
        own: rows(&ctx, &mut names, staff, own, Party::Consumer).await?,
        provided: rows(&ctx, &mut names, staff, provided, Party::Provider).await?,
        can_create: can_act(staff),
        agreements,
        form: input,
        errors,
        ctx,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
}

pub(super) async fn list(Staff(ctx, staff): Staff, State(state): State<PagesState>) -> Result<Response, PageError> {
    list_page(&state, ctx, &staff, PurposeInput::default(), Vec::new()).await
}

/// The declaration, checked by the page: the problems it finds, in the page's language.
async fn checked(
    state: &PagesState,
    ctx: &PageCtx,
    staff: &StaffSession,
    input: &PurposeInput,
) -> Result<NewPurpose, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut agreement = None;
    match Uuid::try_parse(input.agreement.trim()) {
        Ok(id) => match crate::store::agreements::get(state.kernel.db(), id).await {
            Ok(Some(a)) if a.consumer_org == staff.org_id && a.state == AgreementState::Active => agreement = Some(a),
            Ok(_) => errors.push(FieldError::local(AGREEMENT, ctx.t("exchange-error-agreement"))),
            Err(e) => errors.push(FieldError::service(ctx, AGREEMENT, e.to_string())),
        },
        Err(_) => errors.push(FieldError::local(AGREEMENT, ctx.t("exchange-error-agreement"))),
    }
    if input.title.trim().is_empty() {
        errors.push(FieldError::local(TITLE, ctx.t("exchange-error-purpose-title")));
    }
    if input.legal_basis.trim().is_empty() {
        errors.push(FieldError::local(LEGAL_BASIS, ctx.t("exchange-error-legal-basis")));
    }
    let daily_calls = match input.daily_calls.trim().replace([',', ' ', '\u{202f}', '\u{a0}'], "").parse::<i64>() {
        Ok(n) if n >= 1 => n,
        _ => {
            errors.push(FieldError::local(DAILY_CALLS, ctx.t("exchange-error-daily-calls")));
            0
        }
    };
    let confidential_days = match input.confidential_days.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Some(n),
            _ => {
                errors.push(FieldError::local(CONFIDENTIAL_DAYS, ctx.t("exchange-error-confidential-days")));
                None
            }
        },
    };
    match agreement {
        Some(a) if errors.is_empty() => Ok(NewPurpose {
            eservice_id: a.eservice_id,
            consumer_subsystem_id: a.consumer_subsystem_id,
            title: input.title.clone(),
            description: input.description.clone(),
            legal_basis: input.legal_basis.clone(),
            daily_calls,
            confidential_days,
        }),
        _ => Err(errors),
    }
}

/// The input a service's complaint about `field` is shown next to.
fn input_of(field: &str) -> &'static str {
    match field {
        "title" => TITLE,
        "description" => DESCRIPTION,
        "legal_basis" => LEGAL_BASIS,
        "daily_calls" => DAILY_CALLS,
        "confidential_days" => CONFIDENTIAL_DAYS,
        _ => AGREEMENT,
    }
}

pub(super) async fn create(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    axum::Form(input): axum::Form<PurposeInput>,
) -> Result<Response, PageError> {
    actor(&staff)?;
    let new = match checked(&state, &ctx, &staff, &input).await {
        Ok(new) => new,
        Err(errors) => return list_page(&state, ctx, &staff, input, errors).await,
    };
    match state.exchange.create_purpose(&caller(&staff), new).await {
        Ok(p) => Ok(Redirect::to(&format!("/exchange/purposes/{}?done=created", p.id)).into_response()),
        Err(Error::Invalid { field, message }) => {
            let error = FieldError::service(&ctx, input_of(&field), message);
            list_page(&state, ctx, &staff, input, vec![error]).await
        }
        Err(Error::Conflict(message)) => {
            let error = FieldError::service(&ctx, AGREEMENT, message);
            list_page(&state, ctx, &staff, input, vec![error]).await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Template)]
#[template(path = "exchange/purpose.html", config = "templates/askama.toml")]
struct PurposePage {
    ctx: PageCtx,
    crumbs: Vec<(String, String)>,
    purpose: Purpose,
    eservice: String,
    eservice_xroad: String,
    provider: String,
    consumer: String,
    subsystem: String,
    daily_calls: String,
    /// How long the calls stay hidden from the people concerned, in words.
    confidential: Option<String>,
    state_label: String,
    created: When,
    updated: When,
    notice: Option<String>,
    post_base: String,
    forms: Vec<StepForm>,
    history: Vec<HistoryRow>,
    errors: Vec<FieldError>,
}

async fn page(
    state: &PagesState,
    ctx: PageCtx,
    staff: &StaffSession,
    id: Uuid,
    shown: Shown<'_>,
) -> Result<Response, PageError> {
    let Shown { notice, submitted, mut errors, status } = shown;
    let caller = caller(staff);
    let (p, transitions) = state.exchange.purpose(&caller, id).await?;
    let mut names = Names::new(state);
    let (eservice, eservice_xroad) = names.eservice_label(p.eservice_id).await?;
    let allowed = if can_act(staff) { steps::purpose_steps(&caller, &p) } else { Vec::new() };
    let forms = steps::forms(&ctx, "purpose", &allowed, submitted, &mut errors);
    let page = PurposePage {
        crumbs: vec![("/exchange/purposes".into(), ctx.t("exchange-purposes-title")), (String::new(), p.title.clone())],
        provider: names.org(p.provider_org).await?,
        consumer: names.org(p.consumer_org).await?,
        subsystem: names.subsystem_id(p.consumer_subsystem_id).await?,
        daily_calls: number(ctx.lang, p.daily_calls),
        confidential: p.confidential_days.map(|d| counted(&ctx, "exchange-days", d)),
        state_label: state_label(&ctx, p.state.as_str()),
        created: When::of(p.created_at),
        updated: When::of(p.updated_at),
        notice,
        post_base: format!("/exchange/purposes/{}", p.id),
        forms,
        history: history(&ctx, &mut names, transitions).await?,
        eservice,
        eservice_xroad,
        purpose: p,
        errors,
        ctx,
    };
    Ok((status, render(&page)).into_response())
}

pub(super) async fn show(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let id = path_id(&id, "purpose")?;
    let notice = done.notice(&ctx);
    page(&state, ctx, &staff, id, Shown::plain(notice)).await
}

pub(super) async fn step(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((id, name)): Path<(String, String)>,
    axum::Form(input): axum::Form<StepInput>,
) -> Result<Response, PageError> {
    actor(&staff)?;
    let id = path_id(&id, "purpose")?;
    let step = steps::purpose_step(&name).ok_or_else(|| PageError(Error::not_found("purpose step")))?;
    let name = name.as_str();
    let answer = state.exchange.purpose_step(&caller(&staff), id, step, Some(&input.reason)).await;
    match steps::outcome(&ctx, &format!("/exchange/purposes/{id}"), name, &input, answer)? {
        Ok(done) => Ok(done),
        Err(shown) => page(&state, ctx, &staff, id, shown).await,
    }
}
