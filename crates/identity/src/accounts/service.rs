//! What accounts do: create them (sign-up or directly), verify their email address, check a
//! password at sign-in with throttling and lockout, change it, recover an account, and the
//! account's activity log. Every security-relevant change is audited in its transaction.

use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::domain::Email;
use publica_kernel::error::{Error, Result};
use publica_kernel::i18n::Lang;
use uuid::Uuid;

use super::codes::CodeCheck;
use super::domain::{Account, CodeChannel, CodePurpose, actor};
use super::password::{self, MIN_SINGLE_FACTOR, MIN_WITH_SECOND_FACTOR};
use super::store::{self, activity::NewActivity};
use super::throttle::{self, Keys};
use super::{NewAccount, Origin};
use crate::domain::{Aal, AccountKind};
use crate::service::Identity;

/// A right password: the account, whether it has a second factor (read once for the whole
/// sign-in), and the session started when the password alone completed the sign-in.
#[derive(Clone, Debug)]
pub struct SignedInByPassword {
    pub account: Account,
    pub has_second_factor: bool,
    /// The new session's cookie token and id (see [`Identity::sign_in_password`]).
    pub session: Option<(String, Uuid)>,
}

/// What a password check at sign-in found.
#[derive(Clone, Debug)]
pub enum PasswordCheck {
    Accepted(Box<SignedInByPassword>),
    /// Wrong email address or password (the two are not told apart).
    Wrong,
    /// Too many failures from here: come back at that time.
    Throttled(Timestamp),
    /// The account is locked: only recovery opens it.
    Locked,
}

/// Whether an account has a second factor: a verified phone, or (`app_or_key`, from the
/// store) a confirmed authenticator app or a usable security key or passkey.
fn second_factor(account: &Account, app_or_key: bool) -> bool {
    account.phone_verified_at.is_some() || app_or_key
}

/// A new account's or a changed password's refusal, named by field.
fn password_error(problem: &password::Problem) -> Error {
    Error::invalid("password", problem.english())
}

impl Identity {
    /// Hash a password (Argon2id, OWASP parameters, off the async runtime).
    pub async fn hash_password(&self, password: &str) -> Result<String> {
        self.accounts.hasher.hash(password).await
    }

    /// Check a password against a stored Argon2id hash, in constant time (the path a sign-in
    /// takes; benchmarked against the raw hash rate).
    pub async fn verify_password(&self, password: &str, phc: &str) -> Result<bool> {
        self.accounts.hasher.verify(password, phc).await
    }

    /// Record an audit event about an account inside the caller's transaction.
    pub(crate) async fn audit_account(
        &self,
        tx: &mut Tx,
        who: &Actor,
        account_id: Uuid,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        self.kernel
            .audit(
                tx,
                Event::new(who, &format!("identity.account.{action}"), "identity_account", account_id).details(details),
            )
            .await
            .map(|_| ())
    }

    pub(crate) async fn record_activity_in(
        &self,
        tx: &mut Tx,
        account_id: Uuid,
        kind: &str,
        detail: serde_json::Value,
        origin: &Origin,
    ) -> Result<()> {
        let entry = NewActivity {
            account_id,
            kind,
            detail: &detail,
            ip: origin.ip.as_deref(),
            user_agent: origin.user_agent.as_deref(),
        };
        store::activity::insert_in(tx, entry).await
    }

    pub async fn account(&self, id: Uuid) -> Result<Account> {
        store::account(self.kernel.db(), id).await?.ok_or_else(|| Error::not_found(format!("account {id}")))
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        store::account_by_email(self.kernel.db(), &email.trim().to_lowercase()).await
    }

    /// Whether the account has a second factor: a confirmed authenticator app, a verified
    /// phone, or a usable security key or passkey.
    pub async fn has_second_factor(&self, account: &Account) -> Result<bool> {
        Ok(second_factor(account, store::has_app_or_key(self.kernel.db(), account.id).await?))
    }

    /// Remove every second factor of an account recovered by emailed code alone: the app,
    /// the security keys and passkeys, the recovery codes, and the phone's verification (the
    /// number stays, to verify again). What was removed, for the audit entry.
    async fn remove_second_factors(&self, tx: &mut Tx, account: &Account) -> Result<serde_json::Value> {
        let totp = store::auth::delete_totp(tx, account.id).await?;
        store::auth::delete_recovery_codes(tx, account.id).await?;
        let keys = store::webauthn::delete_all_of(tx, account.id).await?;
        let phone = account.phone_verified_at.is_some();
        if phone {
            store::set_phone(tx, account.id, account.phone.as_deref(), None).await?;
        }
        Ok(serde_json::json!({ "totp": totp, "security_keys": keys, "phone": phone, "recovery_codes": true }))
    }

