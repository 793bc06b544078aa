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
    /// Legal notifications (SEND): refinement periods, event streams, documents.
    pub send: SendConfig,
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
            send: SendConfig::default(),
        }
    }
}

/// `[notify.send]`: legal notifications (see `docs/notify-send.md`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SendConfig {
    /// Days after delivery to the digital domicile before the notification is refined.
    pub digital_refinement_days: i64,
    /// Days after all digital attempts failed (and the notice went by simple letter).
    pub digital_failure_refinement_days: i64,
    /// Days after the paper notice was posted, or the recipient was found unreachable.
    pub analog_refinement_days: i64,
    /// When the base instant is at or after this local hour, one day is added (art. 26 D.L.
    /// 76/2020: 21:00 in Italy).
    pub non_visibility_hour: u8,
    /// The local time zone as a fixed offset from UTC, in minutes (60 for Italian winter time).
    pub utc_offset_minutes: i32,
    /// Hours without news of a digital delivery before it counts as failed.
    pub digital_no_response_hours: i64,
    /// Largest document accepted by the upload, in bytes.
    pub max_document_bytes: usize,
    /// Events per page of an event stream (SEND documents 50).
    pub stream_page_size: i64,
    /// `retry-after` (milliseconds) when a stream has no more events.
    pub stream_retry_after_ms: u64,
    /// Active streams per sender.
    pub max_streams: i64,
    /// Seconds a preload upload URL or a download URL stays valid.
    pub url_ttl_seconds: i64,
}

impl Default for SendConfig {
    fn default() -> Self {
        SendConfig {
            digital_refinement_days: 7,
            digital_failure_refinement_days: 15,
            analog_refinement_days: 10,
            non_visibility_hour: 21,
            utc_offset_minutes: 60,
            digital_no_response_hours: 26,
            max_document_bytes: 50 * 1024 * 1024,
            stream_page_size: 50,
            stream_retry_after_ms: 60_000,
            max_streams: 10,
            url_ttl_seconds: 3600,
        }
    }
}
