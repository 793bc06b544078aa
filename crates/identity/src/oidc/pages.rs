//! What the provider's pages share: their state, the page language an interaction asked for
//! (`ui_locales`), `Content-Security-Policy` for
//! pages whose forms end at a client, and the page of a refused request.

use std::sync::Arc;

use askama::Template;
use axum::extract::FromRef;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::Kernel;
use publica_kernel::i18n::Lang;
use publica_kernel::web::{PageCtx, render};

use crate::service::Identity;

/// The state of the provider's page handlers.
#[derive(Clone)]
pub struct Pages {
    pub kernel: Kernel,
    pub identity: Arc<Identity>,
}

impl FromRef<Pages> for Kernel {
    fn from_ref(state: &Pages) -> Kernel {
        state.kernel.clone()
    }
}

impl Pages {
    pub fn new(identity: Arc<Identity>) -> Pages {
        Pages { kernel: identity.kernel().clone(), identity }
    }
}

/// A page in the language the client asked for, when Publica speaks it.
pub fn in_lang(mut ctx: PageCtx, lang: Option<Lang>) -> PageCtx {
    if let Some(lang) = lang {
        ctx.lang = lang;
    }
    ctx
}

/// The kernel's page policy with `origins` allowed as form targets, for a page whose form's
/// answer redirects to a client (browsers apply `form-action` to every redirect of a form).
pub fn allow_form_targets(response: &mut Response, origins: &[String]) {
    if let Ok(value) = HeaderValue::from_str(&publica_kernel::web::page_policy_with_form_targets(origins)) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The page of a request that cannot be answered to the client.
#[derive(Template)]
#[template(path = "identity/oidc_error.html", config = "templates/askama.toml")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    /// A Fluent id saying what is wrong.
    pub message: String,
    /// The technical detail, in English.
    pub detail: Option<String>,
}

/// The messages an error page may show (anything else is the generic one).
pub const ERROR_MESSAGES: [&str; 11] = [
    "oidc-error-bad-request",
    "oidc-error-no-client",
    "oidc-error-unknown-client",
    "oidc-error-no-redirect-uri",
    "oidc-error-redirect-uri",
    "oidc-error-pushed",
    "oidc-error-expired",
    "oidc-error-logout",
    "oidc-error-post-logout-uri",
    "oidc-error-other-browser",
    "oidc-error-logout-expired",
];

pub fn error_page(ctx: PageCtx, status: StatusCode, message: &str, detail: Option<String>) -> Response {
    let message = if ERROR_MESSAGES.contains(&message) { message } else { "oidc-error-bad-request" };
    (status, render(&ErrorPage { ctx, message: message.to_string(), detail })).into_response()
}
