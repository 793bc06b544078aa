//! WebAuthn security keys and passkeys (`webauthn-rs`): registering one or more authenticators
//! on an account (named, removable, audited), signing in with one as the second factor, and
//! signing in with a discoverable passkey alone. Every ceremony's challenge state is kept on the
//! server (`identity_webauthn_ceremonies`), bound to the session or sign-in flow that started it,
//! and answers once.
//!
//! The relying party is the kernel's public URL: its host is the RP ID and its origin the only
//! origin accepted. Browsers refuse IP addresses as RP IDs, so a server reached at a loopback
//! address (`http://127.0.0.1:8080`, a developer's machine) is the RP `localhost` at
//! `http://localhost:8080`; at any other IP address WebAuthn is off.
//!
//! Every ceremony requires user verification (a PIN or biometric on the authenticator), so a
//! WebAuthn authenticator is multi-factor by itself. Its level comes from the backup-eligible
//! flag the authenticator signs: a key that may be synced to other devices is a software key
//! as NIST SP 800-63B rev. 4 counts it (`swk`, at most `aal2`); a device-bound one is `hwk` and
//! reaches `aal3`. No attestation is asked for (most passkey providers send none), so "device
//! bound" is the authenticator's own word; see `docs/identity.md`.

use publica_kernel::crypto::{random_token, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde::{Deserialize, Serialize};
use url::{Host, Url};
use uuid::Uuid;
use webauthn_rs::prelude::Passkey;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use super::domain::Account;
use super::store::{self, webauthn::CredentialRow, webauthn::NewCeremony};
use crate::domain::Aal;
use crate::service::Identity;

/// How long a ceremony may take (the authenticator's own timeout is five minutes).
const CEREMONY_MINUTES: i64 = 10;
/// Authenticators an account may have.
pub const MAX_KEYS: usize = 20;
/// The longest name of an authenticator, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// The relying party of a server whose public address is `public_base`, or why there is none.
pub fn relying_party(public_base: &str) -> std::result::Result<Webauthn, String> {
    let url = Url::parse(public_base).map_err(|e| format!("the public URL {public_base} cannot be parsed: {e}"))?;
    let origin = match url.host() {
        Some(Host::Domain(_)) => url.clone(),
        Some(Host::Ipv4(ip)) if ip.is_loopback() => with_localhost(&url)?,
        Some(Host::Ipv6(ip)) if ip.is_loopback() => with_localhost(&url)?,
        _ => return Err(format!("browsers allow WebAuthn only on a domain name, and the public URL is {public_base}")),
    };
    let rp_id = origin.host_str().unwrap_or_default().to_string();
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name("Publica").build())
        .map_err(|e| format!("WebAuthn cannot be set up for {origin}: {e}"))
}

fn with_localhost(url: &Url) -> std::result::Result<Url, String> {
    let mut local = url.clone();
    local.set_host(Some("localhost")).map_err(|e| e.to_string())?;
    Ok(local)
}

/// What a ceremony carries from its start to its end.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CeremonyData {
    /// The new authenticator's name (registration).
    #[serde(default)]
    pub name: Option<String>,
    /// The account's WebAuthn user handle (registration).
    #[serde(default)]
    pub handle: Option<Uuid>,
    /// Only device-bound authenticators may answer (the level asked is `aal3`).
    #[serde(default)]
    pub device_bound_only: bool,
}

mod register;
mod sign_in;

pub use sign_in::KeyCheck;

/// The kind of ceremony, as stored.
pub(super) const REGISTER: &str = "register";
pub(super) const AUTHENTICATE: &str = "authenticate";
pub(super) const PASSKEY: &str = "passkey";

pub(super) fn state_json<T: Serialize>(state: &T) -> Result<String> {
    serde_json::to_string(state).map_err(Error::internal)
}

pub(super) fn state_of<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|_| Error::invalid("ceremony", "this ceremony cannot be continued: start again"))
}

pub(super) fn passkey_of(row: &CredentialRow) -> Result<Passkey> {
    serde_json::from_str(&row.passkey).map_err(|_| Error::internal("a stored WebAuthn credential cannot be read"))
}

pub(super) fn gone() -> Error {
    Error::invalid("ceremony", "this ceremony is unknown or past its time: start again")
}

