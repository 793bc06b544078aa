//! Accounts' types and rules: an account as stored, where a browser may be sent back to after
//! signing in, the one-time and recovery codes' formats, and the actor and audit names used.

use publica_kernel::audit::Actor;
use publica_kernel::crypto::{random_bytes, sha256};
use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Aal, AccountKind};

/// An account as stored.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: Uuid,
    pub kind: AccountKind,
    /// Lower-case.
    pub email: String,
    pub email_verified_at: Option<Timestamp>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub phone_verified_at: Option<Timestamp>,
    pub member_id: Option<Uuid>,
    /// Argon2id, PHC string.
    pub password_hash: String,
    /// The password is long enough (15 code points) to be the only factor.
    pub password_single_factor: bool,
    pub password_changed_at: Timestamp,
    pub created_at: Timestamp,
    pub failed_attempts: i32,
    pub last_failure_at: Option<Timestamp>,
    pub locked_at: Option<Timestamp>,
    /// The last recovery by an emailed code alone (identity proofed before it no longer counts).
    pub recovered_at: Option<Timestamp>,
}

impl Account {
    /// Who did something to their own account, for the audit log.
    pub fn actor(&self) -> Actor {
        actor(self.id)
    }
}

/// The audit actor of an account holder acting on their account.
pub fn actor(account_id: Uuid) -> Actor {
    Actor(format!("identity-account:{account_id}"))
}

/// What a one-time code sent by email or SMS is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodePurpose {
    VerifyEmail,
    SignIn,
    Recover,
    VerifyPhone,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::VerifyEmail => "verify-email",
            CodePurpose::SignIn => "sign-in",
            CodePurpose::Recover => "recover",
            CodePurpose::VerifyPhone => "verify-phone",
        }
    }
}

/// How a one-time code travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeChannel {
    Email,
    Sms,
}

impl CodeChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeChannel::Email => "email",
            CodeChannel::Sms => "sms",
        }
    }
    pub fn parse(text: &str) -> Option<CodeChannel> {
        [CodeChannel::Email, CodeChannel::Sms].into_iter().find(|c| c.as_str() == text)
    }
}

/// A second factor that was just checked, with its RFC 8176 method reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
    /// A code sent by text message to a verified phone. NIST SP 800-63B rev. 4 lets it serve
    /// (a "restricted" authenticator), so the page tells people to prefer an app or a key. An
    /// emailed code is never a second factor: whoever reads the mailbox could also reset the
    /// password.
    SmsCode,
    /// A WebAuthn authenticator whose key stays on one device (the authenticator did not set
    /// the backup-eligible flag): a security key or a device-bound passkey, with user
    /// verification. Phishing-resistant and device-bound: `hwk`, `aal3`.
    DeviceBoundKey,
    /// A WebAuthn passkey that may be synced to other devices (backup-eligible flag set): its
    /// key can leave the device, so it is a software-secured key as NIST counts: `swk`, `aal2`.
    SyncedKey,
}

impl SecondFactor {
    pub fn amr(self) -> &'static str {
        match self {
            SecondFactor::Totp | SecondFactor::RecoveryCode => "otp",
            SecondFactor::SmsCode => "sms",
            SecondFactor::DeviceBoundKey => "hwk",
            SecondFactor::SyncedKey => "swk",
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactor::Totp => "totp",
            SecondFactor::RecoveryCode => "recovery-code",
            SecondFactor::SmsCode => "sms-code",
            SecondFactor::DeviceBoundKey => "webauthn-device-bound",
            SecondFactor::SyncedKey => "webauthn-synced",
        }
    }
    /// The level a password and this factor reach together (and a WebAuthn authenticator with
    /// user verification alone, which is multi-factor by itself).
    pub fn aal(self) -> Aal {
        match self {
            SecondFactor::DeviceBoundKey => Aal::Aal3,
            _ => Aal::Aal2,
        }
    }
    /// The factor a WebAuthn authenticator is, from its backup-eligible flag.
    pub fn webauthn(backup_eligible: bool) -> SecondFactor {
        if backup_eligible { SecondFactor::SyncedKey } else { SecondFactor::DeviceBoundKey }
    }
}

