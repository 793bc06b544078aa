//! Email over SMTP: builds the MIME message (text and HTML alternatives, one-click unsubscribe,
//! optional DKIM signature), sends it through a pooled lettre transport and classifies failures.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue, MIME_VERSION_1_0};
use lettre::message::{Body, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Semaphore;
use url::{Host, Url};
use uuid::Uuid;

use super::DeliveryError;

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
    /// Limit for connecting and for each SMTP command.
    pub timeout: Duration,
    pub dkim: Option<DkimSettings>,
    /// The most messages in flight at once, each on its own connection; connections are reused,
    /// and up to twice this many may stay open (idle ones close after a minute).
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

/// DKIM signing (RFC 6376, relaxed/relaxed, SHA-256).
#[derive(Clone, PartialEq, Eq)]
pub struct DkimSettings {
    /// The `s=` tag: the key is published at `{selector}._domainkey.{domain}`.
    pub selector: String,
    /// The `d=` tag: should be the From domain or a parent of it for DMARC alignment.
    pub domain: String,
    /// PEM: `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8, RSA or Ed25519).
    pub private_key_pem: String,
}

impl std::fmt::Debug for DkimSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSettings")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .field("private_key_pem", &"<redacted>")
            .finish()
    }
}

/// Headers covered by the DKIM signature; absent ones are signed as absent, so they cannot be added later.
const SIGNED_HEADERS: [&str; 10] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// Sends email through an SMTP relay over pooled connections.
pub struct SmtpSender {
    builder: AsyncSmtpTransportBuilder,
    /// Built on first use: lettre's pool spawns its housekeeping task on the current runtime.
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    permits: Semaphore,
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
        let builder = transport_builder(&settings.url)?
            .timeout(Some(settings.timeout))
            // lettre hands a used connection back to the pool from a spawned task, after the
            // permit below is released: twice the room keeps those from being closed and reopened.
            .pool_config(
                PoolConfig::new().max_size(settings.pool_size.saturating_mul(2)).idle_timeout(Duration::from_secs(60)),
            );
        let dkim = settings.dkim.as_ref().map(dkim_config).transpose()?.map(Arc::new);
        let permits = usize::try_from(settings.pool_size).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS);
        Ok(Self { builder, transport: OnceLock::new(), permits: Semaphore::new(permits), dkim })
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
        let _permit =
            self.permits.acquire().await.map_err(|_| DeliveryError::Temporary("the SMTP sender is closed".into()))?;
        let transport = self.transport.get_or_init(|| self.builder.clone().build());
        match transport.send(message).await {
            Ok(response) => {
                let reply = response.message().collect::<Vec<_>>().join(" ");
                tracing::debug!(notification_id = %email.notification_id, %reply, "email accepted by the relay");
                Ok(reference)
            }
            Err(err) => Err(classify(&err)),
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    None,
    Opportunistic,
    StartTls,
    Implicit,
}

