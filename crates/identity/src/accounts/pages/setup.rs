//! Setting up an authenticator app: the secret in base32 and as an `otpauth://` URI (typed or
//! pasted into the app; no script, no QR code needed), confirmed by a first code; then the ten
//! recovery codes, shown once. Confirming proves the second factor, so the session reaches
//! `aal2`. Keeps `return_to`.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError, render};
use serde::Deserialize;

use super::{
    Errors, Pages, reauthenticate, recently_signed_in_or_redirect, return_to, signed_in_or_redirect, wanted_aal,
    with_return,
};
use crate::accounts::Origin;
use crate::accounts::totp;
use crate::domain::Aal;

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct SetupQuery {
    return_to: Option<String>,
    aal: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct SetupInput {
    #[serde(default)]
    code: String,
    #[serde(default)]
    return_to: String,
    #[serde(default)]
    aal: String,
}

#[derive(Template)]
#[template(path = "identity/acc_mfa_setup.html", config = "templates/askama.toml")]
struct SetupPage {
    ctx: PageCtx,
    secret: String,
    uri: String,
    return_to: String,
    aal: String,
    /// The service asked for a second factor and the account has none.
    needed: bool,
    errors: Errors,
}

#[derive(Template)]
#[template(path = "identity/acc_recovery_codes.html", config = "templates/askama.toml")]
pub(crate) struct RecoveryCodesPage {
    pub ctx: PageCtx,
    pub codes: Vec<String>,
    pub continue_to: String,
}

pub(crate) async fn form(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let back = return_to(q.return_to.as_deref());
    let aal = wanted_aal(q.aal.as_deref());
    let here = with_return("/identity/mfa/setup", &back, aal);
    let current = match signed_in_or_redirect(identity, &headers, &here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    if identity.has_totp(current.account.id).await? {
        // Already there: a session below the level asked for signs in with it instead.
        let to = if current.aal() < aal { with_return("/identity/sign-in/mfa", &back, aal) } else { back };
        return Ok(Redirect::to(&to).into_response());
    }
    if let Some(again) = reauthenticate(identity, &current, &here) {
        return Ok(again);
    }
    let enrolment = identity.totp_enrolment(&current.account).await?;
    let page = SetupPage {
        secret: totp::grouped(&enrolment.secret_base32),
        uri: enrolment.uri,
        return_to: back,
        aal: aal.as_str().into(),
        needed: aal >= Aal::Aal2,
        errors: Errors::default(),
        ctx,
    };
    Ok(pages.identity.leading_to_client(&page.return_to, render(&page)).await)
}

pub(crate) async fn confirm(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Form(input): Form<SetupInput>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let back = return_to(Some(&input.return_to));
    let aal = wanted_aal(Some(&input.aal));
    let here = with_return("/identity/mfa/setup", &back, aal);
    let current = match recently_signed_in_or_redirect(identity, &headers, &here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let mut errors = Errors::default();
    if input.code.trim().is_empty() {
        errors.add("code", ctx.t("acc-error-code-empty"));
    } else {
        match identity.confirm_totp(&current.account, &input.code, &origin).await {
            Ok(Some(codes)) => {
                // Typing the app's code proves the new factor: this session has two now.
                let token = identity.raise_session(&current.session, Aal::Aal2, &["otp", "mfa"], &origin).await?;
                let page = render(&RecoveryCodesPage { ctx, codes, continue_to: back });
                let cookie = crate::accounts::sessions::session_cookie(&token, super::https(identity, &headers));
                return Ok(super::with_cookies(page, vec![cookie]));
            }
            Ok(None) => errors.add("code", ctx.t("acc-error-factor-wrong")),
            Err(Error::Conflict(_)) => return Ok(Redirect::to(&here).into_response()),
            Err(e) => return Err(PageError(e)),
        }
    }
    let enrolment = identity.totp_enrolment(&current.account).await?;
    let page = SetupPage {
        secret: totp::grouped(&enrolment.secret_base32),
        uri: enrolment.uri,
        return_to: back,
        aal: aal.as_str().into(),
        needed: aal >= Aal::Aal2,
        errors,
        ctx,
    };
    let response = (page.errors.status(), render(&page)).into_response();
    Ok(pages.identity.leading_to_client(&page.return_to, response).await)
}
