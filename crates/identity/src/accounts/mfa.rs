//! Second factors: enrolling an authenticator app (TOTP) and removing it, the ten single-use
//! recovery codes (stored hashed, shown once), and checking a second factor at sign-in — a
//! TOTP code, a recovery code or a code sent by email or SMS — with the same throttling and
//! lockout as passwords. WebAuthn authenticators (amr `hwk`/`swk`) are in `webauthn`.

use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use uuid::Uuid;

use super::Origin;
use super::codes::CodeCheck;
use super::domain::{
    Account, CodeChannel, CodePurpose, RECOVERY_CODES, SecondFactor, new_recovery_code, recovery_code_hash,
    typed_recovery_code,
};
use super::password::MIN_SINGLE_FACTOR;
use super::store;
use super::throttle::{self, Keys};
use super::totp;
use crate::service::Identity;

/// What a second-factor check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactorCheck {
    Accepted(SecondFactor),
    Wrong,
    Throttled(Timestamp),
    Locked,
    /// The emailed or texted code is past its ten minutes or its five tries.
    CodeSpent,
}

/// A pending authenticator app enrolment, to show.
#[derive(Clone, Debug)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub uri: String,
}

fn unix_now() -> u64 {
    Timestamp::now().unix_seconds().max(0) as u64
}

impl Identity {
    fn seal_totp(&self, account_id: Uuid, secret: &[u8]) -> Vec<u8> {
        self.kernel.keys().master().encrypt(&totp_aad(account_id), secret)
    }

    fn open_totp(&self, account_id: Uuid, sealed: &[u8]) -> Result<[u8; totp::SECRET_BYTES]> {
        let bytes = self
            .kernel
            .keys()
            .master()
            .decrypt(&totp_aad(account_id), sealed)
            .map_err(|_| Error::internal("a TOTP secret cannot be opened with this master key"))?;
        bytes.try_into().map_err(|_| Error::internal("a stored TOTP secret has the wrong length"))
    }

    /// Whether the account has a confirmed authenticator app.
    pub async fn has_totp(&self, account_id: Uuid) -> Result<bool> {
        Ok(store::auth::totp(self.kernel.db(), account_id).await?.is_some_and(|t| t.confirmed_at.is_some()))
    }

    /// Begin enrolling an authenticator app: a new secret, kept until confirmed by a code
    /// (the same one is shown again for 15 minutes, so reloading the page does not change it).
    pub async fn totp_enrolment(&self, account: &Account) -> Result<TotpEnrolment> {
        let db = self.kernel.db();
        let existing = store::auth::totp(db, account.id).await?;
        if existing.as_ref().is_some_and(|t| t.confirmed_at.is_some()) {
            return Err(Error::Conflict("an authenticator app is set up already: remove it first".into()));
        }
        let fresh = existing.filter(|t| t.created_at.plus(time::Duration::minutes(15)) > Timestamp::now());
        let secret = match fresh {
            Some(t) => self.open_totp(account.id, &t.secret_sealed)?,
            None => {
                let secret = totp::new_secret();
                store::auth::put_pending_totp(db, account.id, &self.seal_totp(account.id, &secret)).await?;
                secret
            }
        };
        let secret_base32 = totp::base32(&secret);
        let uri = totp::otpauth_uri(&secret_base32, "Publica", &account.email);
        Ok(TotpEnrolment { secret_base32, uri })
    }

