//! Sign-in: the email address and password; then, for an account with a second factor or
//! when the service asks for `aal2`, a code (authenticator app, recovery code, or a code sent
//! by email or SMS). `return_to` must be a path on this server; `login_hint` fills in the
//! address; `force=1` asks again even with a session; a session below the level asked for goes
//! straight to the second step (step-up). Also sign-out.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;
use uuid::Uuid;

use super::signup::masked;
use super::{
    Errors, FLOW_SIGN_IN, FLOW_VERIFY_EMAIL, FlowData, Pages, end_flow, flow_of, https, message, redirect_with,
    return_to, start_flow, throttled_message, wanted_aal, with_return,
};
use crate::accounts::domain::{Account, CodeChannel, CodePurpose};
use crate::accounts::mfa::FactorCheck;
use crate::accounts::service::PasswordCheck;
use crate::accounts::sessions::{Current, clear_session_cookie, session_cookie};
use crate::accounts::{Origin, store};
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
    errors: Errors,
}

fn forced(text: Option<&str>) -> bool {
    matches!(text.map(str::trim), Some("1" | "true" | "yes"))
}

/// Where a session below the level asked for goes: the second step, or setting one up.
async fn step_up(pages: &Pages, current: &Current, back: &str, aal: Aal) -> Result<Response, PageError> {
    let path = if pages.identity.has_second_factor(&current.account).await? {
        "/identity/sign-in/mfa"
    } else {
        "/identity/mfa/setup"
    };
    Ok(Redirect::to(&with_return(path, back, aal)).into_response())
}

