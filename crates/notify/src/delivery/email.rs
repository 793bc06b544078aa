//! Email over SMTP: builds the MIME message (text and HTML alternatives, one-click unsubscribe,
//! optional DKIM signature), sends it over a pool of connections to the relay and classifies
//! failures.

mod dkim;
mod pool;
mod relay;
#[cfg(test)]
mod relay_tests;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lettre::Address;
use lettre::Message;
use lettre::message::dkim::DkimConfig;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue, MIME_VERSION_1_0};
use lettre::message::{Body, Mailbox, MultiPart};
use url::Url;
use uuid::Uuid;

pub use dkim::DkimSettings;

use super::DeliveryError;
use pool::Pool;
use relay::Relay;

/// How long a connection may stay unused before it is closed rather than reused.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// A rendered email ready to hand to a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub notification_id: Uuid,
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// RFC 8058 one-click unsubscribe endpoint (HTTPS); adds `List-Unsubscribe` and `List-Unsubscribe-Post`.
    pub one_click_unsubscribe_url: Option<String>,
}

/// Something that delivers email and returns the provider's reference for it.
#[async_trait]
pub trait EmailSender: Send + Sync {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, DeliveryError>;
}

/// How to reach the SMTP relay.
///
/// `url` is one of:
/// - `smtp://host[:port]` — plain SMTP (port 25); add `?tls=opportunistic` to use STARTTLS when
///   offered, `?tls=required` (or `?tls=starttls`) to insist on it (port 587 by default then);
/// - `smtp+starttls://host[:port]` — STARTTLS required (port 587);
/// - `smtps://host[:port]` — implicit TLS (port 465).
///
/// Credentials go in the userinfo, percent-encoded (`smtp+starttls://user%40x.example:p%2Fss@relay`);
/// a path (`smtp://relay/mail.agency.example`) sets the name announced in EHLO.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub url: String,
    /// Limit for each step of connecting (TCP, TLS, greeting and EHLO, STARTTLS, AUTH) and for
    /// each SMTP command of a message.
    pub timeout: Duration,
    pub dkim: Option<DkimSettings>,
    /// The most messages in flight at once, each on its own connection; up to this many
    /// connections stay open between messages (closed after a minute unused).
    pub pool_size: u32,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match Url::parse(&self.url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("redacted"));
                url.to_string()
            }
            Ok(_) => self.url.clone(),
            Err(_) => "<unparsable>".to_owned(),
        };
        f.debug_struct("SmtpSettings")
            .field("url", &url)
            .field("timeout", &self.timeout)
            .field("dkim", &self.dkim)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// Sends email through an SMTP relay over pooled connections.
pub struct SmtpSender {
    pool: Pool,
    dkim: Option<Arc<DkimConfig>>,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").field("dkim", &self.dkim.is_some()).finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Checks the settings (URL, TLS, DKIM key) without connecting.
    pub fn new(settings: &SmtpSettings) -> Result<Self, DeliveryError> {
        if settings.pool_size == 0 {
            return Err(technical("notify SMTP pool size is 0: set it to at least 1 (e.g. 8)"));
        }
        if settings.timeout.is_zero() {
            return Err(technical("notify SMTP timeout is 0: set it to a few seconds (e.g. 30s)"));
        }
        let relay = Relay::from_url(&settings.url, settings.timeout)?;
        let dkim = settings.dkim.as_ref().map(dkim::dkim_config).transpose()?.map(Arc::new);
        let size = usize::try_from(settings.pool_size).unwrap_or(usize::MAX);
        Ok(Self { pool: Pool::new(relay, size, IDLE_LIMIT), dkim })
    }
}

#[async_trait]
impl EmailSender for SmtpSender {
    /// Returns the Message-ID (without angle brackets) as the reference: bounces and complaints quote it.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, DeliveryError> {
        let (message, reference) = match &self.dkim {
            // RSA signing takes milliseconds: keep it off the async workers.
            Some(dkim) => {
                let (email, dkim) = (email.clone(), Arc::clone(dkim));
                tokio::task::spawn_blocking(move || {
                    build_message(&email).map(|(mut message, reference)| {
                        message.sign(&dkim);
                        (message, reference)
                    })
                })
                .await
                .map_err(|e| technical(format!("signing the message failed: {e}")))??
            }
            None => build_message(email)?,
        };
        let response = self.pool.send(message.envelope(), &message.formatted()).await?;
        let reply = response.message().collect::<Vec<_>>().join(" ");
        tracing::debug!(notification_id = %email.notification_id, %reply, "email accepted by the relay");
        Ok(reference)
    }
}

