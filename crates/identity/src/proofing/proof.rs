//! One proofing attempt: the limits, the register read through the exchange, the comparison,
//! and the link between the person and the account. Every attempt is audited (its outcome and
//! the exchange's request id, never the facts entered) and added to the account's activity log.
//!
//! Limits: at most `identity.proofing_attempts` wrong answers in 24 hours per account, and as
//! many per national id whatever the account (so that one person's facts cannot be probed from
//! many accounts); then proofing waits until the oldest of them is 24 hours old. Wrong answers
//! are a mismatch (or no such person), a person not alive, and a person already linked to
//! another account; attempts under way count too, so concurrent attempts cannot exceed the
//! limit. An unavailable register does not count.

use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::hmac_sha256;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Result;
use serde_json::{Value, json};
use uuid::Uuid;

use super::facts::{Facts, Verdict, compare, verified_identity};
use super::register::RegisterAnswer;
use super::store::{self, Outcome};
use crate::accounts::Origin;
use crate::domain::VerifiedIdentity;
use crate::service::Identity;

/// The window in which wrong answers count.
pub const WINDOW: time::Duration = time::Duration::hours(24);

/// How a proofing ended, for the page to say.
#[derive(Clone, Debug)]
pub enum ProofingOutcome {
    /// Proofed: the identity is linked to the account.
    Verified(VerifiedIdentity),
    /// The facts do not match a person of the register (which fact is not said).
    NoMatch { attempts_left: u32 },
    /// The register records the person as deceased or emigrated.
    NotAlive,
    /// The person is linked to another account.
    AlreadyLinked,
    /// The account is verified as another person.
    OtherIdentity,
    /// Too many wrong answers: proofing waits until then.
    TooManyAttempts { retry_after: Timestamp },
    /// The register cannot be consulted now (the reason is logged for the operator).
    Unavailable,
}

/// Who acts when a person proofs their own account.
pub fn account_actor(account_id: Uuid) -> Actor {
    Actor(format!("account:{account_id}"))
}

impl Identity {
    /// The identity proofed for this account, if any (the latest, when proofed again).
    pub async fn verified_identity(&self, account_id: Uuid) -> Result<Option<VerifiedIdentity>> {
        store::verified(self.kernel.db(), account_id).await
    }

    /// A keyed hash of a national id: the attempts of a person are counted without keeping
    /// whom they were about.
    fn proofing_subject(&self, national_id: &str) -> [u8; 32] {
        hmac_sha256(&self.proofing.subject_key, national_id.as_bytes())
    }

    /// Proof `account_id` as the person the facts describe (already checked by
    /// [`super::facts::check`]); see the module for the limits.
    pub async fn proof(&self, account_id: Uuid, facts: &Facts, origin: &Origin) -> Result<ProofingOutcome> {
        let db = self.kernel.db();
        let now = Timestamp::now();
        let attempt = Uuid::now_v7();
        let subject = self.proofing_subject(&facts.national_id);
        store::start_attempt(db, attempt, account_id, &subject, now).await?;
        let ending = Ending { account_id, attempt, origin };

        if let Some(current) = store::verified(db, account_id).await?
            && current.national_id != facts.national_id
        {
            self.end(&ending, Outcome::OtherIdentity, None, json!({})).await?;
            return Ok(ProofingOutcome::OtherIdentity);
        }

        let since = now.plus(-WINDOW);
        let by_account = store::counted_attempts(db, Some(account_id), None, since, attempt).await?;
        let by_subject = store::counted_attempts(db, None, Some(&subject), since, attempt).await?;
        let limit = self.config.proofing_attempts as usize;
        let retry_after = [&by_account, &by_subject]
            .into_iter()
            .filter(|times| times.len() >= limit)
            .filter_map(|times| times.get(times.len() - limit).map(|t| t.plus(WINDOW)))
            .max();
        if let Some(retry_after) = retry_after {
            let per = if by_account.len() >= limit { "account" } else { "national-id" };
            self.end(&ending, Outcome::Throttled, None, json!({ "limit_per": per })).await?;
            return Ok(ProofingOutcome::TooManyAttempts { retry_after });
        }
        let attempts_left = u32::try_from(limit.saturating_sub(by_account.len() + 1)).unwrap_or(0);

        let (record, request_id) =
            match self.read_person(&facts.national_id, &format!("identity-proofing/{attempt}")).await {
                RegisterAnswer::Unavailable(why) => {
                    tracing::warn!(reason = %why, %attempt, "identity proofing is unavailable");
                    self.end(&ending, Outcome::Unavailable, None, json!({ "reason": why })).await?;
                    return Ok(ProofingOutcome::Unavailable);
                }
                RegisterAnswer::NotFound { request_id } => {
                    self.end(&ending, Outcome::Mismatch, Some(&request_id), json!({})).await?;
                    return Ok(ProofingOutcome::NoMatch { attempts_left });
                }
                RegisterAnswer::Found { record, request_id } => (record, request_id),
            };
        match compare(facts, &record) {
            Verdict::Mismatch => {
                self.end(&ending, Outcome::Mismatch, Some(&request_id), json!({})).await?;
                Ok(ProofingOutcome::NoMatch { attempts_left })
            }
            Verdict::NotAlive => {
                self.end(&ending, Outcome::NotAlive, Some(&request_id), json!({})).await?;
                Ok(ProofingOutcome::NotAlive)
            }
            Verdict::Match => self.link_identity(&ending, &record, &request_id).await,
        }
    }

