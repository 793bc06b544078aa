//! Sign-in: the email address and password (or, where the browser runs the script, a passkey
//! alone); then, for an account with a second factor or when the service asks for `aal2`, the
//! second step (`second_step`). On a remembered device the second step is skipped where the
//! level allows it (see `accounts::devices`). `return_to` must be a path on this server;
//! `login_hint` fills in the address; `force=1` asks again even with a session; a session below
//! the level asked for goes straight to the second step (step-up). Also sign-out.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;
use uuid::Uuid;

use super::webauthn::allow_script;
use super::{
    Errors, FLOW_SIGN_IN, FLOW_VERIFY_EMAIL, FlowData, Pages, https, message, redirect_with, return_to, start_flow,
    throttled_message, wanted_aal, with_return,
};
use crate::accounts::Origin;
use crate::accounts::domain::{ACCOUNT_PAGE, CodeChannel, CodePurpose};
use crate::accounts::service::{PasswordCheck, SignedInByPassword};
use crate::accounts::sessions::{Current, clear_session_cookie, session_cookie};
use crate::domain::Aal;

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct SignInQuery {
    return_to: Option<String>,
    login_hint: Option<String>,
    force: Option<String>,
    aal: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct SignInInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    aal: String,
    #[serde(default)]
    force: String,
}

#[derive(Template)]
#[template(path = "identity/acc_sign_in.html", config = "templates/askama.toml")]
struct SignInPage {
    ctx: PageCtx,
    form: SignInInput,
    /// Someone is signed in and must sign in again.
    again: bool,
    /// The account is locked: show the way to recovery.
    locked: bool,
    /// Security keys and passkeys work on this server: offer a passkey sign-in to the script.
    passkey: bool,
    errors: Errors,
}

fn forced(text: Option<&str>) -> bool {
    matches!(text.map(str::trim), Some("1" | "true" | "yes"))
}

/// Where a session below the level asked for goes: the second step, or setting one up.
async fn step_up(pages: &Pages, ctx: PageCtx, current: &Current, back: &str, aal: Aal) -> Result<Response, PageError> {
    if aal >= Aal::Aal3 && !pages.identity.reaches_aal3(&current.account).await? {
        return Ok(unreachable_level(ctx, true));
    }
    let path = if pages.identity.has_second_factor(&current.account).await? {
        "/identity/sign-in/mfa"
    } else {
        "/identity/mfa/setup"
    };
    Ok(Redirect::to(&with_return(path, back, aal)).into_response())
}

/// `aal3` needs a device-bound security key or passkey, which the account does not have (or
/// this server cannot use WebAuthn): the way to add one, for someone signed in.
pub(super) fn unreachable_level(ctx: PageCtx, signed_in: bool) -> Response {
    let link = signed_in.then(|| (format!("{ACCOUNT_PAGE}#keys-heading"), ctx.t("acc-aal3-add-key")));
    message(ctx.clone(), StatusCode::FORBIDDEN, "acc-aal3-title", vec![ctx.t("acc-aal3-text")], link)
}

/// A sign-in page's answer: with the script allowed when it offers WebAuthn, and with the
/// client application's origin as a form target when it leads on to one.
pub(super) async fn finish_page(pages: &Pages, return_to: &str, webauthn: bool, response: Response) -> Response {
    if webauthn {
        allow_script(&pages.identity, return_to, response).await
    } else {
        pages.identity.leading_to_client(return_to, response).await
    }
}

pub(crate) async fn form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let back = return_to(q.return_to.as_deref());
    let aal = wanted_aal(q.aal.as_deref());
    let force = forced(q.force.as_deref());
    let current = identity.current(&headers).await?;
    if let Some(current) = &current
        && !force
    {
        if current.aal() >= aal {
            return Ok(Redirect::to(&back).into_response());
        }
        return step_up(&pages, ctx, current, &back, aal).await;
    }
    let email = q
        .login_hint
        .clone()
        .filter(|h| h.contains('@') && h.len() <= 254)
        .or_else(|| current.as_ref().map(|c| c.account.email.clone()))
        .unwrap_or_default();
    let form = SignInInput {
        email,
        password: String::new(),
        return_to: back,
        aal: if aal > Aal::Aal1 { aal.as_str().into() } else { String::new() },
        force: if force { "1".into() } else { String::new() },
    };
    let return_to = form.return_to.clone();
    let passkey = identity.webauthn_available();
    let page =
        render(&SignInPage { ctx, form, again: current.is_some(), locked: false, passkey, errors: Errors::default() });
    Ok(finish_page(&pages, &return_to, passkey, page).await)
}

