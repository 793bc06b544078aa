//! Authorization requests: their parameters (from the query, a form, a signed request object
//! or a pushed request), checked against the client. Problems found before the client and its
//! redirect URI are trusted are shown to the person as a page; later ones go back to the
//! client as an error redirect.

use std::collections::BTreeMap;

use publica_kernel::jose;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::claims;
use super::client::{CLIENT_ALGS, Client};
use super::levels::{self, Asked, LevelRequest};
use crate::config::AcrLevel;

/// The `request_uri` prefix of pushed authorization requests (RFC 9126).
pub const PAR_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// A checked authorization request, kept with its interaction.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// The scopes asked for that the client may have (`openid` always among them).
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 PKCE challenge.
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    /// The `claims` parameter, narrowed to the claims the client may receive
    /// ([`claims::allowed`]).
    pub claims: Option<Value>,
    pub ui_locales: Option<String>,
    pub login_hint: Option<String>,
    pub levels: LevelRequest,
    /// The `sub` of a verified `id_token_hint`: the person the client expects.
    #[serde(default)]
    pub hint_sub: Option<String>,
}

impl AuthRequest {
    pub fn prompts(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }
    /// Every personal claim asked for (scopes and the `claims` parameter).
    pub fn requested_claims(&self) -> Vec<String> {
        claims::requested(&self.scopes, self.claims.as_ref())
    }
    /// The first of `ui_locales` that Publica speaks.
    pub fn lang(&self) -> Option<publica_kernel::i18n::Lang> {
        self.ui_locales.as_deref()?.split_whitespace().find_map(publica_kernel::i18n::Lang::parse)
    }
}

/// Why a request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Shown to the person: the client or the redirect URI cannot be trusted. `message` is a
    /// Fluent id; `detail` explains in English.
    Page { message: &'static str, detail: String },
    /// Sent back to the client.
    Redirect(ErrorRedirect),
}

/// An error answer to a client's redirect URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub error: &'static str,
    pub description: String,
}

pub fn page(message: &'static str, detail: impl Into<String>) -> Rejection {
    Rejection::Page { message, detail: detail.into() }
}

/// The parameters of a request: each may appear once (RFC 6749 §3.1).
#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// A parameter's value; empty counts as absent. `Err` names a parameter sent twice.
    pub fn get(&self, name: &str) -> Result<Option<&str>, String> {
        let mut found = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(format!("`{name}` is sent more than once"));
        }
        Ok(first.filter(|v| !v.is_empty()))
    }

    /// The parameters of a request that carries a verified request object (RFC 9101 §5): only
    /// the object's count. The query's `client_id` must be the object's, and its
    /// `response_type`, when sent, the object's too; every other query parameter is ignored.
    pub fn from_request_object(&self, claims: &serde_json::Map<String, Value>) -> Result<Params, String> {
        let client_id = self.get("client_id")?;
        let object_text = |name: &str| claims.get(name).and_then(Value::as_str);
        if let (Some(outer), Some(inner)) = (client_id, object_text("client_id"))
            && outer != inner
        {
            return Err("the request's client_id differs from the request object's".into());
        }
        if let Some(outer) = self.get("response_type")?
            && object_text("response_type") != Some(outer)
        {
            return Err("the request's response_type differs from the request object's".into());
        }
        let mut out = Vec::new();
        for (name, value) in claims {
            if OBJECT_ONLY.contains(&name.as_str()) {
                continue;
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            out.push((name.clone(), text));
        }
        if !claims.contains_key("client_id")
            && let Some(id) = client_id
        {
            out.push(("client_id".into(), id.to_string()));
        }
        Ok(Params(out))
    }
}

/// Claims of a request object that are about the object itself, not request parameters.
const OBJECT_ONLY: [&str; 8] = ["iss", "aud", "exp", "iat", "nbf", "jti", "request", "request_uri"];

/// The longest a request object may be valid for, from now (FAPI 2.0: 60 minutes).
pub const REQUEST_OBJECT_MAX_SECONDS: i64 = 3600;

