//! Emails per second through `SmtpSender`, next to lettre's own pooled transport (what notify
//! used before) as the baseline, against the in-process `SmtpSink` and against Python's aiosmtpd,
//! which like Postfix lets the kernel delay its ACKs.
//!
//! `cargo run --release -p publica-notify --example smtp_throughput [messages]`
//!
//! aiosmtpd is run with `$AIOSMTPD_PYTHON` or else `target/interop-venv/bin/python`
//! (`python3 -m venv v && v/bin/pip install aiosmtpd==1.4.6`); without it only the sink is measured.

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use publica_notify::delivery::{EmailSender, OutgoingEmail, SmtpSender, SmtpSettings};
use publica_notify::testing::SmtpSink;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;
use uuid::Uuid;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

fn email(i: usize) -> OutgoingEmail {
    OutgoingEmail {
        notification_id: Uuid::now_v7(),
        from_name: "Tax Office".into(),
        from_address: "notify@agency.example".into(),
        reply_to: None,
        to: format!("person{i}@example.org"),
        subject: "Your tax return".into(),
        text: "Hello,\nyour tax return was received on 1 April.\nTax Office".into(),
        html: "<p>Hello,</p><p>your tax return was received on 1 April.</p><p>Tax Office</p>".into(),
        one_click_unsubscribe_url: Some("https://notify.agency.example/unsubscribe/abc".into()),
    }
}

/// Messages per second through `SmtpSender`, `2 × pool` sends in flight.
async fn after(url: &str, pool: u32, messages: usize) -> Result<f64> {
    let settings = SmtpSettings { url: url.into(), timeout: Duration::from_secs(30), dkim: None, pool_size: pool };
    let sender = &SmtpSender::new(&settings)?;
    let started = Instant::now();
    let in_flight = usize::try_from(pool)? * 2;
    stream::iter(0..messages)
        .map(|i| async move { sender.send(&email(i)).await })
        .buffer_unordered(in_flight)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(rate(messages, started))
}

/// The same through lettre's pooled `AsyncSmtpTransport`, set up as notify's sender was.
async fn before(host: &str, port: u16, pool: u32, messages: usize) -> Result<f64> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(PoolConfig::new().max_size(pool * 2).idle_timeout(Duration::from_secs(60)))
        .build();
    let permits = Arc::new(Semaphore::new(usize::try_from(pool)?));
    let started = Instant::now();
    let send = |i: usize| {
        let (transport, permits) = (transport.clone(), Arc::clone(&permits));
        async move {
            let e = email(i);
            let message = Message::builder()
                .from(Mailbox::new(Some(e.from_name), e.from_address.parse()?))
                .to(Mailbox::new(None, e.to.parse()?))
                .subject(e.subject)
                .multipart(MultiPart::alternative_plain_html(e.text, e.html))?;
            let _permit = permits.acquire().await?;
            transport.send(message).await?;
            Result::Ok(())
        }
    };
    let in_flight = usize::try_from(pool)? * 2;
    stream::iter(0..messages).map(send).buffer_unordered(in_flight).try_collect::<Vec<_>>().await?;
    Ok(rate(messages, started))
}

fn rate(messages: usize, started: Instant) -> f64 {
    messages as f64 / started.elapsed().as_secs_f64()
}

fn report(relay: &str, pool: u32, before: f64, after: f64) {
    println!(
        "{relay:<10} pool {pool:>3}   before {before:>9.1} msg/s   after {after:>9.1} msg/s   ×{:.1}",
        after / before
    );
}

fn python() -> Option<PathBuf> {
    let path = std::env::var_os("AIOSMTPD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/interop-venv/bin/python"));
    path.exists().then_some(path)
}

async fn start_aiosmtpd(python: &PathBuf) -> Result<(Child, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &listen, "-c", "aiosmtpd.handlers.Sink"])
        .kill_on_drop(true)
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(&listen).await.is_err() {
        if Instant::now() > deadline {
            return Err(format!("aiosmtpd did not listen on {listen}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((child, port))
}

#[tokio::main]
async fn main() -> Result<()> {
    let messages: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(4000);
    // lettre's pool manages tens of messages a second against a delaying relay: fewer for it.
    let slow = (messages / 10).clamp(50, 400);

    let sink = SmtpSink::builder().keep_data(false).start().await?;
    let (host, port) = (sink.addr().ip().to_string(), sink.addr().port());
    let baseline = before(&host, port, 8, messages).await?;
    let now = after(&sink.url(), 8, messages).await?;
    report("SmtpSink", 8, baseline, now);
    if sink.received() != 2 * messages {
        return Err(format!("the sink received {} messages, not {}", sink.received(), 2 * messages).into());
    }

    let Some(python) = python() else {
        println!("aiosmtpd: no Python with aiosmtpd (set AIOSMTPD_PYTHON): skipped");
        return Ok(());
    };
    let (mut child, port) = start_aiosmtpd(&python).await?;
    for pool in [8, 32] {
        let baseline = before("127.0.0.1", port, pool, slow).await?;
        let now = after(&format!("smtp://127.0.0.1:{port}"), pool, messages).await?;
        report("aiosmtpd", pool, baseline, now);
    }
    child.kill().await?;
    Ok(())
}
