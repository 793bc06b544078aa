//! The token endpoint (`POST /identity/token`): the authorization code grant (single use: a
//! replayed code revokes what it gave; the redirect URI and the PKCE verifier must match),
//! refresh tokens (rotated on every use; reusing an old one revokes the whole grant), and
//! client credentials (a JWT access token for the client itself).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::{b64url, random_token, sha256};
use publica_kernel::db::Timestamp;
use serde::Serialize;
use serde_json::{Map, json};
use std::sync::Arc;

use super::claims::{self, Target};
use super::client::{Client, GrantType};
use super::error::{OAuthError, no_store};
use super::request::Params;
use super::store::{self, Grant, flow::Spent};
use crate::service::Identity;

/// A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The form of a back-channel request, or `invalid_request` when it is not a form.
pub fn form(headers: &HeaderMap, body: &Bytes) -> Result<Params, OAuthError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("send the parameters as application/x-www-form-urlencoded"));
    }
    Ok(Params(url::form_urlencoded::parse(body).into_owned().collect()))
}

pub(super) async fn endpoint(State(identity): State<Arc<Identity>>, headers: HeaderMap, body: Bytes) -> Response {
    let outcome = async {
        let params = form(&headers, &body)?;
        identity.token(&headers, &params).await
    };
    match outcome.await {
        Ok(tokens) => {
            let mut response = (StatusCode::OK, axum::Json(tokens)).into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}

pub(super) fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get(name)
        .map_err(OAuthError::invalid_request)?
        .ok_or_else(|| OAuthError::invalid_request(format!("`{name}` is missing")))
}

impl Identity {
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }
    pub fn userinfo_url(&self) -> String {
        format!("{}/userinfo", self.issuer)
    }

    /// Answer a token request.
    pub async fn token(&self, headers: &HeaderMap, params: &Params) -> Result<TokenResponse, OAuthError> {
        let client = self.authenticate_client(headers, params, &self.token_url()).await?;
        let grant_type = required(params, "grant_type")?;
        let grant = GrantType::parse(grant_type).ok_or_else(|| {
            OAuthError::new(
                "unsupported_grant_type",
                format!("`{grant_type}` is not supported; use authorization_code, refresh_token or client_credentials"),
            )
        })?;
        if !client.allows(grant) {
            return Err(OAuthError::new("unauthorized_client", format!("this client may not use {grant_type}")));
        }
        match grant {
            GrantType::AuthorizationCode => self.code_grant(&client, params).await,
            GrantType::RefreshToken => self.refresh_grant(&client, params).await,
            GrantType::ClientCredentials => self.client_credentials(&client, params).await,
        }
    }

    async fn code_grant(&self, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
        let code = required(params, "code")?;
        let redirect_uri = required(params, "redirect_uri")?;
        let verifier = params.get("code_verifier").map_err(OAuthError::invalid_request)?;
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        let code = match store::flow::spend_code(&mut tx, &sha256(code.as_bytes()), now).await? {
            Spent::Unknown => return Err(OAuthError::invalid_grant("the code is unknown or has expired")),
            Spent::Replayed { grant_id, client_id } => {
                let revoked = store::tokens::revoke_grant(&mut tx, grant_id, now).await?;
                self.kernel
                    .audit(
                        &mut tx,
                        Event::new(&Actor::system("identity"), "identity.code.replayed", "oidc_client", &client_id)
                            .details(json!({ "grant_id": grant_id, "tokens_revoked": revoked })),
                    )
                    .await?;
                tx.commit().await.map_err(publica_kernel::error::Error::from)?;
                return Err(OAuthError::invalid_grant(
                    "the code was used already; the tokens issued with it are revoked",
                ));
            }
            Spent::Fresh(code) => code,
        };
        // A failed check leaves the code unspent (the transaction is dropped) for its client.
        if code.client_id != client.client_id {
            return Err(OAuthError::invalid_grant("the code was issued to another client"));
        }
        if code.expires_at <= now {
            return Err(OAuthError::invalid_grant("the code has expired"));
        }
        if code.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request's"));
        }
        match (&code.code_challenge, verifier) {
            (Some(challenge), Some(verifier)) => {
                let ok = (43..=128).contains(&verifier.len())
                    && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
                if !ok || b64url(&sha256(verifier.as_bytes())) != *challenge {
                    return Err(OAuthError::invalid_grant("the code_verifier does not match the code_challenge"));
                }
            }
            (Some(_), None) => {
                return Err(OAuthError::invalid_grant("the code was issued with PKCE: send code_verifier"));
            }
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant("the authorization request had no code_challenge"));
            }
            (None, None) => {}
        }
        let response = self
            .grant_tokens(&mut tx, client, code.account_id, code.grant_id, &code.grant, &code.grant, true, now)
            .await?;
        tx.commit().await.map_err(publica_kernel::error::Error::from)?;
        Ok(response)
    }

    /// Issue the access token and ID token of a grant (`grant`, perhaps narrowed by a refresh
    /// request) and, when offline access was granted, a refresh token carrying `kept` (the
    /// grant as authorized), inside the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    async fn grant_tokens(
        &self,
        tx: &mut publica_kernel::db::Tx,
        client: &Client,
        account_id: uuid::Uuid,
        grant_id: uuid::Uuid,
        grant: &Grant,
        kept: &Grant,
        with_nonce: bool,
        now: Timestamp,
    ) -> Result<TokenResponse, OAuthError> {
        let secs = now.unix_seconds();
        let sub = self.subject_for(client, account_id);
        let scope = grant.scope();
        let (access_token, jti) = self.access_token(client, &sub, &self.userinfo_url(), &scope, Some(grant), secs)?;
        let access = store::tokens::Access {
            jti,
            grant_id: Some(grant_id),
            client_id: client.client_id.clone(),
            account_id: Some(account_id),
            scope: scope.clone(),
            userinfo_claims: claims::named(grant.claims.as_ref(), Target::Userinfo),
            created_at: now,
            expires_at: now.plus(time::Duration::seconds(self.config.access_token_seconds)),
            revoked_at: None,
        };
        store::tokens::insert_access(tx, &access).await?;
        let wanted = claims::named(grant.claims.as_ref(), Target::IdToken);
        let extra = if wanted.is_empty() {
            Map::new()
        } else {
            claims::values(&self.account_claims(account_id).await?, &wanted)
        };
        let mut id_grant = grant.clone();
        if !with_nonce {
            id_grant.nonce = None;
        }
        let id_token = self.id_token(client, account_id, &id_grant, Some(&access_token), extra, secs)?;
        let offline =
            kept.has_scope("offline_access") && client.offline_access && client.allows(GrantType::RefreshToken);
        let refresh_token = if offline {
            let token = random_token();
            let expires = now.plus(time::Duration::days(self.config.refresh_token_days));
            store::tokens::insert_refresh(
                tx,
                &sha256(token.as_bytes()),
                grant_id,
                &client.client_id,
                account_id,
                kept,
                now,
                expires,
            )
            .await?;
            Some(token)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.config.access_token_seconds,
            scope: Some(scope),
            id_token: Some(id_token),
            refresh_token,
        })
    }

    async fn refresh_grant(&self, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
        let token = required(params, "refresh_token")?;
        let hash = sha256(token.as_bytes());
        let now = Timestamp::now();
        let unknown = || OAuthError::invalid_grant("the refresh token is unknown, expired or revoked");
        let stored = store::tokens::refresh(self.kernel.db(), &hash).await?.ok_or_else(unknown)?;
        if stored.client_id != client.client_id {
            return Err(unknown());
        }
        if stored.revoked_at.is_some() || stored.expires_at <= now {
            return Err(unknown());
        }
        let mut tx = self.kernel.db().begin().await?;
        if stored.used_at.is_some() || !store::tokens::use_refresh(&mut tx, &hash, now).await? {
            let revoked = store::tokens::revoke_grant(&mut tx, stored.grant_id, now).await?;
            self.kernel
                .audit(
                    &mut tx,
                    Event::new(
                        &Actor::system("identity"),
                        "identity.refresh_token.reused",
                        "oidc_client",
                        &client.client_id,
                    )
                    .details(json!({ "grant_id": stored.grant_id, "tokens_revoked": revoked })),
                )
                .await?;
            tx.commit().await.map_err(publica_kernel::error::Error::from)?;
            return Err(OAuthError::invalid_grant(
                "the refresh token was used already; every token of this grant is revoked",
            ));
        }
        let mut grant = stored.grant.clone();
        if let Some(scope) = params.get("scope").map_err(OAuthError::invalid_request)? {
            let narrower: Vec<String> = scope.split_whitespace().map(str::to_string).collect();
            if let Some(extra) = narrower.iter().find(|s| !grant.scopes.contains(s)) {
                return Err(OAuthError::new("invalid_scope", format!("`{extra}` was not granted")));
            }
            // The new refresh token keeps the original grant; only this access token is narrower.
            grant.scopes = narrower;
        }
        let response = self
            .grant_tokens(&mut tx, client, stored.account_id, stored.grant_id, &grant, &stored.grant, false, now)
            .await?;
        tx.commit().await.map_err(publica_kernel::error::Error::from)?;
        Ok(response)
    }

    async fn client_credentials(&self, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
        if client.is_public() {
            return Err(OAuthError::new("unauthorized_client", "client_credentials is for confidential clients"));
        }
        let asked: Vec<String> = params
            .get("scope")
            .map_err(OAuthError::invalid_request)?
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if let Some(bad) = asked.iter().find(|s| !client.scopes.contains(s) || *s == "openid" || *s == "offline_access")
        {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("`{bad}` is not a scope this client may ask for itself"),
            ));
        }
        let audience = match params.get("resource").map_err(OAuthError::invalid_request)? {
            Some(resource) => {
                let ok = url::Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
                if !ok {
                    return Err(OAuthError::new(
                        "invalid_target",
                        "resource must be an absolute URI without a fragment",
                    ));
                }
                resource.to_string()
            }
            None => self.issuer.clone(),
        };
        let now = Timestamp::now();
        let scope = asked.join(" ");
        let (access_token, jti) =
            self.access_token(client, &client.client_id, &audience, &scope, None, now.unix_seconds())?;
        let access = store::tokens::Access {
            jti,
            grant_id: None,
            client_id: client.client_id.clone(),
            account_id: None,
            scope: scope.clone(),
            userinfo_claims: Vec::new(),
            created_at: now,
            expires_at: now.plus(time::Duration::seconds(self.config.access_token_seconds)),
            revoked_at: None,
        };
        let mut tx = self.kernel.db().begin().await?;
        store::tokens::insert_access(&mut tx, &access).await?;
        tx.commit().await.map_err(publica_kernel::error::Error::from)?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.config.access_token_seconds,
            scope: (!scope.is_empty()).then_some(scope),
            id_token: None,
            refresh_token: None,
        })
    }
}
