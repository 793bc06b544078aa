//! Compact JWS (RFC 7515), as the exchange and identity use it: split and decode a token,
//! verify it against a public JWK (RS256, PS256, ES256, EdDSA), sign one with a kernel key.

use crate::crypto::{self, Alg, b64url};
use crate::error::Result;
use crate::keys::LoadedKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The protected header members Publica reads.
#[derive(Clone, Debug, Deserialize)]
pub struct Header {
    pub alg: String,
    pub kid: Option<String>,
    pub typ: Option<String>,
    /// Critical extensions: none are understood, so any makes the token unacceptable.
    pub crit: Option<Value>,
}

/// A decoded, not yet verified token.
#[derive(Debug)]
pub struct Jws<'a> {
    /// `base64url(header) . base64url(payload)`: what the signature covers.
    pub signing_input: &'a str,
    pub header: Header,
    pub claims: Map<String, Value>,
    pub signature: Vec<u8>,
}

/// Split and decode a compact JWS; the error says what is malformed.
pub fn decode(token: &str) -> std::result::Result<Jws<'_>, String> {
    let token = token.trim();
    if token.len() > 16 * 1024 {
        return Err("the token is longer than 16 KiB".into());
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("a JWT has three base64url parts separated by dots".into());
    };
    let signing_input = &token[..header.len() + 1 + payload.len()];
    let bytes =
        |part: &str, what: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| format!("the {what} is not base64url"));
    let header: Header = serde_json::from_slice(&bytes(header, "header")?)
        .map_err(|e| format!("the header is not a JOSE header: {e}"))?;
    if header.crit.is_some() {
        return Err("the header has critical extensions (`crit`) this server does not understand".into());
    }
    let claims: Map<String, Value> = serde_json::from_slice(&bytes(payload, "payload")?)
        .map_err(|_| "the payload is not a JSON object".to_string())?;
    let signature = bytes(signature, "signature")?;
    Ok(Jws { signing_input, header, claims, signature })
}

impl Jws<'_> {
    /// Whether the signature verifies under `jwk` with the header's algorithm, which must be
    /// one of `allowed`. `none` and unknown algorithms never verify.
    pub fn verify(&self, jwk: &Value, allowed: &[&str]) -> bool {
        allowed.contains(&self.header.alg.as_str())
            && verify_alg(jwk, &self.header.alg, self.signing_input.as_bytes(), &self.signature)
    }
}

/// Verify a JWS signature by its JOSE algorithm name: what Publica signs with ([`Alg`]) and
/// PS256, which clients may use for their assertions.
pub fn verify_alg(jwk: &Value, alg: &str, message: &[u8], signature: &[u8]) -> bool {
    match alg {
        "PS256" => crypto::verify_ps256(jwk, message, signature),
        other => Alg::parse(other).is_some_and(|a| a.as_str() == other && crypto::verify(jwk, a, message, signature)),
    }
}

/// Sign `claims` with a kernel key: `{"alg", "kid", "typ"}` header, compact serialisation.
pub fn sign(key: &LoadedKey, typ: &str, claims: &Value) -> Result<String> {
    let header = serde_json::json!({ "alg": key.alg.as_str(), "kid": key.kid, "typ": typ });
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = key.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", b64url(&signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tokens_are_named() {
        assert!(decode("a.b").expect_err("refused").contains("three"));
        assert!(decode("a.b.c.d").expect_err("refused").contains("three"));
        assert!(decode("!!.e30.AA").expect_err("refused").contains("header"));
        let header = b64url(br#"{"alg":"ES256"}"#);
        assert!(decode(&format!("{header}.W10.AA")).expect_err("refused").contains("payload"));
        let crit = b64url(br#"{"alg":"ES256","crit":["exp"]}"#);
        assert!(decode(&format!("{crit}.e30.AA")).expect_err("refused").contains("crit"));
        let token = format!("{header}.e30.AA");
        let ok = decode(&token).expect("decodes");
        assert_eq!(ok.signing_input, format!("{header}.e30"));
        assert_eq!(ok.signature, vec![0u8]);
    }
}
