//! The tokens the provider signs with the kernel's keys (published at `/.well-known/jwks.json`):
//! ID tokens (deliberately broken for clients in simulator mode), JWT access tokens
//! (RFC 9068), logout tokens (back-channel logout) and signed userinfo answers; pairwise
//! subject identifiers and per-client session ids; and checking a token Publica signed.

use publica_kernel::crypto::{Alg, b64url, hmac_sha256, random_token, sha256};
use publica_kernel::error::{Error, Result};
use publica_kernel::jose;
use publica_kernel::keys::Purpose;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::client::{Client, Simulate, SubjectType};
use super::levels::{self, Vocabulary};
use super::store::Grant;
use crate::service::Identity;

/// The `events` claim of a logout token.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

impl Identity {
    /// Sign `claims` with the kernel's active key for `alg`.
    pub(crate) fn sign_jwt(&self, alg: Alg, typ: &str, claims: &Value) -> Result<String> {
        let key = self
            .kernel
            .keys()
            .active(Purpose::Signing, alg)
            .ok_or_else(|| Error::Unavailable(format!("no active {alg} signing key")))?;
        jose::sign(&key, typ, claims)
    }

    /// Check a JWT this provider signed: signature by one of its published keys, `iss`, and
    /// `typ` when given. Expiry is the caller's to check. Returns the claims.
    pub(crate) fn verify_own(&self, token: &str, typ: Option<&str>) -> std::result::Result<Map<String, Value>, String> {
        let jws = jose::decode(token)?;
        let kid = jws.header.kid.as_deref().ok_or("the token has no kid")?;
        let key = self.kernel.keys().by_kid(kid).filter(|k| k.purpose == Purpose::Signing.as_str());
        let key = key.ok_or("the token is not signed by a key of this provider")?;
        if !jws.verify(&key.jwk, &[key.alg.as_str()]) {
            return Err("the token's signature does not verify".into());
        }
        if let Some(typ) = typ
            && !jws.header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(typ))
        {
            return Err(format!("the token is not of type {typ}"));
        }
        if jws.claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err("the token was issued by another issuer".into());
        }
        Ok(jws.claims)
    }

    /// The subject identifier of an account for a client: pairwise per sector (OpenID Connect
    /// Core §8.1: `base64url(SHA-256(sector ‖ account ‖ salt))`, the sector being
    /// [`Client::pairwise_sector`]) or the account id.
    pub fn subject_for(&self, client: &Client, account_id: Uuid) -> String {
        match client.subject_type {
            SubjectType::Public => account_id.to_string(),
            SubjectType::Pairwise => {
                let mut input = client.pairwise_sector().into_bytes();
                input.extend_from_slice(account_id.to_string().as_bytes());
                input.extend_from_slice(&self.oidc.pairwise_salt);
                b64url(&sha256(&input))
            }
        }
    }

    /// The session id a client sees (`sid`): different per client, so that clients cannot
    /// correlate a person's sessions between them.
    pub fn sid_for(&self, client_id: &str, session_id: Uuid) -> String {
        let mut input = session_id.as_bytes().to_vec();
        input.extend_from_slice(client_id.as_bytes());
        b64url(&hmac_sha256(&self.oidc.sid_key, &input))
    }

    /// An ID token for a grant, broken as the client's simulator setting says.
    pub(crate) fn id_token(
        &self,
        client: &Client,
        account_id: Uuid,
        grant: &Grant,
        access_token: Option<&str>,
        extra: Map<String, Value>,
        now: i64,
    ) -> Result<String> {
        let lifetime = self.config.id_token_seconds;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(self.subject_for(client, account_id)));
        claims.insert("aud".into(), json!(client.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + lifetime));
        claims.insert("auth_time".into(), json!(grant.auth_time));
        if let Some(nonce) = &grant.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        match (grant.vocabulary, &grant.acr) {
            (Vocabulary::Vtr, Some(vot)) => {
                claims.insert("vot".into(), json!(vot));
                claims.insert("vtm".into(), json!(self.trustmark_url()));
            }
            (Vocabulary::Acr, Some(acr)) => {
                claims.insert("acr".into(), json!(acr));
            }
            _ => {}
        }
        if !grant.amr.is_empty() {
            claims.insert("amr".into(), json!(grant.amr));
        }
        if let Some(session) = grant.session_id {
            claims.insert("sid".into(), json!(self.sid_for(&client.client_id, session)));
        }
        if let Some(token) = access_token
            && client.id_token_signed_response_alg != Alg::EdDSA
        {
            // Left half of the SHA-256 of the token (RS256, ES256: both SHA-256 based).
            claims.insert("at_hash".into(), json!(b64url(&sha256(token.as_bytes())[..16])));
        }
        for (name, value) in extra {
            claims.entry(name).or_insert(value);
        }
        let broken = simulate(self, client, grant, &mut claims, now);
        let token = self.sign_jwt(client.id_token_signed_response_alg, "JWT", &Value::Object(claims))?;
        Ok(if broken == Simulate::BadSignature { spoil_signature(&token) } else { token })
    }

    /// A JWT access token (RFC 9068) with the given `jti`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn access_token(
        &self,
        client: &Client,
        subject: &str,
        audience: &str,
        scope: &str,
        grant: Option<&Grant>,
        jti: &str,
        now: i64,
    ) -> Result<String> {
        let mut claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "client_id": client.client_id,
            "scope": scope,
            "jti": jti,
            "iat": now,
            "exp": now + self.config.access_token_seconds,
        });
        if let Some(grant) = grant {
            claims["auth_time"] = json!(grant.auth_time);
            if let Some(acr) = &grant.acr {
                claims["acr"] = json!(acr);
            }
        }
        self.sign_jwt(client.id_token_signed_response_alg, "at+jwt", &claims)
    }

    /// A logout token (OpenID Connect Back-Channel Logout 1.0 §2.4).
    pub(crate) fn logout_token(&self, client: &Client, sub: &str, sid: &str, now: i64) -> Result<String> {
        let claims = json!({
            "iss": self.issuer,
            "aud": client.client_id,
            "iat": now,
            "exp": now + 120,
            "jti": random_token(),
            "sub": sub,
            "sid": sid,
            "events": { BACKCHANNEL_EVENT: {} },
        });
        self.sign_jwt(client.id_token_signed_response_alg, "logout+jwt", &claims)
    }

    /// Where the trustmark of the vectors of trust Publica answers with is published (RFC 8485 §5).
    pub fn trustmark_url(&self) -> String {
        format!("{}/trustmark", self.issuer)
    }
}

