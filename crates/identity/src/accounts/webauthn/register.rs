//! Registering a security key or passkey on a signed-in account, and removing one: both audited.

use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use uuid::Uuid;
use webauthn_rs::prelude::{CreationChallengeResponse, Credential, PasskeyRegistration, RegisterPublicKeyCredential};

use super::{CeremonyData, MAX_KEYS, REGISTER, gone, key_name, state_of};
use crate::accounts::Origin;
use crate::accounts::domain::{Account, SecondFactor};
use crate::accounts::password::MIN_SINGLE_FACTOR;
use crate::accounts::store::{self, webauthn::CredentialRow};
use crate::service::Identity;

impl Identity {
    /// Start registering a new authenticator for a signed-in account (`session` is the
    /// browser session doing it): the options for `navigator.credentials.create` and the token
    /// of the ceremony. Passkeys are made discoverable where the authenticator can.
    pub async fn start_key_registration(
        &self,
        account: &Account,
        session: Uuid,
        name: &str,
    ) -> Result<(String, serde_json::Value)> {
        let name = key_name(name)?;
        let webauthn = self.relying()?;
        let existing = self.webauthn_keys(account.id).await?;
        if existing.len() >= MAX_KEYS {
            return Err(Error::invalid(
                "name",
                format!("an account may have at most {MAX_KEYS} security keys and passkeys: remove one first"),
            ));
        }
        let handle = match existing.first() {
            Some(first) => first.user_handle,
            None => Uuid::new_v4(),
        };
        let exclude = existing.iter().map(|k| k.credential_id.clone()).collect();
        let display = account.name.clone().unwrap_or_else(|| account.email.clone());
        let (options, state): (CreationChallengeResponse, PasskeyRegistration) = webauthn
            .start_passkey_registration(handle, &account.email, &display, Some(exclude))
            .map_err(|e| Error::internal(format!("WebAuthn registration cannot start: {e}")))?;
        let mut options = serde_json::to_value(&options).map_err(Error::internal)?;
        // A passkey that the authenticator can keep (a discoverable credential) signs in
        // without a password too; an authenticator that cannot still works as a second factor.
        if let Some(selection) = options.pointer_mut("/publicKey/authenticatorSelection") {
            selection["residentKey"] = "preferred".into();
        }
        let data = CeremonyData { name: Some(name), handle: Some(handle), device_bound_only: false };
        let token = self.new_ceremony(REGISTER, Some(account.id), Some(session), &state, &data).await?;
        Ok((token, options))
    }

    /// Finish a registration with the browser's answer: the authenticator is stored (audited)
    /// and returned.
    pub async fn finish_key_registration(
        &self,
        account: &Account,
        session: Uuid,
        token: &str,
        answer: &RegisterPublicKeyCredential,
        origin: &Origin,
    ) -> Result<CredentialRow> {
        let webauthn = self.relying()?;
        let (ceremony, data) = self.take_ceremony(token, REGISTER, Some(account.id), Some(session)).await?;
        let state: PasskeyRegistration = state_of(&ceremony.state)?;
        let passkey = match webauthn.finish_passkey_registration(answer, &state) {
            Ok(p) => p,
            Err(e) => {
                let detail = serde_json::json!({ "outcome": "failure", "reason": e.to_string() });
                self.record_activity(account.id, "webauthn.registration", detail, origin).await?;
                return Err(Error::invalid("credential", format!("the authenticator's answer was refused: {e}")));
            }
        };
        let credential: Credential = passkey.clone().into();
        let handle = data.handle.ok_or_else(gone)?;
        let row = CredentialRow {
            id: Uuid::now_v7(),
            account_id: account.id,
            credential_id: passkey.cred_id().to_vec(),
            user_handle: handle,
            name: data.name.unwrap_or_default(),
            passkey: serde_json::to_string(&passkey).map_err(Error::internal)?,
            backup_eligible: credential.backup_eligible,
            created_at: Timestamp::now(),
            last_used_at: None,
            disabled_at: None,
        };
        let factor = SecondFactor::webauthn(row.backup_eligible);
        let details = serde_json::json!({
            "method": factor.as_str(), "key": row.id, "backup_eligible": row.backup_eligible,
            "user_verified": credential.user_verified,
        });
        let mut tx = self.kernel.db().begin().await?;
        store::webauthn::insert(&mut tx, &row).await.map_err(|e| match e {
            Error::Conflict(m) => Error::invalid("credential", m),
            other => other,
        })?;
        self.audit_account(&mut tx, &account.actor(), account.id, "webauthn_registered", details.clone()).await?;
        let mut activity = details;
        activity["name"] = row.name.clone().into();
        self.record_activity_in(&mut tx, account.id, "mfa.enrolled", activity, origin).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Remove one of the account's authenticators (audited); refused when it is the last second
    /// factor and the password is too short to be the only one.
    pub async fn remove_key(&self, account: &Account, key: Uuid, origin: &Origin) -> Result<()> {
        let keys = self.webauthn_keys(account.id).await?;
        if !keys.iter().any(|k| k.id == key) {
            return Err(Error::not_found("security key"));
        }
        let other_usable = keys.iter().any(|k| k.id != key && k.disabled_at.is_none());
        let other_factor = other_usable || account.phone_verified_at.is_some() || self.has_totp(account.id).await?;
        if !account.password_single_factor && !other_factor {
            return Err(Error::invalid(
                "password",
                format!(
                    "your password is too short to be your only factor: choose one of at least {MIN_SINGLE_FACTOR} characters first"
                ),
            ));
        }
        let mut tx = self.kernel.db().begin().await?;
        let Some(name) = store::webauthn::delete(&mut tx, account.id, key).await? else {
            return Err(Error::not_found("security key"));
        };
        if !other_factor {
            store::auth::delete_recovery_codes(&mut tx, account.id).await?;
        }
        let details = serde_json::json!({ "method": "webauthn", "key": key });
        self.audit_account(&mut tx, &account.actor(), account.id, "mfa_removed", details.clone()).await?;
        let mut activity = details;
        activity["name"] = name.into();
        self.record_activity_in(&mut tx, account.id, "mfa.removed", activity, origin).await?;
        tx.commit().await?;
        Ok(())
    }
}
