//! Changes from the account page: the password (with strength feedback), removing the
//! authenticator app, new recovery codes, a phone number for codes by SMS, revoking a
//! connected service, and signing out everywhere. Sensitive ones need a recent sign-in.

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;

use super::setup::RecoveryCodesPage;
use super::signup::code_problem;
use super::{
    Errors, Pages, StrengthView, https, message, password_problem, recently_signed_in_or_redirect, removal_refused,
    signed_in_or_redirect, with_cookies,
};
use crate::accounts::Origin;
use crate::accounts::codes::CodeCheck;
use crate::accounts::password;
use crate::accounts::sessions::clear_session_cookie;

const ACCOUNT: &str = "/identity/account";

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct PasswordInput {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "identity/acc_password.html", config = "templates/askama.toml")]
struct PasswordPage {
    ctx: PageCtx,
    email: String,
    min: usize,
    strength: Option<StrengthView>,
    done: bool,
    errors: Errors,
}

pub(crate) async fn password_form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let here = "/identity/account/password";
    let current = match recently_signed_in_or_redirect(identity, &headers, here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let min = identity.min_password_chars(&current.account).await?;
    let page = PasswordPage {
        ctx,
        email: current.account.email.clone(),
        min,
        strength: None,
        done: false,
        errors: Errors::default(),
    };
    Ok(render(&page))
}

pub(crate) async fn password_submit(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<PasswordInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let here = "/identity/account/password";
    let current = match recently_signed_in_or_redirect(identity, &headers, here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let account = &current.account;
    let min = identity.min_password_chars(account).await?;
    let personal = [account.email.as_str(), account.name.as_deref().unwrap_or_default()];
    let mut errors = Errors::default();
    if input.current_password.is_empty() {
        errors.add("current_password", ctx.t("acc-error-password-empty"));
    }
    if let Err(problem) = password::check(&input.password, min, &personal) {
        errors.add("password", password_problem(&ctx, &problem));
    }
    let mut strength = StrengthView::typed(&ctx, &input.password, &personal);
    let mut done = false;
    if errors.is_empty() {
        match identity
            .change_password(account, &input.current_password, &input.password, Some(current.session.id), &origin)
            .await
        {
            Ok(s) => {
                done = true;
                strength = Some(StrengthView::of(&ctx, &s));
            }
            Err(Error::Invalid { field, message }) if field == "current_password" => {
                let _ = message;
                errors.add("current_password", ctx.t("acc-error-current-password"));
            }
            Err(Error::Invalid { field, message }) => errors.add_service(&ctx, &field, message),
            Err(e) => return Err(PageError(e)),
        }
    }
    let page = PasswordPage { ctx, email: account.email.clone(), min, strength, done, errors };
    Ok((page.errors.status(), render(&page)).into_response())
}

/// Remove the authenticator app.
pub(crate) async fn remove_totp(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let current = match recently_signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    match identity.remove_totp(&current.account, &origin).await {
        Ok(()) => Ok(Redirect::to(ACCOUNT).into_response()),
        Err(Error::Invalid { .. }) => {
            Ok(removal_refused(&ctx, "acc-totp-remove-refused-title", "acc-totp-remove-refused"))
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Ten new recovery codes, shown once.
pub(crate) async fn regenerate(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let current = match recently_signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    match identity.regenerate_recovery_codes(&current.account, &origin).await {
        Ok(codes) => Ok(render(&RecoveryCodesPage { ctx, codes, continue_to: ACCOUNT.into() })),
        Err(Error::Conflict(_)) => Ok(Redirect::to("/identity/mfa/setup").into_response()),
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct PhoneInput {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "identity/acc_phone.html", config = "templates/askama.toml")]
struct PhonePage {
    ctx: PageCtx,
    phone: String,
    /// A code was sent: ask for it.
    sent: bool,
    errors: Errors,
}

pub(crate) async fn phone_form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let here = "/identity/account/phone";
    let current = match recently_signed_in_or_redirect(identity, &headers, here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let page = PhonePage {
        ctx,
        phone: current.account.phone.clone().unwrap_or_default(),
        sent: false,
        errors: Errors::default(),
    };
    Ok(render(&page))
}

pub(crate) async fn phone_submit(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<PhoneInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let here = "/identity/account/phone";
    let current = match recently_signed_in_or_redirect(identity, &headers, here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let mut errors = Errors::default();
    let mut sent = false;
    if input.phone.trim().is_empty() {
        errors.add("phone", ctx.t("acc-error-phone"));
    } else {
        match identity.add_phone(&current.account, &input.phone, ctx.lang, &origin).await {
            Ok(()) => sent = true,
            Err(Error::Invalid { .. }) => errors.add("phone", ctx.t("acc-error-phone")),
            Err(Error::TooManyRequests(_)) => {
                sent = true;
                errors.add("code", ctx.t("acc-error-code-wait"));
            }
            Err(e) => return Err(PageError(e)),
        }
    }
    let page = PhonePage { ctx, phone: input.phone.trim().to_string(), sent, errors };
    Ok((page.errors.status(), render(&page)).into_response())
}

pub(crate) async fn phone_verify(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<PhoneInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let here = "/identity/account/phone";
    let current = match signed_in_or_redirect(identity, &headers, here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let mut errors = Errors::default();
    if input.code.trim().is_empty() {
        errors.add("code", ctx.t("acc-error-code-empty"));
    } else {
        match identity.verify_phone(&current.account, &input.code, &origin).await? {
            CodeCheck::Accepted(_) => return Ok(Redirect::to(ACCOUNT).into_response()),
            other => errors.add("code", code_problem(&ctx, other)),
        }
    }
    let page = PhonePage { ctx, phone: current.account.phone.clone().unwrap_or_default(), sent: true, errors };
    Ok((page.errors.status(), render(&page)).into_response())
}

/// Withdraw consent from a connected service.
pub(crate) async fn revoke_service(
    State(pages): State<Pages>,
    origin: Origin,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let current = match signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    identity.revoke_connected_service(current.account.id, &client_id).await?;
    let detail = serde_json::json!({ "client_id": client_id });
    identity.record_activity(current.account.id, "connected-service.revoked", detail, &origin).await?;
    Ok(Redirect::to(ACCOUNT).into_response())
}

/// End every session of the account, this one included.
pub(crate) async fn sign_out_everywhere(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let current = match signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let ended = identity.sign_out_everywhere(current.account.id, &origin).await?;
    let response = message(
        ctx.clone(),
        StatusCode::OK,
        "acc-signed-out-everywhere-title",
        vec![ctx.t1("acc-signed-out-everywhere-text", "count", &ended.to_string())],
        Some(("/identity/sign-in".into(), ctx.t("acc-sign-in-again"))),
    );
    Ok(with_cookies(response, vec![clear_session_cookie(https(identity, &headers))]))
}
