//! Sign-up (name, email address, password) and the verification of the address with a code
//! sent through notify; a verified sign-up is signed in.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::domain::Email;
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;

use super::{
    Errors, FLOW_VERIFY_EMAIL, FlowData, Pages, StrengthView, end_flow, flow_of, https, password_problem,
    redirect_with, return_to, start_flow,
};
use crate::accounts::Origin;
use crate::accounts::codes::CodeCheck;
use crate::accounts::domain::{CodeChannel, CodePurpose};
use crate::accounts::password::{self, MIN_SINGLE_FACTOR};
use crate::accounts::sessions::session_cookie;
use crate::domain::Aal;

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct SignUpQuery {
    return_to: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct SignUpInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    return_to: String,
}

#[derive(Template)]
#[template(path = "identity/acc_sign_up.html", config = "templates/askama.toml")]
struct SignUpPage {
    ctx: PageCtx,
    form: SignUpInput,
    min: usize,
    strength: Option<StrengthView>,
    errors: Errors,
}

pub(crate) async fn form(ctx: PageCtx, Query(q): Query<SignUpQuery>) -> Response {
    let form = SignUpInput { return_to: return_to(q.return_to.as_deref()), ..Default::default() };
    render(&SignUpPage { ctx, form, min: MIN_SINGLE_FACTOR, strength: None, errors: Errors::default() })
}

pub(crate) async fn submit(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(mut input): Form<SignUpInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    input.return_to = return_to(Some(&input.return_to));
    let mut errors = Errors::default();
    if input.name.trim().is_empty() {
        errors.add("name", ctx.t("acc-error-name"));
    } else if input.name.trim().chars().count() > 200 {
        errors.add("name", ctx.t("acc-error-name-long"));
    }
    if Email::parse("email", &input.email).is_err() {
        errors.add("email", ctx.t("acc-error-email"));
    }
    let personal = [input.email.trim(), input.name.trim()];
    if let Err(problem) = password::check(&input.password, MIN_SINGLE_FACTOR, &personal) {
        errors.add("password", password_problem(&ctx, &problem));
    }
    if errors.is_empty() {
        match identity.sign_up(&input.name, &input.email, &input.password, ctx.lang, &origin).await {
            Ok(account_id) => {
                let data = FlowData { return_to: input.return_to.clone(), ..Default::default() };
                let cookie = start_flow(identity, &headers, FLOW_VERIFY_EMAIL, Some(account_id), &data).await?;
                return Ok(redirect_with("/identity/verify-email", vec![cookie]));
            }
            Err(Error::Conflict(_)) => errors.add("email", ctx.t("acc-error-email-taken")),
            Err(Error::Invalid { field, message }) => {
                let id = if ["name", "email", "password"].contains(&field.as_str()) { field } else { "email".into() };
                errors.add_service(&ctx, &id, message);
            }
            Err(e) => return Err(PageError(e)),
        }
    }
    let strength = StrengthView::typed(&ctx, &input.password, &personal);
    // A password is never sent back to the browser.
    input.password.clear();
    let status = errors.status();
    let page = SignUpPage { ctx, form: input, min: MIN_SINGLE_FACTOR, strength, errors };
    Ok((status, render(&page)).into_response())
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct CodeInput {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "identity/acc_verify_email.html", config = "templates/askama.toml")]
struct VerifyPage {
    ctx: PageCtx,
    email: String,
    notice: Option<String>,
    errors: Errors,
}

/// `a•••@example.org`: enough to recognise the address, not to read it off a shoulder.
pub(crate) fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

pub(crate) async fn verify_form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some((flow, _)) = flow_of(identity, &headers, FLOW_VERIFY_EMAIL).await? else {
        return Ok(Redirect::to("/identity/sign-up").into_response());
    };
    let account = identity.account(flow.account_id.unwrap_or_default()).await?;
    let page = VerifyPage { ctx, email: masked(&account.email), notice: None, errors: Errors::default() };
    Ok(render(&page))
}

pub(crate) async fn verify(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<CodeInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some((flow, data)) = flow_of(identity, &headers, FLOW_VERIFY_EMAIL).await? else {
        return Ok(Redirect::to("/identity/sign-up").into_response());
    };
    let account = identity.account(flow.account_id.unwrap_or_default()).await?;
    let mut errors = Errors::default();
    if input.code.trim().is_empty() {
        errors.add("code", ctx.t("acc-error-code-empty"));
    } else {
        match identity.verify_email(account.id, &input.code, &origin).await? {
            CodeCheck::Accepted(_) => {
                let (token, _) = identity.start_session(account.id, Aal::Aal1, vec!["pwd".into()], &origin).await?;
                let clear = end_flow(identity, &headers, &flow).await?;
                let cookie = session_cookie(&token, https(identity, &headers));
                return Ok(redirect_with(&data.return_to, vec![clear, cookie]));
            }
            other => errors.add("code", code_problem(&ctx, other)),
        }
    }
    let page = VerifyPage { ctx, email: masked(&account.email), notice: None, errors };
    Ok((page.errors.status(), render(&page)).into_response())
}

/// The translated explanation of a code that was not accepted.
pub(crate) fn code_problem(ctx: &PageCtx, check: CodeCheck) -> String {
    ctx.t(match check {
        CodeCheck::Expired => "acc-error-code-expired",
        CodeCheck::Exhausted => "acc-error-code-exhausted",
        CodeCheck::Missing => "acc-error-code-missing",
        CodeCheck::Wrong | CodeCheck::Accepted(_) => "acc-error-code-wrong",
    })
}

pub(crate) async fn resend(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let Some((flow, _)) = flow_of(identity, &headers, FLOW_VERIFY_EMAIL).await? else {
        return Ok(Redirect::to("/identity/sign-up").into_response());
    };
    let account = identity.account(flow.account_id.unwrap_or_default()).await?;
    let mut errors = Errors::default();
    let mut notice = None;
    match identity.send_code(&account, CodePurpose::VerifyEmail, CodeChannel::Email, ctx.lang, &origin).await {
        Ok(()) => notice = Some(ctx.t("acc-code-sent-email")),
        Err(Error::TooManyRequests(_)) => errors.add("code", ctx.t("acc-error-code-wait")),
        Err(e) => return Err(PageError(e)),
    }
    let page = VerifyPage { ctx, email: masked(&account.email), notice, errors };
    Ok((page.errors.status(), render(&page)).into_response())
}