/// Check a signed request object (RFC 9101) with the client's keys; its claims on success.
/// It must name the client as `iss`, the issuer as its only `aud`, expire (`exp`) within
/// [`REQUEST_OBJECT_MAX_SECONDS`], and carry a `jti`, which the caller spends (single use,
/// see [`request_object_use`]).
pub fn verify_request_object(
    token: &str,
    client: &Client,
    issuer: &str,
    now: i64,
) -> Result<serde_json::Map<String, Value>, String> {
    let jws = jose::decode(token).map_err(|e| format!("request: {e}"))?;
    if !CLIENT_ALGS.contains(&jws.header.alg.as_str()) {
        return Err(format!("the request object is signed `{}`; use RS256, PS256 or ES256", jws.header.alg));
    }
    let keys = client.keys();
    if keys.is_empty() {
        return Err("the client has no registered keys (jwks) to check a request object with".into());
    }
    let verified = keys
        .iter()
        .filter(|k| jws.header.kid.as_deref().is_none_or(|kid| k.get("kid").and_then(Value::as_str) == Some(kid)))
        .any(|k| jws.verify(k, &CLIENT_ALGS));
    if !verified {
        return Err("the request object's signature does not verify with the client's keys".into());
    }
    let claims = jws.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(client.client_id.as_str()) {
        return Err("the request object's `iss` must be the client id".into());
    }
    if let Some(id) = claims.get("client_id")
        && id.as_str() != Some(client.client_id.as_str())
    {
        return Err("the request object's `client_id` differs from the request's".into());
    }
    let for_us = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer,
        Some(Value::Array(list)) => list.len() == 1 && list[0].as_str() == Some(issuer),
        _ => false,
    };
    if !for_us {
        return Err(format!("the request object's `aud` must be the issuer {issuer} (and only it)"));
    }
    match claims.get("exp").map(Value::as_i64) {
        None => return Err("the request object needs an `exp`".into()),
        Some(None) => return Err("the request object's `exp` must be a number".into()),
        Some(Some(exp)) if exp <= now => return Err("the request object has expired".into()),
        Some(Some(exp)) if exp > now + REQUEST_OBJECT_MAX_SECONDS => {
            return Err(format!(
                "the request object's `exp` is more than {} minutes ahead",
                REQUEST_OBJECT_MAX_SECONDS / 60
            ));
        }
        Some(Some(_)) => {}
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
        && nbf > now + 60
    {
        return Err("the request object is not valid yet (`nbf`)".into());
    }
    match claims.get("jti").and_then(Value::as_str) {
        Some(jti) if !jti.is_empty() && jti.len() <= 200 => {}
        _ => return Err("the request object needs a `jti` (1 to 200 characters) to be used once".into()),
    }
    Ok(claims)
}

/// How to spend a request object that [`verify_request_object`] accepted: the key its `jti`
/// is remembered under (apart from the client's assertions) and its `exp`.
pub fn request_object_use(claims: &serde_json::Map<String, Value>) -> Option<(String, i64)> {
    let jti = claims.get("jti").and_then(Value::as_str)?;
    let exp = claims.get("exp").and_then(Value::as_i64)?;
    Some((format!("request-object:{jti}"), exp))
}

/// Check the redirect URI against the client's, byte for byte.
pub fn redirect_uri(params: &Params, client: &Client) -> Result<String, Rejection> {
    let uri = params
        .get("redirect_uri")
        .map_err(|e| page("oidc-error-bad-request", e))?
        .ok_or_else(|| page("oidc-error-no-redirect-uri", "the request has no redirect_uri"))?;
    if client.redirect_uris.iter().any(|r| r == uri) {
        Ok(uri.to_string())
    } else {
        Err(page("oidc-error-redirect-uri", format!("`{uri}` is not a redirect URI registered for this client")))
    }
}

