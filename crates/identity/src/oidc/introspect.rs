//! Token introspection (RFC 7662, `POST /identity/introspect`) and revocation (RFC 7009,
//! `POST /identity/revoke`), both for the client the token was issued to. Introspection says
//! `{"active": false}` for anything unknown, expired, revoked or another client's; revocation
//! always answers 200, and revoking a refresh token revokes its whole grant.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use publica_kernel::crypto::sha256;
use publica_kernel::db::Timestamp;
use serde_json::{Value, json};

use super::client::Client;
use super::error::{OAuthError, no_store};
use super::store;
use super::token::{form, required};
use crate::service::Identity;

fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

pub(super) async fn introspect_endpoint(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = async {
        let params = form(&headers, &body)?;
        let client =
            identity.authenticate_client(&headers, &params, &format!("{}/introspect", identity.issuer)).await?;
        if client.is_public() {
            return Err(OAuthError::invalid_client("introspection is for confidential clients"));
        }
        let token = required(&params, "token")?;
        Ok(identity.introspect(&client, token).await?)
    };
    match outcome.await {
        Ok(body) => {
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}

pub(super) async fn revoke_endpoint(
    State(identity): State<Arc<Identity>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = async {
        let params = form(&headers, &body)?;
        let client = identity.authenticate_client(&headers, &params, &format!("{}/revoke", identity.issuer)).await?;
        let token = required(&params, "token")?;
        identity.revoke(&client, token).await?;
        Ok::<_, OAuthError>(())
    };
    match outcome.await {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}

impl Identity {
    /// What introspection says of a token to `client`.
    pub async fn introspect(&self, client: &Client, token: &str) -> publica_kernel::error::Result<Value> {
        let inactive = json!({ "active": false });
        let now = Timestamp::now();
        if looks_like_jwt(token) {
            let Ok(access) = self.check_access_token(token).await else { return Ok(inactive) };
            if access.record.client_id != client.client_id {
                return Ok(inactive);
            }
            let mut body = json!({ "active": true, "token_type": "Bearer" });
            for name in ["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time", "acr"] {
                if let Some(value) = access.claims.get(name) {
                    body[name] = value.clone();
                }
            }
            return Ok(body);
        }
        let Some(refresh) = store::tokens::refresh(self.kernel.db(), &sha256(token.as_bytes())).await? else {
            return Ok(inactive);
        };
        let live = refresh.used_at.is_none() && refresh.revoked_at.is_none() && refresh.expires_at > now;
        if !live || refresh.client_id != client.client_id {
            return Ok(inactive);
        }
        Ok(json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": refresh.grant.scope(),
            "client_id": client.client_id,
            "sub": self.subject_for(client, refresh.account_id),
            "iss": self.issuer,
            "iat": refresh.created_at.unix_seconds(),
            "exp": refresh.expires_at.unix_seconds(),
            "auth_time": refresh.grant.auth_time,
        }))
    }

    /// Revoke a token of `client`; silently nothing for unknown tokens or another client's.
    pub async fn revoke(&self, client: &Client, token: &str) -> publica_kernel::error::Result<()> {
        let now = Timestamp::now();
        if looks_like_jwt(token) {
            let Ok(claims) = self.verify_own(token, Some("at+jwt")) else { return Ok(()) };
            let Some(jti) = claims.get("jti").and_then(Value::as_str) else { return Ok(()) };
            if let Some(record) = store::tokens::access(self.kernel.db(), jti).await?
                && record.client_id == client.client_id
            {
                store::tokens::revoke_access(self.kernel.db(), jti, now).await?;
            }
            return Ok(());
        }
        if let Some(refresh) = store::tokens::refresh(self.kernel.db(), &sha256(token.as_bytes())).await?
            && refresh.client_id == client.client_id
        {
            let mut tx = self.kernel.db().begin().await?;
            store::tokens::revoke_grant(&mut tx, refresh.grant_id, now).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}