/// Break the claims as the client's simulator setting says; returns the setting.
fn simulate(
    identity: &Identity,
    client: &Client,
    grant: &Grant,
    claims: &mut Map<String, Value>,
    now: i64,
) -> Simulate {
    match client.simulate {
        Simulate::None | Simulate::BadSignature => {}
        Simulate::WrongIssuer => {
            claims.insert("iss".into(), json!(format!("{}/simulated-wrong-issuer", identity.issuer)));
        }
        Simulate::WrongAudience => {
            claims.insert("aud".into(), json!("simulated-wrong-audience"));
        }
        Simulate::Expired => {
            let lifetime = identity.config.id_token_seconds;
            claims.insert("iat".into(), json!(now - lifetime - 3600));
            claims.insert("exp".into(), json!(now - 3600));
        }
        Simulate::WrongNonce => {
            claims.insert("nonce".into(), json!(format!("simulated-wrong-nonce-{}", &random_token()[..12])));
        }
        Simulate::WrongLevel => {
            let (name, current) = match grant.vocabulary {
                Vocabulary::Vtr => ("vot", claims.get("vot")),
                Vocabulary::Acr => ("acr", claims.get("acr")),
            };
            let current = current.and_then(Value::as_str).map(str::to_string);
            let wrong = levels::wrong_level(&identity.config.acr, grant.vocabulary, current.as_deref());
            claims.insert(name.into(), json!(wrong));
        }
    }
    client.simulate
}

/// The same token with one bit of its signature flipped.
fn spoil_signature(token: &str) -> String {
    let Some((input, signature)) = token.rsplit_once('.') else {
        return token.to_string();
    };
    let mut bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature).unwrap_or_default();
    if let Some(first) = bytes.first_mut() {
        *first ^= 0x01;
    }
    format!("{input}.{}", b64url(&bytes))
}
