//! Test doubles for notify's delivery: [`SmtpSink`], a real SMTP server (RFC 5321, with
//! pipelining and AUTH PLAIN/LOGIN) on 127.0.0.1 that records what it receives and can be told
//! to refuse chosen recipients; fast enough to stand in for a relay in benchmarks.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// Longest command or data line read (RFC 5321 asks for 1000; clients are given slack).
const MAX_LINE: u64 = 64 * 1024;
const MAX_RECIPIENTS: usize = 1000;

/// One message as received: envelope and raw content (dot-unstuffed, CRLF line ends kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub helo: String,
    pub authenticated_as: Option<String>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

impl ReceivedMessage {
    /// The header section (up to the first empty line) and the body after it.
    fn split(&self) -> (&[u8], &[u8]) {
        match self.data.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(at) => (&self.data[..at + 2], &self.data[at + 4..]),
            None => (&self.data[..], &[]),
        }
    }

    /// Headers in order, unfolded, names as written, values trimmed.
    pub fn headers(&self) -> Vec<(String, String)> {
        let (section, _) = self.split();
        let mut out: Vec<(String, String)> = Vec::new();
        for line in String::from_utf8_lossy(section).split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = out.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                out.push((name.to_owned(), value.trim().to_owned()));
            }
        }
        out
    }

    /// The first header of that name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers().into_iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    pub fn body(&self) -> &[u8] {
        self.split().1
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Which recipients a scripted reply applies to (compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    Any,
    Address(String),
    /// The part before the `@`, e.g. `bounce` for `bounce@example.org`.
    LocalPart(String),
    Domain(String),
}

impl Recipients {
    fn matches(&self, address: &str) -> bool {
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        match self {
            Self::Any => true,
            Self::Address(a) => a.eq_ignore_ascii_case(address),
            Self::LocalPart(l) => l.eq_ignore_ascii_case(local),
            Self::Domain(d) => d.eq_ignore_ascii_case(domain),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Rcpt,
    Data,
}

#[derive(Debug, Clone)]
struct Rule {
    stage: Stage,
    recipients: Recipients,
    reply: String,
}

/// The sink did not receive enough messages in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} messages, received {received}")]
pub struct WaitTimeout {
    pub expected: usize,
    pub received: usize,
}

/// Options for [`SmtpSink`].
#[derive(Debug, Clone)]
pub struct SmtpSinkBuilder {
    credentials: Option<(String, String)>,
    keep_data: bool,
    max_size: usize,
    hostname: String,
}

impl SmtpSinkBuilder {
    /// Advertise AUTH PLAIN LOGIN and require these credentials before MAIL.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// `false` only counts messages (for benchmarks); `messages()` stays empty.
    pub fn keep_data(mut self, keep: bool) -> Self {
        self.keep_data = keep;
        self
    }

    /// Larger messages get `552 5.3.4` (default 32 MiB).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Binds 127.0.0.1 on a free port and starts accepting.
    pub async fn start(self) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: self,
            rules: Mutex::new(Vec::new()),
            messages: Mutex::new(Vec::new()),
            received: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            arrived: Notify::new(),
        });
        let (shutdown, stop) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stop));
        Ok(SmtpSink { addr, shared, shutdown, accept })
    }
}

/// An SMTP server for tests; stops (with its connections) when dropped.
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    accept: JoinHandle<()>,
}

