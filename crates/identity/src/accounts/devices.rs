//! Remembered devices: "Remember this device for N days" at the second step of a sign-in. The
//! browser gets a random token in a long-lived `publica_id_device` cookie (HttpOnly,
//! SameSite=Lax, Secure behind TLS, path `/identity`); the server keeps its SHA-256 with the
//! account, when both factors were last checked there and until when it counts
//! (`remember_device_days`, 0 for never).
//!
//! At a later sign-in on that browser, after the password:
//! - never for `aal3`, for a flow that needs the verified identity (a client asking for a
//!   proofed identity, or identity proofing itself), or for staff: the second factor is asked
//!   as usual (as Login.gov does not remember devices for verified flows);
//! - within 24 hours of the last check of both factors there, the password reaches `aal2`:
//!   NIST SP 800-63B rev. 4 lets an AAL2 subscriber reauthenticate with one factor within 24
//!   hours while the session's secret (this token) is still valid;
//! - later, until the device expires, the password reaches `aal1` only: enough for services
//!   that ask for no more, and a service that asks for `aal2` gets the second step (which
//!   renews the 24 hours).
//!
//! The session's `amr` is `["pwd"]`: the device is not a fresh second factor, and `amr` says
//! what was checked at this sign-in. Changing the password, recovering the account and signing
//! out everywhere forget every device; the account page forgets one or all.

use axum::http::{HeaderMap, HeaderValue};
use axum_extra::extract::cookie::{Cookie, SameSite};
use publica_kernel::crypto::{random_token, sha256};
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use uuid::Uuid;

use super::Origin;
use super::domain::Account;
use super::sessions::cookie_value;
use super::store::{self, devices::DeviceRow};
use crate::domain::{Aal, AccountKind, Ial};
use crate::service::Identity;

pub const DEVICE_COOKIE: &str = "publica_id_device";
/// A password on a remembered device reaches `aal2` this long after both factors were checked
/// there (NIST SP 800-63B rev. 4: AAL2 reauthentication at least once per 24 hours).
pub const AAL2_REAUTHENTICATION: time::Duration = time::Duration::hours(24);

fn device_cookie(value: String, https: bool, max_age: time::Duration) -> Option<HeaderValue> {
    Cookie::build((DEVICE_COOKIE, value))
        .path("/identity")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .max_age(max_age)
        .build()
        .to_string()
        .parse()
        .ok()
}

/// The level a password reaches on a device whose factors were both checked at `mfa_at`.
pub fn remembered_level(mfa_at: Timestamp, now: Timestamp) -> Aal {
    if mfa_at.plus(AAL2_REAUTHENTICATION) > now { Aal::Aal2 } else { Aal::Aal1 }
}

impl Identity {
    /// Whether a sign-in of `account` going to `return_to` at level `aal` may skip the second
    /// factor on a remembered device, or offer to remember one.
    pub(crate) async fn may_remember_device(&self, account: &Account, return_to: &str, aal: Aal) -> Result<bool> {
        Ok(self.config.remember_device_days > 0
            && aal < Aal::Aal3
            && account.kind != AccountKind::Staff
            && !self.needs_verified_identity(return_to).await?)
    }

    /// Whether the sign-in leads to something that needs the verified identity: a client's
    /// authorization asking for a proofed identity, or identity proofing itself.
    async fn needs_verified_identity(&self, return_to: &str) -> Result<bool> {
        if return_to.starts_with("/identity/proofing") {
            return Ok(true);
        }
        let Some(rest) = return_to.strip_prefix("/identity/authorize/continue/") else {
            return Ok(false);
        };
        let id = rest.split(['?', '/', '#']).next().unwrap_or_default();
        let interaction = crate::oidc::store::flow::interaction(self.kernel.db(), id).await?;
        Ok(interaction.is_some_and(|i| i.request.levels.needed().ial >= Ial::Verified))
    }

    /// The remembered device of `account` this browser is, if the sign-in may skip the second
    /// factor there and the level it reaches is enough: the device and that level.
    pub(crate) async fn remembered_device(
        &self,
        headers: &HeaderMap,
        account: &Account,
        return_to: &str,
        aal: Aal,
    ) -> Result<Option<(DeviceRow, Aal)>> {
        let Some(token) = cookie_value(headers, DEVICE_COOKIE) else {
            return Ok(None);
        };
        let now = Timestamp::now();
        let Some(device) = store::devices::by_token(self.kernel.db(), &sha256(token.as_bytes()), now)
            .await?
            .filter(|d| d.account_id == account.id)
        else {
            return Ok(None);
        };
        if !self.may_remember_device(account, return_to, aal).await? {
            return Ok(None);
        }
        let level = remembered_level(device.mfa_at, now);
        Ok((level >= aal).then_some((device, level)))
    }

