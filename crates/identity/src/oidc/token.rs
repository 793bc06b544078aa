//! The token endpoint (`POST /identity/token`): the authorization code grant (single use: a
//! replayed code revokes what it gave; the redirect URI and the PKCE verifier must match),
//! refresh tokens (rotated on every use; reusing an old one revokes the whole grant), and
//! client credentials (a self-contained JWT access token for the client itself, for the issuer
//! or a resource registered for the client). Codes are spent by the group committer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::{random_token, sha256};
use publica_kernel::db::Timestamp;
use serde::Serialize;
use serde_json::{Map, json};
use std::sync::Arc;

use super::claims::{self, Target};
use super::client::{Client, GrantType};
use super::error::{OAuthError, no_store};
use super::request::Params;
use super::store::clients::StoredClient;
use super::store::spend::{Exchange, NotSpent, Spent};
use super::store::{self, Grant};
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
        let stored = self.authenticate(headers, params, &self.token_url()).await?;
        let client = &stored.client;
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
            GrantType::AuthorizationCode => self.code_grant(client, params).await,
            GrantType::RefreshToken => self.refresh_grant(client, params).await,
            GrantType::ClientCredentials => self.client_credentials(&stored, params).await,
        }
    }

    /// The code is spent, checked and the tokens' rows written by the group committer (a code
    /// that fails a check is left unspent for its client); once that is committed, the tokens
    /// are signed with the `jti` recorded.
    async fn code_grant(&self, client: &Client, params: &Params) -> Result<TokenResponse, OAuthError> {
        let code = required(params, "code")?;
        let redirect_uri = required(params, "redirect_uri")?;
        let verifier = params.get("code_verifier").map_err(OAuthError::invalid_request)?;
        let now = Timestamp::now();
        let jti = store::tokens::new_jti();
        let refresh_token = client.may_refresh().then(random_token);
        let exchange = Exchange {
            code_hash: sha256(code.as_bytes()).to_vec(),
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_string(),
            verifier: verifier.map(str::to_string),
            now,
            jti: jti.clone(),
            access_seconds: self.config.access_token_seconds,
            refresh: refresh_token.as_ref().map(|t| {
                (sha256(t.as_bytes()).to_vec(), now.plus(time::Duration::days(self.config.refresh_token_days)))
            }),
        };
        let (outcome, committed) = self.hot().exchange(self.kernel.db(), exchange).await?.outcome().await?;
        let Spent { code, with_refresh } = match outcome {
            Ok(spent) => spent,
            Err(not_spent) => {
                committed.wait().await?;
                return Err(match not_spent {
                    NotSpent::Unknown => OAuthError::invalid_grant("the code is unknown or has expired"),
                    NotSpent::Refused(why) => OAuthError::invalid_grant(why),
                    NotSpent::Replayed { grant_id, client_id } => self.code_replayed(grant_id, &client_id, now).await?,
                });
            }
        };
        // Signed while the batch commits; answered only once it has.
        let signed = self.sign_tokens(client, code.account_id, &code.grant, true, &jti, now).await;
        committed.wait().await?;
        let mut response = signed?;
        response.refresh_token = refresh_token.filter(|_| with_refresh);
        Ok(response)
    }

    /// A code used twice: revoke what it gave, audited; the error to answer.
    async fn code_replayed(
        &self,
        grant_id: uuid::Uuid,
        client_id: &str,
        now: Timestamp,
    ) -> Result<OAuthError, OAuthError> {
        let mut tx = self.kernel.db().begin().await?;
        let revoked = store::tokens::revoke_grant(&mut tx, grant_id, now).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(&Actor::system("identity"), "identity.code.replayed", "oidc_client", client_id)
                    .details(json!({ "grant_id": grant_id, "tokens_revoked": revoked })),
            )
            .await?;
        tx.commit().await.map_err(publica_kernel::error::Error::from)?;
        Ok(OAuthError::invalid_grant("the code was used already; the tokens issued with it are revoked"))
    }

    /// Sign the access token (with `jti`) and the ID token of a grant; no refresh token.
    async fn sign_tokens(
        &self,
        client: &Client,
        account_id: uuid::Uuid,
        grant: &Grant,
        with_nonce: bool,
        jti: &str,
        now: Timestamp,
    ) -> Result<TokenResponse, OAuthError> {
        let secs = now.unix_seconds();
        let sub = self.subject_for(client, account_id);
        let scope = grant.scope();
        let access_token = self.access_token(client, &sub, &self.userinfo_url(), &scope, Some(grant), jti, secs)?;
        let wanted = claims::named(grant.claims.as_ref(), Target::IdToken);
        let extra = if wanted.is_empty() {
            Map::new()
        } else {
            claims::values(&self.account_claims(account_id).await?, &wanted)
        };
        let id_token = if with_nonce {
            self.id_token(client, account_id, grant, Some(&access_token), extra, secs)?
        } else {
            let mut id_grant = grant.clone();
            id_grant.nonce = None;
            self.id_token(client, account_id, &id_grant, Some(&access_token), extra, secs)?
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.config.access_token_seconds,
            scope: Some(scope),
            id_token: Some(id_token),
            refresh_token: None,
        })
    }

    /// The tokens of a refresh: `grant` (perhaps narrowed) signed, and a new refresh token
    /// carrying `kept` (the grant as authorized) when offline access was granted; the rows to
    /// record are the caller's to write.
    async fn issue(
        &self,
        client: &Client,
        account_id: uuid::Uuid,
        grant_id: uuid::Uuid,
        grant: &Grant,
        kept: &Grant,
        now: Timestamp,
    ) -> Result<Issued, OAuthError> {
        let jti = store::tokens::new_jti();
        let mut response = self.sign_tokens(client, account_id, grant, false, &jti, now).await?;
        let access = store::tokens::Access::of_grant(
            jti,
            grant_id,
            client.client_id.clone(),
            account_id,
            grant,
            now,
            self.config.access_token_seconds,
        );
        let offline = kept.has_scope("offline_access") && client.may_refresh();
        let refresh = if offline {
            let token = random_token();
            let row = store::tokens::NewRefresh {
                hash: sha256(token.as_bytes()).to_vec(),
                grant_id,
                client_id: client.client_id.clone(),
                account_id,
                grant: kept.clone(),
                created_at: now,
                expires_at: now.plus(time::Duration::days(self.config.refresh_token_days)),
            };
            response.refresh_token = Some(token);
            Some(row)
        } else {
            None
        };
        Ok(Issued { response, access, refresh })
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
        if !stored.account_usable {
            return Err(OAuthError::invalid_grant("the account of this refresh token is locked or closed"));
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
        let issued = self.issue(client, stored.account_id, stored.grant_id, &grant, &stored.grant, now).await?;
        store::tokens::insert_access(&mut tx, &issued.access).await?;
        if let Some(refresh) = &issued.refresh {
            store::tokens::insert_refresh(&mut tx, refresh).await?;
        }
        tx.commit().await.map_err(publica_kernel::error::Error::from)?;
        Ok(issued.response)
    }

    /// A self-contained access token for the client itself: nothing is written (a revoked one
    /// is recorded then, see `revoke`); its `aud` is the issuer or a resource registered for
    /// the client (RFC 8707).
    async fn client_credentials(&self, stored: &StoredClient, params: &Params) -> Result<TokenResponse, OAuthError> {
        let client = &stored.client;
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
                if !stored.resources.iter().any(|r| r == resource) {
                    return Err(OAuthError::new(
                        "invalid_target",
                        format!("`{resource}` is not a resource registered for this client"),
                    ));
                }
                resource
            }
            None => self.issuer.as_str(),
        };
        let now = Timestamp::now();
        let scope = asked.join(" ");
        let jti = format!("{}{}", store::tokens::SELF_CONTAINED, random_token());
        let access_token =
            self.access_token(client, &client.client_id, audience, &scope, None, &jti, now.unix_seconds())?;
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

/// What a grant issued: the answer, and the rows to record.
struct Issued {
    response: TokenResponse,
    access: store::tokens::Access,
    refresh: Option<store::tokens::NewRefresh>,
}