struct Shared {
    config: SmtpSinkBuilder,
    rules: Mutex<Vec<Rule>>,
    messages: Mutex<Vec<ReceivedMessage>>,
    received: AtomicUsize,
    connections: AtomicUsize,
    arrived: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SmtpSink {
    pub fn builder() -> SmtpSinkBuilder {
        SmtpSinkBuilder { credentials: None, keep_data: true, max_size: 32 << 20, hostname: "sink.test".into() }
    }

    /// A sink with default options: no AUTH, messages kept.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Answer `RCPT TO` for these recipients with `code text` (e.g. `550`, `5.1.1 no such user`);
    /// a 2xx code accepts. The latest matching rule wins; 421 also closes the connection.
    pub fn reply_to_rcpt(&self, recipients: Recipients, code: u16, text: &str) {
        self.add_rule(Stage::Rcpt, recipients, code, text);
    }

    /// Answer the end of `DATA` with `code text` when the transaction has one of these recipients.
    pub fn reply_to_data(&self, recipients: Recipients, code: u16, text: &str) {
        self.add_rule(Stage::Data, recipients, code, text);
    }

    /// Back to accepting everything.
    pub fn clear_replies(&self) {
        lock(&self.shared.rules).clear();
    }

    fn add_rule(&self, stage: Stage, recipients: Recipients, code: u16, text: &str) {
        let code = code.clamp(200, 599);
        let text = text.replace(['\r', '\n'], " ");
        lock(&self.shared.rules).push(Rule { stage, recipients, reply: format!("{code} {text}\r\n") });
    }

    /// Messages received so far (empty with `keep_data(false)`).
    pub fn messages(&self) -> Vec<ReceivedMessage> {
        lock(&self.shared.messages).clone()
    }

    /// How many messages were accepted (counted even with `keep_data(false)`).
    pub fn received(&self) -> usize {
        self.shared.received.load(Ordering::Acquire)
    }

    /// How many connections were accepted (shows connection reuse).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Acquire)
    }

    /// Forgets received messages and resets the count.
    pub fn clear(&self) {
        let mut messages = lock(&self.shared.messages);
        messages.clear();
        self.shared.received.store(0, Ordering::Release);
    }

    /// Waits until at least `n` messages were accepted; returns the kept messages.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Result<Vec<ReceivedMessage>, WaitTimeout> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if self.received() >= n {
                return Ok(self.messages());
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let received = self.received();
                return if received >= n { Ok(self.messages()) } else { Err(WaitTimeout { expected: n, received }) };
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                shared.connections.fetch_add(1, Ordering::AcqRel);
                let (shared, mut stop) = (Arc::clone(&shared), stop.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        result = serve(stream, shared) => {
                            if let Err(e) = result {
                                tracing::debug!("SMTP sink connection ended: {e}");
                            }
                        }
                        _ = stop.changed() => {}
                    }
                });
            }
            // Out of file descriptors and the like: let the system breathe.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: BufWriter<OwnedWriteHalf>,
    line: Vec<u8>,
}

impl Conn {
    /// Reads one line into `self.line`; `false` at end of stream.
    async fn read_line(&mut self) -> std::io::Result<bool> {
        self.line.clear();
        let n = (&mut self.reader).take(MAX_LINE).read_until(b'\n', &mut self.line).await?;
        if n as u64 == MAX_LINE && !self.line.ends_with(b"\n") {
            self.send("500 5.5.6 Line too long\r\n").await?;
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "line too long"));
        }
        Ok(n > 0)
    }

    /// Message content arrives as a large write followed by a small `.` line, which the client's
    /// Nagle algorithm holds until this side acknowledges the first; Linux delays that
    /// acknowledgement by 40 ms, which would cap each connection at 25 messages a second.
    /// Acknowledging at once keeps the sink from being what a benchmark measures.
    fn ack_promptly(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.reader.buffer().is_empty() {
            let _ = self.reader.get_ref().as_ref().set_quickack(true);
        }
    }

    /// The current line without its line end.
    fn text(&self) -> String {
        String::from_utf8_lossy(self.line.strip_suffix(b"\n").unwrap_or(&self.line)).trim_end_matches('\r').to_owned()
    }

    async fn reply(&mut self, reply: &str) -> std::io::Result<()> {
        self.writer.write_all(reply.as_bytes()).await
    }

    /// Reply and flush now (the client waits for this one before sending more).
    async fn send(&mut self, reply: &str) -> std::io::Result<()> {
        self.reply(reply).await?;
        self.writer.flush().await
    }

    /// Pipelining: replies go out in one write once no command is waiting in the buffer.
    async fn flush_if_idle(&mut self) -> std::io::Result<()> {
        if self.reader.buffer().is_empty() { self.writer.flush().await } else { Ok(()) }
    }
}

struct Transaction {
    from: String,
    rcpts: Vec<String>,
}

#[derive(Default)]
struct Session {
    helo: Option<String>,
    authenticated_as: Option<String>,
    tx: Option<Transaction>,
}

