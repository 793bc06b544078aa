//! The identity block's configuration section (`[identity]` in `publica.toml`,
//! `PUBLICA_IDENTITY__…`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::assurance::{Aal, Ial};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// A browser session ends after this many minutes without activity (NIST: 15 at AAL2+... here
    /// the default for every level).
    pub session_idle_minutes: i64,
    /// …and this many minutes after sign-in, whatever the activity.
    pub session_absolute_minutes: i64,
    /// A sensitive action (changing the password or sign-in methods, downloading one's data)
    /// needs a sign-in at most this many minutes old.
    pub reauthenticate_minutes: i64,
    /// Consecutive failed sign-ins after which an account locks (NIST: at most 100).
    pub lockout_after_failures: u32,
    /// Wrong answers allowed per identity proofing before it must wait a day.
    pub proofing_attempts: u32,
    /// Lifetimes, in seconds, of authorization codes, access tokens and ID tokens.
    pub code_seconds: i64,
    pub access_token_seconds: i64,
    pub id_token_seconds: i64,
    /// Refresh tokens live this many days unless used (each use rotates them).
    pub refresh_token_days: i64,
    /// "Remember this device for N days" at the second step of a sign-in: on that browser the
    /// second factor is not asked again for that long, except where the level asked forbids it
    /// (aal3, a verified identity, staff). 0 turns the feature off. See `docs/identity.md`.
    pub remember_device_days: i64,
    /// Let clients register back-channel logout URIs on this machine or the local network
    /// (loopback, private, link-local addresses, plain `http`), and post logout tokens there.
    /// Off by default: such a URI would let a client make the provider reach internal services.
    /// For development and tests only; `publica serve --demo` turns it on.
    pub allow_local_logout_uris: bool,
    /// `acr` values (and vectors of trust) Publica accepts and reports, with the identity and
    /// authentication levels each one stands for. See `docs/identity.md`.
    pub acr: BTreeMap<String, AcrLevel>,
}

/// What an `acr` value means: at least this identity level and this authentication level.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AcrLevel {
    pub ial: Ial,
    pub aal: Aal,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            session_idle_minutes: 15,
            session_absolute_minutes: 12 * 60,
            reauthenticate_minutes: 15,
            lockout_after_failures: 100,
            proofing_attempts: 5,
            code_seconds: 60,
            access_token_seconds: 300,
            id_token_seconds: 300,
            refresh_token_days: 30,
            remember_device_days: 30,
            allow_local_logout_uris: false,
            acr: crate::domain::assurance::default_acr_map(),
        }
    }
}

impl IdentityConfig {
    /// Check the values a start-up must refuse; the message names the key and the fix.
    pub fn check(&self) -> Result<(), String> {
        if self.session_idle_minutes < 1 || self.session_absolute_minutes < self.session_idle_minutes {
            return Err(
                "identity.session_idle_minutes must be at least 1 and at most identity.session_absolute_minutes".into(),
            );
        }
        if self.lockout_after_failures == 0 || self.lockout_after_failures > 100 {
            return Err("identity.lockout_after_failures must be between 1 and 100 (NIST SP 800-63B)".into());
        }
        if self.proofing_attempts == 0 {
            return Err("identity.proofing_attempts must be at least 1".into());
        }
        for (name, value) in [
            ("code_seconds", self.code_seconds),
            ("access_token_seconds", self.access_token_seconds),
            ("id_token_seconds", self.id_token_seconds),
            ("refresh_token_days", self.refresh_token_days),
            ("reauthenticate_minutes", self.reauthenticate_minutes),
        ] {
            if value < 1 {
                return Err(format!("identity.{name} must be at least 1"));
            }
        }
        if !(0..=365).contains(&self.remember_device_days) {
            return Err("identity.remember_device_days must be between 0 (off) and 365".into());
        }
        if self.acr.is_empty() {
            return Err("identity.acr must map at least one acr value to its levels".into());
        }
        Ok(())
    }
}
