//! The second step of a sign-in (`/identity/sign-in/mfa`): a code (authenticator app,
//! recovery code, or one sent by text message; never by email) or a security key or passkey — only a
//! device-bound one when the service asks for `aal3`, where codes are not offered. It ends a
//! sign-in flow with a session, or raises a signed-in session (step-up); "Remember this device"
//! is offered where the level allows it (see `accounts::devices`).

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;
use uuid::Uuid;

use super::signin::{finish_page, unreachable_level};
use super::{
    Errors, FLOW_SIGN_IN, FlowData, Pages, end_flow, flow_of, https, message, redirect_with, return_to,
    throttled_message, wanted_aal, with_return,
};
use crate::accounts::Origin;
use crate::accounts::domain::{Account, CodeChannel, CodePurpose, SecondFactor};
use crate::accounts::mfa::FactorCheck;
use crate::accounts::sessions::{Current, session_cookie};
use crate::domain::Aal;

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct MfaQuery {
    return_to: Option<String>,
    aal: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct MfaInput {
    #[serde(default)]
    code: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    aal: String,
    #[serde(default)]
    remember: String,
}

#[derive(Template)]
#[template(path = "identity/acc_mfa.html", config = "templates/askama.toml")]
struct MfaPage {
    ctx: PageCtx,
    return_to: String,
    aal: String,
    has_totp: bool,
    /// The account has security keys or passkeys that may answer (device-bound ones for aal3).
    has_keys: bool,
    /// Only a device-bound security key or passkey will do (`aal3`).
    keys_only: bool,
    /// "Remember this device for N days" is offered, with N.
    remember_days: Option<i64>,
    remember: bool,
    /// The masked phone number codes can go to, when verified.
    phone: Option<String>,
    notice: Option<String>,
    errors: Errors,
}

/// Whose second step this is: a sign-in in progress (its flow) or a session stepping up.
pub(super) enum Step {
    Flow(crate::accounts::store::auth::FlowRow, FlowData, Box<Account>),
    StepUp(Box<Current>, String, Aal),
}

impl Step {
    pub(super) fn account(&self) -> &Account {
        match self {
            Step::Flow(_, _, a) => a,
            Step::StepUp(c, _, _) => &c.account,
        }
    }
    pub(super) fn return_to(&self) -> &str {
        match self {
            Step::Flow(_, d, _) => &d.return_to,
            Step::StepUp(_, r, _) => r,
        }
    }
    /// The flow or session a WebAuthn ceremony of this step belongs to.
    pub(super) fn bound_to(&self) -> Uuid {
        match self {
            Step::Flow(f, _, _) => f.id,
            Step::StepUp(c, _, _) => c.session.id,
        }
    }
    pub(super) fn aal(&self) -> Aal {
        match self {
            Step::Flow(_, d, _) => d.aal.unwrap_or(Aal::Aal2).max(Aal::Aal2),
            Step::StepUp(_, _, a) => (*a).max(Aal::Aal2),
        }
    }
}

pub(super) async fn step_of(
    pages: &Pages,
    headers: &HeaderMap,
    back: Option<&str>,
    aal: Option<&str>,
) -> Result<Option<Step>, PageError> {
    let identity = &pages.identity;
    if let Some((flow, data)) = flow_of(identity, headers, FLOW_SIGN_IN).await? {
        let account = identity.account(flow.account_id.unwrap_or_default()).await?;
        return Ok(Some(Step::Flow(flow, data, Box::new(account))));
    }
    if let Some(current) = identity.current(headers).await? {
        return Ok(Some(Step::StepUp(Box::new(current), return_to(back), wanted_aal(aal))));
    }
    Ok(None)
}

async fn mfa_page(
    pages: &Pages,
    ctx: PageCtx,
    step: &Step,
    notice: Option<String>,
    errors: Errors,
    remember: bool,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let account = step.account();
    let keys_only = step.aal() >= Aal::Aal3;
    let (any_key, bound_key) = identity.webauthn_counts(account.id).await?;
    let has_keys = identity.webauthn_available() && if keys_only { bound_key } else { any_key };
    let remember_days = identity
        .may_remember_device(account, step.return_to(), step.aal())
        .await?
        .then_some(identity.config.remember_device_days);
    let phone = account.phone.as_ref().filter(|_| account.phone_verified_at.is_some()).map(|p| {
        let tail: String = p.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
        format!("•••{tail}")
    });
    let page = MfaPage {
        return_to: step.return_to().to_string(),
        aal: step.aal().as_str().into(),
        has_totp: identity.has_totp(account.id).await?,
        has_keys,
        keys_only,
        remember_days,
        remember,
        phone,
        notice,
        errors,
        ctx,
    };
    let response = (page.errors.status(), render(&page)).into_response();
    Ok(finish_page(pages, &page.return_to, has_keys, response).await)
}

/// A second factor was accepted at this step: the session it starts (ending the flow) or
/// raises, the device remembered if asked (or renewed if it is one); where to go next and the
/// cookies to set.
pub(super) async fn second_factor_done(
    pages: &Pages,
    headers: &HeaderMap,
    origin: &Origin,
    step: &Step,
    factor: SecondFactor,
    remember: bool,
) -> Result<(String, Vec<Option<HeaderValue>>), PageError> {
    let identity = &pages.identity;
    let account = step.account();
    let mut cookies = Vec::new();
    if remember && identity.may_remember_device(account, step.return_to(), step.aal()).await? {
        cookies.push(identity.remember_device(account, origin, https(identity, headers)).await?);
    } else {
        identity.renew_remembered_device(headers, account.id).await?;
    }
    match step {
        Step::Flow(flow, data, account) => {
            let amr = ["pwd", factor.amr(), "mfa"].iter().map(|m| m.to_string()).collect();
            let (token, _) = identity.start_session(account.id, factor.aal(), amr, origin).await?;
            if let Some(old) = data.replaces {
                identity.end_replaced_session(old).await?;
            }
            cookies.push(end_flow(identity, headers, flow).await?);
            cookies.push(session_cookie(&token, https(identity, headers)));
            Ok((data.return_to.clone(), cookies))
        }
        Step::StepUp(current, back, _) => {
            // Only the factor was checked now: the session keeps the methods it had.
            let level = factor.aal().max(current.aal());
            let token = identity.raise_session(&current.session, level, &[factor.amr(), "mfa"], origin).await?;
            cookies.push(session_cookie(&token, https(identity, headers)));
            Ok((back.clone(), cookies))
        }
    }
}

pub(crate) async fn mfa_form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<MfaQuery>,
) -> Result<Response, PageError> {
    let Some(step) = step_of(&pages, &headers, q.return_to.as_deref(), q.aal.as_deref()).await? else {
        return Ok(Redirect::to(&super::sign_in_url(&return_to(q.return_to.as_deref()), Aal::Aal2, false, None))
            .into_response());
    };
    if let Step::StepUp(current, back, aal) = &step {
        if current.aal() >= (*aal).max(Aal::Aal2) {
            return Ok(Redirect::to(back).into_response());
        }
        if *aal >= Aal::Aal3 && !pages.identity.reaches_aal3(&current.account).await? {
            return Ok(unreachable_level(ctx, true));
        }
        if !pages.identity.has_second_factor(&current.account).await? {
            return Ok(Redirect::to(&with_return("/identity/mfa/setup", back, Aal::Aal2)).into_response());
        }
    }
    mfa_page(&pages, ctx, &step, None, Errors::default(), false).await
}

