//! The authorization endpoint over HTTP: `GET /identity/authorize` (a page route: its errors
//! are pages in the person's language); `POST /identity/authorize` (an API route, as clients
//! post forms without Publica's CSRF token: the request is stored and the browser continues
//! with a GET, which carries the session cookie; its page errors are shown by a redirect to
//! `GET /identity/authorize/problem`); `GET /identity/authorize/continue/{interaction}`; and
//! pushed authorization requests (`POST /identity/par`, RFC 9126).
//!
//! Starting an interaction (re)sets the browser-binding cookie (`publica_oidc_browser`, path
//! `/identity`, HttpOnly, `SameSite=Lax`, for as long as an interaction lives); continuing it
//! without that cookie shows an error page (see [`super::flow`]).
//!
//! A request's `ui_locales` sets the page language for the interaction: the consent page uses
//! it, the sign-in page receives it as a parameter, and when the browser has no language
//! cookie yet a session cookie with it is set, so every page of the interaction follows.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use publica_kernel::crypto::random_token;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::web::PageCtx;
use serde::{Deserialize, Serialize};

use super::error::{OAuthError, no_store};
use super::flow::{BROWSER_COOKIE, INTERACTION_MINUTES, Started, continue_path};
use super::pages::{Pages, error_page};
use super::request::{self, PAR_PREFIX, Params, Rejection};
use super::store;
use super::token::form;
use crate::accounts::Origin;
use crate::service::Identity;

/// The kernel's language cookie (`publica_lang`).
const LANG_COOKIE: &str = "publica_lang";
/// How long a pushed request may wait for its authorization request.
pub const PAR_SECONDS: i64 = 60;

fn parse_query(query: Option<String>) -> Params {
    Params(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
}

/// A session cookie with the interaction's language, unless the browser chose one already.
fn language_cookie(identity: &Identity, headers: &HeaderMap, params: &Params) -> Option<Cookie<'static>> {
    if CookieJar::from_headers(headers).get(LANG_COOKIE).is_some() {
        return None;
    }
    let lang = params.get("ui_locales").ok()??.split_whitespace().find_map(publica_kernel::i18n::Lang::parse)?;
    let https = publica_kernel::web::is_https(identity.kernel(), headers);
    Some(Cookie::build((LANG_COOKIE, lang.code())).path("/").same_site(SameSite::Lax).secure(https).build())
}

/// The value binding this browser's interactions: the one its cookie holds, or a new one; and
/// the cookie to (re)set, which lives as long as an interaction.
fn browser_binding(identity: &Identity, headers: &HeaderMap) -> (String, Cookie<'static>) {
    let value = browser_cookie(headers).unwrap_or_else(random_token);
    let https = publica_kernel::web::is_https(identity.kernel(), headers);
    let cookie = Cookie::build((BROWSER_COOKIE, value.clone()))
        .path("/identity")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .max_age(time::Duration::minutes(INTERACTION_MINUTES))
        .build();
    (value, cookie)
}

/// The value of the browser's binding cookie, when it has a well-formed one.
pub(super) fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(BROWSER_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| (32..=128).contains(&v.len()))
}

/// Start, then continue at once with whoever is signed in: where to send the browser.
async fn authorize(
    identity: &Identity,
    headers: &HeaderMap,
    origin: &Origin,
    params: Params,
    browser: &str,
) -> Result<Result<String, Rejection>, Error> {
    match identity.start_authorization(params, browser).await? {
        Started::Rejected(rejection) => Ok(Err(rejection)),
        Started::Interaction(id) => {
            let session = identity.signed_in(headers).await?;
            Ok(Ok(identity.continue_authorization(&id, session.as_ref(), origin, Some(browser)).await?))
        }
    }
}

fn redirect_with(location: &str, cookies: impl IntoIterator<Item = Cookie<'static>>) -> Response {
    let mut response = Redirect::to(location).into_response();
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    no_store(&mut response);
    response
}

pub(super) async fn get(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    origin: Origin,
    RawQuery(q): RawQuery,
) -> Response {
    let params = parse_query(q);
    let cookie = language_cookie(&pages.identity, &headers, &params);
    let lang = params
        .get("ui_locales")
        .ok()
        .flatten()
        .and_then(|l| l.split_whitespace().find_map(publica_kernel::i18n::Lang::parse));
    let ctx = super::pages::in_lang(ctx, lang);
    let (browser, binding) = browser_binding(&pages.identity, &headers);
    match authorize(&pages.identity, &headers, &origin, params, &browser).await {
        Ok(Ok(location)) => redirect_with(&location, cookie.into_iter().chain([binding])),
        Ok(Err(Rejection::Redirect(e))) => redirect_with(&request::error_location(&e, pages.identity.issuer()), None),
        Ok(Err(Rejection::Page { message, detail })) => error_page(ctx, StatusCode::BAD_REQUEST, message, Some(detail)),
        Err(e) => publica_kernel::web::PageError(e).into_response(),
    }
}

