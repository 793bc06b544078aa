//! The pages of accounts: sign-up and email verification, sign-in with its second step,
//! authenticator setup, the account page and its actions, sign-out and recovery. Server-side
//! HTML that works without JavaScript, in every language Publica speaks; every form is
//! CSRF-checked by the kernel's page layer. Security keys and passkeys need the browser's
//! WebAuthn API: a small script of this origin drives their JSON ceremonies (`webauthn`).

mod account;
mod keys;
mod manage;
mod recover;
mod second_step;
mod setup;
mod signin;
mod signup;
mod webauthn;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use publica_kernel::Kernel;
use publica_kernel::crypto::{random_token, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::web::{PageCtx, PageError, When, render};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::domain::{ACCOUNT_PAGE, local_path};
use super::password::{self, Strength};
use super::sessions::{self, Current, FLOW_COOKIE, cookie_value};
use super::store::{self, auth::FlowRow};
use crate::domain::Aal;
use crate::service::Identity;

/// What every page handler receives.
#[derive(Clone)]
pub(crate) struct Pages {
    identity: Arc<Identity>,
}

impl FromRef<Pages> for Kernel {
    fn from_ref(state: &Pages) -> Kernel {
        state.identity.kernel.clone()
    }
}

pub fn routes(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/identity/sign-up", get(signup::form).post(signup::submit))
        .route("/identity/verify-email", get(signup::verify_form).post(signup::verify))
        .route("/identity/verify-email/resend", post(signup::resend))
        .route("/identity/sign-in", get(signin::form).post(signin::submit))
        .route("/identity/sign-in/mfa", get(second_step::mfa_form).post(second_step::mfa_submit))
        .route("/identity/sign-in/mfa/send", post(second_step::mfa_send))
        .route("/identity/sign-out", post(signin::sign_out))
        .route("/identity/mfa/setup", get(setup::form).post(setup::confirm))
        .route("/identity/account", get(account::show))
        .route("/identity/account/data.json", get(account::download))
        .route("/identity/account/password", get(manage::password_form).post(manage::password_submit))
        .route("/identity/account/totp/remove", post(manage::remove_totp))
        .route("/identity/account/recovery-codes", post(manage::regenerate))
        .route("/identity/account/phone", get(manage::phone_form).post(manage::phone_submit))
        .route("/identity/account/phone/verify", post(manage::phone_verify))
        .route("/identity/account/services/{client_id}/revoke", post(manage::revoke_service))
        .route("/identity/account/sign-out-everywhere", post(manage::sign_out_everywhere))
        .route("/identity/account/keys/{id}/remove", post(keys::remove_key))
        .route("/identity/account/devices/{id}/forget", post(keys::forget_device))
        .route("/identity/account/devices/forget-all", post(keys::forget_devices))
        .route("/identity/webauthn/register/options", post(webauthn::register_options))
        .route("/identity/webauthn/register/finish", post(webauthn::register_finish))
        .route("/identity/webauthn/authenticate/options", post(webauthn::authenticate_options))
        .route("/identity/webauthn/authenticate/finish", post(webauthn::authenticate_finish))
        .route("/identity/webauthn/passkey/options", post(webauthn::passkey_options))
        .route("/identity/webauthn/passkey/finish", post(webauthn::passkey_finish))
        .route("/identity/static/webauthn.js", get(webauthn::script))
        .route("/identity/recover", get(recover::form).post(recover::submit))
        .route("/identity/recover/reset", get(recover::reset_form).post(recover::reset))
        .with_state(Pages { identity })
}

/// A problem with what was entered in a form, shown next to the field and in the summary.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    /// The `id` of the input at fault.
    pub id: String,
    pub message: String,
    /// The language of the message when it differs from the page's.
    pub lang: Option<&'static str>,
}

/// The problems of a form.
#[derive(Clone, Debug, Default)]
pub(crate) struct Errors(pub Vec<FieldError>);

impl Errors {
    /// A problem found by the page, in the page's language.
    pub fn add(&mut self, id: &str, message: String) {
        self.0.push(FieldError { id: id.into(), message, lang: None });
    }