    /// A sign-in on a remembered device without its second factor: noted on the device.
    pub(crate) async fn used_remembered_device(&self, device: &DeviceRow, level: Aal, origin: &Origin) -> Result<()> {
        store::devices::used(self.kernel.db(), device.id, Timestamp::now()).await?;
        let detail = serde_json::json!({ "outcome": "success", "device": device.id, "aal": level.as_str() });
        self.record_activity(device.account_id, "sign-in.remembered-device", detail, origin).await
    }

    /// Both factors were just checked in this browser: a remembered device of the account is
    /// renewed (its 24 hours at `aal2` start again).
    pub(crate) async fn renew_remembered_device(&self, headers: &HeaderMap, account_id: Uuid) -> Result<()> {
        let Some(token) = cookie_value(headers, DEVICE_COOKIE) else {
            return Ok(());
        };
        let now = Timestamp::now();
        if let Some(device) = store::devices::by_token(self.kernel.db(), &sha256(token.as_bytes()), now).await?
            && device.account_id == account_id
        {
            store::devices::refreshed(self.kernel.db(), device.id, now).await?;
        }
        Ok(())
    }

    /// Remember this browser for the account after both factors were checked (audited): the
    /// cookie to set.
    pub(crate) async fn remember_device(
        &self,
        account: &Account,
        origin: &Origin,
        https: bool,
    ) -> Result<Option<HeaderValue>> {
        let days = self.config.remember_device_days;
        if days < 1 {
            return Err(Error::Conflict("remembered devices are turned off here".into()));
        }
        let token = random_token();
        let now = Timestamp::now();
        let lifetime = time::Duration::days(days);
        let device = DeviceRow {
            id: Uuid::now_v7(),
            account_id: account.id,
            user_agent: origin.user_agent.clone(),
            ip: origin.ip.clone(),
            created_at: now,
            mfa_at: now,
            last_used_at: Some(now),
            expires_at: now.plus(lifetime),
        };
        let details = serde_json::json!({ "device": device.id, "days": days });
        let mut tx = self.kernel.db().begin().await?;
        store::devices::insert(&mut tx, &sha256(token.as_bytes()), &device).await?;
        self.audit_account(&mut tx, &account.actor(), account.id, "device_remembered", details.clone()).await?;
        self.record_activity_in(&mut tx, account.id, "device.remembered", details, origin).await?;
        tx.commit().await?;
        Ok(device_cookie(token, https, lifetime))
    }

    /// The account's remembered devices, newest first.
    pub async fn remembered_devices(&self, account_id: Uuid) -> Result<Vec<DeviceRow>> {
        store::devices::of_account(self.kernel.db(), account_id, Timestamp::now()).await
    }

    /// Forget one device (audited).
    pub async fn forget_device(&self, account: &Account, device: Uuid, origin: &Origin) -> Result<()> {
        let mut tx = self.kernel.db().begin().await?;
        if !store::devices::delete(&mut tx, account.id, device).await? {
            return Err(Error::not_found("remembered device"));
        }
        let details = serde_json::json!({ "device": device });
        self.audit_account(&mut tx, &account.actor(), account.id, "device_forgotten", details.clone()).await?;
        self.record_activity_in(&mut tx, account.id, "device.forgotten", details, origin).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forget every device of the account (audited); how many there were.
    pub async fn forget_devices(&self, account: &Account, origin: &Origin) -> Result<u64> {
        let mut tx = self.kernel.db().begin().await?;
        let count = self.forget_devices_in(&mut tx, account.id, "asked").await?;
        self.record_activity_in(
            &mut tx,
            account.id,
            "device.forgotten-all",
            serde_json::json!({ "count": count }),
            origin,
        )
        .await?;
        tx.commit().await?;
        Ok(count)
    }

    /// Forget every device of the account inside the caller's transaction (a password change,
    /// a recovery, signing out everywhere); audited when there were some.
    pub(crate) async fn forget_devices_in(&self, tx: &mut Tx, account_id: Uuid, why: &str) -> Result<u64> {
        let count = store::devices::delete_all_of(tx, account_id).await?;
        if count > 0 {
            let details = serde_json::json!({ "count": count, "why": why });
            self.audit_account(tx, &super::domain::actor(account_id), account_id, "devices_forgotten", details).await?;
        }
        Ok(count)
    }
}

/// The cookie that removes a device token from this browser.
pub(crate) fn clear_device_cookie(https: bool) -> Option<HeaderValue> {
    device_cookie(String::new(), https, time::Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_device_reaches_aal2_for_a_day_then_aal1() {
        let now = Timestamp::now();
        assert_eq!(remembered_level(now.plus(time::Duration::hours(-23)), now), Aal::Aal2);
        assert_eq!(remembered_level(now.plus(time::Duration::hours(-25)), now), Aal::Aal1);
    }
}