/// Check the rest of a request once its client and redirect URI are trusted.
pub fn check(
    params: &Params,
    client: &Client,
    redirect_uri: String,
    acr: &BTreeMap<String, AcrLevel>,
) -> Result<AuthRequest, ErrorRedirect> {
    let state = params.get("state").ok().flatten().map(str::to_string);
    let fail = |error: &'static str, description: String| ErrorRedirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description,
    };
    let invalid = |description: String| fail("invalid_request", description);
    let get = |name: &str| params.get(name).map_err(invalid);
    if params.get("state").is_err() {
        return Err(invalid("`state` is sent more than once".into()));
    }
    match get("response_type")? {
        Some("code") => {}
        Some(other) => {
            return Err(fail(
                "unsupported_response_type",
                format!("response_type `{other}` is not supported; use code"),
            ));
        }
        None => return Err(invalid("the request has no response_type (use code)".into())),
    }
    match get("response_mode")? {
        None | Some("query") => {}
        Some(other) => return Err(invalid(format!("response_mode `{other}` is not supported; use query"))),
    }
    if get("request_uri")?.is_some() {
        return Err(fail(
            "request_uri_not_supported",
            "only request_uri values from the PAR endpoint are accepted".into(),
        ));
    }
    let asked: Vec<String> = get("scope")?.unwrap_or_default().split_whitespace().map(str::to_string).collect();
    if !asked.iter().any(|s| s == "openid") {
        return Err(fail("invalid_scope", "scope must include openid".into()));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in asked {
        if client.scopes.contains(&scope) && !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    let nonce = get("nonce")?.map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) || state.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err(invalid("state and nonce may have at most 2048 and 512 characters".into()));
    }
    let code_challenge = match (get("code_challenge")?, get("code_challenge_method")?) {
        (None, None) => None,
        (None, Some(_)) => return Err(invalid("code_challenge_method without a code_challenge".into())),
        (Some(_), None | Some("plain")) => {
            return Err(invalid("PKCE `plain` is not accepted: send code_challenge_method=S256".into()));
        }
        (Some(challenge), Some("S256")) => {
            let ok =
                challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(invalid(
                    "code_challenge must be the base64url SHA-256 of the verifier (43 characters)".into(),
                ));
            }
            Some(challenge.to_string())
        }
        (Some(_), Some(other)) => {
            return Err(invalid(format!("code_challenge_method `{other}` is not supported; use S256")));
        }
    };
    if client.is_public() && code_challenge.is_none() {
        return Err(invalid(
            "a public client must use PKCE: send code_challenge and code_challenge_method=S256".into(),
        ));
    }
    let prompt: Vec<String> = get("prompt")?.unwrap_or_default().split_whitespace().map(str::to_string).collect();
    for p in &prompt {
        if !["none", "login", "consent", "select_account"].contains(&p.as_str()) {
            return Err(invalid(format!("prompt `{p}` is not one of none, login, consent, select_account")));
        }
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(invalid("prompt=none cannot be combined with other values".into()));
    }
    let max_age = match get("max_age")? {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Err(invalid(format!("max_age `{text}` is not a number of seconds"))),
        },
    };
    let claims_param = match get("claims")? {
        None => None,
        Some(text) => claims::allowed(claims::parse_claims_parameter(text).map_err(invalid)?, &client.scopes),
    };
    let acr_claim = claims::acr_request(claims_param.as_ref());
    let asked = Asked {
        acr_values: get("acr_values")?,
        vtr: get("vtr")?,
        essential_acr: acr_claim.as_ref().filter(|(_, e)| *e).map(|(v, _)| v.clone()),
        voluntary_acr: acr_claim.as_ref().filter(|(_, e)| !*e).map(|(v, _)| v.clone()),
        client_default: client.default_acr.as_deref(),
    };
    let levels = levels::resolve(acr, &asked).map_err(invalid)?;
    let ui_locales = get("ui_locales")?.map(str::to_string);
    let login_hint = get("login_hint")?.filter(|h| h.len() <= 256).map(str::to_string);
    Ok(AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri,
        scopes,
        state,
        nonce,
        code_challenge,
        prompt,
        max_age,
        claims: claims_param,
        ui_locales,
        login_hint,
        levels,
        hint_sub: None,
    })
}

/// The location of an error answer: `redirect_uri?error=…&error_description=…&state=…&iss=…`.
pub fn error_location(e: &ErrorRedirect, issuer: &str) -> String {
    let description = super::error::description_text(&e.description);
    let mut pairs: Vec<(&str, &str)> = vec![("error", e.error), ("error_description", &description)];
    if let Some(state) = &e.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer));
    with_query(&e.redirect_uri, &pairs)
}