/// The address inside `FROM:<…>` / `TO:<…>`, and the parameters after it.
fn path_arg<'a>(arg: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((&rest[..end], rest[end + 1..].trim()))
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut conn = Conn {
        reader: BufReader::with_capacity(64 * 1024, read),
        writer: BufWriter::with_capacity(16 * 1024, write),
        line: Vec::with_capacity(1024),
    };
    let config = &shared.config;
    conn.send(&format!("220 {} ESMTP Publica SMTP sink\r\n", config.hostname)).await?;
    let mut session = Session::default();
    while conn.read_line().await? {
        let open = command(&mut conn, &mut session, &shared).await?;
        if !open {
            return conn.writer.flush().await;
        }
        conn.flush_if_idle().await?;
    }
    Ok(())
}

/// Answers the command in `conn.line`; `false` when the connection is to be closed.
async fn command(conn: &mut Conn, session: &mut Session, shared: &Shared) -> std::io::Result<bool> {
    let config = &shared.config;
    let line = conn.text();
    let (verb, arg) = line.split_once(' ').map_or((line.as_str(), ""), |(v, a)| (v, a.trim()));
    {
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if arg.is_empty() => conn.reply("501 5.5.4 Syntax: EHLO hostname\r\n").await?,
            "EHLO" => {
                session.helo = Some(arg.to_owned());
                session.tx = None;
                let mut lines = vec![
                    format!("{} greets {arg}", config.hostname),
                    "PIPELINING".into(),
                    "8BITMIME".into(),
                    "SMTPUTF8".into(),
                    "ENHANCEDSTATUSCODES".into(),
                    format!("SIZE {}", config.max_size),
                ];
                if config.credentials.is_some() {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                let last = lines.len() - 1;
                let reply: String = lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                    .collect();
                conn.reply(&reply).await?;
            }
            "HELO" => {
                session.helo = Some(arg.to_owned());
                session.tx = None;
                conn.reply(&format!("250 {}\r\n", config.hostname)).await?;
            }
            "AUTH" => {
                let reply = authenticate(conn, session, config, arg).await?;
                conn.reply(reply).await?;
            }
            "MAIL" => {
                let reply = if session.helo.is_none() {
                    "503 5.5.1 Send EHLO first\r\n".to_owned()
                } else if config.credentials.is_some() && session.authenticated_as.is_none() {
                    "530 5.7.0 Authentication required\r\n".to_owned()
                } else if session.tx.is_some() {
                    "503 5.5.1 Nested MAIL command\r\n".to_owned()
                } else {
                    match path_arg(arg, "FROM:") {
                        None => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".to_owned(),
                        Some((from, params)) => {
                            let size = params.split_whitespace().find_map(|p| {
                                p.split_once('=').filter(|(k, _)| k.eq_ignore_ascii_case("SIZE")).map(|(_, v)| v)
                            });
                            if size.and_then(|s| s.parse::<usize>().ok()).is_some_and(|s| s > config.max_size) {
                                "552 5.3.4 Message size exceeds fixed limit\r\n".to_owned()
                            } else {
                                session.tx = Some(Transaction { from: from.to_owned(), rcpts: Vec::new() });
                                "250 2.1.0 Ok\r\n".to_owned()
                            }
                        }
                    }
                };
                conn.reply(&reply).await?;
            }
            "RCPT" => {
                let Some(tx) = session.tx.as_mut() else {
                    conn.reply("503 5.5.1 Need MAIL before RCPT\r\n").await?;
                    return Ok(true);
                };
                let reply = match path_arg(arg, "TO:") {
                    Some((to, _)) if !to.is_empty() => {
                        let scripted = scripted(shared, Stage::Rcpt, std::iter::once(to));
                        match scripted {
                            Some(reply) if !reply.starts_with('2') => reply,
                            _ if tx.rcpts.len() >= MAX_RECIPIENTS => "452 4.5.3 Too many recipients\r\n".to_owned(),
                            scripted => {
                                tx.rcpts.push(to.to_owned());
                                scripted.unwrap_or_else(|| "250 2.1.5 Ok\r\n".to_owned())
                            }
                        }
                    }
                    _ => "501 5.1.3 Syntax: RCPT TO:<address>\r\n".to_owned(),
                };
                conn.reply(&reply).await?;
                if reply.starts_with("421") {
                    return Ok(false);
                }
            }
            "DATA" => {
                let ready = session.tx.as_ref().is_some_and(|tx| !tx.rcpts.is_empty());
                if !ready {
                    let reply = if session.tx.is_some() {
                        "554 5.5.1 No valid recipients\r\n"
                    } else {
                        "503 5.5.1 Need MAIL first\r\n"
                    };
                    conn.reply(reply).await?;
                    return Ok(true);
                }
                conn.send("354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let Some(data) = read_data(conn, config.max_size).await? else {
                    return Ok(false); // the client went away mid-message
                };
                let Some(tx) = session.tx.take() else { return Ok(true) };
                let reply = match data {
                    Err(()) => "552 5.3.4 Message size exceeds fixed limit\r\n".to_owned(),
                    Ok(data) => match scripted(shared, Stage::Data, tx.rcpts.iter().map(String::as_str)) {
                        Some(reply) if !reply.starts_with('2') => reply,
                        _ => {
                            let n = accept(shared, session, tx, data);
                            format!("250 2.0.0 Ok: queued as {n}\r\n")
                        }
                    },
                };
                conn.reply(&reply).await?;
                if reply.starts_with("421") {
                    return Ok(false);
                }
            }
            "RSET" => {
                session.tx = None;
                conn.reply("250 2.0.0 Ok\r\n").await?;
            }
            "NOOP" => conn.reply("250 2.0.0 Ok\r\n").await?,
            "VRFY" => conn.reply("252 2.5.2 Cannot VRFY user, but will accept message\r\n").await?,
            "HELP" => conn.reply("214 2.0.0 EHLO HELO AUTH MAIL RCPT DATA RSET NOOP VRFY QUIT\r\n").await?,
            "QUIT" => {
                conn.reply("221 2.0.0 Bye\r\n").await?;
                return Ok(false);
            }
            _ => conn.reply("500 5.5.2 Command unrecognized\r\n").await?,
        }
    }
    Ok(true)
}

