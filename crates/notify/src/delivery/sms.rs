//! Text messages through an HTTP SMS gateway (the contract is in `docs/notify-providers.md`), and
//! the delivery receipts the gateway posts back.

use std::time::Duration;

use async_trait::async_trait;
use aws_lc_rs::{constant_time, digest};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use super::DeliveryError;

/// A rendered text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    pub notification_id: Uuid,
    /// E.164, e.g. `+447700900123`.
    pub to: String,
    pub body: String,
    /// Alphanumeric sender ID or number; `None` lets the gateway choose.
    pub sender: Option<String>,
}

/// Something that sends text messages and returns the provider's reference for each.
#[async_trait]
pub trait SmsProvider: Send + Sync {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, DeliveryError>;
}

/// Where the gateway is and the bearer token shared with it (both directions).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpSmsSettings {
    pub url: String,
    pub token: String,
    /// Limit for the whole request.
    pub timeout: Duration,
}

impl std::fmt::Debug for HttpSmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSmsSettings")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Posts each message as JSON to the gateway.
#[derive(Clone)]
pub struct HttpSmsProvider {
    client: reqwest::Client,
    url: Url,
    token: String,
}

impl std::fmt::Debug for HttpSmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSmsProvider").field("url", &self.url.as_str()).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct SendRequest<'a> {
    id: Uuid,
    to: &'a str,
    body: &'a str,
    sender: Option<&'a str>,
}

#[derive(Deserialize)]
struct SendResponse {
    reference: String,
}

impl HttpSmsProvider {
    pub fn new(settings: &HttpSmsSettings) -> Result<Self, DeliveryError> {
        let technical = |m: String| DeliveryError::Technical(m);
        let url = Url::parse(settings.url.trim()).map_err(|e| {
            technical(format!(
                "SMS gateway URL {:?} is not a URL ({e}): e.g. https://sms.example/v1/messages",
                settings.url
            ))
        })?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(technical(format!("SMS gateway URL {url} must be https://")));
        }
        if url.scheme() == "http" && !url.host_str().is_some_and(is_loopback) {
            tracing::warn!(url = %url, "the SMS gateway token will travel without TLS: use https://");
        }
        let token = settings.token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(technical(
                "SMS gateway token is empty or has spaces or control characters: set the token the gateway issued"
                    .into(),
            ));
        }
        if settings.timeout.is_zero() {
            return Err(technical("SMS gateway timeout is 0: set it to a few seconds (e.g. 10s)".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("publica-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| technical(format!("SMS gateway HTTP client cannot be built: {e}")))?;
        Ok(Self { client, url, token: token.to_owned() })
    }

    /// Checks a delivery receipt posted to Publica with this gateway's token.
    pub fn parse_receipt(&self, authorization: Option<&str>, body: &[u8]) -> Result<Receipt, ReceiptError> {
        parse_receipt(&self.token, authorization, body)
    }
}

#[async_trait]
impl SmsProvider for HttpSmsProvider {
    async fn send(&self, sms: &OutgoingSms) -> Result<String, DeliveryError> {
        if !is_e164(&sms.to) {
            return Err(DeliveryError::Permanent(format!(
                "{:?} is not an E.164 phone number (+ and 7 to 15 digits)",
                sms.to
            )));
        }
        let request =
            SendRequest { id: sms.notification_id, to: &sms.to, body: &sms.body, sender: sms.sender.as_deref() };
        let response = self
            .client
            .post(self.url.clone())
            .bearer_auth(&self.token)
            .header("Idempotency-Key", sms.notification_id.to_string())
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                if e.is_builder() {
                    DeliveryError::Technical(format!("SMS request cannot be built: {e}"))
                } else {
                    DeliveryError::Temporary(format!("SMS gateway unreachable: {e}"))
                }
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            if status.is_success() {
                // Accepted but the answer was lost: retrying could send twice unless the gateway
                // honours the idempotency key, which the contract requires.
                DeliveryError::Temporary(format!("SMS gateway answered {status} but the body was cut: {e}"))
            } else {
                DeliveryError::Temporary(format!("SMS gateway answered {status}; reading the body failed: {e}"))
            }
        })?;
        let detail = snippet(&body);
        match status.as_u16() {
            200..=299 => match serde_json::from_slice::<SendResponse>(&body) {
                Ok(SendResponse { reference }) if !reference.trim().is_empty() => Ok(reference),
                _ => Err(DeliveryError::Technical(format!(
                    "SMS gateway answered {status} without a JSON {{\"reference\": …}}: {detail}"
                ))),
            },
            400 | 422 => Err(DeliveryError::Permanent(format!("SMS gateway refused the message ({status}): {detail}"))),
            401 | 403 => Err(DeliveryError::Technical(format!(
                "SMS gateway refused our token ({status}): check the SMS gateway token: {detail}"
            ))),
            408 | 429 | 500..=599 => {
                Err(DeliveryError::Temporary(format!("SMS gateway busy or failing ({status}): {detail}")))
            }
            _ => Err(DeliveryError::Technical(format!(
                "SMS gateway answered {status}: check the SMS gateway URL: {detail}"
            ))),
        }
    }
}

/// The first 300 characters of a gateway's answer, for error messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(300).collect();
    if text.chars().nth(300).is_some() {
        out.push('…');
    }
    out
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `+`, a non-zero digit, then 6 to 14 more digits.
fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else { return false };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// A delivery receipt from the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The reference the gateway returned when it accepted the message.
    pub reference: String,
    pub status: ReceiptStatus,
    /// When the handset (or the network) reported it, if the gateway knows.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub at: Option<OffsetDateTime>,
}