    /// Confirm the enrolment with a code from the app: the app becomes a second factor
    /// (audited) and the account gets new recovery codes, returned to be shown once. `None`
    /// when the code is wrong.
    pub async fn confirm_totp(&self, account: &Account, code: &str, origin: &Origin) -> Result<Option<Vec<String>>> {
        let db = self.kernel.db();
        let Some(row) = store::auth::totp(db, account.id).await?.filter(|t| t.confirmed_at.is_none()) else {
            return Err(Error::Conflict("no authenticator app is waiting to be confirmed: start again".into()));
        };
        let secret = self.open_totp(account.id, &row.secret_sealed)?;
        let Some(step) = totp::check(secret, code, unix_now(), row.last_step) else {
            let detail = serde_json::json!({ "outcome": "failure", "method": "totp" });
            self.record_activity(account.id, "mfa.enrolment", detail, origin).await?;
            return Ok(None);
        };
        if !store::auth::use_totp_step(db, account.id, step, true).await? {
            return Ok(None);
        }
        let codes = new_codes();
        let hashes: Vec<Vec<u8>> =
            codes.iter().filter_map(|c| typed_recovery_code(c)).map(|c| recovery_code_hash(&c)).collect();
        let mut tx = db.begin().await?;
        store::auth::replace_recovery_codes(&mut tx, account.id, &hashes).await?;
        let details = serde_json::json!({ "method": "totp", "recovery_codes": hashes.len() });
        self.audit_account(&mut tx, &account.actor(), account.id, "mfa_enrolled", details.clone()).await?;
        self.record_activity_in(&mut tx, account.id, "mfa.enrolled", details, origin).await?;
        tx.commit().await?;
        Ok(Some(codes))
    }

