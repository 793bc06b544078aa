//! The SMTP relay named by notify's URL (host, port, TLS mode, credentials, EHLO name) and how to
//! open one ready-to-send connection to it. lettre speaks SMTP over a socket opened here, with
//! Nagle's algorithm off; implicit TLS is done here with rustls, STARTTLS by lettre.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use url::{Host, Url};

use super::{classify, technical};
use crate::delivery::DeliveryError;

/// Where and how to reach the relay.
pub(super) struct Relay {
    host: String,
    port: u16,
    tls: RelayTls,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// Limit for each step of opening a connection and for each SMTP command.
    pub(super) timeout: Duration,
}

/// An open, authenticated session with the relay.
pub(super) struct Session {
    pub(super) smtp: AsyncSmtpConnection,
    /// The relay takes MAIL, RCPT and DATA in one go (RFC 2920).
    pub(super) pipelining: bool,
}

enum RelayTls {
    None,
    /// STARTTLS when the relay offers it.
    Opportunistic(TlsParameters),
    /// STARTTLS or no delivery.
    Required(TlsParameters),
    /// TLS from the first byte (SMTPS).
    Implicit {
        connector: TlsConnector,
        name: ServerName<'static>,
    },
}

impl Relay {
    /// Reads the relay URL (forms documented on `SmtpSettings::url`) without connecting.
    pub(super) fn from_url(raw: &str, timeout: Duration) -> Result<Self, DeliveryError> {
        const FIX: &str =
            "use smtp://host:25, smtp+starttls://user:password@host:587 or smtps://user:password@host:465";
        let url =
            Url::parse(raw.trim()).map_err(|e| technical(format!("notify SMTP URL is not a URL ({e}): {FIX}")))?;
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
        #[derive(PartialEq)]
        enum Mode {
            None,
            Opportunistic,
            Required,
            Implicit,
        }
        let mode = match (url.scheme(), tls_param.as_deref()) {
            ("smtp", None | Some("none")) => Mode::None,
            ("smtp", Some("opportunistic")) => Mode::Opportunistic,
            ("smtp", Some("required" | "starttls")) | ("smtp+starttls", None | Some("required" | "starttls")) => {
                Mode::Required
            }
            ("smtps", None | Some("implicit")) => Mode::Implicit,
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
            Mode::None => 25,
            Mode::Opportunistic | Mode::Required => 587,
            Mode::Implicit => 465,
        });
        let starttls = || {
            TlsParameters::new(host.clone())
                .map_err(|e| technical(format!("TLS for SMTP host {host} cannot be set up ({e}): check the host name")))
        };
        let tls = match mode {
            Mode::None => RelayTls::None,
            Mode::Opportunistic => RelayTls::Opportunistic(starttls()?),
            Mode::Required => RelayTls::Required(starttls()?),
            Mode::Implicit => {
                RelayTls::Implicit { connector: TlsConnector::from(native_roots_config()?), name: server_name(&host)? }
            }
        };
        let decode = |s: &str, what: &str| {
            percent_decode(s)
                .ok_or_else(|| technical(format!("notify SMTP URL: the {what} is not valid percent-encoded UTF-8")))
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, Some(password)) if !user.is_empty() => {
                if mode == Mode::None && !is_loopback(&host) {
                    tracing::warn!(%host, "SMTP credentials will be sent without TLS: use smtp+starttls:// or smtps://");
                }
                Some(Credentials::new(decode(user, "user")?, decode(password, "password")?))
            }
            _ => {
                return Err(technical(
                    "notify SMTP URL has a user without a password (or the reverse): give both, user:password@host",
                ));
            }
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self { host, port, tls, credentials, hello, timeout })
    }

    /// `host:port`, for messages.
    pub(super) fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Opens a connection and takes it through the greeting, EHLO, STARTTLS and AUTH as configured.
    pub(super) async fn connect(&self) -> Result<Session, DeliveryError> {
        let connecting = TcpStream::connect((self.host.as_str(), self.port));
        let tcp = match tokio::time::timeout(self.timeout, connecting).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return Err(DeliveryError::Temporary(format!(
                    "cannot connect to the SMTP relay {}: {e}",
                    self.address()
                )));
            }
            Err(_) => return Err(self.timed_out("the TCP connection")),
        };
        // lettre writes a message's closing "\r\n.\r\n" on its own: with Nagle's algorithm it would
        // wait for the relay's delayed ACK (40 ms on Linux), about 25 messages a second per connection.
        tcp.set_nodelay(true).map_err(|e| {
            DeliveryError::Temporary(format!("cannot set TCP_NODELAY towards the SMTP relay {}: {e}", self.address()))
        })?;
        let stream: Box<dyn AsyncTokioStream> = match &self.tls {
            RelayTls::Implicit { connector, name } => {
                match tokio::time::timeout(self.timeout, connector.connect(name.clone(), tcp)).await {
                    Ok(Ok(tls)) => Box::new(ImplicitTls(tls)),
                    Ok(Err(e)) => return Err(self.handshake_failed(&e)),
                    Err(_) => return Err(self.timed_out("the TLS handshake")),
                }
            }
            _ => Box::new(tcp),
        };
        let mut conn = self
            .step("the greeting and EHLO", AsyncSmtpConnection::connect_with_transport(stream, &self.hello))
            .await?;
        match &self.tls {
            RelayTls::Opportunistic(params) if conn.can_starttls() => {
                self.step("STARTTLS", conn.starttls(params.clone(), &self.hello)).await?;
            }
            RelayTls::Required(params) => self.step("STARTTLS", conn.starttls(params.clone(), &self.hello)).await?,
            _ => {}
        }
        // lettre keeps only the EHLO keywords it knows, and PIPELINING is not one of them: ask
        // again (RFC 5321 allows a later EHLO); a relay refusing that is simply not pipelined.
        let pipelining = match tokio::time::timeout(self.timeout, conn.command(Ehlo::new(self.hello.clone()))).await {
            Ok(Ok(ehlo)) => ehlo.message().any(|line| {
                line.split_whitespace().next().is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
            }),
            Ok(Err(e)) if e.is_transient() || e.is_permanent() => false,
            Ok(Err(e)) => return Err(classify(&e)),
            Err(_) => return Err(self.timed_out("EHLO")),
        };
        if let Some(credentials) = &self.credentials {
            self.step("AUTH", conn.auth(DEFAULT_MECHANISMS, credentials)).await?;
        }
        Ok(Session { smtp: conn, pipelining })
    }

    /// Runs one exchange with the relay within the timeout.
    async fn step<T>(
        &self,
        what: &str,
        exchange: impl Future<Output = Result<T, SmtpError>>,
    ) -> Result<T, DeliveryError> {
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(classify(&e)),
            Err(_) => Err(self.timed_out(what)),
        }
    }

    pub(super) fn timed_out(&self, what: &str) -> DeliveryError {
        DeliveryError::Temporary(format!(
            "the SMTP relay {} did not complete {what} within {:?}",
            self.address(),
            self.timeout
        ))
    }

    fn handshake_failed(&self, e: &io::Error) -> DeliveryError {
        let text = format!("TLS with the SMTP relay {} failed: {e}", self.address());
        match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(_) => technical(format!("{text} (check the URL's TLS mode and the relay's certificate)")),
            None => DeliveryError::Temporary(text),
        }
    }

    /// The same relay, trusting only `ca_pem` for both TLS modes.
    #[cfg(test)]
    pub(super) fn trusting(mut self, ca_pem: &[u8]) -> Result<Self, String> {
        use lettre::transport::smtp::client::{Certificate, CertificateStore};
        use tokio_rustls::rustls::pki_types::CertificateDer;
        use tokio_rustls::rustls::pki_types::pem::PemObject as _;

        let starttls = || {
            let cert = Certificate::from_pem(ca_pem).map_err(|e| e.to_string())?;
            TlsParameters::builder(self.host.clone())
                .certificate_store(CertificateStore::None)
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(|e| e.to_string())
        };
        self.tls = match self.tls {
            RelayTls::None => RelayTls::None,
            RelayTls::Opportunistic(_) => RelayTls::Opportunistic(starttls()?),
            RelayTls::Required(_) => RelayTls::Required(starttls()?),
            RelayTls::Implicit { name, .. } => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca_pem) {
                    roots.add(cert.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
                }
                let config = client_config(roots).map_err(|e| e.to_string())?;
                RelayTls::Implicit { connector: TlsConnector::from(config), name }
            }
        };
        Ok(self)
    }
}

