//! Authentication exactly as GOV.UK Notify: `Authorization: Bearer <JWT>`, HS256-signed with
//! one of the service's API key secrets, `iss` the service id, `iat` within 30 seconds. Every key
//! of the service is tried; the messages and statuses are Notify's.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use publica_kernel::crypto::{constant_time_eq, hmac_sha256};
use uuid::Uuid;

use super::error::NotifyError;
use crate::domain::kinds::KeyType;
use crate::service::{Notify, ServiceKeys};
use crate::store::Service;

const GENERAL: &str = "Invalid token: make sure your API token matches the example at \
    https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header";
const CLOCK: &str = "Error: Your system clock must be accurate to within 30 seconds";
/// How far `iat` may be from the server's clock, either way.
pub const LEEWAY_SECONDS: i64 = 30;

/// Who is calling: the service and the key that signed the token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub service: Service,
    pub key_id: Uuid,
    pub key_type: KeyType,
    pub key_name: String,
}

fn forbidden(message: &str) -> NotifyError {
    NotifyError::auth(StatusCode::FORBIDDEN, message)
}

/// Check the `Authorization` header at `now` (Unix seconds).
pub async fn authenticate(notify: &Notify, header: Option<&str>, now: i64) -> Result<Caller, NotifyError> {
    let header = header.unwrap_or_default();
    if header.is_empty() {
        return Err(NotifyError::auth(StatusCode::UNAUTHORIZED, "Unauthorized: authentication token must be provided"));
    }
    let scheme_ok = header.len() >= 7
        && header.is_char_boundary(7)
        && header[..6].eq_ignore_ascii_case("bearer")
        && header.as_bytes()[6] == b' ';
    if !scheme_ok {
        return Err(NotifyError::auth(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: authentication bearer scheme must be used",
        ));
    }
    let token = Token::parse(&header[7..]).ok_or_else(|| forbidden(GENERAL))?;
    let Some(iss) = token.claims.get("iss") else {
        return Err(forbidden("Invalid token: iss field not provided"));
    };
    let service_id = iss
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| forbidden("Invalid token: service id is not the right data type"))?;
    let keys: std::sync::Arc<ServiceKeys> = notify.service_keys(service_id).await?;
    let Some(service) = keys.service.clone() else {
        return Err(forbidden("Invalid token: service not found"));
    };
    if keys.keys.is_empty() {
        return Err(forbidden("Invalid token: service has no API keys"));
    }
    if !service.active {
        return Err(forbidden("Invalid token: service is archived"));
    }
    for key in &keys.keys {
        if token.alg != "HS256" {
            return Err(forbidden("Invalid token: algorithm used is not HS256"));
        }
        if !token.signed_with(&key.secret) {
            continue;
        }
        let iat = token.claims.get("iat").and_then(|v| v.as_f64()).ok_or_else(|| forbidden(GENERAL))?;
        if (iat as i64 - now).abs() > LEEWAY_SECONDS {
            return Err(forbidden(CLOCK));
        }
        if key.key.revoked_at.is_some() {
            return Err(forbidden("Invalid token: API key revoked"));
        }
        let key_type = key.key.kind.as_deref().and_then(KeyType::parse).unwrap_or(KeyType::Test);
        notify.record_key_use(key.key.id, key.key.last_used_at).await?;
        return Ok(Caller { service, key_id: key.key.id, key_type, key_name: key.key.name.clone() });
    }
    Err(forbidden("Invalid token: API key not found"))
}

/// A JWS in compact form, decoded but not yet verified.
struct Token<'a> {
    signing_input: &'a str,
    signature: Vec<u8>,
    alg: String,
    claims: serde_json::Map<String, serde_json::Value>,
}

impl<'a> Token<'a> {
    fn parse(token: &'a str) -> Option<Token<'a>> {
        let token = token.trim();
        let (signing_input, signature) = token.rsplit_once('.')?;
        let (header, payload) = signing_input.split_once('.')?;
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let alg = header.get("alg")?.as_str()?.to_string();
        Some(Token { signing_input, signature, alg, claims })
    }

    fn signed_with(&self, secret: &[u8]) -> bool {
        constant_time_eq(&hmac_sha256(secret, self.signing_input.as_bytes()), &self.signature)
    }
}

/// A token as the official clients make it (for tests and benchmarks).
pub fn make_token(service_id: Uuid, secret: &str, iat: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let claims = URL_SAFE_NO_PAD.encode(serde_json::json!({"iss": service_id.to_string(), "iat": iat}).to_string());
    let input = format!("{header}.{claims}");
    let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(secret.as_bytes(), input.as_bytes()));
    format!("{input}.{signature}")
}

/// Split a Notify API key `{key_name}-{service_id}-{secret}` as the official clients do.
pub fn split_key(key: &str) -> Option<(Uuid, &str)> {
    if key.len() < 73 || !key.is_char_boundary(key.len() - 73) {
        return None;
    }
    let service = Uuid::parse_str(&key[key.len() - 73..key.len() - 37]).ok()?;
    Some((service, &key[key.len() - 36..]))
}
