//! The catalogue: every active e-service with what a consumer needs to know (provider,
//! identifier, approval policy, quotas, voucher lifetime, required attributes); an
//! e-service's page with its OpenAPI description, the organisation's agreements for it, and
//! the form that asks for an agreement for one of the organisation's subsystems.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::names::Names;
use super::openapi::{self, Operation};
use super::{FieldError, PagesState, When, actor, caller, can_act, counted, path_id, state_label};
use crate::domain::{Backend, EService, EServiceState, Party};

/// The id of the subsystem choice of the agreement request.
const SUBSYSTEM: &str = "request-subsystem";

/// An e-service as the pages describe it.
pub(crate) struct ServiceView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub provider: String,
    pub xroad_id: String,
    pub active: bool,
    pub state_label: String,
    pub approval: String,
    pub approval_hint: String,
    pub quota_consumer: String,
    pub quota_total: String,
    pub lifetime: String,
    pub attributes: Vec<String>,
    pub audience: String,
    pub backend: String,
    /// The HTTP back end's address, shown to the provider's staff only.
    pub backend_url: Option<String>,
    pub published: When,
}

impl ServiceView {
    async fn of(
        ctx: &PageCtx,
        names: &mut Names<'_>,
        e: &EService,
        staff: &StaffSession,
    ) -> Result<ServiceView, PageError> {
        let quota = |q: Option<i64>| match q {
            Some(n) => counted(ctx, "exchange-calls-a-day", n),
            None => ctx.t("exchange-unlimited"),
        };
        let (backend, backend_url) = match &e.backend {
            Backend::RegistryPerson => ("registry-person", None),
            Backend::RegistryBusiness => ("registry-business", None),
            Backend::PersonChecks => ("person-checks", None),
            Backend::Http { base_url } => ("http", (e.provider_org == staff.org_id).then(|| base_url.clone())),
        };
        Ok(ServiceView {
            id: e.id,
            title: e.title.clone(),
            description: e.description.clone(),
            provider: names.org(e.provider_org).await?,
            xroad_id: e.xroad_id.clone(),
            active: e.state == EServiceState::Active,
            state_label: ctx.t(&format!("exchange-eservice-state-{}", e.state.as_str())),
            approval: ctx.t(&format!("exchange-approval-{}", e.approval.as_str())),
            approval_hint: ctx.t(&format!("exchange-approval-{}-hint", e.approval.as_str())),
            quota_consumer: quota(e.daily_quota_per_consumer),
            quota_total: quota(e.daily_quota_total),
            lifetime: counted(ctx, "exchange-seconds", e.voucher_lifetime_seconds),
            attributes: e.required_attributes.clone(),
            audience: e.audience.clone(),
            backend: ctx.t(&format!("exchange-backend-{backend}")),
            backend_url,
            published: When::of(e.created_at),
        })
    }
}

#[derive(Template)]
#[template(path = "exchange/catalogue.html", config = "templates/askama.toml")]
struct CataloguePage {
    ctx: PageCtx,
    services: Vec<ServiceView>,
    summary: String,
}

pub(super) async fn list(Staff(ctx, staff): Staff, State(state): State<PagesState>) -> Result<Response, PageError> {
    let mut names = Names::new(&state);
    let mut services = Vec::new();
    for e in state.exchange.eservices(None).await?.iter().filter(|e| e.state == EServiceState::Active) {
        services.push(ServiceView::of(&ctx, &mut names, e, &staff).await?);
    }
    let summary = counted(&ctx, "exchange-catalogue-count", services.len() as i64);
    Ok(render(&CataloguePage { ctx, services, summary }))
}

/// One of the organisation's agreements for the e-service.
struct OwnAgreement {
    id: Uuid,
    subsystem: String,
    state: String,
}

#[derive(Template)]
#[template(path = "exchange/eservice.html", config = "templates/askama.toml")]
struct ServicePage {
    ctx: PageCtx,
    crumbs: Vec<(String, String)>,
    service: ServiceView,
    doc_title: String,
    doc_version: String,
    operations: Vec<Operation>,
    raw: String,
    agreements: Vec<OwnAgreement>,
    /// Whether the request form is shown: a member of staff, and the e-service is active.
    can_request: bool,
    /// The organisation's subsystems: id and X-Road identifier with title.
    subsystems: Vec<(Uuid, String)>,
    selected: String,
    errors: Vec<FieldError>,
}

impl ServicePage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }
}

async fn page(
    state: &PagesState,
    ctx: PageCtx,
    staff: &StaffSession,
    id: Uuid,
    selected: String,
    mut errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let e = state.exchange.eservice(id).await?;
    let mut names = Names::new(state);
    let service = ServiceView::of(&ctx, &mut names, &e, staff).await?;
    let (doc_title, doc_version) = openapi::info(&e.openapi);
    let mut agreements = Vec::new();
    for a in state.exchange.agreements(&super::caller(staff), Party::Consumer, None).await? {
        if a.eservice_id == id {
            agreements.push(OwnAgreement {
                id: a.id,
                subsystem: names.subsystem_id(a.consumer_subsystem_id).await?,
                state: state_label(&ctx, a.state.as_str()),
            });
        }
    }
    let subsystems: Vec<(Uuid, String)> = state
        .exchange
        .subsystems(staff.org_id)
        .await?
        .into_iter()
        .map(|s| (s.id, format!("{} – {}", s.xroad_id, s.title)))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let can_request = can_act(staff) && e.state == EServiceState::Active;
    // A problem is shown next to the subsystem choice; without it, next to what is shown instead.
    let target = match (can_request, subsystems.is_empty()) {
        (false, _) => Some("descriptor-heading"),
        (true, true) => Some("request-heading"),
        (true, false) => None,
    };
    if let Some(target) = target {
        errors.iter_mut().for_each(|e| e.id = target.into());
    }
    let page = ServicePage {
        crumbs: vec![
            ("/exchange/catalogue".into(), ctx.t("exchange-catalogue-title")),
            (String::new(), e.title.clone()),
        ],
        can_request,
        operations: openapi::operations(&e.openapi),
        raw: serde_json::to_string_pretty(&e.openapi).unwrap_or_default(),
        doc_title,
        doc_version,
        service,
        agreements,
        subsystems,
        selected,
        errors,
        ctx,
    };
    Ok((status, render(&page)).into_response())
}

pub(super) async fn show(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = path_id(&id, "e-service")?;
    page(&state, ctx, &staff, id, String::new(), Vec::new()).await
}

/// What the request form sends.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct RequestInput {
    #[serde(default)]
    subsystem_id: String,
}

pub(super) async fn request(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<String>,
    axum::Form(input): axum::Form<RequestInput>,
) -> Result<Response, PageError> {
    actor(&staff)?;
    let id = path_id(&id, "e-service")?;
    let Ok(subsystem) = Uuid::try_parse(input.subsystem_id.trim()) else {
        let error = FieldError::local(SUBSYSTEM, ctx.t("exchange-error-subsystem"));
        return page(&state, ctx, &staff, id, input.subsystem_id, vec![error]).await;
    };
    match state.exchange.request_agreement(&caller(&staff), id, subsystem).await {
        Ok(agreement) => {
            Ok(Redirect::to(&format!("/exchange/agreements/{}?done=requested", agreement.id)).into_response())
        }
        Err(Error::Invalid { message, .. } | Error::Conflict(message)) => {
            let error = FieldError::service(&ctx, SUBSYSTEM, message);
            page(&state, ctx, &staff, id, input.subsystem_id, vec![error]).await
        }
        Err(e) => Err(PageError(e)),
    }
}