/// A name as given: trimmed, 1 to 60 printable characters.
pub fn key_name(text: &str) -> Result<String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            format!("give the security key or passkey a name of 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_string())
}

impl Identity {
    pub(super) fn relying(&self) -> Result<&Webauthn> {
        self.accounts.webauthn.as_ref().map_err(|why| Error::Unavailable(format!("WebAuthn is off here: {why}")))
    }

    /// Whether this session may add a security key or passkey: adding a sign-in method needs a
    /// recent sign-in, and, for an account with a second factor, one made with it (NIST: an
    /// authenticator is bound at the level the account already reaches).
    pub(crate) async fn may_add_key(&self, current: &super::sessions::Current) -> Result<()> {
        if !self.recently_authenticated(&current.session) {
            return Err(Error::Forbidden("sign in again before adding a security key or passkey".into()));
        }
        if current.aal() < Aal::Aal2 && self.has_second_factor(&current.account).await? {
            return Err(Error::Forbidden(
                "sign in with your second factor before adding a security key or passkey".into(),
            ));
        }
        Ok(())
    }

    /// Whether security keys and passkeys can be used on this server.
    pub fn webauthn_available(&self) -> bool {
        self.accounts.webauthn.is_ok()
    }

    /// The account's authenticators, oldest first.
    pub async fn webauthn_keys(&self, account_id: Uuid) -> Result<Vec<CredentialRow>> {
        store::webauthn::of_account(self.kernel.db(), account_id).await
    }

    /// Whether the account can reach `aal3` here: WebAuthn works and it has a device-bound key.
    pub(crate) async fn reaches_aal3(&self, account: &Account) -> Result<bool> {
        Ok(self.webauthn_available() && self.webauthn_counts(account.id).await?.1)
    }

    /// Whether the account has a usable WebAuthn authenticator, and a device-bound one.
    pub async fn webauthn_counts(&self, account_id: Uuid) -> Result<(bool, bool)> {
        let (all, bound) = store::webauthn::counts(self.kernel.db(), account_id).await?;
        Ok((all > 0, bound > 0))
    }

    pub(super) async fn new_ceremony<T: Serialize>(
        &self,
        kind: &str,
        account_id: Option<Uuid>,
        bound_to: Option<Uuid>,
        state: &T,
        data: &CeremonyData,
    ) -> Result<String> {
        let token = random_token();
        let data = serde_json::to_value(data).map_err(Error::internal)?;
        let ceremony = NewCeremony {
            token_hash: &sha256(token.as_bytes()),
            kind,
            account_id,
            bound_to,
            state: &state_json(state)?,
            data: &data,
            expires_at: Timestamp::now().plus(time::Duration::minutes(CEREMONY_MINUTES)),
        };
        store::webauthn::insert_ceremony(self.kernel.db(), ceremony).await?;
        Ok(token)
    }

    /// Take the ceremony behind `token` of this kind, started by `account_id` in `bound_to`.
    pub(super) async fn take_ceremony(
        &self,
        token: &str,
        kind: &str,
        account_id: Option<Uuid>,
        bound_to: Option<Uuid>,
    ) -> Result<(store::webauthn::CeremonyRow, CeremonyData)> {
        let row = store::webauthn::take_ceremony(self.kernel.db(), &sha256(token.as_bytes()), kind, Timestamp::now())
            .await?
            .ok_or_else(gone)?;
        if row.account_id != account_id || row.bound_to != bound_to {
            return Err(gone());
        }
        let data = serde_json::from_value(row.data.clone()).unwrap_or_default();
        Ok((row, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_url_or_localhost() {
        assert!(relying_party("https://login.example.gov").is_ok());
        assert!(relying_party("http://127.0.0.1:8080").is_ok());
        assert!(relying_party("http://[::1]:8080").is_ok());
        assert!(relying_party("http://192.0.2.10:8080").is_err());
    }

    #[test]
    fn names_are_short_and_printable() {
        assert_eq!(key_name("  My key ").expect("ok"), "My key");
        assert!(key_name("").is_err());
        assert!(key_name(&"x".repeat(61)).is_err());
        assert!(key_name("a\nb").is_err());
    }
}
