//! Delivery adapters: hand a rendered email, text message or letter to whoever carries it
//! (an SMTP relay, an SMS gateway, a print house's folder) and say what a failure means.

mod email;
mod print;
mod sms;

pub use email::{DkimSettings, EmailSender, OutgoingEmail, SmtpSender, SmtpSettings};
pub use print::{FolderPrintProvider, ManifestEntry, OutgoingLetter, POSTAGE_CLASSES, PrintProvider};
pub use sms::{
    HttpSmsProvider, HttpSmsSettings, OutgoingSms, Receipt, ReceiptError, ReceiptStatus, SmsProvider, check_bearer,
    parse_receipt,
};

/// What a failed send means for the notification's status (as GOV.UK Notify's statuses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The recipient can never receive it (e.g. SMTP 5xx on RCPT such as 550 no such user):
    /// status `permanent-failure`, no retry.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// Try again later (SMTP 4xx, provider 429/5xx, connection refused, timeouts): the job
    /// retries with backoff; after the last attempt, `temporary-failure`.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Our side is wrong (bad configuration, TLS misconfiguration, malformed message):
    /// `technical-failure`.
    #[error("technical failure: {0}")]
    Technical(String),
}

impl DeliveryError {
    /// The GOV.UK Notify status a notification ends in when this is its last attempt.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Permanent(_) => "permanent-failure",
            Self::Temporary(_) => "temporary-failure",
            Self::Technical(_) => "technical-failure",
        }
    }

    /// Whether another attempt may succeed (only temporary failures are retried).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Temporary(_))
    }

    /// The human-readable detail, without the kind.
    pub fn detail(&self) -> &str {
        match self {
            Self::Permanent(s) | Self::Temporary(s) | Self::Technical(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryError;

    #[test]
    fn delivery_error_maps_to_notify_statuses() {
        let permanent = DeliveryError::Permanent("550 no such user".into());
        assert_eq!(permanent.status(), "permanent-failure");
        assert!(!permanent.is_retryable());
        assert_eq!(permanent.detail(), "550 no such user");
        assert_eq!(DeliveryError::Temporary("x".into()).status(), "temporary-failure");
        assert!(DeliveryError::Temporary("x".into()).is_retryable());
        assert_eq!(DeliveryError::Technical("x".into()).status(), "technical-failure");
        assert!(!DeliveryError::Technical("x".into()).is_retryable());
    }
}