/// Reads the relay URL into a lettre builder (host, port, TLS, credentials, EHLO name).
fn transport_builder(raw: &str) -> Result<AsyncSmtpTransportBuilder, DeliveryError> {
    const FIX: &str = "use smtp://host:25, smtp+starttls://user:password@host:587 or smtps://user:password@host:465";
    let url = Url::parse(raw.trim()).map_err(|e| technical(format!("notify SMTP URL is not a URL ({e}): {FIX}")))?;
    let mut tls_param = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "tls" => tls_param = Some(value.into_owned()),
            other => {
                return Err(technical(format!(
                    "notify SMTP URL has an unknown parameter {other:?}: only ?tls= is read"
                )));
            }
        }
    }
    let mode = match (url.scheme(), tls_param.as_deref()) {
        ("smtp", None | Some("none")) => TlsMode::None,
        ("smtp", Some("opportunistic")) => TlsMode::Opportunistic,
        ("smtp", Some("required" | "starttls")) | ("smtp+starttls", None | Some("required" | "starttls")) => {
            TlsMode::StartTls
        }
        ("smtps", None | Some("implicit")) => TlsMode::Implicit,
        ("smtp" | "smtp+starttls" | "smtps", Some(other)) => {
            return Err(technical(format!(
                "notify SMTP URL: tls={other:?} does not fit scheme {}://; \
                 use tls=none|opportunistic|required with smtp://",
                url.scheme()
            )));
        }
        (other, _) => return Err(technical(format!("notify SMTP URL has scheme {other:?}: {FIX}"))),
    };
    let host = match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(technical(format!("notify SMTP URL has no host: {FIX}"))),
    };
    let port = url.port().unwrap_or(match mode {
        TlsMode::None => 25,
        TlsMode::Opportunistic | TlsMode::StartTls => 587,
        TlsMode::Implicit => 465,
    });
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str()).port(port);
    if mode != TlsMode::None {
        let params = TlsParameters::new(host.clone())
            .map_err(|e| technical(format!("TLS for SMTP host {host} cannot be set up ({e}): check the host name")))?;
        builder = builder.tls(match mode {
            TlsMode::Opportunistic => Tls::Opportunistic(params),
            TlsMode::StartTls => Tls::Required(params),
            _ => Tls::Wrapper(params),
        });
    }
    let decode = |s: &str, what: &str| {
        percent_decode(s)
            .ok_or_else(|| technical(format!("notify SMTP URL: the {what} is not valid percent-encoded UTF-8")))
    };
    match (url.username(), url.password()) {
        ("", None) => {}
        (user, Some(password)) if !user.is_empty() => {
            if mode == TlsMode::None && !is_loopback(&host) {
                tracing::warn!(%host, "SMTP credentials will be sent without TLS: use smtp+starttls:// or smtps://");
            }
            builder = builder.credentials(Credentials::new(decode(user, "user")?, decode(password, "password")?));
        }
        _ => {
            return Err(technical(
                "notify SMTP URL has a user without a password (or the reverse): give both, user:password@host",
            ));
        }
    }
    let hello = url.path().trim_matches('/');
    if !hello.is_empty() {
        builder = builder.hello_name(ClientId::Domain(hello.to_owned()));
    }
    Ok(builder)
}

