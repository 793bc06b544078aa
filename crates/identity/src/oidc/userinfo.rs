//! The userinfo endpoint (`GET/POST /identity/userinfo`): the claims the access token's scopes
//! (and the `claims` parameter's `userinfo` member) ask for, as JSON or, when the client
//! registered `userinfo_signed_response_alg`, as a signed JWT (`application/jwt`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::db::Timestamp;
use serde_json::{Map, Value, json};

use super::claims;
use super::error::{bearer_error, no_store};
use super::store;
use crate::service::Identity;

/// An access token Publica issued, checked: signature, issuer, expiry, not revoked.
#[derive(Clone, Debug)]
pub struct CheckedAccess {
    pub claims: Map<String, Value>,
    pub record: store::tokens::Access,
}

impl Identity {
    /// Check an access token; `Err` says why it is not (or no longer) valid.
    pub async fn check_access_token(&self, token: &str) -> Result<CheckedAccess, String> {
        let claims = self.verify_own(token, Some("at+jwt"))?;
        let now = Timestamp::now();
        if claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp <= now.unix_seconds()) {
            return Err("the access token has expired".into());
        }
        let jti = claims.get("jti").and_then(Value::as_str).ok_or("the access token has no jti")?;
        let record =
            self.access_record(&claims, jti).await.map_err(|e| e.to_string())?.ok_or("the access token is unknown")?;
        if record.revoked_at.is_some() {
            return Err("the access token has been revoked".into());
        }
        Ok(CheckedAccess { claims, record })
    }
}

/// Why a request carries no usable bearer token.
enum NoToken {
    Twice,
    Missing,
}

impl NoToken {
    fn response(self) -> Response {
        match self {
            NoToken::Twice => bearer_error(StatusCode::BAD_REQUEST, "invalid_request", "send the access token once"),
            NoToken::Missing => {
                let mut response = (StatusCode::UNAUTHORIZED, "").into_response();
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"publica-identity\""));
                response
            }
        }
    }
}

fn bearer_token(headers: &HeaderMap, body: &Bytes) -> Result<String, NoToken> {
    let from_header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
    });
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    let from_body = if is_form {
        url::form_urlencoded::parse(body).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
    } else {
        None
    };
    match (from_header, from_body) {
        (Some(_), Some(_)) => Err(NoToken::Twice),
        (Some(t), None) | (None, Some(t)) if !t.is_empty() => Ok(t),
        _ => Err(NoToken::Missing),
    }
}

pub(super) async fn endpoint(State(identity): State<Arc<Identity>>, headers: HeaderMap, body: Bytes) -> Response {
    let token = match bearer_token(&headers, &body) {
        Ok(t) => t,
        Err(why) => return why.response(),
    };
    let access = match identity.check_access_token(&token).await {
        Ok(a) => a,
        Err(why) => return bearer_error(StatusCode::UNAUTHORIZED, "invalid_token", &why),
    };
    match identity.userinfo(&access).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "userinfo");
            bearer_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "retry shortly")
        }
    }
}

impl Identity {
    async fn userinfo(&self, access: &CheckedAccess) -> publica_kernel::error::Result<Response> {
        let userinfo_url = self.userinfo_url();
        let aud_ok = match access.claims.get("aud") {
            Some(Value::String(a)) => *a == userinfo_url,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(userinfo_url.as_str())),
            _ => false,
        };
        let scopes: Vec<String> = access.record.scope.split_whitespace().map(str::to_string).collect();
        let Some(account_id) = access.record.account_id.filter(|_| aud_ok && scopes.iter().any(|s| s == "openid"))
        else {
            return Ok(bearer_error(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "this access token is not for userinfo (it needs the openid scope)",
            ));
        };
        let client = self.client(&access.record.client_id).await?;
        let mut names = claims::for_userinfo(&scopes, None);
        names.extend(access.record.userinfo_claims.iter().cloned());
        // Only what the client may have now (its scopes may have been narrowed since).
        names.retain(|name| claims::may_receive(name, &client.scopes));
        names.sort();
        names.dedup();
        let mut body = claims::values(&self.account_claims(account_id).await?, &names);
        body.insert("sub".into(), json!(self.subject_for(&client, account_id)));
        let mut response = match client.userinfo_signed_response_alg {
            None => axum::Json(Value::Object(body)).into_response(),
            Some(alg) => {
                body.insert("iss".into(), json!(self.issuer));
                body.insert("aud".into(), json!(client.client_id));
                let now = Timestamp::now().unix_seconds();
                body.insert("iat".into(), json!(now));
                let jwt = self.sign_jwt(alg, "JWT", &Value::Object(body))?;
                ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response()
            }
        };
        no_store(&mut response);
        Ok(response)
    }
}
