//! The notify block's configuration section (`[notify]` in `publica.toml`, `PUBLICA_NOTIFY__…`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// `smtp://host:port`, `smtps://host:port` or with `?tls=starttls`; credentials in the
    /// URL. Unset: email stays in `created`/`sending` until a relay is configured.
    pub smtp_url: Option<String>,
    /// Simultaneous SMTP connections to the relay.
    pub smtp_pool_size: u32,
    /// Domain of the sender address (`{service email_from}@{domain}`).
    pub email_domain: String,
    pub dkim: DkimConfig,
    pub sms: SmsConfig,
    pub letters: LettersConfig,
    /// Default days before notification contents are purged (counts stay).
    pub retention_days: i64,
    /// Requests per minute per service and key type, as Notify (3,000).
    pub rate_limit_per_minute: u32,
    /// Concurrent deliveries per process.
    pub delivery_concurrency: usize,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DkimConfig {
    pub selector: Option<String>,
    /// PEM private key (RSA or Ed25519); use `PUBLICA_NOTIFY__DKIM__PRIVATE_KEY_FILE` for a file.
    pub private_key: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// The SMS gateway's HTTP endpoint (see docs/notify-providers.md).
    pub url: Option<String>,
    /// Bearer token for the gateway and for its delivery receipts.
    pub token: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LettersConfig {
    /// Folder the print provider collects from; default `DATA/letters`.
    pub dir_path: Option<String>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            smtp_pool_size: 8,
            email_domain: "notify.demoland.example".into(),
            dkim: DkimConfig::default(),
            sms: SmsConfig::default(),
            letters: LettersConfig::default(),
            retention_days: 7,
            rate_limit_per_minute: 3000,
            delivery_concurrency: 32,
        }
    }
}