pub(crate) async fn submit(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(mut input): Form<SignInInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    input.return_to = return_to(Some(&input.return_to));
    let aal = wanted_aal(Some(&input.aal));
    let current = identity.current(&headers).await?;
    let mut errors = Errors::default();
    let mut locked = false;
    if input.email.trim().is_empty() {
        errors.add("email", ctx.t("acc-error-email"));
    }
    if input.password.is_empty() {
        errors.add("password", ctx.t("acc-error-password-empty"));
    }
    if errors.is_empty() {
        match identity.sign_in_password(&input.email, &input.password, aal, &origin).await? {
            PasswordCheck::Accepted(accepted) => {
                let replaces = current.as_ref().map(|c| c.session.id);
                return after_password(&pages, &ctx, &headers, &origin, &accepted, &input.return_to, aal, replaces)
                    .await;
            }
            PasswordCheck::Wrong => errors.add("password", ctx.t("acc-error-credentials")),
            PasswordCheck::Throttled(until) => errors.add("password", throttled_message(&ctx, until)),
            PasswordCheck::Locked => {
                locked = true;
                errors.add("password", ctx.t("acc-error-locked"));
            }
        }
    }
    input.password.clear();
    let return_to = input.return_to.clone();
    let passkey = identity.webauthn_available();
    let page = SignInPage { ctx, form: input, again: current.is_some(), locked, passkey, errors };
    let response = (page.errors.status(), render(&page)).into_response();
    Ok(finish_page(&pages, &return_to, passkey, response).await)
}

/// The password was right: verify the address first if needed, then the second step, the
/// setup of a second factor, or a session.
#[allow(clippy::too_many_arguments)]
async fn after_password(
    pages: &Pages,
    ctx: &PageCtx,
    headers: &HeaderMap,
    origin: &Origin,
    accepted: &SignedInByPassword,
    back: &str,
    aal: Aal,
    replaces: Option<Uuid>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let account = &accepted.account;
    let data = FlowData { return_to: back.to_string(), aal: Some(aal), replaces, email: None };
    if account.email_verified_at.is_none() {
        match identity.send_code(account, CodePurpose::VerifyEmail, CodeChannel::Email, ctx.lang, origin).await {
            Ok(()) | Err(Error::TooManyRequests(_)) => {}
            Err(e) => return Err(PageError(e)),
        }
        let cookie = start_flow(identity, headers, FLOW_VERIFY_EMAIL, Some(account.id), &data).await?;
        return Ok(redirect_with("/identity/verify-email", vec![cookie]));
    }
    if aal >= Aal::Aal3 && !identity.reaches_aal3(account).await? {
        return Ok(unreachable_level(ctx.clone(), false));
    }
    if accepted.has_second_factor {
        if let Some((device, level)) = identity.remembered_device(headers, account, back, aal).await? {
            // A remembered device: the password is what was checked now (amr `pwd`), at the
            // level the device allows (see `accounts::devices`).
            let (token, _) = identity.start_session(account.id, level, vec!["pwd".into()], origin).await?;
            identity.used_remembered_device(&device, level, origin).await?;
            if let Some(old) = replaces {
                identity.end_replaced_session(old).await?;
            }
            let cookie = session_cookie(&token, https(identity, headers));
            return Ok(redirect_with(back, vec![cookie]));
        }
        let cookie = start_flow(identity, headers, FLOW_SIGN_IN, Some(account.id), &data).await?;
        return Ok(redirect_with("/identity/sign-in/mfa", vec![cookie]));
    }
    // The password alone completes the sign-in: its session started with the password's check.
    let token = match &accepted.session {
        Some((token, _)) => token.clone(),
        None => identity.start_session(account.id, Aal::Aal1, vec!["pwd".into()], origin).await?.0,
    };
    if let Some(old) = replaces {
        identity.end_replaced_session(old).await?;
    }
    let cookie = session_cookie(&token, https(identity, headers));
    let to = if aal >= Aal::Aal2 { with_return("/identity/mfa/setup", back, aal) } else { back.to_string() };
    Ok(redirect_with(&to, vec![cookie]))
}

/// End this browser's session.
pub(crate) async fn sign_out(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    if let Some(current) = identity.current(&headers).await? {
        identity.sign_out(&current, &origin).await?;
    }
    let response = message(
        ctx.clone(),
        StatusCode::OK,
        "acc-signed-out-title",
        vec![ctx.t("acc-signed-out-text")],
        Some(("/identity/sign-in".into(), ctx.t("acc-sign-in-again"))),
    );
    Ok(super::with_cookies(response, vec![clear_session_cookie(https(identity, &headers))]))
}