/// The reply of the latest rule for this stage matching one of the recipients.
fn scripted<'a>(shared: &Shared, stage: Stage, mut recipients: impl Iterator<Item = &'a str>) -> Option<String> {
    let rules = lock(&shared.rules);
    if rules.is_empty() {
        return None;
    }
    recipients.find_map(|to| {
        rules.iter().rev().find(|r| r.stage == stage && r.recipients.matches(to)).map(|r| r.reply.clone())
    })
}

/// Records an accepted message and wakes waiters; returns its sequence number.
fn accept(shared: &Shared, session: &Session, tx: Transaction, data: Vec<u8>) -> usize {
    let mut messages = lock(&shared.messages);
    if shared.config.keep_data {
        messages.push(ReceivedMessage {
            helo: session.helo.clone().unwrap_or_default(),
            authenticated_as: session.authenticated_as.clone(),
            mail_from: tx.from,
            rcpt_to: tx.rcpts,
            data,
        });
    }
    let n = shared.received.fetch_add(1, Ordering::AcqRel) + 1;
    drop(messages);
    shared.arrived.notify_waiters();
    n
}

/// Reads message content up to the lone dot, undoing dot-stuffing.
/// `None`: end of stream; `Some(Err(()))`: too large (read to the end and dropped).
async fn read_data(conn: &mut Conn, max_size: usize) -> std::io::Result<Option<Result<Vec<u8>, ()>>> {
    let mut data = Vec::with_capacity(8 * 1024);
    let mut too_large = false;
    loop {
        conn.ack_promptly();
        if !conn.read_line().await? {
            return Ok(None);
        }
        let line = conn.line.as_slice();
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        let content = line.strip_prefix(b".").unwrap_or(line);
        if data.len() + content.len() > max_size {
            too_large = true;
            data = Vec::new();
        }
        if !too_large {
            data.extend_from_slice(content);
        }
    }
    Ok(Some(if too_large { Err(()) } else { Ok(data) }))
}