/// rustls with the system's trusted roots (as lettre uses for STARTTLS), built once.
fn native_roots_config() -> Result<Arc<ClientConfig>, DeliveryError> {
    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
        if added == 0 {
            tracing::warn!(errors = ?loaded.errors, "no trusted root certificates found: smtps:// relays will be refused");
        }
        tracing::debug!(added, ignored, "loaded the system's root certificates for SMTP");
        client_config(roots).map_err(|e| e.to_string())
    });
    config.clone().map_err(|e| technical(format!("TLS for SMTP cannot be set up: {e}")))
}

fn client_config(roots: RootCertStore) -> Result<Arc<ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn server_name(host: &str) -> Result<ServerName<'static>, DeliveryError> {
    ServerName::try_from(host.to_owned())
        .map_err(|e| technical(format!("SMTP host {host:?} cannot be checked against a certificate: {e}")))
}

/// The rustls error somewhere in an SMTP error's causes (a refused certificate, a relay that does
/// not speak TLS on that port).
pub(super) fn rustls_failure(err: &SmtpError) -> Option<&rustls::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // An io::Error's `source` skips the error it wraps: look at that one too.
        if let Some(found) = e
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// A TLS stream lettre can drive (its stream trait is foreign, hence the wrapper).
#[derive(Debug)]
struct ImplicitTls(TlsStream<TcpStream>);

