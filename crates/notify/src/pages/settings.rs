//! A service's callbacks: where Publica posts delivery receipts and received text messages, and
//! the bearer token it sends with them (sealed; never shown again). Admins only.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::{Nav, PagesState, service_of};
use crate::store::{CallbackKind, Service};

/// One callback's form.
struct Callback {
    /// `delivery` or `inbound`: the form's `kind` and the prefix of its fields' ids.
    kind: &'static str,
    url: String,
    token_set: bool,
    url_error: Option<String>,
    token_error: Option<String>,
}

#[derive(Template)]
#[template(path = "notify/settings.html")]
struct Settings {
    ctx: PageCtx,
    nav: Nav,
    service: Service,
    callbacks: [Callback; 2],
    notice: Option<String>,
}

impl Settings {
    fn has_errors(&self) -> bool {
        self.callbacks.iter().any(|c| c.url_error.is_some() || c.token_error.is_some())
    }
}

fn callbacks(service: &Service) -> [Callback; 2] {
    let of = |kind, url: &Option<String>, token: &Option<Vec<u8>>| Callback {
        kind,
        url: url.clone().unwrap_or_default(),
        token_set: token.is_some(),
        url_error: None,
        token_error: None,
    };
    [
        of("delivery", &service.delivery_callback_url, &service.delivery_callback_token),
        of("inbound", &service.inbound_callback_url, &service.inbound_callback_token),
    ]
}

#[derive(Deserialize)]
pub(super) struct ShowQuery {
    saved: Option<String>,
    removed: Option<String>,
}

pub(super) async fn show(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("admin")?;
    let notice = match (query.saved, query.removed) {
        (Some(_), _) => Some(ctx.t("notify-callback-saved")),
        (None, Some(_)) => Some(ctx.t("notify-callback-removed")),
        _ => None,
    };
    let nav = Nav::new(&service, &staff, "settings");
    Ok(render(&Settings { ctx, nav, callbacks: callbacks(&service), service, notice }))
}

#[derive(Deserialize)]
pub(super) struct CallbackForm {
    kind: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    bearer_token: String,
}

pub(super) async fn save(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<CallbackForm>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("admin")?;
    let (kind, index) = match form.kind.as_str() {
        "delivery" => (CallbackKind::Delivery, 0),
        "inbound" => (CallbackKind::Inbound, 1),
        _ => return Err(PageError(Error::invalid("kind", "choose delivery or inbound"))),
    };
    let actor = staff.actor();
    if form.action == "remove" {
        state.notify.set_callback(&actor, &service, kind, None).await?;
        return Ok(Redirect::to(&format!("/notify/services/{id}/settings?removed={}", form.kind)).into_response());
    }
    let url = form.url.trim();
    let token = form.bearer_token.trim();
    let mut forms = callbacks(&service);
    let this = &mut forms[index];
    this.url = url.to_string();
    let secure =
        url.starts_with("https://") || url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost");
    if !secure || url::Url::parse(url).is_err() {
        this.url_error = Some(ctx.t("notify-error-callback-url"));
    }
    if token.len() < 10 {
        this.token_error = Some(ctx.t("notify-error-callback-token"));
    }
    if this.url_error.is_none() && this.token_error.is_none() {
        state.notify.set_callback(&actor, &service, kind, Some((url, token))).await?;
        return Ok(Redirect::to(&format!("/notify/services/{id}/settings?saved={}", form.kind)).into_response());
    }
    let nav = Nav::new(&service, &staff, "settings");
    let page = Settings { ctx, nav, service, callbacks: forms, notice: None };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}