pub(crate) async fn mfa_submit(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<MfaInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some(step) = step_of(&pages, &headers, Some(&input.return_to), Some(&input.aal)).await? else {
        return Ok(Redirect::to(&super::sign_in_url(&return_to(Some(&input.return_to)), Aal::Aal2, false, None))
            .into_response());
    };
    let mut errors = Errors::default();
    let remember = matches!(input.remember.trim(), "1" | "on" | "true");
    if step.aal() >= Aal::Aal3 {
        // A code reaches aal2 at most: the service asks for a device-bound key.
        errors.add("code", ctx.t("acc-error-needs-key"));
        return mfa_page(&pages, ctx, &step, None, errors, remember).await;
    }
    if input.code.trim().is_empty() {
        errors.add("code", ctx.t("acc-error-code-empty"));
        return mfa_page(&pages, ctx, &step, None, errors, remember).await;
    }
    match identity.check_second_factor(step.account(), &input.code, &origin).await? {
        FactorCheck::Accepted(factor) => {
            let (to, cookies) = second_factor_done(&pages, &headers, &origin, &step, factor, remember).await?;
            Ok(redirect_with(&to, cookies))
        }
        FactorCheck::Wrong => {
            errors.add("code", ctx.t("acc-error-factor-wrong"));
            mfa_page(&pages, ctx, &step, None, errors, remember).await
        }
        FactorCheck::CodeSpent => {
            errors.add("code", ctx.t("acc-error-code-exhausted"));
            mfa_page(&pages, ctx, &step, None, errors, remember).await
        }
        FactorCheck::Throttled(until) => {
            errors.add("code", throttled_message(&ctx, until));
            mfa_page(&pages, ctx, &step, None, errors, remember).await
        }
        FactorCheck::Locked => {
            let link = Some(("/identity/recover".to_string(), ctx.t("acc-recover-link")));
            Ok(message(ctx.clone(), StatusCode::FORBIDDEN, "acc-locked-title", vec![ctx.t("acc-error-locked")], link))
        }
    }
}

/// Send a code by text message to the verified phone instead of the authenticator app.
pub(crate) async fn mfa_send(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<MfaInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some(step) = step_of(&pages, &headers, Some(&input.return_to), Some(&input.aal)).await? else {
        return Ok(Redirect::to("/identity/sign-in").into_response());
    };
    let mut errors = Errors::default();
    let mut notice = None;
    // Codes at the second step go by text message to a verified phone only: an emailed code
    // is no second factor (whoever reads the mailbox can also reset the password).
    if !identity.has_second_factor(step.account()).await? {
        // Codes stand in for an enrolled factor; they are not one by themselves.
        errors.add("code", ctx.t("acc-error-no-second-factor"));
    } else {
        match identity.send_code(step.account(), CodePurpose::SignIn, CodeChannel::Sms, ctx.lang, &origin).await {
            Ok(()) => notice = Some(ctx.t("acc-code-sent-sms")),
            Err(Error::TooManyRequests(_)) => errors.add("code", ctx.t("acc-error-code-wait")),
            Err(Error::Invalid { .. }) => errors.add("code", ctx.t("acc-error-no-phone")),
            Err(e) => return Err(PageError(e)),
        }
    }
    let remember = matches!(input.remember.trim(), "1" | "on" | "true");
    mfa_page(&pages, ctx, &step, notice, errors, remember).await
}