    /// The operator's reset of an account's second factors (`publica identity accounts
    /// reset-factors`), for a person who lost them all, after checking who they are by other
    /// means: the factors are removed, every session ends and every remembered device is
    /// forgotten; audited as `who`. The person then signs in with the password and sets up a
    /// second factor again. What was removed.
    pub async fn reset_second_factors(&self, email: &str, who: &Actor) -> Result<serde_json::Value> {
        let account = self.account_by_email(email).await?.ok_or_else(|| Error::not_found("account"))?;
        let mut tx = self.kernel.db().begin().await?;
        let removed = self.remove_second_factors(&mut tx, &account).await?;
        let ended = store::sessions::delete_all_of(&mut tx, account.id, None).await?;
        let forgotten = self.forget_devices_in(&mut tx, account.id, "second factors reset").await?;
        let tokens = crate::oidc::store::tokens::revoke_account_tokens(&mut tx, account.id).await?;
        let details = serde_json::json!({
            "second_factors_removed": removed,
            "sessions_ended": ended.len(),
            "devices_forgotten": forgotten,
            "tokens_revoked": tokens,
        });
        self.audit_account(&mut tx, who, account.id, "second_factors_reset", details.clone()).await?;
        tx.commit().await?;
        self.sessions_ended(&ended).await;
        Ok(details)
    }

    /// The shortest password this account may choose now.
    pub async fn min_password_chars(&self, account: &Account) -> Result<usize> {
        Ok(if self.has_second_factor(account).await? { MIN_WITH_SECOND_FACTOR } else { MIN_SINGLE_FACTOR })
    }

    pub(crate) async fn insert_new_account(
        &self,
        new: &NewAccount,
        verified: bool,
        who: Option<&Actor>,
    ) -> Result<Uuid> {
        let email = Email::parse("email", &new.email)?;
        let name = new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        if name.as_ref().is_some_and(|n| n.chars().count() > 200 || n.chars().any(char::is_control)) {
            return Err(Error::invalid("name", "give a name of at most 200 printable characters"));
        }
        let personal = [email.as_str(), name.as_deref().unwrap_or_default()];
        password::check(&new.password, MIN_SINGLE_FACTOR, &personal).map_err(|p| password_error(&p))?;
        if new.kind == AccountKind::Staff && new.member_id.is_none() {
            return Err(Error::invalid("member_id", "a staff account signs in as a member of an organisation"));
        }
        if let Some(member) = new.member_id {
            self.kernel.member(member).await?;
        }
        let hash = self.hash_password(&new.password).await?;
        let now = Timestamp::now();
        let account = Account {
            id: Uuid::now_v7(),
            kind: new.kind,
            email: email.as_str().to_string(),
            email_verified_at: verified.then_some(now),
            name,
            phone: new.phone.clone(),
            phone_verified_at: None,
            member_id: new.member_id,
            password_hash: hash,
            password_single_factor: true,
            password_changed_at: now,
            created_at: now,
            failed_attempts: 0,
            last_failure_at: None,
            locked_at: None,
            recovered_at: None,
        };
        let mut tx = self.kernel.db().begin().await?;
        store::insert_account(&mut tx, &account).await?;
        let details = serde_json::json!({ "kind": account.kind.as_str(), "email_verified": verified });
        let who = who.cloned().unwrap_or_else(|| account.actor());
        self.audit_account(&mut tx, &who, account.id, "created", details).await?;
        self.record_activity_in(&mut tx, account.id, "account.created", serde_json::json!({}), &Origin::default())
            .await?;
        tx.commit().await?;
        Ok(account.id)
    }

