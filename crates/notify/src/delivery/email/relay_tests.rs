//! Connections and the pool against a scripted relay on 127.0.0.1: implicit TLS and STARTTLS with
//! a test CA, refused certificates, relays that close sessions, idle expiry, stalls and timeouts.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto};
use uuid::Uuid;

use super::pool::Pool;
use super::relay::Relay;
use super::{DeliveryError, IDLE_LIMIT, OutgoingEmail, build_message};

const CA: &[u8] = include_bytes!("testdata/relay-ca.pem");
const CERT: &[u8] = include_bytes!("testdata/relay-cert.pem");
const KEY: &[u8] = include_bytes!("testdata/relay-key.pem");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tls {
    None,
    /// Offered after the greeting (RFC 3207).
    Upgrade,
    Implicit,
}

/// How the scripted relay behaves.
#[derive(Clone, Copy)]
struct Script {
    tls: Tls,
    /// Ends the session right after accepting a message, as a relay timing out an idle session would.
    close_after_message: bool,
    /// Accepts connections and never says a word.
    silent: bool,
    /// Never answers the end of the content.
    stall_after_data: bool,
    /// Offers PIPELINING and holds the replies to MAIL and RCPT until DATA, so a client that
    /// waits for each reply gets stuck.
    pipelining: bool,
    /// Refuses every recipient, yet answers DATA with 354 (RFC 2920 says it must not).
    refuse_rcpt: bool,
}

const PLAIN: Script = Script {
    tls: Tls::None,
    close_after_message: false,
    silent: false,
    stall_after_data: false,
    pipelining: false,
    refuse_rcpt: false,
};

#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    ehlo: Mutex<Vec<String>>,
    /// Recipients of each accepted message, and whether it came over TLS.
    delivered: Mutex<Vec<(String, bool)>>,
}

impl Seen {
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn delivered(&self) -> Vec<(String, bool)> {
        self.delivered.lock().expect("lock").clone()
    }
}

async fn start(script: Script) -> (u16, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Seen::default());
    let certs = CertificateDer::pem_slice_iter(CERT).collect::<Result<Vec<_>, _>>().expect("cert");
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("key");
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let accepting = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            accepting.connections.fetch_add(1, Ordering::SeqCst);
            let (seen, acceptor) = (Arc::clone(&accepting), acceptor.clone());
            tokio::spawn(async move { session(tcp, script, acceptor, seen).await });
        }
    });
    (port, seen)
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn read_line(io: &mut Box<dyn Io>) -> io::Result<String> {
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        line.push(io.read_u8().await?);
    }
    Ok(String::from_utf8_lossy(&line[..line.len() - 2]).into_owned())
}