/// RFC 3986 percent-decoding of a userinfo part.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
    if err.is_tls() {
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

/// Reads the PEM key into lettre's DKIM configuration.
fn dkim_config(settings: &DkimSettings) -> Result<DkimConfig, DeliveryError> {
    let valid_label =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !valid_label(&settings.selector) {
        return Err(technical(format!("DKIM selector {:?} is not a DNS label: e.g. notify2025", settings.selector)));
    }
    if !valid_label(&settings.domain) || !settings.domain.contains('.') {
        return Err(technical(format!("DKIM domain {:?} is not a domain: e.g. agency.example", settings.domain)));
    }
    let key = dkim_signing_key(&settings.private_key_pem)?;
    let headers = SIGNED_HEADERS.iter().map(|h| HeaderName::new_from_ascii_str(h)).collect();
    let canonicalization =
        DkimCanonicalization { header: DkimCanonicalizationType::Relaxed, body: DkimCanonicalizationType::Relaxed };
    Ok(DkimConfig::new(settings.selector.clone(), settings.domain.to_ascii_lowercase(), key, headers, canonicalization))
}

const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn dkim_signing_key(pem: &str) -> Result<DkimSigningKey, DeliveryError> {
    let (label, der) = pem_decode(pem)?;
    let rsa = |pkcs1: &[u8]| {
        DkimSigningKey::new(&pem_encode("RSA PRIVATE KEY", pkcs1), DkimSigningAlgorithm::Rsa)
            .map_err(|e| technical(format!("DKIM RSA private key is invalid: {e}")))
    };
    match label.as_str() {
        "RSA PRIVATE KEY" => rsa(&der),
        "PRIVATE KEY" => {
            let invalid = || technical("DKIM private key is not a PKCS#8 RSA or Ed25519 key");
            let (algorithm, key) = pkcs8_private_key(&der).ok_or_else(invalid)?;
            if algorithm == OID_RSA_ENCRYPTION {
                rsa(key)
            } else if algorithm == OID_ED25519 {
                // CurvePrivateKey ::= OCTET STRING (the 32-byte seed), RFC 8410.
                match der_element(key) {
                    Some((0x04, seed, [])) if seed.len() == 32 => {
                        DkimSigningKey::new(&BASE64.encode(seed), DkimSigningAlgorithm::Ed25519)
                            .map_err(|e| technical(format!("DKIM Ed25519 private key is invalid: {e}")))
                    }
                    _ => Err(invalid()),
                }
            } else {
                Err(technical("DKIM private key is neither RSA nor Ed25519 (the two DKIM algorithms)"))
            }
        }
        "ENCRYPTED PRIVATE KEY" => {
            Err(technical("DKIM private key is encrypted: decrypt it (openssl pkey -in key.pem -out plain.pem)"))
        }
        other => Err(technical(format!("DKIM private key is a {other:?} PEM: give a PRIVATE KEY or RSA PRIVATE KEY"))),
    }
}

/// The first PEM block: its label and DER content.
fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), DeliveryError> {
    let missing =
        || technical("DKIM private key is not PEM: expected -----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----");
    let start = pem.find("-----BEGIN ").ok_or_else(missing)?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----").ok_or_else(missing)?;
    let label = rest[..label_end].to_owned();
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----")).ok_or_else(missing)?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = BASE64.decode(b64).map_err(|e| technical(format!("DKIM private key PEM is not base64: {e}")))?;
    Ok((label, der))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// One DER element: (tag, content, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// PKCS#8 PrivateKeyInfo (RFC 5208/5958): the algorithm OID and the inner private key bytes.
fn pkcs8_private_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, info, _) = der_element(der)? else { return None };
    let (0x02, _version, rest) = der_element(info)? else { return None };
    let (0x30, algorithm, rest) = der_element(rest)? else { return None };
    let (0x06, oid, _) = der_element(algorithm)? else { return None };
    let (0x04, key, _) = der_element(rest)? else { return None };
    Some((oid, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes_pick_tls_and_port() {
        for url in [
            "smtp://relay.example",
            "smtp://relay.example:2525?tls=opportunistic",
            "smtp://relay.example?tls=required",
            "smtp+starttls://user:p%40ss@relay.example",
            "smtps://user:pass@relay.example:465/mail.agency.example",
            "smtp://127.0.0.1:2525",
            "smtp://[::1]:2525",
        ] {
            assert!(transport_builder(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn bad_urls_are_technical_and_name_the_fix() {
        for (url, needle) in [
            ("http://relay.example", "scheme"),
            ("relay.example:25", "scheme"),
            ("smtp://relay.example?tls=maybe", "tls="),
            ("smtps://relay.example?tls=required", "tls="),
            ("smtp://relay.example?pool=3", "unknown parameter"),
            ("smtp://user@relay.example", "password"),
            ("smtp://", "host"),
            ("not a url", "not a URL"),
        ] {
            match transport_builder(url) {
                Err(DeliveryError::Technical(m)) => assert!(m.contains(needle), "{url}: {m}"),
                Err(other) => panic!("{url}: {other:?}"),
                Ok(_) => panic!("{url} accepted"),
            }
        }
    }

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
    fn userinfo_is_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%2Fw+rd").as_deref(), Some("p@ss/w+rd"));
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(percent_decode("bad%4"), None);
        assert_eq!(percent_decode("bad%zz"), None);
    }

    #[test]
    fn enhanced_status_is_found_in_reply_text() {
        assert_eq!(enhanced_status("permanent error (550): 5.1.1 no such user").as_deref(), Some("5.1.1"));
        assert_eq!(enhanced_status("permanent error (535): 5.7.8 bad credentials").as_deref(), Some("5.7.8"));
        assert_eq!(enhanced_status("permanent error (550): mailbox unavailable"), None);
        assert_eq!(enhanced_status("version 1.2.3"), None);
    }

    #[test]
    fn der_lengths_are_read() {
        let long = [&[0x04, 0x82, 0x01, 0x00][..], &[7u8; 256]].concat();
        let (tag, content, rest) = der_element(&long).expect("parsed");
        assert_eq!((tag, content.len(), rest.len()), (0x04, 256, 0));
        assert!(der_element(&[0x04, 0x05, 1, 2]).is_none());
        assert!(pkcs8_private_key(&[0x30, 0x00]).is_none());
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
