//! Six-digit one-time codes by email or SMS (sign-up verification, a second factor at
//! sign-in, recovery, a new phone number): stored as an HMAC under a key derived from the
//! master key (a bare hash of a million possibilities would be no protection), valid for ten
//! minutes and five tries, each one replacing the last; at most one every 30 seconds and ten
//! an hour per account.

use publica_kernel::crypto::{constant_time_eq, hmac_sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::i18n::Lang;
use uuid::Uuid;

use super::Origin;
use super::domain::{Account, CodeChannel, CodePurpose, six_digits, typed_six_digits};
use super::store::{self, auth::NewCode};
use crate::service::Identity;

pub const CODE_MINUTES: i64 = 10;
pub const CODE_TRIES: i32 = 5;
const RESEND_AFTER: time::Duration = time::Duration::seconds(30);
const PER_HOUR: i64 = 10;

/// What checking a typed code found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right; the channel it was sent by.
    Accepted(CodeChannel),
    Wrong,
    Expired,
    /// Five wrong tries: a new code is needed.
    Exhausted,
    /// No code waits (never sent, or used).
    Missing,
}

fn code_hash(identity: &Identity, id: Uuid, code: &str) -> Vec<u8> {
    let key = identity.kernel.keys().master().derive("publica-identity-code-v1");
    let mut data = id.as_bytes().to_vec();
    data.extend_from_slice(code.as_bytes());
    hmac_sha256(&key, &data).to_vec()
}

impl Identity {
    /// Send a new code; `Error::TooManyRequests` when one was sent less than 30 seconds ago or
    /// ten in the last hour.
    pub(crate) async fn send_code(
        &self,
        account: &Account,
        purpose: CodePurpose,
        channel: CodeChannel,
        lang: Lang,
        origin: &Origin,
    ) -> Result<()> {
        let to = match channel {
            // A second factor must not be the mailbox a password reset goes to.
            CodeChannel::Email if purpose == CodePurpose::SignIn => {
                return Err(Error::invalid("channel", "sign-in codes are sent by text message only"));
            }
            CodeChannel::Email => account.email.clone(),
            CodeChannel::Sms => {
                let verified = account.phone_verified_at.is_some() || purpose == CodePurpose::VerifyPhone;
                match (&account.phone, verified) {
                    (Some(phone), true) => phone.clone(),
                    _ => return Err(Error::invalid("channel", "this account has no verified phone number")),
                }
            }
        };
        let db = self.kernel.db();
        let now = Timestamp::now();
        if let Some(last) = store::auth::latest_code(db, account.id, purpose.as_str()).await?
            && last.created_at.plus(RESEND_AFTER) > now
        {
            return Err(Error::TooManyRequests("a code was sent less than 30 seconds ago: wait a moment".into()));
        }
        if store::auth::codes_sent_since(db, account.id, now.plus(time::Duration::hours(-1))).await? >= PER_HOUR {
            return Err(Error::TooManyRequests("ten codes were sent in the last hour: try again later".into()));
        }
        let code = six_digits();
        let id = Uuid::now_v7();
        let hash = code_hash(self, id, &code);
        let mut tx = db.begin().await?;
        store::auth::insert_code(
            &mut tx,
            NewCode {
                id,
                account_id: account.id,
                purpose: purpose.as_str(),
                channel: channel.as_str(),
                code_hash: &hash,
                created_at: now,
                expires_at: now.plus(time::Duration::minutes(CODE_MINUTES)),
            },
        )
        .await?;
        tx.commit().await?;
        if let Err(e) = self.send_through_notify(channel, &to, lang, &code, purpose).await {
            // A code that never left must not count against the person.
            store::auth::use_code(db, id, now).await?;
            return Err(e);
        }
        self.record_activity(
            account.id,
            "code.sent",
            serde_json::json!({ "purpose": purpose.as_str(), "channel": channel.as_str() }),
            origin,
        )
        .await
    }

    /// Check a typed code against the latest one sent for `purpose`; a right one is spent.
    pub(crate) async fn check_code(&self, account_id: Uuid, purpose: CodePurpose, typed: &str) -> Result<CodeCheck> {
        let db = self.kernel.db();
        let now = Timestamp::now();
        let Some(row) = store::auth::latest_code(db, account_id, purpose.as_str()).await? else {
            return Ok(CodeCheck::Missing);
        };
        if row.used_at.is_some() {
            return Ok(CodeCheck::Missing);
        }
        if row.expires_at <= now {
            return Ok(CodeCheck::Expired);
        }
        if row.tries >= CODE_TRIES {
            return Ok(CodeCheck::Exhausted);
        }
        let Some(typed) = typed_six_digits(typed) else {
            return Ok(CodeCheck::Wrong);
        };
        if !store::auth::take_code_try(db, row.id, CODE_TRIES, now).await? {
            return Ok(CodeCheck::Exhausted);
        }
        if !constant_time_eq(&code_hash(self, row.id, &typed), &row.code_hash) {
            return Ok(CodeCheck::Wrong);
        }
        if !store::auth::use_code(db, row.id, now).await? {
            return Ok(CodeCheck::Missing);
        }
        Ok(CodeCheck::Accepted(CodeChannel::parse(&row.channel).unwrap_or(CodeChannel::Email)))
    }
}
