//! Vouchers: the access tokens the token endpoint issues and the gateway checks. A voucher is
//! a JWT (`typ: at+jwt`) signed RS256 with the kernel's signing key, naming the client, the
//! purpose, the agreement and the e-service, as PDND's vouchers do.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::signature::ParsedPublicKey;
use publica_kernel::Kernel;
use publica_kernel::crypto::Alg;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::keys::Purpose;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::keys::verifying_key;
use publica_kernel::jose as jws;

/// The JOSE algorithm of vouchers (PDND signs its vouchers RS256 too).
pub const VOUCHER_ALG: Alg = Alg::RS256;
/// The `typ` of vouchers (RFC 9068).
pub const VOUCHER_TYP: &str = "at+jwt";
/// Seconds of clock difference tolerated on `nbf` and `exp`.
pub const LEEWAY: i64 = 30;

/// A voucher's claims.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoucherClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub client_id: String,
    #[serde(rename = "purposeId")]
    pub purpose_id: Uuid,
    #[serde(rename = "agreementId")]
    pub agreement_id: Uuid,
    #[serde(rename = "eserviceId")]
    pub eservice_id: Uuid,
    #[serde(rename = "producerId")]
    pub producer_id: Uuid,
    #[serde(rename = "consumerId")]
    pub consumer_id: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

/// Sign a voucher with the kernel's active RS256 signing key.
pub fn issue(kernel: &Kernel, claims: &VoucherClaims) -> Result<String> {
    let key = kernel
        .keys()
        .active(Purpose::Signing, VOUCHER_ALG)
        .ok_or_else(|| Error::Unavailable("no active RS256 signing key".into()))?;
    let value = serde_json::to_value(claims).map_err(Error::internal)?;
    jws::sign(&key, VOUCHER_TYP, &value)
}

/// The kernel's signing keys parsed once for verification, by key id.
#[derive(Default)]
pub struct VoucherKeys {
    parsed: RwLock<HashMap<String, Arc<ParsedPublicKey>>>,
}

impl VoucherKeys {
    fn key(&self, kernel: &Kernel, kid: &str) -> Option<Arc<ParsedPublicKey>> {
        if let Some(key) = self.parsed.read().unwrap_or_else(|e| e.into_inner()).get(kid) {
            return Some(key.clone());
        }
        let loaded = kernel.keys().by_kid(kid)?;
        let usable = loaded.purpose == Purpose::Signing.as_str()
            && loaded.alg == VOUCHER_ALG
            && loaded.retire_at.is_none_or(|t| t > Timestamp::now());
        if !usable {
            return None;
        }
        let parsed = Arc::new(verifying_key(loaded.alg, &loaded.jwk)?);
        self.parsed.write().unwrap_or_else(|e| e.into_inner()).insert(kid.to_string(), parsed.clone());
        Some(parsed)
    }

    /// Check a voucher's signature, issuer and times; the error says what is wrong. The caller
    /// checks the audience and what the voucher grants against the current state.
    pub fn verify(
        &self,
        kernel: &Kernel,
        token: &str,
        issuer: &str,
        now: i64,
    ) -> std::result::Result<VoucherClaims, String> {
        let jws = jws::decode(token)?;
        if jws.header.alg != VOUCHER_ALG.as_str() {
            return Err(format!("the voucher is signed {}, not {}", jws.header.alg, VOUCHER_ALG));
        }
        if !jws.header.typ.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(VOUCHER_TYP)) {
            return Err(format!("the token is not a voucher (typ must be {VOUCHER_TYP})"));
        }
        let kid = jws.header.kid.as_deref().ok_or("the voucher has no kid")?;
        let key = self.key(kernel, kid).ok_or("the voucher is signed with an unknown or retired key")?;
        key.verify_sig(jws.signing_input.as_bytes(), &jws.signature)
            .map_err(|_| "the voucher's signature does not verify".to_string())?;
        let claims: VoucherClaims = serde_json::from_value(serde_json::Value::Object(jws.claims))
            .map_err(|e| format!("the voucher's claims are malformed: {e}"))?;
        if claims.iss != issuer {
            return Err(format!("the voucher was issued by `{}`, not by this exchange", claims.iss));
        }
        if claims.exp + LEEWAY <= now {
            return Err("the voucher has expired; ask the token endpoint for a new one".into());
        }
        if claims.nbf - LEEWAY > now {
            return Err("the voucher is not valid yet".into());
        }
        Ok(claims)
    }
}