/// Builds the MIME message; returns it with its reference (the Message-ID without brackets).
fn build_message(email: &OutgoingEmail) -> Result<(Message, String), DeliveryError> {
    let from: Address = email.from_address.trim().parse().map_err(|e| {
        technical(format!(
            "the from address {:?} is not an email address ({e}): fix the service's sender",
            email.from_address
        ))
    })?;
    let to: Address = email
        .to
        .trim()
        .parse()
        .map_err(|e| DeliveryError::Permanent(format!("{:?} is not an email address: {e}", email.to)))?;
    let reference = format!("{}@{}", email.notification_id, from.domain());
    let name = one_line(&email.from_name);
    let mut builder = Message::builder()
        .message_id(Some(format!("<{reference}>")))
        .date_now()
        .from(Mailbox::new((!name.is_empty()).then_some(name), from))
        .to(Mailbox::new(None, to))
        .subject(one_line(&email.subject));
    if let Some(reply_to) = email.reply_to.as_deref().filter(|r| !r.trim().is_empty()) {
        let mailbox: Mailbox = reply_to.trim().parse().map_err(|e| {
            technical(format!(
                "the reply-to address {reply_to:?} is not an email address ({e}): fix the service's reply-to"
            ))
        })?;
        builder = builder.reply_to(mailbox);
    }
    if let Some(url) = &email.one_click_unsubscribe_url {
        let parsed = Url::parse(url).map_err(|e| technical(format!("unsubscribe URL {url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(technical(format!("unsubscribe URL {url:?} must be https:// (RFC 8058)")));
        }
        builder = builder
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{parsed}>")))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    // The multipart body goes in as a pre-encoded raw body so that its Content-Type is a header of
    // the message itself when it is signed (lettre keeps a MIME body's headers out of the signature).
    let part = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let content_type =
        part.headers().get::<ContentType>().ok_or_else(|| technical("multipart without Content-Type"))?;
    let formatted = part.formatted();
    let body = formatted
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| formatted[at + 4..].to_vec())
        .ok_or_else(|| technical("multipart without a body"))?;
    let encoding = if body.is_ascii() { ContentTransferEncoding::SevenBit } else { ContentTransferEncoding::EightBit };
    let message = builder
        .header(MIME_VERSION_1_0)
        .header(content_type)
        .body(Body::dangerous_pre_encoded(body, encoding))
        .map_err(|e| technical(format!("the email could not be built: {e}")))?;
    Ok((message, reference))
}

/// Header values are single lines: a line break in a subject or name would end the header.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ").trim().to_owned()
}

fn technical(message: impl Into<String>) -> DeliveryError {
    DeliveryError::Technical(message.into())
}

/// What an SMTP error means for the notification.
fn classify(err: &lettre::transport::smtp::Error) -> DeliveryError {
    let text = err.to_string();
    if err.is_transient() {
        return DeliveryError::Temporary(text);
    }
    if err.is_permanent() {
        let code = err.status().map(|c| c.to_string()).unwrap_or_default();
        let enhanced = enhanced_status(&text);
        let technical_because = match (code.as_str(), enhanced.as_deref()) {
            ("530" | "534" | "535" | "538", _) | (_, Some("5.7.8" | "5.7.9" | "5.7.11")) => {
                Some("the relay refused our authentication: check the user and password in the SMTP URL")
            }
            (_, Some("5.1.7" | "5.1.8")) => Some("the relay refused the sender: check the service's from address"),
            ("552", _) | (_, Some("5.3.4")) => Some("the message is too large for the relay"),
            (_, Some(e)) if e.starts_with("5.6.") => Some("the relay refused the message's content or encoding"),
            ("500" | "501" | "502" | "503" | "504" | "555", _) => {
                Some("the relay did not understand our commands: check that the URL points at an SMTP server")
            }
            _ => None,
        };
        return match technical_because {
            Some(why) => technical(format!("{text} ({why})")),
            None => DeliveryError::Permanent(text),
        };
    }
    if err.is_timeout() {
        return DeliveryError::Temporary(text);
    }
    if err.is_tls() || relay::rustls_failure(err).is_some() {
        return technical(format!("{text} (check the URL's TLS mode and the relay's certificate)"));
    }
    if err.is_client() {
        return technical(text);
    }
    // Connection refused or reset, DNS failures, a relay closing mid-reply: worth another try.
    DeliveryError::Temporary(text)
}

/// The RFC 3463 enhanced status code (`5.1.1`) in a reply text, if any.
fn enhanced_status(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')').find_map(|word| {
        let parts: Vec<&str> = word.split('.').collect();
        let ok = parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && parts[1..].iter().all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then(|| word.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        let mut settings = SmtpSettings {
            url: "smtp://127.0.0.1:2525".into(),
            timeout: Duration::from_secs(5),
            dkim: None,
            pool_size: 0,
        };
        assert!(matches!(SmtpSender::new(&settings), Err(DeliveryError::Technical(_))));
        settings.pool_size = 4;
        assert!(SmtpSender::new(&settings).is_ok());
        settings.dkim = Some(DkimSettings {
            selector: "s1".into(),
            domain: "agency.example".into(),
            private_key_pem: "not a key".into(),
        });
        assert!(matches!(SmtpSender::new(&settings), Err(DeliveryError::Technical(m)) if m.contains("PEM")));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let settings = SmtpSettings {
            url: "smtps://user:s3cret@relay.example".into(),
            timeout: Duration::from_secs(5),
            dkim: Some(DkimSettings {
                selector: "s".into(),
                domain: "agency.example".into(),
                private_key_pem: "-----BEGIN PRIVATE KEY-----".into(),
            }),
            pool_size: 1,
        };
        let debug = format!("{settings:?}");
        assert!(!debug.contains("s3cret") && !debug.contains("BEGIN"), "{debug}");
        assert!(debug.contains("user:redacted@relay.example"), "{debug}");
    }

    #[test]
    fn enhanced_status_is_found_in_reply_text() {
        assert_eq!(enhanced_status("permanent error (550): 5.1.1 no such user").as_deref(), Some("5.1.1"));
        assert_eq!(enhanced_status("permanent error (535): 5.7.8 bad credentials").as_deref(), Some("5.7.8"));
        assert_eq!(enhanced_status("permanent error (550): mailbox unavailable"), None);
        assert_eq!(enhanced_status("version 1.2.3"), None);
    }

    #[test]
    fn header_values_stay_on_one_line() {
        assert_eq!(one_line("Hello\r\nBcc: x@y.example"), "Hello Bcc: x@y.example");
        assert_eq!(one_line(" plain "), "plain");
    }

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            notification_id: Uuid::nil(),
            from_name: "Agency".into(),
            from_address: "notify@agency.example".into(),
            reply_to: None,
            to: "person@example.org".into(),
            subject: "Subject".into(),
            text: "text".into(),
            html: "<p>html</p>".into(),
            one_click_unsubscribe_url: None,
        }
    }

    #[test]
    fn bad_addresses_are_classified() {
        let mut bad_to = email();
        bad_to.to = "not-an-address".into();
        assert!(matches!(build_message(&bad_to), Err(DeliveryError::Permanent(_))));
        let mut bad_from = email();
        bad_from.from_address = "nobody".into();
        assert!(matches!(build_message(&bad_from), Err(DeliveryError::Technical(_))));
        let mut bad_unsubscribe = email();
        bad_unsubscribe.one_click_unsubscribe_url = Some("mailto:x@y.example".into());
        assert!(matches!(build_message(&bad_unsubscribe), Err(DeliveryError::Technical(_))));
        let (_, reference) = build_message(&email()).expect("built");
        assert_eq!(reference, "00000000-0000-0000-0000-000000000000@agency.example");
    }
}
