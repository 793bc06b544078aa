//! Token introspection (RFC 7662, `POST /identity/introspect`) and revocation (RFC 7009,
//! `POST /identity/revoke`), both for the client the token was issued to. Introspection says
//! `{"active": false}` for anything unknown, expired, revoked or another client's; revocation
//! always answers 200, and revoking a refresh token revokes its whole grant. A client's own
//! access tokens (client credentials) are self-contained: no row is kept for them until one
//! is revoked, when a row marked revoked keeps it refused until it expires.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use publica_kernel::crypto::sha256;
use publica_kernel::db::Timestamp;
use serde_json::{Map, Value, json};

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
    /// An access token this provider signed, live (not expired), with its record: its row,
    /// or for a client's self-contained token without one, what its claims say. `None` when
    /// it is not one, expired, or its row is gone.
    pub(crate) async fn live_access(
        &self,
        token: &str,
    ) -> publica_kernel::error::Result<Option<(Map<String, Value>, store::tokens::Access)>> {
        let Ok(claims) = self.verify_own(token, Some("at+jwt")) else { return Ok(None) };
        let now = Timestamp::now();
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(i64::MIN);
        if exp <= now.unix_seconds() {
            return Ok(None);
        }
        let Some(jti) = claims.get("jti").and_then(Value::as_str) else { return Ok(None) };
        Ok(self.access_record(&claims, jti).await?.map(|record| (claims, record)))
    }

    /// The record of a verified access token: its row, or for a client's self-contained token
    /// that has none (it has one only once revoked), what its signed claims say.
    pub(crate) async fn access_record(
        &self,
        claims: &Map<String, Value>,
        jti: &str,
    ) -> publica_kernel::error::Result<Option<store::tokens::Access>> {
        if let Some(row) = store::tokens::access(self.kernel.db(), jti).await? {
            return Ok(Some(row));
        }
        if !jti.starts_with(store::tokens::SELF_CONTAINED) {
            return Ok(None);
        }
        let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        let now = Timestamp::now();
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or_default();
        let at = |name: &str| {
            let secs = claims.get(name).and_then(Value::as_i64).unwrap_or(exp);
            time::OffsetDateTime::from_unix_timestamp(secs).map(Timestamp::from).unwrap_or(now)
        };
        Ok(Some(store::tokens::Access {
            jti: jti.to_string(),
            grant_id: None,
            client_id: text("client_id"),
            account_id: None,
            scope: text("scope"),
            userinfo_claims: Vec::new(),
            created_at: at("iat"),
            expires_at: at("exp"),
            revoked_at: None,
        }))
    }

    /// What introspection says of a token to `client`.
    pub async fn introspect(&self, client: &Client, token: &str) -> publica_kernel::error::Result<Value> {
        let inactive = json!({ "active": false });
        let now = Timestamp::now();
        if looks_like_jwt(token) {
            let Some((claims, record)) = self.live_access(token).await? else { return Ok(inactive) };
            if record.revoked_at.is_some() || record.client_id != client.client_id {
                return Ok(inactive);
            }
            let mut body = json!({ "active": true, "token_type": "Bearer" });
            for name in ["scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time", "acr"] {
                if let Some(value) = claims.get(name) {
                    body[name] = value.clone();
                }
            }
            return Ok(body);
        }
        let Some(refresh) = store::tokens::refresh(self.kernel.db(), &sha256(token.as_bytes())).await? else {
            return Ok(inactive);
        };
        let live = refresh.used_at.is_none()
            && refresh.revoked_at.is_none()
            && refresh.expires_at > now
            && refresh.account_usable;
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
            let Some((_, record)) = self.live_access(token).await? else { return Ok(()) };
            if record.client_id != client.client_id || record.revoked_at.is_some() {
                return Ok(());
            }
            if record.jti.starts_with(store::tokens::SELF_CONTAINED) {
                store::tokens::deny_access(self.kernel.db(), &record, now).await?;
            } else {
                store::tokens::revoke_access(self.kernel.db(), &record.jti, now).await?;
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