async fn session(tcp: TcpStream, script: Script, acceptor: TlsAcceptor, seen: Arc<Seen>) -> io::Result<()> {
    let mut encrypted = script.tls == Tls::Implicit;
    let mut io: Box<dyn Io> = if encrypted { Box::new(acceptor.accept(tcp).await?) } else { Box::new(tcp) };
    if script.silent {
        return std::future::pending().await;
    }
    io.write_all(b"220 relay.test ESMTP\r\n").await?;
    let mut recipients = Vec::new();
    let mut held = String::new();
    loop {
        let line = read_line(&mut io).await?;
        let (verb, argument) = line.split_once(' ').unwrap_or((&line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                seen.ehlo.lock().expect("lock").push(argument.to_owned());
                let starttls = if script.tls == Tls::Upgrade && !encrypted { "250-STARTTLS\r\n" } else { "" };
                let pipelining = if script.pipelining { "250-PIPELINING\r\n" } else { "" };
                io.write_all(format!("250-relay.test\r\n{starttls}{pipelining}250 8BITMIME\r\n").as_bytes()).await?;
            }
            "STARTTLS" => {
                io.write_all(b"220 2.0.0 ready to start TLS\r\n").await?;
                io = Box::new(acceptor.accept(io).await?);
                encrypted = true;
            }
            "MAIL" if script.pipelining => {
                recipients.clear();
                held.push_str("250 2.0.0 ok\r\n");
            }
            "MAIL" | "RSET" => {
                recipients.clear();
                io.write_all(b"250 2.0.0 ok\r\n").await?;
            }
            "RCPT" => {
                let reply = if script.refuse_rcpt { "550 5.1.1 no such user\r\n" } else { "250 2.1.5 ok\r\n" };
                if !script.refuse_rcpt {
                    recipients.push(argument.trim_start_matches("TO:").to_owned());
                }
                held.push_str(reply);
                if !script.pipelining {
                    io.write_all(std::mem::take(&mut held).as_bytes()).await?;
                }
            }
            "DATA" => {
                held.push_str("354 end with .\r\n");
                io.write_all(std::mem::take(&mut held).as_bytes()).await?;
                while read_line(&mut io).await? != "." {}
                if script.stall_after_data {
                    return std::future::pending().await;
                }
                seen.delivered.lock().expect("lock").push((recipients.join(","), encrypted));
                io.write_all(b"250 2.0.0 queued\r\n").await?;
                if script.close_after_message {
                    return Ok(());
                }
            }
            "QUIT" => {
                io.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => io.write_all(b"500 5.5.2 what?\r\n").await?,
        }
    }
}

fn relay(url: &str) -> Relay {
    Relay::from_url(url, Duration::from_secs(5)).expect("relay").trusting(CA).expect("test CA")
}

fn pool(relay: Relay, size: usize) -> Pool {
    Pool::new(relay, size, IDLE_LIMIT)
}

async fn send(pool: &Pool, to: &str) -> Result<(), DeliveryError> {
    let email = OutgoingEmail {
        notification_id: Uuid::now_v7(),
        from_name: "Agency".into(),
        from_address: "notify@agency.example".into(),
        reply_to: None,
        to: to.into(),
        subject: "Subject".into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
        one_click_unsubscribe_url: None,
    };
    let (message, _) = build_message(&email)?;
    pool.send(message.envelope(), &message.formatted()).await.map(drop)
}

fn addresses(seen: &Seen) -> Vec<String> {
    seen.delivered().into_iter().map(|(to, _)| to).collect()
}

#[tokio::test]
async fn implicit_tls_delivers_to_a_trusted_relay_and_reuses_the_connection() {
    let (port, seen) = start(Script { tls: Tls::Implicit, ..PLAIN }).await;
    let pool = pool(relay(&format!("smtps://127.0.0.1:{port}/mail.agency.example")), 2);
    send(&pool, "a@example.org").await.expect("sent");
    send(&pool, "b@example.org").await.expect("sent");
    assert_eq!(seen.delivered(), vec![("<a@example.org>".into(), true), ("<b@example.org>".into(), true)]);
    assert_eq!(seen.connections(), 1);
    // The second EHLO reads the keywords lettre does not keep (PIPELINING).
    assert_eq!(*seen.ehlo.lock().expect("lock"), vec!["mail.agency.example".to_owned(); 2]);
}

#[tokio::test]
async fn starttls_upgrades_the_connection_when_required_or_offered() {
    let (port, seen) = start(Script { tls: Tls::Upgrade, ..PLAIN }).await;
    for url in [format!("smtp+starttls://127.0.0.1:{port}"), format!("smtp://127.0.0.1:{port}?tls=opportunistic")] {
        send(&pool(relay(&url), 1), "a@example.org").await.expect("sent");
    }
    assert_eq!(seen.delivered().iter().filter(|(_, tls)| *tls).count(), 2, "both over TLS");
    assert_eq!(seen.ehlo.lock().expect("lock").len(), 6, "EHLO again after STARTTLS");

    let (port, seen) = start(PLAIN).await;
    send(&pool(relay(&format!("smtp://127.0.0.1:{port}?tls=opportunistic")), 1), "a@example.org")
        .await
        .expect("sent in the clear when STARTTLS is not offered");
    assert_eq!(seen.delivered(), vec![("<a@example.org>".into(), false)]);
}

#[tokio::test]
async fn untrusted_certificates_and_tls_mismatches_are_technical() {
    let (implicit, _) = start(Script { tls: Tls::Implicit, ..PLAIN }).await;
    let (starttls, _) = start(Script { tls: Tls::Upgrade, ..PLAIN }).await;
    let (plain, _) = start(PLAIN).await;
    for url in [
        format!("smtps://127.0.0.1:{implicit}"),
        format!("smtp+starttls://127.0.0.1:{starttls}"),
        format!("smtps://127.0.0.1:{plain}"),
    ] {
        // The system's roots, which do not include the test CA.
        let relay = Relay::from_url(&url, Duration::from_secs(5)).expect("relay");
        match send(&pool(relay, 1), "a@example.org").await {
            Err(DeliveryError::Technical(m)) => assert!(m.contains("relay's certificate"), "{url}: {m}"),
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn messages_do_not_wait_for_delayed_acks() {
    // With Nagle's algorithm on, each message's closing "\r\n.\r\n" waits for the relay's
    // delayed ACK (40 ms on Linux): 40 messages would take well over a second.
    let (port, seen) = start(PLAIN).await;
    let pool = pool(relay(&format!("smtp://127.0.0.1:{port}")), 1);
    send(&pool, "warm@example.org").await.expect("sent");
    let started = std::time::Instant::now();
    for i in 0..40 {
        send(&pool, &format!("p{i}@example.org")).await.expect("sent");
    }
    let elapsed = started.elapsed();
    assert_eq!((seen.delivered().len(), seen.connections()), (41, 1));
    assert!(elapsed < Duration::from_millis(800), "40 messages on one connection took {elapsed:?}");
}

#[tokio::test]
async fn mail_rcpt_and_data_are_pipelined_when_offered() {
    let (port, seen) = start(Script { pipelining: true, ..PLAIN }).await;
    let pipelined = pool(relay(&format!("smtp://127.0.0.1:{port}")), 1);
    send(&pipelined, "a@example.org").await.expect("sent");
    send(&pipelined, "b@example.org").await.expect("sent");
    assert_eq!(addresses(&seen), ["<a@example.org>", "<b@example.org>"]);
    assert_eq!(seen.connections(), 1);

    // A refused recipient with DATA still accepted: no content goes out and the session is dropped.
    let (port, seen) = start(Script { pipelining: true, refuse_rcpt: true, ..PLAIN }).await;
    let refusing = pool(relay(&format!("smtp://127.0.0.1:{port}")), 1);
    for _ in 0..2 {
        match send(&refusing, "a@example.org").await {
            Err(DeliveryError::Permanent(m)) => assert!(m.contains("no such user"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(seen.delivered().is_empty());
    assert_eq!(seen.connections(), 2);
}

#[tokio::test]
async fn connections_closed_by_the_relay_are_replaced() {
    let (port, seen) = start(Script { close_after_message: true, ..PLAIN }).await;
    let pool = pool(relay(&format!("smtp://127.0.0.1:{port}")), 1);
    for to in ["a@example.org", "b@example.org", "c@example.org"] {
        send(&pool, to).await.expect("sent");
    }
    assert_eq!(addresses(&seen), ["<a@example.org>", "<b@example.org>", "<c@example.org>"]);
    assert_eq!(seen.connections(), 3);
}

#[tokio::test]
async fn idle_connections_expire_and_busy_ones_are_bounded() {
    let (port, seen) = start(PLAIN).await;
    let expiring = Pool::new(relay(&format!("smtp://127.0.0.1:{port}")), 1, Duration::ZERO);
    send(&expiring, "a@example.org").await.expect("sent");
    send(&expiring, "b@example.org").await.expect("sent");
    assert_eq!(seen.connections(), 2, "an expired connection is not reused");

    let (port, seen) = start(PLAIN).await;
    let pool = Arc::new(pool(relay(&format!("smtp://127.0.0.1:{port}")), 3));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..30 {
        let pool = Arc::clone(&pool);
        tasks.spawn(async move { send(&pool, &format!("p{i}@example.org")).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("sent");
    }
    assert_eq!(seen.delivered().len(), 30);
    assert!(seen.connections() <= 3, "{} connections", seen.connections());
}

#[tokio::test]
async fn silent_and_stalling_relays_time_out_as_temporary() {
    for (script, step) in [
        (Script { silent: true, ..PLAIN }, "greeting"),
        (Script { stall_after_data: true, ..PLAIN }, "message content"),
    ] {
        let (port, _) = start(script).await;
        let relay = Relay::from_url(&format!("smtp://127.0.0.1:{port}"), Duration::from_millis(300)).expect("relay");
        match send(&pool(relay, 1), "a@example.org").await {
            Err(DeliveryError::Temporary(m)) => assert!(m.contains(step) && m.contains("within"), "{m}"),
            other => panic!("{step}: {other:?}"),
        }
    }
}