    /// Enrol an authenticator app with a known secret (the demo): 160 bits in base32.
    pub(crate) async fn enrol_known_totp(&self, account_id: Uuid, secret_base32: &str) -> Result<()> {
        let secret = totp::secret_from_base32(secret_base32).ok_or_else(|| {
            Error::invalid("secret", "give a TOTP secret of 160 bits: 32 base32 characters (A–Z, 2–7)")
        })?;
        store::account(self.kernel.db(), account_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("account {account_id}")))?;
        let mut tx = self.kernel.db().begin().await?;
        store::auth::put_confirmed_totp(&mut tx, account_id, &self.seal_totp(account_id, &secret)).await?;
        let details = serde_json::json!({ "method": "totp", "by": "known secret" });
        self.audit_account(
            &mut tx,
            &publica_kernel::audit::Actor::system("identity"),
            account_id,
            "mfa_enrolled",
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove the authenticator app (audited); refused when the password is too short to be
    /// the only factor and no other second factor remains.
    pub async fn remove_totp(&self, account: &Account, origin: &Origin) -> Result<()> {
        let other_factor = account.phone_verified_at.is_some() || self.webauthn_counts(account.id).await?.0;
        if !account.password_single_factor && !other_factor {
            return Err(Error::invalid(
                "password",
                format!(
                    "your password is too short to be your only factor: choose one of at least {MIN_SINGLE_FACTOR} characters first"
                ),
            ));
        }
        let mut tx = self.kernel.db().begin().await?;
        if !store::auth::delete_totp(&mut tx, account.id).await? {
            return Err(Error::not_found("authenticator app"));
        }
        if !other_factor {
            store::auth::delete_recovery_codes(&mut tx, account.id).await?;
        }
        self.audit_account(
            &mut tx,
            &account.actor(),
            account.id,
            "mfa_removed",
            serde_json::json!({ "method": "totp" }),
        )
        .await?;
        self.record_activity_in(&mut tx, account.id, "mfa.removed", serde_json::json!({ "method": "totp" }), origin)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ten new recovery codes (the old ones stop working), to show once; audited.
    pub async fn regenerate_recovery_codes(&self, account: &Account, origin: &Origin) -> Result<Vec<String>> {
        if !self.has_second_factor(account).await? {
            return Err(Error::Conflict("recovery codes come with a second factor: set one up first".into()));
        }
        let codes = new_codes();
        let hashes: Vec<Vec<u8>> =
            codes.iter().filter_map(|c| typed_recovery_code(c)).map(|c| recovery_code_hash(&c)).collect();
        let mut tx = self.kernel.db().begin().await?;
        store::auth::replace_recovery_codes(&mut tx, account.id, &hashes).await?;
        self.audit_account(
            &mut tx,
            &account.actor(),
            account.id,
            "recovery_codes_regenerated",
            serde_json::json!({ "count": hashes.len() }),
        )
        .await?;
        self.record_activity_in(&mut tx, account.id, "recovery-codes.regenerated", serde_json::json!({}), origin)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    pub async fn recovery_codes_left(&self, account_id: Uuid) -> Result<i64> {
        store::auth::recovery_codes_left(self.kernel.db(), account_id).await
    }

    /// Check a second factor typed at sign-in: a code from the authenticator app, a recovery
    /// code, or the code just sent by text message (never an emailed one: see `SecondFactor`).
    /// Throttled and counted like passwords.
    pub async fn check_second_factor(&self, account: &Account, typed: &str, origin: &Origin) -> Result<FactorCheck> {
        let db = self.kernel.db();
        let now = Timestamp::now();
        let keys = Keys::new(&account.email, origin.ip.as_deref());
        if account.locked_at.is_some() {
            return Ok(FactorCheck::Locked);
        }
        if let Err(until) = throttle::claim(self.claims_db(), &keys, now).await? {
            let detail = serde_json::json!({ "outcome": "refused", "reason": "throttled", "until": until });
            self.record_activity(account.id, "sign-in.second-factor", detail, origin).await?;
            return Ok(FactorCheck::Throttled(until));
        }
        let mut accepted = None;
        let mut code_spent = false;
        if let Some(row) = store::auth::totp(db, account.id).await?.filter(|t| t.confirmed_at.is_some()) {
            let secret = self.open_totp(account.id, &row.secret_sealed)?;
            if let Some(step) = totp::check(secret, typed, unix_now(), row.last_step)
                && store::auth::use_totp_step(db, account.id, step, false).await?
            {
                accepted = Some(SecondFactor::Totp);
            }
        }
        if accepted.is_none()
            && let Some(canonical) = typed_recovery_code(typed)
            && store::auth::use_recovery_code(db, account.id, &recovery_code_hash(&canonical)).await?
        {
            accepted = Some(SecondFactor::RecoveryCode);
        }
        if accepted.is_none() && self.code_waiting_or_spent(account.id).await? {
            match self.check_code(account.id, CodePurpose::SignIn, typed).await? {
                CodeCheck::Accepted(CodeChannel::Sms) => accepted = Some(SecondFactor::SmsCode),
                // Sign-in codes go by text message only; one sent by email before that rule
                // counts for nothing.
                CodeCheck::Accepted(CodeChannel::Email) => {}
                CodeCheck::Expired | CodeCheck::Exhausted => code_spent = true,
                CodeCheck::Wrong | CodeCheck::Missing => {}
            }
        }
        match accepted {
            Some(factor) => {
                let detail = serde_json::json!({ "outcome": "success", "method": factor.as_str() });
                self.sign_in_step_succeeded(account, &keys, true, "sign-in.second-factor", detail, origin).await?;
                Ok(FactorCheck::Accepted(factor))
            }
            None => {
                let locked = self.record_failure(account, "sign-in.second-factor", "wrong-code", origin).await?;
                Ok(if locked {
                    FactorCheck::Locked
                } else if code_spent {
                    FactorCheck::CodeSpent
                } else {
                    FactorCheck::Wrong
                })
            }
        }
    }

    /// Whether a sign-in code was sent in the last ten minutes (used or not).
    async fn code_waiting_or_spent(&self, account_id: Uuid) -> Result<bool> {
        let recent = Timestamp::now().plus(time::Duration::minutes(-super::codes::CODE_MINUTES));
        Ok(store::auth::latest_code(self.kernel.db(), account_id, CodePurpose::SignIn.as_str())
            .await?
            .is_some_and(|c| c.created_at > recent && c.used_at.is_none()))
    }
}

fn totp_aad(account_id: Uuid) -> Vec<u8> {
    [b"publica-identity-totp-v1:".as_slice(), account_id.as_bytes()].concat()
}

fn new_codes() -> Vec<String> {
    (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect()
}
