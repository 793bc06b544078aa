//! A service's API keys: the list, creating one (the whole key shown once, never again) and
//! revoking one after a confirmation. Admins only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::orgs::ApiKey;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, PagesState, When, service_of};
use crate::domain::kinds::KeyType;
use crate::store::Service;

/// The key types in the order the form offers them, with the value the form sends.
const TYPES: [(&str, KeyType); 3] = [("live", KeyType::Normal), ("team", KeyType::Team), ("test", KeyType::Test)];

struct KeyRow {
    id: Uuid,
    name: String,
    kind: String,
    created: When,
    last_used: Option<When>,
    revoked: Option<When>,
}

#[derive(Template)]
#[template(path = "notify/api_keys.html")]
struct Keys {
    ctx: PageCtx,
    nav: Nav,
    keys: Vec<KeyRow>,
    /// The key just created: its name and the whole key, shown on this response only.
    created: Option<(String, String)>,
    revoked: Option<String>,
    name: String,
    key_type: String,
    error: Option<String>,
}

impl Keys {
    fn types(&self) -> [&'static str; 3] {
        TYPES.map(|(value, _)| value)
    }
}

/// The notify keys of one service, newest first.
async fn keys_of(state: &PagesState, service: &Service) -> Result<Vec<ApiKey>, PageError> {
    let subject = service.id.to_string();
    Ok(state
        .kernel
        .api_keys(service.org_id)
        .await?
        .into_iter()
        .filter(|k| k.block == "notify" && k.subject.as_deref() == Some(subject.as_str()))
        .collect())
}

async fn admin_service(state: &PagesState, staff: &StaffSession, id: Uuid) -> Result<Service, PageError> {
    let service = service_of(state, staff, id).await?;
    staff.require("admin")?;
    Ok(service)
}

/// What the page reports besides the list, and what the form holds.
struct Outcome {
    created: Option<(String, String)>,
    revoked: Option<String>,
    name: String,
    key_type: String,
    error: Option<String>,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome { created: None, revoked: None, name: String::new(), key_type: "live".into(), error: None }
    }
}

async fn page(
    state: &PagesState,
    ctx: PageCtx,
    staff: &StaffSession,
    service: &Service,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let Outcome { created, revoked, name, key_type, error } = outcome;
    let keys = keys_of(state, service)
        .await?
        .into_iter()
        .map(|k| KeyRow {
            id: k.id,
            kind: ctx.t(&format!("notify-key-type-{}", k.kind.as_deref().unwrap_or("normal"))),
            name: k.name,
            created: When::to_minute(k.created_at),
            last_used: k.last_used_at.map(When::to_minute),
            revoked: k.revoked_at.map(When::to_minute),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Keys { ctx, nav: Nav::new(service, staff, "api-keys"), keys, created, revoked, name, key_type, error };
    let mut response = (status, render(&page)).into_response();
    // A page showing a new key must not be kept by the browser or a proxy.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    revoked: Option<Uuid>,
}

pub(super) async fn list(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let service = admin_service(&state, &staff, id).await?;
    let revoked = match query.revoked {
        Some(kid) => keys_of(&state, &service).await?.into_iter().find(|k| k.id == kid).map(|k| k.name),
        None => None,
    };
    page(&state, ctx, &staff, &service, Outcome { revoked, ..Outcome::default() }).await
}

#[derive(Deserialize)]
pub(super) struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    key_type: String,
}

/// The new key is in this response only; nothing can show it again.
pub(super) async fn create(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<KeyForm>,
) -> Result<Response, PageError> {
    let service = admin_service(&state, &staff, id).await?;
    let name = form.name.trim().to_string();
    let key_type = TYPES.iter().find(|(value, _)| *value == form.key_type).map(|(_, t)| *t);
    let error = match (&key_type, name.is_empty() || name.chars().count() > 255) {
        (_, true) => Some(ctx.t("notify-error-key-name")),
        (None, false) => Some(ctx.t("notify-error-key-type")),
        (Some(_), false) => None,
    };
    let Some(key_type) = key_type.filter(|_| error.is_none()) else {
        let outcome = Outcome { name: form.name, key_type: form.key_type, error, ..Outcome::default() };
        return page(&state, ctx, &staff, &service, outcome).await;
    };
    let key = state.notify.create_api_key(&staff.actor(), &service, &name, key_type).await?;
    page(&state, ctx, &staff, &service, Outcome { created: Some((name, key)), ..Outcome::default() }).await
}

#[derive(Template)]
#[template(path = "notify/api_key_revoke.html")]
struct ConfirmRevoke {
    ctx: PageCtx,
    nav: Nav,
    key: ApiKey,
}

/// The key `kid` of this service, if it is still active.
async fn active_key(state: &PagesState, service: &Service, kid: Uuid) -> Result<ApiKey, PageError> {
    keys_of(state, service)
        .await?
        .into_iter()
        .find(|k| k.id == kid && k.revoked_at.is_none())
        .ok_or_else(|| PageError(Error::not_found("active API key")))
}

pub(super) async fn confirm_revoke(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((id, kid)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let service = admin_service(&state, &staff, id).await?;
    let key = active_key(&state, &service, kid).await?;
    Ok(render(&ConfirmRevoke { ctx, nav: Nav::new(&service, &staff, "api-keys"), key }))
}

pub(super) async fn revoke(
    Staff(_, staff): Staff,
    State(state): State<PagesState>,
    Path((id, kid)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let service = admin_service(&state, &staff, id).await?;
    let key = active_key(&state, &service, kid).await?;
    state.kernel.revoke_api_key(&staff.actor(), service.org_id, key.id).await?;
    state.notify.forget_service(service.id);
    Ok(Redirect::to(&format!("/notify/services/{id}/api-keys?revoked={kid}")).into_response())
}
