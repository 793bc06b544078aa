//! Client authentication at the token, PAR, introspection and revocation endpoints: HTTP Basic
//! with the form-encoded id and secret (`client_secret_basic`, RFC 6749 §2.3.1), the secret
//! in the form (`client_secret_post`), a JWT signed with one of the client's keys
//! (`private_key_jwt`, RFC 7523: `iss` = `sub` = the client id, `aud` the issuer or the token
//! endpoint (at the PAR endpoint also that endpoint, RFC 9126 §2), an array only of those,
//! `exp`, single-use `jti`), or none for public clients. A client must use the method it
//! registered. Clients are read through the in-memory cache (`store::hot`).

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::crypto::{constant_time_eq, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::jose;
use serde_json::Value;

use std::sync::Arc;

use super::client::{AuthMethod, CLIENT_ALGS, Client};
use super::error::OAuthError;
use super::request::Params;
use super::store;
use super::store::clients::StoredClient;
use crate::service::Identity;

/// `client_assertion_type` of `private_key_jwt`.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest an assertion may live, in seconds (some libraries sign them for an hour).
const MAX_ASSERTION_LIFETIME: i64 = 3600;
const SKEW: i64 = 60;

/// How the request tried to authenticate.
enum Presented {
    Basic { id: String, secret: String },
    Post { id: String, secret: String },
    Assertion { id: Option<String>, token: String },
    None { id: String },
}

/// Decode one half of a Basic credential: `application/x-www-form-urlencoded` (RFC 6749 §2.3.1).
pub fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn presented(headers: &HeaderMap, form: &Params) -> Result<Presented, OAuthError> {
    let field = |name: &str| form.get(name).map_err(OAuthError::invalid_request);
    let form_id = field("client_id")?.map(str::to_string);
    let secret = field("client_secret")?;
    let assertion = field("client_assertion")?;
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let value =
                value.to_str().map_err(|_| OAuthError::invalid_client("the Authorization header is not text"))?;
            match value.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
                    let decoded =
                        STANDARD.decode(rest.trim()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| {
                            OAuthError::invalid_client("the Basic credentials are not base64 of id:secret")
                        })?;
                    let (id, secret) = decoded
                        .split_once(':')
                        .ok_or_else(|| OAuthError::invalid_client("the Basic credentials are not id:secret"))?;
                    let decode = |s: &str| {
                        form_decode(s)
                            .ok_or_else(|| OAuthError::invalid_client("the Basic credentials are badly form-encoded"))
                    };
                    Some((decode(id)?, decode(secret)?))
                }
                _ => None,
            }
        }
        None => None,
    };
    let methods = usize::from(basic.is_some()) + usize::from(secret.is_some()) + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(OAuthError::invalid_request("use exactly one client authentication method"));
    }
    if let Some((id, secret)) = basic {
        if form_id.as_ref().is_some_and(|f| f != &id) {
            return Err(OAuthError::invalid_request("client_id differs from the Basic credentials"));
        }
        return Ok(Presented::Basic { id, secret });
    }
    if let Some(secret) = secret {
        let id = form_id.ok_or_else(|| OAuthError::invalid_request("client_secret without client_id"))?;
        return Ok(Presented::Post { id, secret: secret.to_string() });
    }
    if let Some(token) = assertion {
        match field("client_assertion_type")? {
            Some(ASSERTION_TYPE) => {}
            _ => return Err(OAuthError::invalid_request(format!("client_assertion_type must be {ASSERTION_TYPE}"))),
        }
        return Ok(Presented::Assertion { id: form_id, token: token.to_string() });
    }
    match form_id {
        Some(id) => Ok(Presented::None { id }),
        None => Err(OAuthError::invalid_client("the client did not authenticate (no credentials, no client_id)")),
    }
}

impl Identity {
    /// Authenticate the calling client; `endpoint` is the URL called (an accepted assertion
    /// audience besides the token endpoint and the issuer).
    pub(crate) async fn authenticate_client(
        &self,
        headers: &HeaderMap,
        form: &Params,
        endpoint: &str,
    ) -> Result<Client, OAuthError> {
        Ok(self.authenticate(headers, form, endpoint).await?.client.clone())
    }