/// `uri` with `pairs` added to its query (keeping any query it has).
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = publica_kernel::web::form::query(pairs.iter().copied());
    if uri.contains('?') { format!("{uri}&{query}") } else { format!("{uri}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assurance::default_acr_map;
    use crate::oidc::client::{AuthMethod, GrantType, Simulate, SubjectType};
    use publica_kernel::crypto::Alg;
    use publica_kernel::db::Timestamp;

    fn client(public: bool) -> Client {
        Client {
            client_id: "c1".into(),
            org_id: uuid::Uuid::nil(),
            name: "Tax".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            token_endpoint_auth_method: if public { AuthMethod::None } else { AuthMethod::ClientSecretBasic },
            jwks: None,
            id_token_signed_response_alg: Alg::RS256,
            userinfo_signed_response_alg: None,
            subject_type: SubjectType::Pairwise,
            sector_identifier: "rp.example".into(),
            scopes: vec!["openid".into(), "email".into()],
            offline_access: false,
            default_acr: None,
            grant_types: vec![GrantType::AuthorizationCode],
            simulate: Simulate::None,
            has_secret: !public,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut all = vec![
            ("client_id", "c1"),
            ("redirect_uri", "https://rp.example/cb"),
            ("response_type", "code"),
            ("scope", "openid email phone"),
            ("state", "s1"),
        ];
        for (k, v) in pairs {
            all.retain(|(n, _)| n != k);
            all.push((k, v));
        }
        Params(all.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    fn checked(pairs: &[(&str, &str)], public: bool) -> Result<AuthRequest, ErrorRedirect> {
        let c = client(public);
        check(&params(pairs), &c, "https://rp.example/cb".into(), &default_acr_map())
    }

    #[test]
    fn a_plain_request_is_accepted_and_scopes_narrowed_to_the_clients() {
        let r = checked(&[("nonce", "n1")], false).expect("valid");
        assert_eq!(r.scopes, vec!["openid", "email"]);
        assert_eq!(r.nonce.as_deref(), Some("n1"));
        assert_eq!(r.state.as_deref(), Some("s1"));
    }

    #[test]
    fn errors_name_the_problem_and_keep_the_state() {
        let e = checked(&[("response_type", "token")], false).expect_err("refused");
        assert_eq!((e.error, e.state.as_deref()), ("unsupported_response_type", Some("s1")));
        assert_eq!(checked(&[("scope", "email")], false).expect_err("no openid").error, "invalid_scope");
        let e = checked(&[("prompt", "none login")], false).expect_err("none+login");
        assert!(e.description.contains("prompt=none"));
        assert!(checked(&[("max_age", "-1")], false).is_err());
        assert!(checked(&[("claims", "{")], false).is_err());
        let e = checked(&[("request_uri", "https://x")], false).expect_err("request_uri");
        assert_eq!(e.error, "request_uri_not_supported");
        let e = checked(&[("vtr", "[\"Zz\"]")], false).expect_err("unknown vector");
        assert_eq!(e.error, "invalid_request");
    }

    #[test]
    fn pkce_is_s256_and_required_for_public_clients() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(checked(&[], true).expect_err("public without PKCE").description.contains("PKCE"));
        assert!(checked(&[("code_challenge", challenge)], false).expect_err("plain").description.contains("plain"));
        let plain = [("code_challenge", challenge), ("code_challenge_method", "plain")];
        assert!(checked(&plain, true).is_err());
        let s256 = [("code_challenge", challenge), ("code_challenge_method", "S256")];
        assert_eq!(checked(&s256, true).expect("ok").code_challenge.as_deref(), Some(challenge));
        assert!(checked(&s256, false).is_ok(), "accepted for confidential clients");
    }

    #[test]
    fn redirect_uris_match_exactly_and_parameters_appear_once() {
        let c = client(false);
        assert!(redirect_uri(&params(&[]), &c).is_ok());
        let other = params(&[("redirect_uri", "https://rp.example/cb/")]);
        assert!(matches!(redirect_uri(&other, &c), Err(Rejection::Page { message: "oidc-error-redirect-uri", .. })));
        let mut twice = params(&[]);
        twice.0.push(("scope".into(), "openid".into()));
        assert!(check(&twice, &c, "https://rp.example/cb".into(), &default_acr_map()).is_err());
    }

    #[test]
    fn error_locations_carry_state_and_issuer() {
        let e = ErrorRedirect {
            redirect_uri: "https://rp.example/cb?x=1".into(),
            state: Some("a b".into()),
            error: "access_denied",
            description: "no".into(),
        };
        assert_eq!(
            error_location(&e, "https://idp.example/identity"),
            "https://rp.example/cb?x=1&error=access_denied&error_description=no&state=a+b&iss=https%3A%2F%2Fidp.example%2Fidentity"
        );
    }
}
