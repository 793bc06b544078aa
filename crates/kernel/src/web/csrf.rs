//! CSRF protection for every HTML form. Each browser gets a random `publica_csrf` cookie; a
//! form carries `_csrf`, the HMAC of that cookie under a key derived from the master key. An
//! attacker can neither read the cookie nor compute the HMAC for one they planted.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, SameSite};

use crate::Kernel;
use crate::crypto::{b64url, constant_time_eq, hmac_sha256, random_token};

/// The hidden form field that carries the token.
pub const CSRF_FIELD: &str = "_csrf";
const COOKIE: &str = "publica_csrf";
/// Forms are small; larger bodies (uploads) carry the token in the query string instead.
const FORM_LIMIT: usize = 1024 * 1024;

pub(crate) fn token_for(kernel: &Kernel, cookie: &str) -> String {
    b64url(&hmac_sha256(kernel.csrf_key(), cookie.as_bytes()))
}

pub(super) async fn layer(State(kernel): State<Kernel>, mut request: Request, next: Next) -> Response {
    let jar = axum_extra::extract::CookieJar::from_headers(request.headers());
    let existing = jar.get(COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() >= 32);
    let https = super::is_https(&kernel, request.headers());
    let fresh = existing.is_none().then(random_token);
    let cookie_value = existing.clone().or_else(|| fresh.clone()).unwrap_or_default();
    let scope = super::page::PageScope {
        kernel: kernel.clone(),
        lang: super::page::negotiate(request.headers()),
        csrf: token_for(&kernel, &cookie_value),
        path: request.uri().path().to_string(),
        here: request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path().to_string(), |p| p.as_str().to_string()),
    };
    let unsafe_method = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        // A token in the query string (uploads) leaves the body to the handler, unbuffered;
        // otherwise the token is a field of the URL-encoded form, which is read here.
        let from_query = request.uri().query().and_then(|q| field(q.as_bytes()));
        let (submitted, rebuilt) = match from_query {
            Some(token) => (Some(token), request),
            None => {
                let (parts, body) = request.into_parts();
                let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
                    return super::page::PAGE.sync_scope(scope, || {
                        super::page::translated_error(StatusCode::PAYLOAD_TOO_LARGE, "error-form-too-large")
                    });
                };
                let is_form = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
                let token = if is_form { field(&bytes) } else { None };
                (token, Request::from_parts(parts, Body::from(bytes)))
            }
        };
        // `scope.csrf` is the token for the cookie the browser sent; a fresh cookie has none.
        let valid =
            existing.is_some() && submitted.is_some_and(|t| constant_time_eq(t.as_bytes(), scope.csrf.as_bytes()));
        if !valid {
            return super::page::PAGE
                .sync_scope(scope, || super::page::translated_error(StatusCode::FORBIDDEN, "error-csrf"));
        }
        request = rebuilt;
    }
    let mut response = super::page::PAGE.scope(scope, next.run(request)).await;
    if let Some(value) = fresh {
        let cookie =
            Cookie::build((COOKIE, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(https).build();
        if let Ok(v) = cookie.to_string().parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn field(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned())
}