    /// Sign-up: a new citizen account (or a redo of an unverified one with the same address),
    /// and a code sent to the address. `Conflict` when a verified account has the address.
    pub async fn sign_up(&self, name: &str, email: &str, password: &str, lang: Lang, origin: &Origin) -> Result<Uuid> {
        let parsed = Email::parse("email", email)?;
        let account_id = match self.account_by_email(parsed.as_str()).await? {
            Some(existing) if existing.email_verified_at.is_some() => {
                return Err(Error::Conflict("an account has this email address: sign in, or recover it".into()));
            }
            Some(existing) => {
                let personal = [parsed.as_str(), name];
                password::check(password, MIN_SINGLE_FACTOR, &personal).map_err(|p| password_error(&p))?;
                let hash = self.hash_password(password).await?;
                let mut tx = self.kernel.db().begin().await?;
                let name = Some(name.trim()).filter(|n| !n.is_empty());
                store::redo_sign_up(&mut tx, existing.id, name, &hash, true).await?;
                // Whoever signs up again takes the address over from the earlier sign-up: the
                // earlier browser's flow and codes stop working, so that it cannot verify the
                // address for this sign-up's password. Only the mailbox's code verifies it.
                store::auth::delete_flows_of(&mut tx, existing.id).await?;
                store::auth::spend_codes(&mut tx, existing.id, CodePurpose::VerifyEmail.as_str(), Timestamp::now())
                    .await?;
                tx.commit().await?;
                existing.id
            }
            None => {
                let new = NewAccount {
                    kind: AccountKind::Citizen,
                    email: parsed.as_str().to_string(),
                    email_verified: false,
                    password: password.to_string(),
                    name: Some(name.to_string()),
                    phone: None,
                    member_id: None,
                };
                match self.insert_new_account(&new, false, None).await {
                    Err(Error::Conflict(_)) => {
                        return Err(Error::Conflict(
                            "an account has this email address: sign in, or recover it".into(),
                        ));
                    }
                    other => other?,
                }
            }
        };
        let account = self.account(account_id).await?;
        match self.send_code(&account, CodePurpose::VerifyEmail, CodeChannel::Email, lang, origin).await {
            // A second sign-up within 30 seconds: a new code can be asked for in a moment.
            Ok(()) | Err(Error::TooManyRequests(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(account_id)
    }

    /// Check the code sent to verify the email address; on success the address is verified
    /// (audited).
    pub async fn verify_email(&self, account_id: Uuid, code: &str, origin: &Origin) -> Result<CodeCheck> {
        let check = self.check_code(account_id, CodePurpose::VerifyEmail, code).await?;
        if check == CodeCheck::Accepted(CodeChannel::Email) {
            let mut tx = self.kernel.db().begin().await?;
            if store::set_email_verified(&mut tx, account_id, Timestamp::now()).await? {
                self.audit_account(&mut tx, &actor(account_id), account_id, "email_verified", serde_json::json!({}))
                    .await?;
            }
            self.record_activity_in(&mut tx, account_id, "email.verified", serde_json::json!({}), origin).await?;
            tx.commit().await?;
        }
        Ok(check)
    }

    /// Count a failed sign-in step on the account and on the throttle's counters, in one commit
    /// (as many as a guess at an unknown address costs, so that the time says nothing); locks
    /// the account (audited) at `lockout_after_failures` in a row. Returns whether it is
    /// locked now.
    pub(crate) async fn record_failure(
        &self,
        account: &Account,
        kind: &str,
        reason: &str,
        origin: &Origin,
    ) -> Result<bool> {
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        throttle::failed_in(&mut tx, &Keys::new(&account.email, origin.ip.as_deref()), now).await?;
        let failures = store::add_failure(&mut tx, account.id, now).await?;
        let detail = serde_json::json!({ "outcome": "failure", "reason": reason, "consecutive_failures": failures });
        self.record_activity_in(&mut tx, account.id, kind, detail, origin).await?;
        let mut locked = account.locked_at.is_some();
        if failures >= self.config.lockout_after_failures as i32 && store::lock(&mut tx, account.id, now).await? {
            let details = serde_json::json!({ "consecutive_failures": failures });
            self.audit_account(&mut tx, &Actor::system("identity"), account.id, "locked", details).await?;
            self.record_activity_in(&mut tx, account.id, "account.locked", serde_json::json!({}), origin).await?;
            locked = true;
        }
        tx.commit().await?;
        Ok(locked)
    }

    /// The first step of a sign-in: the email address and password, throttled per account and
    /// address and per address, every attempt in the account's activity log. When the password
    /// alone completes a sign-in at the level `wanted` (a verified address, no second factor,
    /// below AAL3), the session starts in the same commit that records the step.
    pub async fn sign_in_password(
        &self,
        email: &str,
        password: &str,
        wanted: Aal,
        origin: &Origin,
    ) -> Result<PasswordCheck> {
        let email = email.trim().to_lowercase();
        let keys = Keys::new(&email, origin.ip.as_deref());
        let now = Timestamp::now();
        let found = store::account_for_sign_in(self.kernel.db(), &email).await?;
        if let Err(until) = throttle::claim(self.claims_db(), &keys, now).await? {
            if let Some((account, _)) = &found {
                let detail = serde_json::json!({ "outcome": "refused", "reason": "throttled", "until": until });
                self.record_activity(account.id, "sign-in.password", detail, origin).await?;
            }
            return Ok(PasswordCheck::Throttled(until));
        }
        let Some((account, app_or_key)) = found else {
            // As long as for an account that exists, so that the time says nothing.
            self.accounts.hasher.verify_nothing(password).await?;
            throttle::failed(self.kernel.db(), &keys, now).await?;
            return Ok(PasswordCheck::Wrong);
        };
        if account.locked_at.is_some() {
            throttle::failed(self.kernel.db(), &keys, now).await?;
            let detail = serde_json::json!({ "outcome": "refused", "reason": "locked" });
            self.record_activity(account.id, "sign-in.password", detail, origin).await?;
            return Ok(PasswordCheck::Locked);
        }
        if !self.verify_password(password, &account.password_hash).await? {
            let locked = self.record_failure(&account, "sign-in.password", "wrong-password", origin).await?;
            return Ok(if locked { PasswordCheck::Locked } else { PasswordCheck::Wrong });
        }
        if password::needs_rehash(&account.password_hash) {
            let new = self.hash_password(password).await?;
            store::rehash_password(self.kernel.db(), account.id, &account.password_hash, &new).await?;
        }
        // With a second factor the run of failures ends only when that factor is right too, so
        // that knowing the password does not reset the count of wrong codes.
        let second_factor = second_factor(&account, app_or_key);
        let complete = !second_factor && account.email_verified_at.is_some() && wanted < Aal::Aal3;
        let detail = serde_json::json!({ "outcome": "success" });
        // An account read with no failures at the start of this request has no run to end.
        let ends_failures = !second_factor && account.failed_attempts != 0;
        let mut tx = self.kernel.db().begin().await?;
        self.sign_in_counted_in(&mut tx, &account, &keys, ends_failures).await?;
        let session = if complete {
            let step = Some(("sign-in.password", &detail));
            Some(self.start_session_after(&mut tx, account.id, Aal::Aal1, vec!["pwd".into()], origin, step).await?)
        } else {
            self.record_activity_in(&mut tx, account.id, "sign-in.password", detail, origin).await?;
            None
        };
        tx.commit().await?;
        Ok(PasswordCheck::Accepted(Box::new(SignedInByPassword { account, has_second_factor: second_factor, session })))
    }

    /// A sign-in step was right, in one commit: the attempt leaves the throttle's counters, the
    /// account's run of failures ends when this step completes the sign-in (`ends_failures`),
    /// and the activity log has the step (`kind`, `detail`).
    pub(crate) async fn sign_in_step_succeeded(
        &self,
        account: &Account,
        keys: &throttle::Keys,
        ends_failures: bool,
        kind: &str,
        detail: serde_json::Value,
        origin: &Origin,
    ) -> Result<()> {
        let mut tx = self.kernel.db().begin().await?;
        self.sign_in_counted_in(&mut tx, account, keys, ends_failures).await?;
        self.record_activity_in(&mut tx, account.id, kind, detail, origin).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A right sign-in step's counting: it leaves the throttle's counters, and the account's
    /// run of failures ends when `ends_failures`.
    async fn sign_in_counted_in(
        &self,
        tx: &mut Tx,
        account: &Account,
        keys: &throttle::Keys,
        ends_failures: bool,
    ) -> Result<()> {
        throttle::succeeded_in(tx, keys, Timestamp::now()).await?;
        if ends_failures {
            store::clear_failures(tx, account.id).await?;
        }
        Ok(())
    }

    /// Change the password of a signed-in person who gave the current one. Other sessions end.
    pub async fn change_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
        keep_session: Option<Uuid>,
        origin: &Origin,
    ) -> Result<password::Strength> {
        if !self.verify_password(current, &account.password_hash).await? {
            self.record_failure(account, "password.change", "wrong-password", origin).await?;
            return Err(Error::invalid("current_password", "this is not your current password"));
        }
        let min = self.min_password_chars(account).await?;
        let personal = [account.email.as_str(), account.name.as_deref().unwrap_or_default()];
        let strength = password::check(new, min, &personal).map_err(|p| password_error(&p))?;
        let hash = self.hash_password(new).await?;
        let single = new.chars().count() >= MIN_SINGLE_FACTOR;
        let mut tx = self.kernel.db().begin().await?;
        store::set_password(&mut tx, account.id, &hash, single).await?;
        let ended = store::sessions::delete_all_of(&mut tx, account.id, keep_session).await?;
        let forgotten = self.forget_devices_in(&mut tx, account.id, "password changed").await?;
        // Connected services sign the person in again: what they hold was issued under the
        // old password.
        let tokens = crate::oidc::store::tokens::revoke_account_tokens(&mut tx, account.id).await?;
        let details = serde_json::json!({
            "other_sessions_ended": ended.len(),
            "devices_forgotten": forgotten,
            "tokens_revoked": tokens,
        });
        self.audit_account(&mut tx, &account.actor(), account.id, "password_changed", details.clone()).await?;
        self.record_activity_in(&mut tx, account.id, "password.changed", details, origin).await?;
        tx.commit().await?;
        self.sessions_ended(&ended).await;
        Ok(strength)
    }

    /// Account recovery, first step: a code to the address, if it has an account (the answer
    /// is the same either way). Returns the account to carry to the next step.
    pub async fn recover_start(&self, email: &str, lang: Lang, origin: &Origin) -> Result<Option<Uuid>> {
        let Some(account) = self.account_by_email(email).await? else {
            return Ok(None);
        };
        match self.send_code(&account, CodePurpose::Recover, CodeChannel::Email, lang, origin).await {
            Ok(()) | Err(Error::TooManyRequests(_)) => Ok(Some(account.id)),
            Err(e) => Err(e),
        }
    }

    /// Account recovery, last step: the emailed code and a new password (and, to keep the
    /// second factors and the identity level, one of the account's recovery codes). Unlocks
    /// the account, ends every session; audited.
    ///
    /// A recovery by emailed code alone proves only the mailbox, so it reaches no more than a
    /// password would: the second factors are removed (the person sets one up again), the
    /// proofed identity no longer counts until the person is proofed again, and the password
    /// must be long enough to stand alone. Staff accounts with a second factor cannot recover
    /// that way: their sign-in gives access to an organisation's data.
    ///
    /// The password's minimum length depends only on whether a recovery code was given, never
    /// on the account, so the page reveals nothing about the account before the code is right.
    pub async fn recover_finish(
        &self,
        account_id: Uuid,
        code: &str,
        recovery_code: Option<&str>,
        new_password: &str,
        origin: &Origin,
    ) -> Result<CodeCheck> {
        let account = self.account(account_id).await?;
        let keys = Keys::new(&account.email, origin.ip.as_deref());
        let now = Timestamp::now();
        // Check what can be checked without spending anything first.
        let recovery_code = recovery_code.map(str::trim).filter(|c| !c.is_empty());
        let min = recovery_password_min(recovery_code.is_some());
        let personal = [account.email.as_str(), account.name.as_deref().unwrap_or_default()];
        password::check(new_password, min, &personal).map_err(|p| password_error(&p))?;
        let recovery_hash = match recovery_code {
            Some(typed) => Some(
                super::domain::typed_recovery_code(typed).map(|c| super::domain::recovery_code_hash(&c)).ok_or_else(
                    || {
                        Error::invalid(
                            "recovery_code",
                            "a recovery code has 16 letters and digits, e.g. 1a2b-3c4d-5e6f-7g8h",
                        )
                    },
                )?,
            ),
            None => None,
        };
        if let Err(until) = throttle::claim(self.claims_db(), &keys, now).await? {
            return Err(Error::TooManyRequests(format!("too many failed attempts: try again after {until}")));
        }
        let check = self.check_code(account_id, CodePurpose::Recover, code).await?;
        if !matches!(check, CodeCheck::Accepted(_)) {
            throttle::failed(self.kernel.db(), &keys, now).await?;
            self.record_activity(
                account_id,
                "account.recovery",
                serde_json::json!({ "outcome": "failure", "reason": "wrong-code" }),
                origin,
            )
            .await?;
            return Ok(check);
        }
        let keeps_level = match &recovery_hash {
            Some(hash) => {
                if !store::auth::use_recovery_code(self.kernel.db(), account_id, hash).await? {
                    self.record_failure(&account, "account.recovery", "wrong-recovery-code", origin).await?;
                    return Err(Error::invalid("recovery_code", "this recovery code is wrong or was used already"));
                }
                true
            }
            None => {
                if account.kind == AccountKind::Staff && self.has_second_factor(&account).await? {
                    // The code was right: not a failed guess.
                    throttle::succeeded(self.kernel.db(), &keys, now).await?;
                    return Err(Error::Conflict(
                        "a staff account is recovered with one of its recovery codes; without one, the \
                         platform operator resets its second factors (publica identity accounts reset-factors)"
                            .into(),
                    ));
                }
                false
            }
        };
        throttle::succeeded(self.kernel.db(), &keys, now).await?;
        let hash = self.hash_password(new_password).await?;
        let single = new_password.chars().count() >= MIN_SINGLE_FACTOR;
        let who = account.actor();
        let mut tx = self.kernel.db().begin().await?;
        store::set_password(&mut tx, account_id, &hash, single).await?;
        let mut factors_removed = serde_json::Value::Null;
        if !keeps_level {
            store::set_recovered(&mut tx, account_id, now).await?;
            factors_removed = self.remove_second_factors(&mut tx, &account).await?;
        }
        // Proof of the mailbox is proof of the address too.
        if store::set_email_verified(&mut tx, account_id, now).await? {
            self.audit_account(&mut tx, &who, account_id, "email_verified", serde_json::json!({})).await?;
        }
        let was_locked = store::unlock(&mut tx, account_id).await?;
        let ended = store::sessions::delete_all_of(&mut tx, account_id, None).await?;
        let forgotten = self.forget_devices_in(&mut tx, account_id, "account recovered").await?;
        let tokens = crate::oidc::store::tokens::revoke_account_tokens(&mut tx, account_id).await?;
        let details = serde_json::json!({
            "tokens_revoked": tokens,
            "method": if keeps_level { "email-code+recovery-code" } else { "email-code" },
            "identity_level_kept": keeps_level,
            "sessions_ended": ended.len(),
            "devices_forgotten": forgotten,
            "second_factors_removed": factors_removed,
        });
        self.audit_account(&mut tx, &who, account_id, "recovered", details.clone()).await?;
        if was_locked {
            self.audit_account(&mut tx, &who, account_id, "unlocked", serde_json::json!({ "by": "recovery" })).await?;
        }
        self.record_activity_in(&mut tx, account_id, "account.recovered", details, origin).await?;
        tx.commit().await?;
        self.sessions_ended(&ended).await;
        Ok(check)
    }

    /// The latest entries of the account's activity log.
    pub async fn activity(&self, account_id: Uuid, limit: Option<i64>) -> Result<Vec<store::activity::ActivityRow>> {
        store::activity::of_account(self.kernel.db(), account_id, limit).await
    }

    /// Add a phone number (or change it) and send it a code; it counts once verified.
    pub async fn add_phone(&self, account: &Account, phone: &str, lang: Lang, origin: &Origin) -> Result<()> {
        let normalised = publica_notify::domain::recipient::validate_phone(phone, true)
            .map_err(|m| Error::invalid("phone", m.to_string()))?;
        let mut tx = self.kernel.db().begin().await?;
        store::set_phone(&mut tx, account.id, Some(&normalised), None).await?;
        tx.commit().await?;
        let account = self.account(account.id).await?;
        self.send_code(&account, CodePurpose::VerifyPhone, CodeChannel::Sms, lang, origin).await
    }

    /// Check the code sent to a new phone number; it becomes a second factor (audited).
    pub async fn verify_phone(&self, account: &Account, code: &str, origin: &Origin) -> Result<CodeCheck> {
        let check = self.check_code(account.id, CodePurpose::VerifyPhone, code).await?;
        if check == CodeCheck::Accepted(CodeChannel::Sms) {
            let mut tx = self.kernel.db().begin().await?;
            store::set_phone(&mut tx, account.id, account.phone.as_deref(), Some(Timestamp::now())).await?;
            self.audit_account(
                &mut tx,
                &account.actor(),
                account.id,
                "mfa_enrolled",
                serde_json::json!({ "method": "sms" }),
            )
            .await?;
            self.record_activity_in(
                &mut tx,
                account.id,
                "mfa.enrolled",
                serde_json::json!({ "method": "sms" }),
                origin,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(check)
    }
}

/// The shortest new password at recovery: with a recovery code the second factors stay, so the
/// password is one of two factors; without one it stands alone. The same for every account.
pub(crate) fn recovery_password_min(with_recovery_code: bool) -> usize {
    if with_recovery_code { MIN_WITH_SECOND_FACTOR } else { MIN_SINGLE_FACTOR }
}