/// A client's form post arrives from another site, so the browser leaves out the session
/// cookie (`SameSite=Lax`): the interaction is stored and the browser sent on to continue it
/// with a top-level GET, which carries the cookie.
pub(super) async fn post(State(identity): State<Arc<Identity>>, headers: HeaderMap, body: Bytes) -> Response {
    let params = Params(url::form_urlencoded::parse(&body).into_owned().collect());
    let cookie = language_cookie(&identity, &headers, &params);
    let (browser, binding) = browser_binding(&identity, &headers);
    match identity.start_authorization(params, &browser).await {
        Ok(Started::Interaction(id)) => redirect_with(&continue_path(&id), cookie.into_iter().chain([binding])),
        Ok(Started::Rejected(Rejection::Redirect(e))) => {
            redirect_with(&request::error_location(&e, identity.issuer()), None)
        }
        Ok(Started::Rejected(Rejection::Page { message, .. })) => {
            let query = publica_kernel::web::form::query([("message", message)]);
            redirect_with(&format!("/identity/authorize/problem?{query}"), None)
        }
        Err(e) => publica_kernel::error::ApiError(e).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct ProblemQuery {
    #[serde(default)]
    message: String,
}

pub(super) async fn problem(ctx: PageCtx, Query(q): Query<ProblemQuery>) -> Response {
    error_page(ctx, StatusCode::BAD_REQUEST, &q.message, None)
}

pub(super) async fn resume(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    origin: Origin,
    Path(id): Path<String>,
) -> Response {
    let identity = &pages.identity;
    let outcome = async {
        let session = identity.signed_in(&headers).await?;
        identity.continue_authorization(&id, session.as_ref(), &origin, browser_cookie(&headers).as_deref()).await
    };
    match outcome.await {
        Ok(location) => redirect_with(&location, None),
        Err(Error::NotFound(_) | Error::Conflict(_)) => {
            error_page(ctx, StatusCode::BAD_REQUEST, "oidc-error-expired", None)
        }
        Err(Error::Forbidden(_)) => error_page(ctx, StatusCode::FORBIDDEN, "oidc-error-other-browser", None),
        Err(e) => publica_kernel::web::PageError(e).into_response(),
    }
}

/// The answer of the PAR endpoint (RFC 9126 §2.2).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PushedResponse {
    pub request_uri: String,
    pub expires_in: i64,
}

pub(super) async fn par(State(identity): State<Arc<Identity>>, headers: HeaderMap, body: Bytes) -> Response {
    let outcome = async {
        let mut params = form(&headers, &body)?;
        let client = identity.authenticate_client(&headers, &params, &format!("{}/par", identity.issuer())).await?;
        identity.push_request(&client, &mut params).await
    };
    match outcome.await {
        Ok(pushed) => {
            let mut response = (StatusCode::CREATED, axum::Json(pushed)).into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}

impl Identity {
    /// Check a pushed authorization request now (the same checks as at the authorization
    /// endpoint) and keep it for [`PAR_SECONDS`], for one use.
    pub async fn push_request(
        &self,
        client: &super::Client,
        params: &mut Params,
    ) -> Result<PushedResponse, OAuthError> {
        params.0.retain(|(k, _)| !["client_secret", "client_assertion", "client_assertion_type"].contains(&k.as_str()));
        if params.get("request_uri").map_err(OAuthError::invalid_request)?.is_some() {
            return Err(OAuthError::invalid_request("a pushed request may not carry request_uri"));
        }
        let now = Timestamp::now();
        if let Some(token) = params.get("request").map_err(OAuthError::invalid_request)? {
            // RFC 9126 §3 and RFC 9101 §5: the object's parameters, and only they, make the request.
            let invalid_object = |e: String| OAuthError::new("invalid_request_object", e);
            let claims = request::verify_request_object(token, client, self.issuer(), now.unix_seconds())
                .map_err(invalid_object)?;
            let inner = params.from_request_object(&claims).map_err(invalid_object)?;
            self.spend_request_object(client, &claims).await?.map_err(invalid_object)?;
            *params = inner;
        }
        if !params.0.iter().any(|(k, _)| k == "client_id") {
            params.0.push(("client_id".into(), client.client_id.clone()));
        }
        if params.get("client_id").map_err(OAuthError::invalid_request)? != Some(client.client_id.as_str()) {
            return Err(OAuthError::invalid_request("client_id differs from the authenticated client"));
        }
        let redirect_uri = request::redirect_uri(params, client).map_err(|r| match r {
            Rejection::Page { detail, .. } => OAuthError::invalid_request(detail),
            Rejection::Redirect(e) => OAuthError::invalid_request(e.description),
        })?;
        request::check(params, client, redirect_uri, &self.config.acr)
            .map_err(|e| OAuthError::new(e.error, e.description))?;
        let id = random_token();
        store::flow::insert_pushed(
            self.kernel.db(),
            &id,
            &client.client_id,
            &params.0,
            now.plus(time::Duration::seconds(PAR_SECONDS)),
        )
        .await?;
        Ok(PushedResponse { request_uri: format!("{PAR_PREFIX}{id}"), expires_in: PAR_SECONDS })
    }
}
