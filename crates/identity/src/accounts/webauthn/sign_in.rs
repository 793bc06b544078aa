//! Signing in with a security key or passkey: as the second step of a sign-in or a step-up
//! (the account's authenticators are offered), or alone with a discoverable passkey (the
//! authenticator names the account). Throttled and counted like the other factors; a
//! signature counter that goes backwards blocks the authenticator.

use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, PasskeyAuthentication, PublicKeyCredential, RequestChallengeResponse, WebauthnError,
};

use super::{AUTHENTICATE, CeremonyData, PASSKEY, passkey_of, state_of};
use crate::accounts::Origin;
use crate::accounts::domain::{Account, SecondFactor};
use crate::accounts::store;
use crate::accounts::throttle::{self, Keys};
use crate::domain::Aal;
use crate::service::Identity;

/// What checking an authenticator's answer at sign-in found.
#[derive(Debug)]
pub enum KeyCheck {
    /// Right, with the factor it counts as, and the account (for a passkey sign-in).
    Accepted(SecondFactor, Box<Account>),
    /// Not an answer from one of the account's authenticators, or not a valid one.
    Wrong,
    /// A synced passkey answered where only a device-bound authenticator will do.
    NotDeviceBound,
    /// The signature counter went backwards: a copy of the key may exist. The authenticator is
    /// refused from now on.
    Cloned,
    Throttled(Timestamp),
    Locked,
}