    /// The same, answering the client as stored (shared with the cache).
    pub(crate) async fn authenticate(
        &self,
        headers: &HeaderMap,
        form: &Params,
        endpoint: &str,
    ) -> Result<Arc<StoredClient>, OAuthError> {
        let presented = presented(headers, form)?;
        let (id, method) = match &presented {
            Presented::Basic { id, .. } => (id.clone(), AuthMethod::ClientSecretBasic),
            Presented::Post { id, .. } => (id.clone(), AuthMethod::ClientSecretPost),
            Presented::None { id } => (id.clone(), AuthMethod::None),
            Presented::Assertion { id, token } => {
                let jws =
                    jose::decode(token).map_err(|e| OAuthError::invalid_client(format!("client_assertion: {e}")))?;
                let iss = jws.claims.get("iss").and_then(Value::as_str).map(str::to_string);
                let id = id.clone().or(iss).ok_or_else(|| OAuthError::invalid_client("the assertion has no `iss`"))?;
                (id, AuthMethod::PrivateKeyJwt)
            }
        };
        let unknown = || OAuthError::invalid_client(format!("no client `{id}` is registered"));
        let stored = self.hot().client(self.kernel.db(), &id).await?.ok_or_else(unknown)?;
        let client = &stored.client;
        if client.token_endpoint_auth_method != method {
            return Err(OAuthError::invalid_client(format!(
                "this client authenticates with {}, not {}",
                client.token_endpoint_auth_method.as_str(),
                method.as_str()
            )));
        }
        match presented {
            Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
                let ok = stored.secret_hash.as_deref().is_some_and(|h| constant_time_eq(h, &sha256(secret.as_bytes())));
                if !ok {
                    return Err(OAuthError::invalid_client("the client secret is wrong"));
                }
            }
            Presented::Assertion { token, .. } => self.check_assertion(client, &token, endpoint).await?,
            Presented::None { .. } => {}
        }
        Ok(stored)
    }

    async fn check_assertion(&self, client: &Client, token: &str, endpoint: &str) -> Result<(), OAuthError> {
        fn bad(description: impl Into<String>) -> OAuthError {
            OAuthError::invalid_client(description)
        }
        let jws = jose::decode(token).map_err(|e| bad(format!("client_assertion: {e}")))?;
        if !CLIENT_ALGS.contains(&jws.header.alg.as_str()) {
            return Err(bad(format!("the assertion is signed `{}`; use RS256, PS256 or ES256", jws.header.alg)));
        }
        let verified = client
            .keys()
            .into_iter()
            .filter(|k| jws.header.kid.as_deref().is_none_or(|kid| k.get("kid").and_then(Value::as_str) == Some(kid)))
            .any(|k| jws.verify(k, &CLIENT_ALGS));
        if !verified {
            return Err(bad("the assertion's signature does not verify with the client's registered keys"));
        }
        let claims = &jws.claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("iss") != Some(client.client_id.as_str()) || text("sub") != Some(client.client_id.as_str()) {
            return Err(bad("the assertion's `iss` and `sub` must both be the client id"));
        }
        let token_url = format!("{}/token", self.issuer);
        if !audience_ok(claims.get("aud"), &self.issuer, endpoint) {
            return Err(bad(format!(
                "the assertion's `aud` must be the issuer {} or the token endpoint {token_url}, and nothing else",
                self.issuer
            )));
        }
        let now = Timestamp::now().unix_seconds();
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| bad("the assertion has no numeric `exp`"))?;
        if exp <= now {
            return Err(bad("the assertion has expired"));
        }
        if exp > now + MAX_ASSERTION_LIFETIME + SKEW {
            return Err(bad(format!("an assertion may be valid for at most {MAX_ASSERTION_LIFETIME} seconds")));
        }
        if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > now + SKEW) {
            return Err(bad("the assertion's `iat` is in the future; check the client's clock"));
        }
        if claims.get("nbf").and_then(Value::as_i64).is_some_and(|nbf| nbf > now + SKEW) {
            return Err(bad("the assertion is not valid yet (`nbf`)"));
        }
        let jti = text("jti")
            .filter(|j| !j.is_empty() && j.len() <= 255)
            .ok_or_else(|| bad("the assertion needs a `jti`"))?;
        let until = Timestamp::from(
            time::OffsetDateTime::from_unix_timestamp(exp).map_err(|_| bad("the assertion's `exp` is out of range"))?,
        );
        if !store::tokens::use_assertion(self.kernel.db(), &client.client_id, jti, until).await? {
            return Err(bad(format!("the assertion `{jti}` was used already: sign a new one with a fresh jti")));
        }
        Ok(())
    }
}

