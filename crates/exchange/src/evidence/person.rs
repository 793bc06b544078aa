//! Interim authentication of the person an evidence request is about, until Publica has an
//! identity block: whoever holds the request's preview token (the consumer's service hands it
//! to the person it has itself authenticated) is taken to be that person. The token works
//! once: it opens a session for this request only (a cookie scoped to the request's pages,
//! whose hash is stored) and the browser is sent on to the page without the token, so the
//! token lingers in no history or address bar. [`identify`] is the one place to replace when
//! persons sign in for real: it will compare the signed-in person's national id with the
//! request's.

use axum::http::{HeaderMap, HeaderValue, header};
use publica_kernel::audit::Actor;
use publica_kernel::crypto::{constant_time_eq, random_token, sha256};
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::Result;

use super::PAGE_PREFIX;
use super::model::EvidenceRequest;
use super::store;

/// How decisions are marked in the audit log while persons are authenticated by the link.
pub const METHOD: &str = "preview-link";

/// The cookie of a person's session on one request's pages.
pub const COOKIE: &str = "publica_evidence";

/// Who the visitor is, for one request.
pub enum Visitor {
    /// The person the request is about (their session).
    Person,
    /// The person, who has just spent the token: set this session secret and send them on.
    Arrived { secret: String },
    /// Anyone else, including whoever comes back with a spent token.
    Stranger,
}

/// Decide whether the visitor is the person `request` is about: their session cookie, else
/// the preview token (spent by this call).
pub async fn identify(db: &Db, request: &EvidenceRequest, token: Option<&str>, headers: &HeaderMap) -> Result<Visitor> {
    if let (Some(secret), Some(hash)) = (cookie(headers), &request.session_hash)
        && constant_time_eq(&sha256(secret.as_bytes()), hash)
    {
        return Ok(Visitor::Person);
    }
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty() && t.len() <= 128) else {
        return Ok(Visitor::Stranger);
    };
    let secret = random_token();
    let spent =
        store::spend_token(db, request.id, &sha256(token.as_bytes()), &sha256(secret.as_bytes()), Timestamp::now())
            .await?;
    Ok(if spent { Visitor::Arrived { secret } } else { Visitor::Stranger })
}

/// Who decided, for the audit log.
pub fn actor(national_id: &str) -> Actor {
    Actor(format!("person:{national_id}"))
}

/// The session cookie for a request's pages, kept until its deadline.
pub fn session_cookie(request: &EvidenceRequest, secret: &str, secure: bool) -> Option<HeaderValue> {
    let seconds = (request.expires_at.unix_seconds() - Timestamp::now().unix_seconds()).max(60)
        + super::RELEASE_WINDOW.whole_seconds();
    let mut text =
        format!("{COOKIE}={secret}; Path={PAGE_PREFIX}/{}; Max-Age={seconds}; HttpOnly; SameSite=Lax", request.id);
    if secure {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).ok()
}

/// The session secret the browser sent, if any.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("publica_csrf=abc; publica_evidence=s3cret; x=y"));
        assert_eq!(cookie(&headers).as_deref(), Some("s3cret"));
        headers.insert(header::COOKIE, HeaderValue::from_static("publica_evidence_other=1"));
        assert_eq!(cookie(&headers), None);
    }
}