/// AUTH PLAIN (RFC 4616) and LOGIN, with or without an initial response.
async fn authenticate(
    conn: &mut Conn,
    session: &mut Session,
    config: &SmtpSinkBuilder,
    arg: &str,
) -> std::io::Result<&'static str> {
    let Some((user, password)) = &config.credentials else {
        return Ok("502 5.5.1 AUTH not available\r\n");
    };
    if session.helo.is_none() || session.tx.is_some() || session.authenticated_as.is_some() {
        return Ok("503 5.5.1 AUTH not allowed now\r\n");
    }
    let (mechanism, initial) = arg.split_once(' ').map_or((arg, None), |(m, i)| (m, Some(i.trim().to_owned())));
    let decode = |s: &str| BASE64.decode(s.trim()).ok().and_then(|b| String::from_utf8(b).ok());
    let given = match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(i) => i,
                None => match challenge(conn, "334 \r\n").await? {
                    Some(r) => r,
                    None => return Ok("501 5.7.0 Authentication cancelled\r\n"),
                },
            };
            decode(&response).and_then(|plain| {
                let mut parts = plain.splitn(3, '\0');
                let (_authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
                Some((user.to_owned(), password.to_owned()))
            })
        }
        "LOGIN" => {
            let user_b64 = match initial {
                Some(i) => Some(i),
                None => challenge(conn, "334 VXNlcm5hbWU6\r\n").await?,
            };
            let Some(user_b64) = user_b64 else { return Ok("501 5.7.0 Authentication cancelled\r\n") };
            let Some(password_b64) = challenge(conn, "334 UGFzc3dvcmQ6\r\n").await? else {
                return Ok("501 5.7.0 Authentication cancelled\r\n");
            };
            decode(&user_b64).zip(decode(&password_b64))
        }
        _ => return Ok("504 5.5.4 Unrecognized authentication type\r\n"),
    };
    match given {
        Some((u, p)) if &u == user && &p == password => {
            session.authenticated_as = Some(u);
            Ok("235 2.7.0 Authentication successful\r\n")
        }
        _ => Ok("535 5.7.8 Authentication credentials invalid\r\n"),
    }
}

