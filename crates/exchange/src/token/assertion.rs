//! Client assertions (RFC 7523 §3 as PDND profiles them): the JWT a client signs with one of
//! its registered keys to ask for a voucher. Header `kid`, `alg` (RS256 or ES256), `typ`
//! `JWT`; claims `iss` = `sub` = the client id, `aud` = the token endpoint, `jti`, `iat`,
//! `exp` and `purposeId`, and optionally `digest` — nothing else.

use publica_kernel::crypto::{self, Alg};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::ClientKey;
use publica_kernel::jose::Jws;

/// Claims an assertion may carry.
pub const ALLOWED_CLAIMS: [&str; 8] = ["iss", "sub", "aud", "jti", "iat", "exp", "purposeId", "digest"];
/// Longest an assertion may be valid, in seconds (from `iat` to `exp`).
pub const MAX_LIFETIME: i64 = 600;
/// Seconds of clock difference tolerated on `iat`.
pub const SKEW: i64 = 60;

/// An assertion's claims once their shapes are checked.
#[derive(Clone, Debug)]
pub struct Assertion {
    pub client_id: Uuid,
    pub kid: String,
    pub alg: Alg,
    pub jti: String,
    pub exp: i64,
    pub purpose_id: Uuid,
}

/// Why an assertion is refused: the OAuth error code and a description naming the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub error: &'static str,
    pub description: String,
}

impl Refusal {
    pub fn new(error: &'static str, description: impl Into<String>) -> Refusal {
        Refusal { error, description: description.into() }
    }
}

fn client(description: impl Into<String>) -> Refusal {
    Refusal::new("invalid_client", description)
}

fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    match claims.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(client(format!("the assertion's `{name}` must be a non-empty string"))),
        None => Err(client(format!("the assertion has no `{name}` claim"))),
    }
}

fn number(claims: &Map<String, Value>, name: &str) -> Result<i64, Refusal> {
    match claims.get(name) {
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| client(format!("the assertion's `{name}` must be an integer (seconds since 1970)"))),
        Some(_) => Err(client(format!("the assertion's `{name}` must be a number of seconds, not a string"))),
        None => Err(client(format!("the assertion has no `{name}` claim"))),
    }
}

/// Check everything that does not need the database: header, claim shapes, audience, times.
/// `form_client_id` is the `client_id` form field, when sent.
pub fn check(jws: &Jws<'_>, audience: &str, form_client_id: Option<&str>, now: i64) -> Result<Assertion, Refusal> {
    let alg = match jws.header.alg.as_str() {
        "RS256" => Alg::RS256,
        "ES256" => Alg::ES256,
        other => return Err(client(format!("the assertion is signed `{other}`; use RS256 or ES256"))),
    };
    if let Some(typ) = &jws.header.typ
        && !typ.eq_ignore_ascii_case("JWT")
    {
        return Err(client(format!("the assertion's typ is `{typ}`; it must be JWT")));
    }
    let kid = jws
        .header
        .kid
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| client("the assertion's header has no `kid`"))?;
    let claims = &jws.claims;
    if let Some(extra) = claims.keys().find(|k| !ALLOWED_CLAIMS.contains(&k.as_str())) {
        return Err(client(format!(
            "the assertion carries `{extra}`, which is not allowed; allowed: {}",
            ALLOWED_CLAIMS.join(", ")
        )));
    }
    let iss = string(claims, "iss")?;
    let sub = string(claims, "sub")?;
    if iss != sub {
        return Err(client("the assertion's `iss` and `sub` must both be the client id"));
    }
    if let Some(form) = form_client_id
        && form != iss
    {
        return Err(client("the form's client_id differs from the assertion's `iss`"));
    }
    let client_id = Uuid::try_parse(iss).map_err(|_| client(format!("`{iss}` is not a client id of this exchange")))?;
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => return Err(client("the assertion has no `aud` claim")),
    };
    if !aud_ok {
        return Err(client(format!("the assertion's `aud` must be {audience}")));
    }
    let jti = string(claims, "jti")?;
    if jti.len() > 255 {
        return Err(client("the assertion's `jti` is longer than 255 characters"));
    }
    let iat = number(claims, "iat")?;
    let exp = number(claims, "exp")?;
    if exp <= now {
        return Err(client("the assertion has expired (`exp` is past)"));
    }
    if iat > now + SKEW {
        return Err(client("the assertion's `iat` is in the future; check the client's clock"));
    }
    if exp <= iat {
        return Err(client("the assertion's `exp` must come after its `iat`"));
    }
    if exp - iat > MAX_LIFETIME || exp > now + MAX_LIFETIME + SKEW {
        return Err(client(format!("an assertion may be valid for at most {MAX_LIFETIME} seconds")));
    }
    if let Some(digest) = claims.get("digest") {
        let ok = digest.get("alg").is_some_and(Value::is_string) && digest.get("value").is_some_and(Value::is_string);
        if !ok {
            return Err(client("the assertion's `digest` must be {\"alg\": string, \"value\": string}"));
        }
    }
    let purpose = match claims.get("purposeId") {
        Some(Value::String(p)) => p,
        Some(_) => return Err(Refusal::new("invalid_request", "the assertion's `purposeId` must be a string")),
        None => {
            return Err(Refusal::new(
                "invalid_request",
                "the assertion has no `purposeId`: name the purpose the voucher is for",
            ));
        }
    };
    let purpose_id = Uuid::try_parse(purpose).map_err(|_| {
        Refusal::new("invalid_request", format!("the assertion's `purposeId` `{purpose}` is not a UUID"))
    })?;
    Ok(Assertion { client_id, kid, alg, jti: jti.to_string(), exp, purpose_id })
}

/// Check the signature with the client's registered key.
pub fn verify_signature(jws: &Jws<'_>, assertion: &Assertion, key: &ClientKey) -> Result<(), Refusal> {
    if key.alg != assertion.alg.as_str() {
        return Err(client(format!(
            "the key `{}` is an {} key; the assertion says {}",
            key.kid, key.alg, assertion.alg
        )));
    }
    if crypto::verify(&key.jwk, assertion.alg, jws.signing_input.as_bytes(), &jws.signature) {
        Ok(())
    } else {
        Err(client(format!("the assertion's signature does not verify with the key `{}`", key.kid)))
    }
}
