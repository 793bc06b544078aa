//! The consent page (`/identity/consent/{interaction}`): what the client asks for, in words,
//! with approve and refuse buttons. An approval is remembered per account and client (until
//! the person withdraws it from their account page); `prompt=consent` asks again. Only the
//! browser that started the interaction sees and answers it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;

use super::authorize::browser_cookie;
use super::claims;
use super::error::no_store;
use super::flow::continue_path;
use super::pages::{Pages, allow_form_targets, error_page, in_lang};
use crate::accounts::Origin;

#[derive(Template)]
#[template(path = "identity/oidc_consent.html", config = "templates/askama.toml")]
struct ConsentPage {
    ctx: PageCtx,
    interaction: String,
    client_name: String,
    /// Who runs the client.
    lead: String,
    /// What the client will receive, in words.
    items: Vec<String>,
    /// Whether register data (verified identity) is among it.
    verified_data: bool,
}

fn expired(ctx: PageCtx) -> Response {
    error_page(ctx, StatusCode::BAD_REQUEST, "oidc-error-expired", None)
}

/// The interaction was started in another browser (its binding cookie is missing or differs).
fn other_browser(ctx: PageCtx) -> Response {
    error_page(ctx, StatusCode::FORBIDDEN, "oidc-error-other-browser", None)
}

pub(super) async fn show(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some(_session) = identity.signed_in(&headers).await? else {
        return Ok(Redirect::to(&continue_path(&id)).into_response());
    };
    let interaction = match identity.bound_interaction(&id, browser_cookie(&headers).as_deref()).await {
        Ok(i) => i,
        Err(Error::NotFound(_)) => return Ok(expired(ctx)),
        Err(Error::Forbidden(_)) => return Ok(other_browser(ctx)),
        Err(e) => return Err(e.into()),
    };
    let ctx = in_lang(ctx, interaction.request.lang());
    let client = identity.client(&interaction.client_id).await?;
    let org_name = pages.kernel.organisation(client.org_id).await?.name;
    let requested = interaction.request.requested_claims();
    let items =
        claims::consent_items(&requested, &interaction.request.scopes).into_iter().map(|id| ctx.t(id)).collect();
    let verified_data = requested
        .iter()
        .any(|c| ["given_name", "family_name", "birthdate", "address", "national_id"].contains(&c.as_str()));
    let lead = ctx.t_args("oidc-consent-lead", &[("client", client.name.clone()), ("organisation", org_name)]);
    let page = ConsentPage { ctx, interaction: id, client_name: client.name.clone(), lead, items, verified_data };
    let mut response = render(&page);
    allow_form_targets(&mut response, &client.redirect_origins());
    no_store(&mut response);
    Ok(response)
}

#[derive(Deserialize)]
pub(super) struct Decision {
    #[serde(default)]
    decision: String,
}

pub(super) async fn decide(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    origin: Origin,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<Decision>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some(session) = identity.signed_in(&headers).await? else {
        return Ok(Redirect::to(&continue_path(&id)).into_response());
    };
    let browser = browser_cookie(&headers);
    let outcome = match form.decision.as_str() {
        "allow" => identity.approve_consent(&id, &session, &origin, browser.as_deref()).await,
        "deny" => identity.deny_consent(&id, &session, &origin, browser.as_deref()).await,
        _ => return Err(Error::invalid("decision", "choose to allow or to refuse").into()),
    };
    match outcome {
        Ok(location) => {
            let mut response = Redirect::to(&location).into_response();
            no_store(&mut response);
            Ok(response)
        }
        Err(Error::NotFound(_) | Error::Conflict(_)) => Ok(expired(ctx)),
        Err(Error::Forbidden(_)) => Ok(other_browser(ctx)),
        Err(e) => Err(e.into()),
    }
}