impl AsyncRead for ImplicitTls {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[test]
    fn url_schemes_pick_tls_and_port() {
        for (url, address, tls) in [
            ("smtp://relay.example", "relay.example:25", "none"),
            ("smtp://relay.example:2525?tls=opportunistic", "relay.example:2525", "opportunistic"),
            ("smtp://relay.example?tls=required", "relay.example:587", "required"),
            ("smtp+starttls://user:p%40ss@relay.example", "relay.example:587", "required"),
            ("smtps://user:pass@relay.example:465/mail.agency.example", "relay.example:465", "implicit"),
            ("smtps://relay.example", "relay.example:465", "implicit"),
            ("smtp://127.0.0.1:2525", "127.0.0.1:2525", "none"),
            ("smtp://[::1]:2525", "[::1]:2525", "none"),
        ] {
            let relay = Relay::from_url(url, TIMEOUT).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(relay.address(), address, "{url}");
            let mode = match relay.tls {
                RelayTls::None => "none",
                RelayTls::Opportunistic(_) => "opportunistic",
                RelayTls::Required(_) => "required",
                RelayTls::Implicit { .. } => "implicit",
            };
            assert_eq!(mode, tls, "{url}");
        }
        let relay =
            Relay::from_url("smtps://relay%20user:p%40ss@relay.example/mail.agency.example", TIMEOUT).expect("relay");
        assert_eq!(relay.credentials, Some(Credentials::new("relay user".into(), "p@ss".into())));
        assert_eq!(relay.hello, ClientId::Domain("mail.agency.example".into()));
        let relay = Relay::from_url("smtp://relay.example", TIMEOUT).expect("relay");
        assert_eq!((relay.credentials, relay.hello), (None, ClientId::default()));
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
            ("smtp://user:caf%C3@relay.example", "percent-encoded"),
            ("smtp://", "host"),
            ("not a url", "not a URL"),
        ] {
            match Relay::from_url(url, TIMEOUT) {
                Err(DeliveryError::Technical(m)) => assert!(m.contains(needle), "{url}: {m}"),
                Err(other) => panic!("{url}: {other:?}"),
                Ok(_) => panic!("{url} accepted"),
            }
        }
    }

    #[test]
    fn userinfo_is_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%2Fw+rd").as_deref(), Some("p@ss/w+rd"));
        assert_eq!(percent_decode("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(percent_decode("bad%4"), None);
        assert_eq!(percent_decode("bad%zz"), None);
    }
}