/// Where a browser may be sent after signing in: a path on this server, never another site
/// (`//host`, `/\host` and anything with a scheme are refused).
pub fn local_path(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = text.starts_with('/')
        && !text.starts_with("//")
        && !text.contains('\\')
        && text.len() <= 2048
        && !text.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| text.to_string())
}

/// The default page after signing in.
pub const ACCOUNT_PAGE: &str = "/identity/account";

/// A new six-digit code, uniform over 000000–999999.
pub fn six_digits() -> String {
    loop {
        let n = u32::from_be_bytes(random_bytes::<4>());
        // Reject the top sliver so that every code is equally likely.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// A code as typed: digits only, spaces and hyphens dropped; `None` when it is not six digits.
pub fn typed_six_digits(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Crockford's base32 alphabet (no i, l, o, u): recovery codes read aloud and typed well.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// How many recovery codes an account gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// A new recovery code: 80 random bits as 16 characters, `xxxx-xxxx-xxxx-xxxx`.
pub fn new_recovery_code() -> String {
    let bytes = random_bytes::<10>();
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let mut chars = Vec::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            chars.push(b'-');
        }
        let shift = 75 - 5 * i;
        chars.push(CROCKFORD[((bits >> shift) & 31) as usize]);
    }
    String::from_utf8(chars).unwrap_or_default()
}

/// A recovery code as typed, in its canonical form (lower case, no separators, Crockford's
/// look-alikes mapped); `None` when it cannot be one.
pub fn typed_recovery_code(text: &str) -> Option<String> {
    let mut out = String::with_capacity(16);
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        let mapped = match c {
            ' ' | '-' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c if c.is_ascii() && CROCKFORD.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(mapped);
    }
    (out.len() == 16).then_some(out)
}

/// What is stored of a recovery code: its SHA-256 (80 random bits need no slow hash).
pub fn recovery_code_hash(canonical: &str) -> Vec<u8> {
    sha256(format!("publica-recovery-code-v1:{canonical}").as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webauthn_levels_follow_the_backup_eligible_flag() {
        let bound = SecondFactor::webauthn(false);
        assert_eq!((bound.amr(), bound.aal()), ("hwk", Aal::Aal3));
        let synced = SecondFactor::webauthn(true);
        assert_eq!((synced.amr(), synced.aal()), ("swk", Aal::Aal2));
        assert_eq!(SecondFactor::Totp.aal(), Aal::Aal2);
    }

    #[test]
    fn return_paths_stay_on_this_server() {
        assert_eq!(local_path("/identity/account").as_deref(), Some("/identity/account"));
        assert_eq!(
            local_path("/identity/authorize/continue/abc?x=1").as_deref(),
            Some("/identity/authorize/continue/abc?x=1")
        );
        for bad in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "", "/a b", "/a\nb"] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn six_digit_codes_are_six_digits() {
        for _ in 0..200 {
            let code = six_digits();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(typed_six_digits(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(typed_six_digits("12345"), None);
        assert_eq!(typed_six_digits("12345a"), None);
    }

    #[test]
    fn recovery_codes_round_trip_as_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        let canonical = typed_recovery_code(&code).expect("canonical");
        assert_eq!(canonical, code.replace('-', ""));
        assert_eq!(typed_recovery_code(&code.to_uppercase().replace('-', " ")), Some(canonical.clone()));
        assert_eq!(typed_recovery_code("0000-1111-2222-333o").as_deref(), Some("0000111122223330"));
        assert_eq!(typed_recovery_code("ILIL-0000-0000-0000").as_deref(), Some("1111000000000000"));
        assert_eq!(typed_recovery_code("123456"), None);
        assert_eq!(typed_recovery_code("uuuu-0000-0000-0000"), None);
        assert_ne!(new_recovery_code(), new_recovery_code());
    }
}