/// A level no authenticator here reaches yet: `aal3` needs WebAuthn, which is to come.
fn unreachable_level(ctx: PageCtx) -> Response {
    message(ctx.clone(), StatusCode::BAD_REQUEST, "acc-aal3-title", vec![ctx.t("acc-aal3-text")], None)
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
    if aal == Aal::Aal3 {
        return Ok(unreachable_level(ctx));
    }
    let force = forced(q.force.as_deref());
    let current = identity.current(&headers).await?;
    if let Some(current) = &current
        && !force
    {
        if current.aal() >= aal {
            return Ok(Redirect::to(&back).into_response());
        }
        return step_up(&pages, current, &back, aal).await;
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
    let page = render(&SignInPage { ctx, form, again: current.is_some(), locked: false, errors: Errors::default() });
    Ok(pages.identity.leading_to_client(&return_to, page).await)
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
    if aal == Aal::Aal3 {
        return Ok(unreachable_level(ctx));
    }
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
        match identity.sign_in_password(&input.email, &input.password, &origin).await? {
            PasswordCheck::Accepted(account) => {
                let replaces = current.as_ref().map(|c| c.session.id);
                return after_password(&pages, &ctx, &headers, &origin, &account, &input.return_to, aal, replaces)
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
    let page = SignInPage { ctx, form: input, again: current.is_some(), locked, errors };
    let response = (page.errors.status(), render(&page)).into_response();
    Ok(identity.leading_to_client(&return_to, response).await)
}

/// The password was right: verify the address first if needed, then the second step, the
/// setup of a second factor, or a session.
#[allow(clippy::too_many_arguments)]
async fn after_password(
    pages: &Pages,
    ctx: &PageCtx,
    headers: &HeaderMap,
    origin: &Origin,
    account: &Account,
    back: &str,
    aal: Aal,
    replaces: Option<Uuid>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let data = FlowData { return_to: back.to_string(), aal: Some(aal), replaces, email: None };
    if account.email_verified_at.is_none() {
        match identity.send_code(account, CodePurpose::VerifyEmail, CodeChannel::Email, ctx.lang, origin).await {
            Ok(()) | Err(Error::TooManyRequests(_)) => {}
            Err(e) => return Err(PageError(e)),
        }
        let cookie = start_flow(identity, headers, FLOW_VERIFY_EMAIL, Some(account.id), &data).await?;
        return Ok(redirect_with("/identity/verify-email", vec![cookie]));
    }
    if identity.has_second_factor(account).await? {
        let cookie = start_flow(identity, headers, FLOW_SIGN_IN, Some(account.id), &data).await?;
        return Ok(redirect_with("/identity/sign-in/mfa", vec![cookie]));
    }
    let (token, _) = identity.start_session(account.id, Aal::Aal1, vec!["pwd".into()], origin).await?;
    if let Some(old) = replaces {
        store::sessions::delete(identity.kernel.db(), old).await?;
    }
    let cookie = session_cookie(&token, https(identity, headers));
    let to = if aal >= Aal::Aal2 { with_return("/identity/mfa/setup", back, aal) } else { back.to_string() };
    Ok(redirect_with(&to, vec![cookie]))
}

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
    channel: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    aal: String,
}

#[derive(Template)]
#[template(path = "identity/acc_mfa.html", config = "templates/askama.toml")]
struct MfaPage {
    ctx: PageCtx,
    return_to: String,
    aal: String,
    has_totp: bool,
    /// The masked phone number codes can go to, when verified.
    phone: Option<String>,
    email: String,
    notice: Option<String>,
    errors: Errors,
}

/// Whose second step this is: a sign-in in progress (its flow) or a session stepping up.
enum Step {
    Flow(crate::accounts::store::auth::FlowRow, FlowData, Box<Account>),
    StepUp(Box<Current>, String, Aal),
}

impl Step {
    fn account(&self) -> &Account {
        match self {
            Step::Flow(_, _, a) => a,
            Step::StepUp(c, _, _) => &c.account,
        }
    }
    fn return_to(&self) -> &str {
        match self {
            Step::Flow(_, d, _) => &d.return_to,
            Step::StepUp(_, r, _) => r,
        }
    }
    fn aal(&self) -> Aal {
        match self {
            Step::Flow(_, d, _) => d.aal.unwrap_or(Aal::Aal2).max(Aal::Aal2),
            Step::StepUp(_, _, a) => (*a).max(Aal::Aal2),
        }
    }
}

async fn step_of(
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
) -> Result<Response, PageError> {
    let account = step.account();
    let phone = account.phone.as_ref().filter(|_| account.phone_verified_at.is_some()).map(|p| {
        let tail: String = p.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
        format!("•••{tail}")
    });
    let page = MfaPage {
        return_to: step.return_to().to_string(),
        aal: step.aal().as_str().into(),
        has_totp: pages.identity.has_totp(account.id).await?,
        phone,
        email: masked(&account.email),
        notice,
        errors,
        ctx,
    };
    let response = (page.errors.status(), render(&page)).into_response();
    Ok(pages.identity.leading_to_client(&page.return_to, response).await)
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
        if !pages.identity.has_second_factor(&current.account).await? {
            return Ok(Redirect::to(&with_return("/identity/mfa/setup", back, Aal::Aal2)).into_response());
        }
    }
    mfa_page(&pages, ctx, &step, None, Errors::default()).await
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
    if input.code.trim().is_empty() {
        errors.add("code", ctx.t("acc-error-code-empty"));
        return mfa_page(&pages, ctx, &step, None, errors).await;
    }
    match identity.check_second_factor(step.account(), &input.code, &origin).await? {
        FactorCheck::Accepted(factor) => {
            let amr = ["pwd", factor.amr(), "mfa"];
            match &step {
                Step::Flow(flow, data, account) => {
                    let amr = amr.iter().map(|m| m.to_string()).collect();
                    let (token, _) = identity.start_session(account.id, factor.aal(), amr, &origin).await?;
                    if let Some(old) = data.replaces {
                        store::sessions::delete(identity.kernel.db(), old).await?;
                    }
                    let clear = end_flow(identity, &headers, flow).await?;
                    let cookie = session_cookie(&token, https(identity, &headers));
                    Ok(redirect_with(&data.return_to, vec![clear, cookie]))
                }
                Step::StepUp(current, back, _) => {
                    identity.raise_session(&current.session, factor.aal(), &amr, &origin).await?;
                    Ok(Redirect::to(back).into_response())
                }
            }
        }
        FactorCheck::Wrong => {
            errors.add("code", ctx.t("acc-error-factor-wrong"));
            mfa_page(&pages, ctx, &step, None, errors).await
        }
        FactorCheck::CodeSpent => {
            errors.add("code", ctx.t("acc-error-code-exhausted"));
            mfa_page(&pages, ctx, &step, None, errors).await
        }
        FactorCheck::Throttled(until) => {
            errors.add("code", throttled_message(&ctx, until));
            mfa_page(&pages, ctx, &step, None, errors).await
        }
        FactorCheck::Locked => {
            let link = Some(("/identity/recover".to_string(), ctx.t("acc-recover-link")));
            Ok(message(ctx.clone(), StatusCode::FORBIDDEN, "acc-locked-title", vec![ctx.t("acc-error-locked")], link))
        }
    }
}

/// Send a code by email or SMS instead of the authenticator app.
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
    let channel = CodeChannel::parse(input.channel.trim()).unwrap_or(CodeChannel::Email);
    if !identity.has_second_factor(step.account()).await? {
        // Codes stand in for an enrolled factor; they are not one by themselves.
        errors.add("code", ctx.t("acc-error-no-second-factor"));
    } else {
        match identity.send_code(step.account(), CodePurpose::SignIn, channel, ctx.lang, &origin).await {
            Ok(()) => {
                notice = Some(ctx.t(match channel {
                    CodeChannel::Email => "acc-code-sent-email",
                    CodeChannel::Sms => "acc-code-sent-sms",
                }))
            }
            Err(Error::TooManyRequests(_)) => errors.add("code", ctx.t("acc-error-code-wait")),
            Err(Error::Invalid { .. }) => errors.add("code", ctx.t("acc-error-no-phone")),
            Err(e) => return Err(PageError(e)),
        }
    }
    mfa_page(&pages, ctx, &step, notice, errors).await
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