    /// A problem a service explained (in English).
    pub fn add_service(&mut self, ctx: &PageCtx, id: &str, message: String) {
        self.0.push(FieldError { id: id.into(), message, lang: ctx.english_unless_en() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn list(&self) -> &[FieldError] {
        &self.0
    }

    pub fn get(&self, id: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.id == id)
    }

    /// The `aria-describedby` of an input: its hint and, when there is one, its error.
    pub fn described(&self, id: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{id}-hint"));
        }
        if self.get(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }

    /// 422 when the form comes back with problems.
    pub fn status(&self) -> StatusCode {
        if self.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
    }
}

/// zxcvbn's feedback on a password, translated.
#[derive(Clone, Debug)]
pub(crate) struct StrengthView {
    pub score: u8,
    pub label: String,
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

impl StrengthView {
    pub fn of(ctx: &PageCtx, s: &Strength) -> StrengthView {
        StrengthView {
            score: s.score,
            label: ctx.t(&format!("acc-strength-{}", s.score.min(4))),
            warning: s.warning.map(|w| ctx.t(password::warning_id(w))),
            suggestions: s.suggestions.iter().map(|x| ctx.t(password::suggestion_id(*x))).collect(),
        }
    }

    /// The feedback on a password typed in a form that came back, when there was one.
    pub fn typed(ctx: &PageCtx, typed: &str, personal: &[&str]) -> Option<StrengthView> {
        (!typed.is_empty()).then(|| StrengthView::of(ctx, &password::strength(typed, personal)))
    }
}

/// The translated explanation of a password problem.
pub(crate) fn password_problem(ctx: &PageCtx, problem: &password::Problem) -> String {
    match problem {
        password::Problem::TooShort { min } => ctx.t1(problem.message_id(), "min", &min.to_string()),
        other => ctx.t1(other.message_id(), "max", &password::MAX_CHARS.to_string()),
    }
}

/// A page with a title, paragraphs and, maybe, a link onwards.
#[derive(Template)]
#[template(path = "identity/acc_message.html", config = "templates/askama.toml")]
pub(crate) struct MessagePage {
    pub ctx: PageCtx,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
}

pub(crate) fn message(
    ctx: PageCtx,
    status: StatusCode,
    title: &str,
    paragraphs: Vec<String>,
    link: Option<(String, String)>,
) -> Response {
    let page = MessagePage { title: ctx.t(title), paragraphs, link, ctx };
    (status, render(&page)).into_response()
}

/// A redirect that also sets (or clears) cookies.
pub(crate) fn redirect_with(to: &str, cookies: Vec<Option<HeaderValue>>) -> Response {
    with_cookies(Redirect::to(to).into_response(), cookies)
}

pub(crate) fn with_cookies(mut response: Response, cookies: Vec<Option<HeaderValue>>) -> Response {
    for value in cookies.into_iter().flatten() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(crate) fn https(identity: &Identity, headers: &HeaderMap) -> bool {
    publica_kernel::web::is_https(&identity.kernel, headers)
}

/// A `return_to` from a query or form: a local path, else the account page.
pub(crate) fn return_to(text: Option<&str>) -> String {
    text.and_then(local_path).unwrap_or_else(|| ACCOUNT_PAGE.to_string())
}

/// The `aal` a query or form asks for (`aal1` when absent or unknown).
pub(crate) fn wanted_aal(text: Option<&str>) -> Aal {
    text.and_then(|t| Aal::parse(t.trim())).unwrap_or(Aal::Aal1)
}

/// The sign-in page's address with its parameters.
pub(crate) fn sign_in_url(return_to: &str, aal: Aal, force: bool, login_hint: Option<&str>) -> String {
    let mut pairs = vec![("return_to", return_to.to_string())];
    if aal > Aal::Aal1 {
        pairs.push(("aal", aal.as_str().to_string()));
    }
    if force {
        pairs.push(("force", "1".into()));
    }
    if let Some(hint) = login_hint {
        pairs.push(("login_hint", hint.to_string()));
    }
    format!("/identity/sign-in?{}", publica_kernel::web::form::query(pairs))
}

/// An address on this server with `return_to` (and `aal`) as its query.
pub(crate) fn with_return(path: &str, return_to: &str, aal: Aal) -> String {
    let mut pairs = vec![("return_to", return_to.to_string())];
    if aal > Aal::Aal1 {
        pairs.push(("aal", aal.as_str().to_string()));
    }
    format!("{path}?{}", publica_kernel::web::form::query(pairs))
}

/// The signed-in session, or the way to the sign-in page and back to `here`.
pub(crate) async fn signed_in_or_redirect(
    identity: &Identity,
    headers: &HeaderMap,
    here: &str,
) -> Result<std::result::Result<Current, Response>, PageError> {
    match identity.current(headers).await? {
        Some(current) => Ok(Ok(current)),
        None => Ok(Err(Redirect::to(&sign_in_url(here, Aal::Aal1, false, None)).into_response())),
    }
}

/// For a sensitive action: the signed-in person whose last sign-in is recent enough, or the
/// way to sign in (again), coming back to `here`.
pub(crate) async fn recently_signed_in_or_redirect(
    identity: &Identity,
    headers: &HeaderMap,
    here: &str,
) -> Result<std::result::Result<Current, Response>, PageError> {
    let current = match signed_in_or_redirect(identity, headers, here).await? {
        Ok(current) => current,
        Err(to_sign_in) => return Ok(Err(to_sign_in)),
    };
    Ok(match reauthenticate(identity, &current, here) {
        Some(again) => Err(again),
        None => Ok(current),
    })
}

/// The answer when removing a second factor would leave the account with a password shorter
/// than a single factor needs: a conflict page leading to the password change.
pub(crate) fn removal_refused(ctx: &PageCtx, title: &str, text: &str) -> Response {
    let link = Some(("/identity/account/password".to_string(), ctx.t("acc-password-change")));
    message(ctx.clone(), StatusCode::CONFLICT, title, vec![ctx.t(text)], link)
}

/// For a sensitive action: the way to sign in again when the last sign-in is older than
/// `reauthenticate_minutes`, coming back to `here`.
pub(crate) fn reauthenticate(identity: &Identity, current: &Current, here: &str) -> Option<Response> {
    (!identity.recently_authenticated(&current.session))
        .then(|| Redirect::to(&sign_in_url(here, current.aal(), true, Some(&current.account.email))).into_response())
}

/// What a flow carries from page to page.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct FlowData {
    pub return_to: String,
    /// The level the sign-in must reach.
    #[serde(default)]
    pub aal: Option<Aal>,
    /// The session this sign-in replaces (a forced re-authentication), ended when it completes.
    #[serde(default)]
    pub replaces: Option<Uuid>,
    /// The address a recovery was asked for (shown masked on the next page).
    #[serde(default)]
    pub email: Option<String>,
}

pub(crate) const FLOW_VERIFY_EMAIL: &str = "verify-email";
pub(crate) const FLOW_SIGN_IN: &str = "sign-in-mfa";
pub(crate) const FLOW_RECOVER: &str = "recover";
const FLOW_MINUTES: i64 = 30;

/// Start a flow; returns its cookie.
pub(crate) async fn start_flow(
    identity: &Identity,
    headers: &HeaderMap,
    kind: &str,
    account_id: Option<Uuid>,
    data: &FlowData,
) -> Result<Option<HeaderValue>> {
    let token = random_token();
    let lifetime = time::Duration::minutes(FLOW_MINUTES);
    let value = serde_json::to_value(data).map_err(Error::internal)?;
    store::auth::insert_flow(
        identity.kernel.db(),
        &sha256(token.as_bytes()),
        kind,
        account_id,
        &value,
        Timestamp::now().plus(lifetime),
    )
    .await?;
    Ok(sessions::flow_cookie(&token, https(identity, headers), lifetime))
}

/// The flow of this kind in progress in this browser, with its data.
pub(crate) async fn flow_of(
    identity: &Identity,
    headers: &HeaderMap,
    kind: &str,
) -> Result<Option<(FlowRow, FlowData)>> {
    let Some(token) = cookie_value(headers, FLOW_COOKIE) else {
        return Ok(None);
    };
    let flow = store::auth::flow(identity.kernel.db(), &sha256(token.as_bytes()), Timestamp::now()).await?;
    Ok(flow.filter(|f| f.kind == kind).map(|f| {
        let data = serde_json::from_value(f.data.clone()).unwrap_or_default();
        (f, data)
    }))
}

pub(crate) async fn end_flow(identity: &Identity, headers: &HeaderMap, flow: &FlowRow) -> Result<Option<HeaderValue>> {
    store::auth::delete_flow(identity.kernel.db(), flow.id).await?;
    Ok(sessions::clear_flow_cookie(https(identity, headers)))
}

/// "Try again at 14:05:03 UTC": the translated refusal of a throttled attempt.
pub(crate) fn throttled_message(ctx: &PageCtx, until: Timestamp) -> String {
    let seconds = (until.unix_seconds() - Timestamp::now().unix_seconds()).max(1);
    ctx.t_args("acc-error-throttled", &[("time", When::of(until).text), ("seconds", seconds.to_string())])
}

/// An id in the path; anything else is a page that does not exist.
#[allow(dead_code)]
pub(crate) fn not_found(what: &str) -> PageError {
    PageError(Error::not_found(what.to_string()))
}
