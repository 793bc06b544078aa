//! What every HTML page needs: the language, the CSRF token for its forms, who is signed in,
//! and an error page in the same layout.

use askama::Template;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use crate::Kernel;
use crate::error::Error;
use crate::i18n::Lang;
use crate::sessions::StaffSession;

pub(crate) const LANG_COOKIE: &str = "publica_lang";
pub(crate) const SESSION_COOKIE: &str = "publica_session";

/// Per-request page facts, set by the page layer for handlers and error pages alike.
#[derive(Clone)]
pub(crate) struct PageScope {
    pub kernel: Kernel,
    pub lang: Lang,
    pub csrf: String,
    pub path: String,
    pub here: String,
}

tokio::task_local! {
    pub(crate) static PAGE: PageScope;
}

/// The language of a request: the `publica_lang` cookie, else `Accept-Language`, else English.
pub(crate) fn negotiate(headers: &HeaderMap) -> Lang {
    CookieJar::from_headers(headers)
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .or_else(|| {
            headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::En)
}

/// The context every template receives as `ctx`.
#[derive(Clone)]
pub struct PageCtx {
    kernel: Kernel,
    pub lang: Lang,
    /// The token to put in every form's `_csrf` field.
    pub csrf: String,
    /// The current path (for navigation's current-page marks).
    pub path: String,
    /// The current path and query, so the language switch comes back to this very page
    /// (a sign-in page keeps its `return_to`).
    pub here: String,
    pub staff: Option<StaffSession>,
}

impl PageCtx {
    fn from_scope(scope: PageScope, staff: Option<StaffSession>) -> Self {
        PageCtx { kernel: scope.kernel, lang: scope.lang, csrf: scope.csrf, path: scope.path, here: scope.here, staff }
    }

    /// Translate a message id.
    pub fn t(&self, id: &str) -> String {
        self.kernel.i18n().t(self.lang, id)
    }

    /// Translate with one argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.kernel.i18n().t_args(self.lang, id, &[(name, value.to_string())])
    }

    /// Translate with arguments.
    pub fn t_args(&self, id: &str, args: &[(&str, String)]) -> String {
        self.kernel.i18n().t_args(self.lang, id, args)
    }

    /// The language of an explanation written in English (service and validation errors),
    /// for its `lang` attribute when the page is in another language.
    pub fn english_unless_en(&self) -> Option<&'static str> {
        (self.lang != Lang::En).then_some("en")
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The languages one can switch to from here.
    pub fn other_langs(&self) -> Vec<Lang> {
        Lang::ALL.into_iter().filter(|l| *l != self.lang).collect()
    }

    pub fn demo(&self) -> bool {
        self.kernel.demo_credentials().is_some()
    }

    pub fn is_staff(&self) -> bool {
        self.staff.is_some()
    }

    pub fn is_admin(&self) -> bool {
        self.staff.as_ref().is_some_and(|s| s.require("admin").is_ok())
    }
}

impl<S> FromRequestParts<S> for PageCtx
where
    Kernel: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let kernel = Kernel::from_ref(state);
        let scope =
            PAGE.try_with(Clone::clone).map_err(|_| PageError(Error::internal("page route outside the page layer")))?;
        let staff = match CookieJar::from_headers(&parts.headers).get(SESSION_COOKIE) {
            Some(cookie) => kernel.session(cookie.value()).await?,
            None => None,
        };
        Ok(PageCtx::from_scope(scope, staff))
    }
}

/// A page that needs someone signed in: sends others to the sign-in page.
pub struct Staff(pub PageCtx, pub StaffSession);

impl<S> FromRequestParts<S> for Staff
where
    Kernel: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = PageCtx::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match ctx.staff.clone() {
            Some(staff) => Ok(Staff(ctx, staff)),
            None => Err(Redirect::to("/signin").into_response()),
        }
    }
}

/// Render a template to a response; a rendering failure becomes an error page.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError(Error::internal(e)).into_response(),
    }
}

/// A simple page: a title and paragraphs, in the common layout.
#[derive(Template)]
#[template(path = "message.html")]
pub struct Page {
    pub ctx: PageCtx,
    pub title: String,
    pub paragraphs: Vec<String>,
    /// The language of the paragraphs when it differs from the page's (untranslated detail).
    pub paragraphs_lang: Option<&'static str>,
}

/// An [`Error`] shown as an HTML page in the visitor's language.
#[derive(Debug)]
pub struct PageError(pub Error);

/// An error page whose explanation is a translated message.
pub fn translated_error(status: StatusCode, message_id: &str) -> Response {
    error_page(status, |ctx| (ctx.t(message_id), None), || message_id.to_string())
}

/// The error page in the visitor's language: `detail` gives the explanation and, when it is
/// not in the page's language, its own; `plain` is the text answer outside the page layer.
fn error_page(
    status: StatusCode,
    detail: impl FnOnce(&PageCtx) -> (String, Option<&'static str>),
    plain: impl FnOnce() -> String,
) -> Response {
    let Ok(scope) = PAGE.try_with(Clone::clone) else {
        return (status, plain()).into_response();
    };
    let ctx = PageCtx::from_scope(scope, None);
    let (paragraph, lang) = detail(&ctx);
    let page = Page {
        title: ctx.t(&format!("error-title-{}", status.as_u16())),
        paragraphs: vec![paragraph],
        paragraphs_lang: lang,
        ctx,
    };
    (status, render(&page)).into_response()
}

impl<E: Into<Error>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self.0, "internal error on a page");
        }
        let error = self.0;
        let plain = error.to_string();
        // Service errors explain themselves in English; say so to screen readers elsewhere.
        error_page(
            status,
            |ctx| match &error {
                Error::Internal(_) => (ctx.t("error-internal"), None),
                Error::Unavailable(_) => (ctx.t("error-unavailable"), None),
                Error::NotFound(_) => (ctx.t("error-not-found"), None),
                other => (other.to_string(), ctx.english_unless_en()),
            },
            || plain,
        )
    }
}

/// Whether the client is a browser asking for a page rather than an API client.
pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Unknown paths: an HTML page for browsers (inside the page layer), problem+json otherwise.
pub(super) async fn not_found() -> Response {
    if PAGE.try_with(|_| ()).is_ok() {
        return translated_error(StatusCode::NOT_FOUND, "error-not-found");
    }
    crate::error::ApiError(Error::not_found("this resource")).into_response()
}
