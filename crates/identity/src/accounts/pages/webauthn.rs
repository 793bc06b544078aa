//! The JSON side of security keys and passkeys, called by `/identity/static/webauthn.js` from
//! the account page (registration), the second step of a sign-in (a key as second factor) and
//! the sign-in page (a passkey alone). Each ceremony has an `options` call, whose answer the
//! browser hands to the authenticator, and a `finish` call with the authenticator's answer.
//! They are page routes: the CSRF token comes in the query string. Errors are problem+json
//! with a `message` in the page's language for the script to show. Also the script itself,
//! and the content security policy of the pages that load it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::error::{Error, Json, Problem};
use publica_kernel::web::PageCtx;
use serde::Deserialize;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::second_step::{Step, second_factor_done, step_of};
use super::{Pages, https, return_to, wanted_aal, with_cookies};
use crate::accounts::Origin;
use crate::accounts::domain::ACCOUNT_PAGE;
use crate::accounts::sessions::session_cookie;
use crate::accounts::webauthn::KeyCheck;
use crate::domain::Aal;
use crate::service::Identity;

/// The script, served from this origin so that `script-src 'self'` lets it in.
const SCRIPT: &str = include_str!("../../../static/webauthn.js");

pub(crate) async fn script() -> Response {
    let mut response = SCRIPT.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

/// The page policy with this origin's script and its calls back here allowed, and, for a page
/// whose form leads on to a client application, that application's origin as a form target.
pub(crate) async fn allow_script(identity: &Identity, return_to: &str, mut response: Response) -> Response {
    let origins = identity.form_action_origins(return_to).await;
    let policy = format!(
        "{}; script-src 'self'; connect-src 'self'",
        publica_kernel::web::page_policy_with_form_targets(&origins)
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// A refusal the script can show: problem+json with `message` in the page's language.
fn refuse(ctx: &PageCtx, error: Error, message_id: &str) -> Response {
    if matches!(error, Error::Internal(_)) {
        tracing::error!(error = %error, "internal error in a WebAuthn ceremony");
    }
    let status = error.status();
    let mut body = serde_json::to_value(Problem::from_error(&error)).unwrap_or_default();
    body["message"] = ctx.t(message_id).into();
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

/// The message of an error from the service.
fn message_of(error: &Error) -> &'static str {
    match error {
        Error::Invalid { field, .. } if field == "name" => "acc-key-error-name",
        Error::Invalid { field, .. } if field == "ceremony" => "acc-key-error-expired",
        Error::Unavailable(_) => "acc-key-error-unavailable",
        Error::Unauthenticated(_) => "acc-key-error-signed-out",
        Error::Forbidden(_) => "acc-key-error-reauthenticate",
        Error::Conflict(_) => "acc-key-error-none",
        _ => "acc-key-error-failed",
    }
}

fn answer(to: &str) -> Response {
    axum::Json(serde_json::json!({ "redirect": to })).into_response()
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RegisterStart {
    #[serde(default)]
    name: String,
}

/// Start adding a security key or passkey to the signed-in account.
pub(crate) async fn register_options(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    Json(input): Json<RegisterStart>,
) -> Response {
    let identity = &pages.identity;
    let result = async {
        let current =
            identity.current(&headers).await?.ok_or_else(|| Error::Unauthenticated("sign in first".into()))?;
        identity.may_add_key(&current).await?;
        identity.start_key_registration(&current.account, current.session.id, &input.name).await
    }
    .await;
    match result {
        Ok((ceremony, options)) => {
            axum::Json(serde_json::json!({ "ceremony": ceremony, "options": options })).into_response()
        }
        Err(e) => {
            let id = message_of(&e);
            refuse(&ctx, e, id)
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct RegisterFinish {
    ceremony: String,
    credential: RegisterPublicKeyCredential,
}

/// The authenticator's answer to a registration: it joins the account's sign-in methods.
pub(crate) async fn register_finish(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Json(input): Json<RegisterFinish>,
) -> Response {
    let identity = &pages.identity;
    let result = async {
        let current =
            identity.current(&headers).await?.ok_or_else(|| Error::Unauthenticated("sign in first".into()))?;
        identity.may_add_key(&current).await?;
        identity
            .finish_key_registration(&current.account, current.session.id, &input.ceremony, &input.credential, &origin)
            .await
    }
    .await;
    match result {
        Ok(_) => answer(&format!("{ACCOUNT_PAGE}#keys-heading")),
        Err(e @ Error::Invalid { .. }) if !matches!(&e, Error::Invalid { field, .. } if field == "ceremony") => {
            refuse(&ctx, e, "acc-key-error-refused")
        }
        Err(e) => {
            let id = message_of(&e);
            refuse(&ctx, e, id)
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct StepStart {
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    aal: String,
}

/// The sign-in step this browser is at, or the refusal to answer with.
async fn step_or_refuse(
    pages: &Pages,
    ctx: &PageCtx,
    headers: &HeaderMap,
    back: &str,
    aal: &str,
) -> Result<Step, Response> {
    match step_of(pages, headers, Some(back), Some(aal)).await {
        Ok(Some(step)) => Ok(step),
        Ok(None) => {
            Err(refuse(ctx, Error::Unauthenticated("no sign-in in progress".into()), "acc-key-error-signed-out"))
        }
        Err(e) => Err(refuse(ctx, e.0, "acc-key-error-failed")),
    }
}

/// Start the second step of a sign-in (or a step-up) with a security key or passkey.
pub(crate) async fn authenticate_options(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    Json(input): Json<StepStart>,
) -> Response {
    let step = match step_or_refuse(&pages, &ctx, &headers, &input.return_to, &input.aal).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let device_bound_only = step.aal() >= Aal::Aal3;
    match pages.identity.start_key_authentication(step.account(), step.bound_to(), device_bound_only).await {
        Ok((ceremony, options)) => {
            axum::Json(serde_json::json!({ "ceremony": ceremony, "options": options })).into_response()
        }
        Err(e) => {
            let id = message_of(&e);
            refuse(&ctx, e, id)
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct StepFinish {
    ceremony: String,
    credential: PublicKeyCredential,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    aal: String,
    #[serde(default)]
    remember: String,
}

fn key_refusal(ctx: &PageCtx, check: &KeyCheck) -> Response {
    let (error, id) = match check {
        KeyCheck::Wrong | KeyCheck::Accepted(..) => {
            (Error::invalid("credential", "this answer is not from one of the account's keys"), "acc-key-error-wrong")
        }
        KeyCheck::NotDeviceBound => (
            Error::invalid(
                "credential",
                "this passkey may be synced to other devices: the service asks for a device-bound one",
            ),
            "acc-key-error-synced",
        ),
        KeyCheck::Cloned => (
            Error::Forbidden("this key's signature counter went backwards: a copy may exist, and it is blocked".into()),
            "acc-key-error-cloned",
        ),
        KeyCheck::Throttled(until) => (
            Error::TooManyRequests(format!("too many failed attempts: try again after {until}")),
            "acc-key-error-throttled",
        ),
        KeyCheck::Locked => (Error::Forbidden("the account is locked: recover it".into()), "acc-error-locked"),
    };
    refuse(ctx, error, id)
}

/// The authenticator's answer at the second step: the sign-in completes, or the session rises.
pub(crate) async fn authenticate_finish(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Json(input): Json<StepFinish>,
) -> Response {
    let identity = &pages.identity;
    let step = match step_or_refuse(&pages, &ctx, &headers, &input.return_to, &input.aal).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let check = identity
        .finish_key_authentication(step.account(), step.bound_to(), &input.ceremony, &input.credential, &origin)
        .await;
    match check {
        Ok(KeyCheck::Accepted(factor, _)) => {
            let remember = matches!(input.remember.trim(), "1" | "on" | "true");
            match second_factor_done(&pages, &headers, &origin, &step, factor, remember).await {
                Ok((to, cookies)) => with_cookies(answer(&to), cookies),
                Err(e) => refuse(&ctx, e.0, "acc-key-error-failed"),
            }
        }
        Ok(other) => key_refusal(&ctx, &other),
        Err(e) => {
            let id = message_of(&e);
            refuse(&ctx, e, id)
        }
    }
}

/// Start a sign-in with a passkey alone (the authenticator says whose it is).
pub(crate) async fn passkey_options(
    State(pages): State<Pages>,
    ctx: PageCtx,
    Json(input): Json<StepStart>,
) -> Response {
    let device_bound_only = wanted_aal(Some(&input.aal)) >= Aal::Aal3;
    match pages.identity.start_passkey_sign_in(device_bound_only).await {
        Ok((ceremony, options)) => {
            axum::Json(serde_json::json!({ "ceremony": ceremony, "options": options })).into_response()
        }
        Err(e) => {
            let id = message_of(&e);
            refuse(&ctx, e, id)
        }
    }
}

/// The answer to a passkey sign-in: a new session at the level the passkey reaches.
pub(crate) async fn passkey_finish(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Json(input): Json<StepFinish>,
) -> Response {
    let identity = &pages.identity;
    let back = return_to(Some(&input.return_to));
    let result = async {
        let check = identity.finish_passkey_sign_in(&input.ceremony, &input.credential, &origin).await?;
        let Some(KeyCheck::Accepted(factor, account)) = check else {
            return Ok(Err(check.unwrap_or(KeyCheck::Wrong)));
        };
        if account.email_verified_at.is_none() {
            return Ok(Err(KeyCheck::Wrong));
        }
        let amr = vec![factor.amr().to_string(), "mfa".to_string()];
        let replaces = identity.current(&headers).await?.map(|c| c.session.id);
        let (token, _) = identity.start_session(account.id, factor.aal(), amr, &origin).await?;
        if let Some(old) = replaces {
            identity.end_replaced_session(old).await?;
            identity.sessions_ended(&[old]).await;
        }
        identity.renew_remembered_device(&headers, account.id).await?;
        Ok::<_, Error>(Ok(session_cookie(&token, https(identity, &headers))))
    }
    .await;
    match result {
        Ok(Ok(cookie)) => with_cookies(answer(&back), vec![cookie]),
        Ok(Err(check)) => key_refusal(&ctx, &check),
        Err(e) => {
            let id = message_of(&e);
            refuse(&ctx, e, id)
        }
    }
}