    /// Link the proofed person to the account, unless another account holds them.
    async fn link_identity(&self, ending: &Ending<'_>, record: &Value, request_id: &str) -> Result<ProofingOutcome> {
        let identity = verified_identity(record, Timestamp::now());
        let mut tx = self.kernel.db().begin().await?;
        let holder = store::account_of(&mut tx, &identity.national_id).await?;
        let linked = match holder {
            Some(other) if other != ending.account_id => false,
            _ => store::link(&mut tx, ending.account_id, &identity, ending.attempt, request_id).await?,
        };
        if !linked {
            // (On PostgreSQL a refused insert ends the transaction: record the refusal in another.)
            drop(tx);
            let holder = match holder {
                Some(h) => Some(h),
                None => {
                    let mut tx = self.kernel.db().begin().await?;
                    store::account_of(&mut tx, &identity.national_id).await?
                }
            };
            let details = json!({ "linked_account": holder });
            self.end(ending, Outcome::AlreadyLinked, Some(request_id), details).await?;
            return Ok(ProofingOutcome::AlreadyLinked);
        }
        store::finish_attempt(&mut tx, ending.attempt, Outcome::Passed, Some(request_id)).await?;
        let event =
            Event::new(&account_actor(ending.account_id), "identity.proofing.passed", "account", ending.account_id)
                .details(
                    json!({ "attempt_id": ending.attempt, "request_id": request_id, "ial": identity.ial.as_str() }),
                );
        self.kernel.audit(&mut tx, event).await?;
        tx.commit().await?;
        self.note_activity(ending, Outcome::Passed).await;
        Ok(ProofingOutcome::Verified(identity))
    }

    /// Record how an attempt ended (audited with `details`), and note it in the activity log.
    async fn end(&self, ending: &Ending<'_>, outcome: Outcome, request_id: Option<&str>, details: Value) -> Result<()> {
        let action = match outcome {
            Outcome::Passed => "identity.proofing.passed",
            Outcome::Mismatch | Outcome::NotAlive => "identity.proofing.failed",
            Outcome::AlreadyLinked | Outcome::OtherIdentity => "identity.proofing.refused",
            Outcome::Throttled => "identity.proofing.throttled",
            Outcome::Unavailable | Outcome::Pending => "identity.proofing.unavailable",
        };
        let mut all = json!({ "attempt_id": ending.attempt, "outcome": outcome.as_str(), "request_id": request_id });
        if let (Some(all), Value::Object(extra)) = (all.as_object_mut(), details) {
            all.extend(extra);
        }
        let mut tx = self.kernel.db().begin().await?;
        store::finish_attempt(&mut tx, ending.attempt, outcome, request_id).await?;
        let event = Event::new(&account_actor(ending.account_id), action, "account", ending.account_id).details(all);
        self.kernel.audit(&mut tx, event).await?;
        tx.commit().await?;
        self.note_activity(ending, outcome).await;
        Ok(())
    }

    /// The account's activity log entry of an attempt (a failure to write it is logged: the
    /// attempt itself is recorded and audited already).
    async fn note_activity(&self, ending: &Ending<'_>, outcome: Outcome) {
        let kind = match outcome {
            Outcome::Passed => "proofing.passed",
            Outcome::Mismatch | Outcome::NotAlive => "proofing.failed",
            Outcome::AlreadyLinked | Outcome::OtherIdentity => "proofing.refused",
            Outcome::Throttled => "proofing.throttled",
            Outcome::Unavailable | Outcome::Pending => "proofing.unavailable",
        };
        let detail = json!({ "outcome": outcome.as_str(), "attempt_id": ending.attempt });
        if let Err(e) = self.record_activity(ending.account_id, kind, detail, ending.origin).await {
            tracing::warn!(error = %e, account = %ending.account_id, "the proofing attempt is not in the activity log");
        }
    }
}

/// What every ending of an attempt needs.
struct Ending<'a> {
    account_id: Uuid,
    attempt: Uuid,
    origin: &'a Origin,
}
