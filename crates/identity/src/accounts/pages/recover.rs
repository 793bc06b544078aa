//! Account recovery: the email address (the answer is the same whether it has an account or
//! not), then the emailed code, a new password and, to keep a proofed identity, one of the
//! account's recovery codes. Unlocks a locked account; every session ends.

use askama::Template;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::domain::Email;
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;

use super::signup::{code_problem, masked};
use super::{
    Errors, FLOW_RECOVER, FlowData, Pages, end_flow, flow_of, message, password_problem, redirect_with, start_flow,
};
use crate::accounts::Origin;
use crate::accounts::codes::CodeCheck;
use crate::accounts::password;
use crate::accounts::service::recovery_password_min;

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RecoverInput {
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "identity/acc_recover.html", config = "templates/askama.toml")]
struct RecoverPage {
    ctx: PageCtx,
    email: String,
    errors: Errors,
}

pub(crate) async fn form(ctx: PageCtx) -> Response {
    render(&RecoverPage { ctx, email: String::new(), errors: Errors::default() })
}

pub(crate) async fn submit(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<RecoverInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Ok(email) = Email::parse("email", &input.email) else {
        let mut errors = Errors::default();
        errors.add("email", ctx.t("acc-error-email"));
        let page = RecoverPage { ctx, email: input.email, errors };
        return Ok((page.errors.status(), render(&page)).into_response());
    };
    let account_id = identity.recover_start(email.as_str(), ctx.lang, &origin).await?;
    // The same next page whether or not the address has an account.
    let data = FlowData { email: Some(email.as_str().to_string()), ..Default::default() };
    let cookie = start_flow(identity, &headers, FLOW_RECOVER, account_id, &data).await?;
    Ok(redirect_with("/identity/recover/reset", vec![cookie]))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct ResetInput {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "identity/acc_recover_reset.html", config = "templates/askama.toml")]
struct ResetPage {
    ctx: PageCtx,
    email: String,
    errors: Errors,
}

fn flow_email(data: &FlowData) -> String {
    masked(data.email.as_deref().unwrap_or_default())
}

pub(crate) async fn reset_form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some((_, data)) = flow_of(identity, &headers, FLOW_RECOVER).await? else {
        return Ok(Redirect::to("/identity/recover").into_response());
    };
    Ok(render(&ResetPage { ctx, email: flow_email(&data), errors: Errors::default() }))
}

pub(crate) async fn reset(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<ResetInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some((flow, data)) = flow_of(identity, &headers, FLOW_RECOVER).await? else {
        return Ok(Redirect::to("/identity/recover").into_response());
    };
    let account = match flow.account_id {
        Some(id) => Some(identity.account(id).await?),
        None => None,
    };
    let recovery = Some(input.recovery_code.as_str()).filter(|c| !c.trim().is_empty());
    let min = recovery_password_min(recovery.is_some());
    let mut errors = Errors::default();
    if input.code.trim().is_empty() {
        errors.add("code", ctx.t("acc-error-code-empty"));
    }
    let personal: Vec<&str> =
        account.iter().flat_map(|a| [a.email.as_str(), a.name.as_deref().unwrap_or_default()]).collect();
    if let Err(problem) = password::check(&input.password, min, &personal) {
        errors.add("password", password_problem(&ctx, &problem));
    }
    if errors.is_empty() {
        let Some(account) = &account else {
            // No account has this address: no code can be right.
            errors.add("code", code_problem(&ctx, CodeCheck::Wrong));
            let page = ResetPage { ctx, email: flow_email(&data), errors };
            return Ok((page.errors.status(), render(&page)).into_response());
        };
        match identity.recover_finish(account.id, &input.code, recovery, &input.password, &origin).await {
            Ok(CodeCheck::Accepted(_)) => {
                let clear = end_flow(identity, &headers, &flow).await?;
                let to = super::sign_in_url(
                    super::super::domain::ACCOUNT_PAGE,
                    crate::domain::Aal::Aal1,
                    false,
                    Some(&account.email),
                );
                let paragraphs =
                    vec![ctx.t(if recovery.is_some() { "acc-recovered-text" } else { "acc-recovered-reproof-text" })];
                let response = message(
                    ctx.clone(),
                    StatusCode::OK,
                    "acc-recovered-title",
                    paragraphs,
                    Some((to, ctx.t("acc-sign-in-again"))),
                );
                return Ok(super::with_cookies(response, vec![clear]));
            }
            Ok(other) => errors.add("code", code_problem(&ctx, other)),
            Err(Error::Conflict(_)) => errors.add("recovery_code", ctx.t("acc-error-staff-recovery-code")),
            Err(Error::Invalid { field, .. }) if field == "recovery_code" => {
                errors.add("recovery_code", ctx.t("acc-error-recovery-code"))
            }
            Err(Error::Invalid { field, message }) => errors.add_service(&ctx, &field, message),
            Err(Error::TooManyRequests(_)) => errors.add("code", ctx.t("acc-error-throttled-short")),
            Err(e) => return Err(PageError(e)),
        }
    }
    let page = ResetPage { ctx, email: flow_email(&data), errors };
    Ok((page.errors.status(), render(&page)).into_response())
}
