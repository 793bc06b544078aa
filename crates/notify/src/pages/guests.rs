//! A service's guest list: the email addresses and phone numbers that team keys and a service
//! in trial mode may send to, besides the team's own addresses. Members see it; admins edit it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, PagesState, service_of};
use crate::store::{self, Service};

struct Guest {
    kind: String,
    kind_label: String,
    recipient: String,
}

#[derive(Template)]
#[template(path = "notify/guest_list.html")]
struct GuestList {
    ctx: PageCtx,
    nav: Nav,
    service: Service,
    guests: Vec<Guest>,
    notice: Option<String>,
    recipient: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    added: Option<String>,
    removed: Option<String>,
}

async fn page(
    state: &PagesState,
    ctx: PageCtx,
    nav: Nav,
    service: Service,
    notice: Option<String>,
    form: (String, Option<String>),
) -> Result<Response, PageError> {
    let guests = store::guest_list(state.kernel.db(), service.id)
        .await?
        .into_iter()
        .map(|(kind, recipient)| Guest { kind_label: ctx.t(&format!("notify-guest-kind-{kind}")), kind, recipient })
        .collect();
    let (recipient, error) = form;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&GuestList { ctx, nav, service, guests, notice, recipient, error })).into_response())
}

pub(super) async fn list(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    let notice = match (query.added, query.removed) {
        (Some(_), _) => Some(ctx.t("notify-guest-added")),
        (None, Some(_)) => Some(ctx.t("notify-guest-removed")),
        _ => None,
    };
    let nav = Nav::new(&service, &staff, "guest-list");
    page(&state, ctx, nav, service, notice, (String::new(), None)).await
}

#[derive(Deserialize)]
pub(super) struct AddForm {
    #[serde(default)]
    recipient: String,
}

pub(super) async fn add(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<AddForm>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("admin")?;
    let recipient = form.recipient.trim();
    let error = if recipient.is_empty() {
        Some(ctx.t("notify-error-guest-empty"))
    } else {
        match state.notify.add_guest(&staff.actor(), &service, recipient).await {
            Ok(()) => return Ok(Redirect::to(&format!("/notify/services/{id}/guest-list?added=1")).into_response()),
            Err(Error::Invalid { .. }) if recipient.contains('@') => Some(ctx.t("notify-error-guest-email")),
            Err(Error::Invalid { .. }) => Some(ctx.t("notify-error-guest-phone")),
            Err(e) => return Err(e.into()),
        }
    };
    let nav = Nav::new(&service, &staff, "guest-list");
    page(&state, ctx, nav, service, None, (form.recipient, error)).await
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    kind: String,
    recipient: String,
}

pub(super) async fn remove(
    Staff(_, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<RemoveForm>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("admin")?;
    state.notify.remove_guest(&staff.actor(), &service, &form.kind, &form.recipient).await?;
    Ok(Redirect::to(&format!("/notify/services/{id}/guest-list?removed=1")).into_response())
}