impl Identity {
    /// Start a sign-in step with one of the account's authenticators (the second factor of a
    /// sign-in flow, or a step-up of a session: `bound_to` is that flow or session). With
    /// `device_bound_only`, only device-bound ones are offered (the level asked is `aal3`).
    pub async fn start_key_authentication(
        &self,
        account: &Account,
        bound_to: Uuid,
        device_bound_only: bool,
    ) -> Result<(String, serde_json::Value)> {
        let webauthn = self.relying()?;
        let passkeys = self
            .webauthn_keys(account.id)
            .await?
            .iter()
            .filter(|k| k.disabled_at.is_none() && !(device_bound_only && k.backup_eligible))
            .map(passkey_of)
            .collect::<Result<Vec<_>>>()?;
        if passkeys.is_empty() {
            return Err(Error::Conflict("this account has no security key or passkey that can answer".into()));
        }
        let (options, state): (RequestChallengeResponse, PasskeyAuthentication) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| Error::internal(format!("WebAuthn authentication cannot start: {e}")))?;
        let data = CeremonyData { name: None, handle: None, device_bound_only };
        let token = self.new_ceremony(AUTHENTICATE, Some(account.id), Some(bound_to), &state, &data).await?;
        Ok((token, serde_json::to_value(&options).map_err(Error::internal)?))
    }

    /// Check the browser's answer to a sign-in step started by `start_key_authentication`;
    /// throttled and counted like the other second factors.
    pub async fn finish_key_authentication(
        &self,
        account: &Account,
        bound_to: Uuid,
        token: &str,
        answer: &PublicKeyCredential,
        origin: &Origin,
    ) -> Result<KeyCheck> {
        let webauthn = self.relying()?;
        let (ceremony, data) = self.take_ceremony(token, AUTHENTICATE, Some(account.id), Some(bound_to)).await?;
        let state: PasskeyAuthentication = state_of(&ceremony.state)?;
        if let Some(refused) = self.key_gate(account, origin).await? {
            return Ok(refused);
        }
        let outcome = webauthn.finish_passkey_authentication(answer, &state);
        self.key_outcome(account, answer, outcome, data.device_bound_only, origin).await
    }

    /// Start a sign-in with a discoverable passkey alone: the authenticator names the account.
    pub async fn start_passkey_sign_in(&self, device_bound_only: bool) -> Result<(String, serde_json::Value)> {
        let webauthn = self.relying()?;
        let (options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| Error::internal(format!("WebAuthn authentication cannot start: {e}")))?;
        let mut options = serde_json::to_value(&options).map_err(Error::internal)?;
        // webauthn-rs prepares conditional mediation (autofill); here a button starts it.
        if let Some(object) = options.as_object_mut() {
            object.remove("mediation");
        }
        let data = CeremonyData { name: None, handle: None, device_bound_only };
        let token = self.new_ceremony(PASSKEY, None, None, &state, &data).await?;
        Ok((token, options))
    }

    /// Check the answer to a passkey sign-in: whose passkey it is, and whether it is right.
    pub async fn finish_passkey_sign_in(
        &self,
        token: &str,
        answer: &PublicKeyCredential,
        origin: &Origin,
    ) -> Result<Option<KeyCheck>> {
        let webauthn = self.relying()?;
        let (ceremony, data) = self.take_ceremony(token, PASSKEY, None, None).await?;
        let state = state_of(&ceremony.state)?;
        let Ok((handle, credential_id)) = webauthn.identify_discoverable_authentication(answer) else {
            return Err(Error::invalid(
                "credential",
                "this passkey does not say whose it is: sign in with your password",
            ));
        };
        let Some(row) = store::webauthn::by_credential_id(self.kernel.db(), credential_id).await? else {
            return Ok(None);
        };
        if row.user_handle != handle {
            return Ok(None);
        }
        let account = self.account(row.account_id).await?;
        if let Some(refused) = self.key_gate(&account, origin).await? {
            return Ok(Some(refused));
        }
        let passkey = passkey_of(&row)?;
        let outcome = webauthn.finish_discoverable_authentication_v2(answer, state, &passkey);
        self.key_outcome(&account, answer, outcome, data.device_bound_only, origin).await.map(Some)
    }

    /// Refusals before an answer is checked: a locked account, too many failures from here.
    async fn key_gate(&self, account: &Account, origin: &Origin) -> Result<Option<KeyCheck>> {
        if account.locked_at.is_some() {
            return Ok(Some(KeyCheck::Locked));
        }
        let keys = Keys::new(&account.email, origin.ip.as_deref());
        if let Err(until) = throttle::claim(self.claims_db(), &keys, Timestamp::now()).await? {
            let detail = serde_json::json!({ "outcome": "refused", "reason": "throttled", "until": until });
            self.record_activity(account.id, "sign-in.second-factor", detail, origin).await?;
            return Ok(Some(KeyCheck::Throttled(until)));
        }
        Ok(None)
    }

    /// Act on webauthn-rs's verdict: note the use, count the failure, or refuse a clone.
    async fn key_outcome(
        &self,
        account: &Account,
        answer: &PublicKeyCredential,
        outcome: std::result::Result<AuthenticationResult, WebauthnError>,
        device_bound_only: bool,
        origin: &Origin,
    ) -> Result<KeyCheck> {
        let db = self.kernel.db();
        let now = Timestamp::now();
        let keys = Keys::new(&account.email, origin.ip.as_deref());
        let row = store::webauthn::by_credential_id(db, answer.get_credential_id())
            .await?
            .filter(|r| r.account_id == account.id);
        match (outcome, row) {
            (Ok(result), Some(row)) if row.disabled_at.is_none() => {
                let mut passkey = passkey_of(&row)?;
                passkey.update_credential(&result);
                let json = serde_json::to_string(&passkey).map_err(Error::internal)?;
                store::webauthn::used(db, row.id, &json, result.backup_eligible(), now).await?;
                let factor = SecondFactor::webauthn(result.backup_eligible());
                if device_bound_only && factor.aal() < Aal::Aal3 {
                    throttle::failed(db, &keys, now).await?;
                    let detail = serde_json::json!({ "outcome": "refused", "reason": "not-device-bound", "method": factor.as_str() });
                    self.record_activity(account.id, "sign-in.second-factor", detail, origin).await?;
                    return Ok(KeyCheck::NotDeviceBound);
                }
                let detail = serde_json::json!({ "outcome": "success", "method": factor.as_str(), "key": row.id });
                self.sign_in_step_succeeded(account, &keys, true, "sign-in.second-factor", detail, origin).await?;
                Ok(KeyCheck::Accepted(factor, Box::new(account.clone())))
            }
            (Err(WebauthnError::CredentialPossibleCompromise), Some(row)) => {
                throttle::failed(db, &keys, now).await?;
                let mut tx = db.begin().await?;
                if store::webauthn::disable(&mut tx, row.id, now).await? {
                    let details = serde_json::json!({ "key": row.id, "reason": "signature counter went backwards" });
                    self.audit_account(&mut tx, &Actor::system("identity"), account.id, "webauthn_disabled", details)
                        .await?;
                }
                let detail = serde_json::json!({ "outcome": "failure", "reason": "cloned-key", "key": row.id });
                self.record_activity_in(&mut tx, account.id, "sign-in.second-factor", detail, origin).await?;
                tx.commit().await?;
                Ok(KeyCheck::Cloned)
            }
            (outcome, _) => {
                let reason = match outcome {
                    Err(e) => e.to_string(),
                    Ok(_) => "the authenticator is not one of this account's, or is refused".into(),
                };
                tracing::info!(account = %account.id, reason, "a WebAuthn answer was refused");
                let locked = self.record_failure(account, "sign-in.second-factor", "webauthn", origin).await?;
                Ok(if locked { KeyCheck::Locked } else { KeyCheck::Wrong })
            }
        }
    }
}
