//! Agreements: the provider's inbox (pending requests first) and the organisation's own
//! agreements as consumer, each with the steps it may take now; an agreement's page with its
//! parties, state, history and the step forms (a rejection must say why).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use uuid::Uuid;

use super::names::Names;
use super::steps::{self, RowStep, Shown, StepForm, StepInput};
use super::{Done, FieldError, PagesState, When, actor, caller, can_act, path_id, state_label};
use crate::domain::{Agreement, AgreementState, Party, Transition};

/// One agreement in a list.
struct Row {
    id: Uuid,
    /// The id of the cell naming it, which its buttons refer to.
    cell: String,
    eservice: String,
    eservice_xroad: String,
    /// The other party's organisation.
    party: String,
    subsystem: String,
    state: &'static str,
    state_label: String,
    requested: When,
    steps: Vec<RowStep>,
}

async fn rows(
    ctx: &PageCtx,
    names: &mut Names<'_>,
    staff: &StaffSession,
    list: Vec<Agreement>,
    side: Party,
) -> Result<Vec<Row>, PageError> {
    let caller = caller(staff);
    let member = can_act(staff);
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let (eservice, eservice_xroad) = names.eservice_label(a.eservice_id).await?;
        let other = if side == Party::Provider { a.consumer_org } else { a.provider_org };
        let allowed = if member { steps::agreement_steps(&caller, &a) } else { Vec::new() };
        out.push(Row {
            cell: format!("{}-{}", side.as_str(), a.id),
            id: a.id,
            eservice,
            eservice_xroad,
            party: names.org(other).await?,
            subsystem: names.subsystem_id(a.consumer_subsystem_id).await?,
            state: a.state.as_str(),
            state_label: state_label(ctx, a.state.as_str()),
            requested: When::of(a.created_at),
            steps: steps::row_steps(ctx, &allowed),
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "exchange/agreements.html", config = "templates/askama.toml")]
struct ListPage {
    ctx: PageCtx,
    inbox: Vec<Row>,
    own: Vec<Row>,
}

pub(super) async fn list(Staff(ctx, staff): Staff, State(state): State<PagesState>) -> Result<Response, PageError> {
    let caller = caller(&staff);
    let mut names = Names::new(&state);
    names.know_eservices(&state.exchange.eservices(None).await?);
    let mut inbox = state.exchange.agreements(&caller, Party::Provider, None).await?;
    // Pending requests first; otherwise newest first, as listed.
    inbox.sort_by_key(|a| a.state != AgreementState::Pending);
    let own = state.exchange.agreements(&caller, Party::Consumer, None).await?;
    let inbox = rows(&ctx, &mut names, &staff, inbox, Party::Provider).await?;
    let own = rows(&ctx, &mut names, &staff, own, Party::Consumer).await?;
    Ok(render(&ListPage { ctx, inbox, own }))
}

/// One step of a lifecycle, as the history tables show it.
pub(crate) struct HistoryRow {
    pub at: When,
    pub actor: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
    /// Reasons Publica gives itself are in English: said so when the page is not.
    pub reason_lang: Option<&'static str>,
}

pub(crate) async fn history(
    ctx: &PageCtx,
    names: &mut Names<'_>,
    transitions: Vec<Transition>,
) -> Result<Vec<HistoryRow>, PageError> {
    let mut out = Vec::with_capacity(transitions.len());
    for t in transitions {
        let system = t.actor.starts_with("system:");
        out.push(HistoryRow {
            reason_lang: if system { ctx.english_unless_en() } else { None },
            at: When::of(t.at),
            actor: names.actor(ctx, &t.actor).await?,
            from: t.from.as_deref().map(|s| state_label(ctx, s)),
            to: state_label(ctx, &t.to),
            reason: t.reason,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "exchange/agreement.html", config = "templates/askama.toml")]
struct AgreementPage {
    ctx: PageCtx,
    crumbs: Vec<(String, String)>,
    id: Uuid,
    eservice_id: Uuid,
    eservice: String,
    eservice_xroad: String,
    provider: String,
    consumer: String,
    subsystem: String,
    state_label: String,
    suspended_by_provider: bool,
    suspended_by_consumer: bool,
    created: When,
    updated: When,
    /// The organisation's side: `provider`, `consumer` or both.
    sides: String,
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
    let (a, transitions) = state.exchange.agreement(&caller, id).await?;
    let mut names = Names::new(state);
    let (eservice, eservice_xroad) = names.eservice_label(a.eservice_id).await?;
    let allowed = if can_act(staff) { steps::agreement_steps(&caller, &a) } else { Vec::new() };
    let forms = steps::forms(&ctx, "agreement", &allowed, submitted, &mut errors);
    let mut sides = Vec::new();
    if a.provider_org == staff.org_id {
        sides.push(ctx.t("exchange-side-provider"));
    }
    if a.consumer_org == staff.org_id {
        sides.push(ctx.t("exchange-side-consumer"));
    }
    let page = AgreementPage {
        crumbs: vec![
            ("/exchange/agreements".into(), ctx.t("exchange-agreements-title")),
            (String::new(), ctx.t1("exchange-agreement-title", "eservice", &eservice)),
        ],
        id: a.id,
        eservice_id: a.eservice_id,
        provider: names.org(a.provider_org).await?,
        consumer: names.org(a.consumer_org).await?,
        subsystem: names.subsystem_id(a.consumer_subsystem_id).await?,
        state_label: state_label(&ctx, a.state.as_str()),
        suspended_by_provider: a.suspended_by_provider,
        suspended_by_consumer: a.suspended_by_consumer,
        created: When::of(a.created_at),
        updated: When::of(a.updated_at),
        sides: sides.join(", "),
        notice,
        post_base: format!("/exchange/agreements/{}", a.id),
        forms,
        history: history(&ctx, &mut names, transitions).await?,
        eservice,
        eservice_xroad,
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
    let id = path_id(&id, "agreement")?;
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
    let id = path_id(&id, "agreement")?;
    let step = steps::agreement_step(&name).ok_or_else(|| PageError(Error::not_found("agreement step")))?;
    let name = name.as_str();
    let problem = |error, status| Shown::problem(name, &input, error, status);
    if steps::reason_required(name) && input.reason.trim().is_empty() {
        let error = FieldError::local(&format!("{name}-reason"), ctx.t("exchange-error-reason"));
        return page(&state, ctx, &staff, id, problem(error, StatusCode::UNPROCESSABLE_ENTITY)).await;
    }
    let answer = state.exchange.agreement_step(&caller(&staff), id, step, Some(&input.reason)).await;
    match steps::outcome(&ctx, &format!("/exchange/agreements/{id}"), name, &input, answer)? {
        Ok(done) => Ok(done),
        Err(shown) => page(&state, ctx, &staff, id, shown).await,
    }
}