/// Sends a 334 challenge and reads the answer; `None` when the client cancels with `*`.
async fn challenge(conn: &mut Conn, prompt: &str) -> std::io::Result<Option<String>> {
    conn.send(prompt).await?;
    if !conn.read_line().await? {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let answer = conn.text();
    Ok((answer.trim() != "*").then_some(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw client: writes bytes, reads reply lines.
    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(sink: &SmtpSink) -> Self {
            let stream = TcpStream::connect(sink.addr()).await.expect("connect");
            let (read, writer) = stream.into_split();
            let mut client = Self { reader: BufReader::new(read), writer };
            assert!(client.reply().await.starts_with("220 "));
            client
        }

        async fn write(&mut self, bytes: &str) {
            self.writer.write_all(bytes.as_bytes()).await.expect("write");
        }

        /// One whole reply (multi-line replies joined with `|`).
        async fn reply(&mut self) -> String {
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                self.reader.read_line(&mut line).await.expect("read");
                let line = line.trim_end().to_owned();
                let more = line.as_bytes().get(3) == Some(&b'-');
                lines.push(line);
                if !more {
                    return lines.join("|");
                }
            }
        }
    }

    #[tokio::test]
    async fn pipelined_transaction_with_dot_stuffing_and_scripted_bounce() {
        let sink = SmtpSink::start().await.expect("sink");
        sink.reply_to_rcpt(Recipients::LocalPart("bounce".into()), 550, "5.1.1 no such user");
        let mut c = Client::connect(&sink).await;
        c.write(concat!(
            "EHLO client.test\r\nMAIL FROM:<a@agency.example> SIZE=100\r\n",
            "RCPT TO:<ok@example.org>\r\nRCPT TO:<Bounce@example.org>\r\nDATA\r\n"
        ))
        .await;
        let ehlo = c.reply().await;
        assert!(ehlo.contains("PIPELINING") && ehlo.ends_with("250 SIZE 33554432"), "{ehlo}");
        assert_eq!(c.reply().await, "250 2.1.0 Ok");
        assert_eq!(c.reply().await, "250 2.1.5 Ok");
        assert_eq!(c.reply().await, "550 5.1.1 no such user");
        assert!(c.reply().await.starts_with("354"));
        c.write("Subject: hi\r\n\r\n..leading dot\r\nline\r\n.\r\nNOOP\r\nQUIT\r\n").await;
        assert_eq!(c.reply().await, "250 2.0.0 Ok: queued as 1");
        assert_eq!(c.reply().await, "250 2.0.0 Ok");
        assert_eq!(c.reply().await, "221 2.0.0 Bye");
        let messages = sink.wait_for(1, Duration::from_secs(5)).await.expect("received");
        assert_eq!(messages[0].mail_from, "a@agency.example");
        assert_eq!(messages[0].rcpt_to, vec!["ok@example.org".to_owned()]);
        assert_eq!(messages[0].helo, "client.test");
        assert_eq!(messages[0].body(), b".leading dot\r\nline\r\n");
        assert_eq!(messages[0].header("subject").as_deref(), Some("hi"));
    }

    #[tokio::test]
    async fn sequence_errors_and_rset() {
        let sink = SmtpSink::start().await.expect("sink");
        sink.reply_to_data(Recipients::Domain("later.example".into()), 451, "4.3.0 try later");
        let mut c = Client::connect(&sink).await;
        c.write("MAIL FROM:<a@b.example>\r\n").await;
        assert!(c.reply().await.starts_with("503"));
        c.write("HELO client\r\nRCPT TO:<x@y.example>\r\n").await;
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("503"));
        c.write("MAIL FROM:<>\r\nDATA\r\nRSET\r\nBOGUS\r\n").await;
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("554"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("500"));
        c.write("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@later.example>\r\nDATA\r\n").await;
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("354"));
        c.write("\r\nbody\r\n.\r\n").await;
        assert_eq!(c.reply().await, "451 4.3.0 try later");
        assert_eq!(sink.received(), 0);
        assert_eq!(sink.wait_for(1, Duration::from_millis(50)).await, Err(WaitTimeout { expected: 1, received: 0 }));
    }

    #[tokio::test]
    async fn auth_plain_and_login() {
        let sink = SmtpSink::builder().credentials("user", "pa ss").start().await.expect("sink");
        let mut c = Client::connect(&sink).await;
        c.write("EHLO c\r\nMAIL FROM:<a@b.example>\r\n").await;
        assert!(c.reply().await.contains("AUTH PLAIN LOGIN"));
        assert!(c.reply().await.starts_with("530"));
        let wrong = BASE64.encode("\0user\0nope");
        c.write(&format!("AUTH PLAIN {wrong}\r\nAUTH PLAIN\r\n")).await;
        assert!(c.reply().await.starts_with("535"));
        assert_eq!(c.reply().await, "334");
        c.write(&format!("{}\r\n", BASE64.encode("\0user\0pa ss"))).await;
        assert!(c.reply().await.starts_with("235"));

        let mut c = Client::connect(&sink).await;
        c.write("EHLO c\r\nAUTH LOGIN\r\n").await;
        c.reply().await;
        assert_eq!(c.reply().await, "334 VXNlcm5hbWU6");
        c.write(&format!("{}\r\n", BASE64.encode("user"))).await;
        assert_eq!(c.reply().await, "334 UGFzc3dvcmQ6");
        c.write(&format!("{}\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n", BASE64.encode("pa ss")))
            .await;
        assert!(c.reply().await.starts_with("235"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("354"));
        c.write("\r\nx\r\n.\r\n").await;
        assert!(c.reply().await.starts_with("250"));
        let messages = sink.wait_for(1, Duration::from_secs(5)).await.expect("received");
        assert_eq!(messages[0].authenticated_as.as_deref(), Some("user"));
    }

    #[tokio::test]
    async fn oversized_messages_are_refused_and_counting_only_mode_keeps_nothing() {
        let sink = SmtpSink::builder().max_message_size(10).keep_data(false).start().await.expect("sink");
        let mut c = Client::connect(&sink).await;
        c.write(
            "EHLO c\r\nMAIL FROM:<a@b.example> SIZE=11\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n",
        )
        .await;
        c.reply().await;
        assert!(c.reply().await.starts_with("552"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("354"));
        c.write("\r\n0123456789abc\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n").await;
        assert!(c.reply().await.starts_with("552"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("250"));
        assert!(c.reply().await.starts_with("354"));
        c.write("\r\nsmall\r\n.\r\n").await;
        assert!(c.reply().await.starts_with("250"));
        assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await, Ok(Vec::new()));
        assert_eq!(sink.received(), 1);
        assert_eq!(sink.connections(), 1);
    }
}
