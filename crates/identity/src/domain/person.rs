//! What the parts of the identity block tell each other about a person: who is signed in
//! in this browser, and the claims an account can release.

use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::assurance::{Aal, Ial};

/// What kind of person an account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    Citizen,
    Business,
    Staff,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Citizen => "citizen",
            AccountKind::Business => "business",
            AccountKind::Staff => "staff",
        }
    }
    pub fn parse(text: &str) -> Option<AccountKind> {
        [AccountKind::Citizen, AccountKind::Business, AccountKind::Staff].into_iter().find(|k| k.as_str() == text)
    }
}

/// The person signed in to this browser's identity session, as of this request.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The browser session; the OpenID Connect `sid`.
    pub session_id: Uuid,
    pub account_id: Uuid,
    /// When the person last actively authenticated (OpenID Connect `auth_time`).
    pub auth_time: Timestamp,
    /// The authentication level this session reached.
    pub aal: Aal,
    /// RFC 8176 authentication method references used in this session (`pwd`, `otp`, `hwk`, …).
    pub amr: Vec<String>,
    /// The account's identity level now (proofing may have raised it during the session).
    pub ial: Ial,
}

/// What an account can release as claims, before scopes and consent choose among them.
#[derive(Clone, Debug)]
pub struct AccountClaims {
    pub account_id: Uuid,
    pub kind: AccountKind,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub phone_verified: bool,
    /// The identity proofed against the population register, when there is one.
    pub verified: Option<VerifiedIdentity>,
}

/// An identity proofed against the population register, and what the register said then.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    pub national_id: String,
    pub given_name: String,
    pub family_name: String,
    /// ISO 8601 date.
    pub birthdate: String,
    /// OpenID Connect address claim (`formatted`, `street_address`, `locality`,
    /// `postal_code`, `country`) of the residence, when the register has one.
    pub address: Option<serde_json::Value>,
    pub ial: Ial,
    pub verified_at: Timestamp,
}