/// Whether an assertion's `aud` names this provider only: the issuer or the token endpoint (at
/// the PAR endpoint, that endpoint too, RFC 9126 §2), as a string or an array of nothing else.
/// An array naming anyone else is refused: an assertion made for another audience that lists
/// this provider too could otherwise be replayed here (the 2025 audience-injection advisory).
fn audience_ok(aud: Option<&Value>, issuer: &str, endpoint: &str) -> bool {
    let token_url = format!("{issuer}/token");
    let par_url = format!("{issuer}/par");
    let ours = |a: &str| a == issuer || a == token_url || (endpoint == par_url && a == par_url);
    match aud {
        Some(Value::String(a)) => ours(a),
        Some(Value::Array(list)) => !list.is_empty() && list.iter().all(|a| a.as_str().is_some_and(ours)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(form_decode("a%3Ab+c%25").as_deref(), Some("a:b c%"));
        assert_eq!(form_decode("plain").as_deref(), Some("plain"));
        assert_eq!(form_decode("bad%zz"), None);
        assert_eq!(form_decode("cut%4"), None);
    }

    #[test]
    fn the_audience_is_the_issuer_or_the_token_endpoint_and_nothing_else() {
        let issuer = "https://id.example/identity";
        let token = "https://id.example/identity/token";
        let par = "https://id.example/identity/par";
        let ok = |aud: Value, endpoint: &str| audience_ok(Some(&aud), issuer, endpoint);
        assert!(ok(Value::from(issuer), token));
        assert!(ok(Value::from(token), token));
        assert!(ok(serde_json::json!([issuer, token]), token));
        assert!(ok(Value::from(par), par), "at the PAR endpoint, that endpoint (RFC 9126 §2)");
        assert!(!ok(Value::from(par), token), "the PAR endpoint is no audience at the token endpoint");
        assert!(!ok(Value::from("https://id.example/identity/introspect"), "https://id.example/identity/introspect"));
        assert!(!ok(serde_json::json!([token, "https://other.example/token"]), token), "an array naming another");
        assert!(!ok(serde_json::json!([]), token));
        assert!(!ok(serde_json::json!([issuer, 3]), token));
        assert!(!ok(Value::from("https://id.example/identity/"), token));
        assert!(!audience_ok(None, issuer, token));
    }

    #[test]
    fn one_method_at_a_time() {
        let mut headers = HeaderMap::new();
        headers
            .insert(header::AUTHORIZATION, format!("Basic {}", STANDARD.encode("c1:s%3Ae")).parse().expect("header"));
        match presented(&headers, &Params::default()).expect("basic") {
            Presented::Basic { id, secret } => assert_eq!((id.as_str(), secret.as_str()), ("c1", "s:e")),
            _ => panic!("basic expected"),
        }
        let form = Params(vec![("client_id".into(), "c1".into()), ("client_secret".into(), "x".into())]);
        assert_eq!(presented(&headers, &form).err().map(|e| e.error), Some("invalid_request"));
        assert!(matches!(presented(&HeaderMap::new(), &form), Ok(Presented::Post { .. })));
        assert_eq!(presented(&HeaderMap::new(), &Params::default()).err().map(|e| e.error), Some("invalid_client"));
    }
}