/// Final states a gateway reports, named as GOV.UK Notify's statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptStatus {
    Delivered,
    TemporaryFailure,
    PermanentFailure,
}

impl ReceiptStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::TemporaryFailure => "temporary-failure",
            Self::PermanentFailure => "permanent-failure",
        }
    }
}

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// Missing or wrong bearer token.
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// Not the receipt JSON.
    #[error("invalid receipt: {0}")]
    Invalid(String),
}

impl ReceiptError {
    /// The HTTP status to answer with (401 or 400).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Invalid(_) => 400,
        }
    }
}

/// Checks an `Authorization` header value (`Bearer {token}`) against the shared token, in
/// constant time; for every endpoint the gateway calls.
pub fn check_bearer(expected_token: &str, authorization: Option<&str>) -> Result<(), ReceiptError> {
    let presented = authorization
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(ReceiptError::Unauthorized)?;
    let expected = expected_token.trim();
    // Comparing digests keeps the time independent of where, and of whether the lengths, differ.
    let a = digest::digest(&digest::SHA256, presented.as_bytes());
    let b = digest::digest(&digest::SHA256, expected.as_bytes());
    if expected.is_empty() || constant_time::verify_slices_are_equal(a.as_ref(), b.as_ref()).is_err() {
        return Err(ReceiptError::Unauthorized);
    }
    Ok(())
}

/// Checks the bearer token (see [`check_bearer`]) and reads the receipt JSON
/// `{"reference", "status", "at"?}`.
pub fn parse_receipt(expected_token: &str, authorization: Option<&str>, body: &[u8]) -> Result<Receipt, ReceiptError> {
    check_bearer(expected_token, authorization)?;
    let receipt: Receipt = serde_json::from_slice(body).map_err(|e| {
        ReceiptError::Invalid(format!(
            "{e}; expected {{\"reference\": \"…\", \"status\": \"delivered|temporary-failure|permanent-failure\"}}"
        ))
    })?;
    if receipt.reference.trim().is_empty() {
        return Err(ReceiptError::Invalid("reference is empty".into()));
    }
    Ok(receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers() {
        assert!(is_e164("+447700900123"));
        assert!(is_e164("+33612345678"));
        assert!(!is_e164("07700900123"));
        assert!(!is_e164("+0447700900123"));
        assert!(!is_e164("+44 7700 900123"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+12345"));
    }

    #[test]
    fn receipts_need_the_token() {
        let body = br#"{"reference":"r-1","status":"delivered"}"#;
        let ok = parse_receipt("s3cret", Some("Bearer s3cret"), body).expect("accepted");
        assert_eq!(ok, Receipt { reference: "r-1".into(), status: ReceiptStatus::Delivered, at: None });
        assert_eq!(
            parse_receipt("s3cret", Some("bearer s3cret"), body).map(|r| r.status),
            Ok(ReceiptStatus::Delivered)
        );
        for header in
            [None, Some("Bearer s3cre"), Some("Bearer s3cret2"), Some("Basic s3cret"), Some("s3cret"), Some("Bearer ")]
        {
            assert_eq!(parse_receipt("s3cret", header, body), Err(ReceiptError::Unauthorized), "{header:?}");
        }
        assert_eq!(parse_receipt("", Some("Bearer "), body), Err(ReceiptError::Unauthorized));
    }

    #[test]
    fn bearer_check_alone() {
        assert_eq!(check_bearer("tok", Some("Bearer tok")), Ok(()));
        assert_eq!(check_bearer("tok", Some("  BEARER   tok ")), Ok(()));
        assert_eq!(check_bearer("tok", Some("Bearer tok2")), Err(ReceiptError::Unauthorized));
        assert_eq!(check_bearer("tok", None), Err(ReceiptError::Unauthorized));
    }

    #[test]
    fn receipts_are_validated() {
        let auth = Some("Bearer t");
        let at = parse_receipt(
            "t",
            auth,
            br#"{"reference":"r","status":"permanent-failure","at":"2025-03-01T10:00:00Z","extra":1}"#,
        )
        .expect("accepted");
        assert_eq!(at.status, ReceiptStatus::PermanentFailure);
        assert_eq!(at.at.map(|t| t.unix_timestamp()), Some(1_740_823_200));
        for body in [
            &br#"{"reference":"r","status":"sent"}"#[..],
            br#"{"reference":"","status":"delivered"}"#,
            br#"{"status":"delivered"}"#,
            b"not json",
        ] {
            let err = parse_receipt("t", auth, body).expect_err("refused");
            assert_eq!(err.http_status(), 400, "{}", String::from_utf8_lossy(body));
        }
        assert_eq!(ReceiptError::Unauthorized.http_status(), 401);
    }

    #[test]
    fn settings_are_checked() {
        let ok = HttpSmsSettings {
            url: "https://sms.example/v1".into(),
            token: "t".into(),
            timeout: Duration::from_secs(5),
        };
        assert!(HttpSmsProvider::new(&ok).is_ok());
        for bad in [
            HttpSmsSettings { url: "ftp://sms.example".into(), ..ok.clone() },
            HttpSmsSettings { url: "sms.example".into(), ..ok.clone() },
            HttpSmsSettings { token: " ".into(), ..ok.clone() },
            HttpSmsSettings { token: "a b".into(), ..ok.clone() },
            HttpSmsSettings { timeout: Duration::ZERO, ..ok.clone() },
        ] {
            assert!(matches!(HttpSmsProvider::new(&bad), Err(DeliveryError::Technical(_))), "{bad:?}");
        }
    }

    #[test]
    fn snippets_are_bounded() {
        assert_eq!(snippet(b"short"), "short");
        assert_eq!(snippet("é".repeat(400).as_bytes()).chars().count(), 301);
    }
}
