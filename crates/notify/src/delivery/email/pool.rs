//! A small pool of SMTP connections to one relay: at most `size` messages in flight, each on a
//! connection of its own. A connection is reused while healthy (after RSET when the relay refused
//! a message), replaced when the relay has closed it, and closed after `idle_limit` unused.
//! MAIL, RCPT and DATA go in one write when the relay offers PIPELINING.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::{Category, Code, Detail, Response, Severity};
use tokio::sync::Semaphore;

use super::relay::{Relay, Session};
use super::{classify, technical};
use crate::delivery::DeliveryError;

/// "421 service not available, closing transmission channel": the relay is ending the session.
const CLOSING: Code =
    Code { severity: Severity::TransientNegativeCompletion, category: Category::Connections, detail: Detail::One };

pub(super) struct Pool {
    relay: Relay,
    /// Parked connections, oldest first.
    idle: Mutex<Vec<Parked>>,
    permits: Semaphore,
    idle_limit: Duration,
}

struct Parked {
    session: Session,
    since: Instant,
}

/// How a message's transaction failed, which decides what becomes of its connection.
enum Failure {
    /// Nothing was sent: the connection is as it was.
    Unsendable(DeliveryError),
    /// MAIL found the connection closed, or the relay closing it: the relay has nothing of this message.
    Closed(SmtpError),
    /// The relay refused the message with a reply; the session goes on after RSET.
    Refused(SmtpError),
    /// A timeout or a broken connection: the session's state is unknown.
    Broken(DeliveryError),
}

impl Pool {
    pub(super) fn new(relay: Relay, size: usize, idle_limit: Duration) -> Self {
        Self {
            relay,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size.clamp(1, Semaphore::MAX_PERMITS)),
            idle_limit,
        }
    }

    /// Sends one message (`message` is the formatted content) and returns the relay's reply.
    pub(super) async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, DeliveryError> {
        let _permit =
            self.permits.acquire().await.map_err(|_| DeliveryError::Temporary("the SMTP sender is closed".into()))?;
        loop {
            let (mut session, reused) = match self.checkout() {
                Some(session) => (session, true),
                None => (self.relay.connect().await?, false),
            };
            return match self.transaction(&mut session, envelope, message).await {
                Ok(response) => {
                    self.park(session);
                    Ok(response)
                }
                // A relay closes sessions idle too long; a new connection is the next try.
                Err(Failure::Closed(e)) if reused => {
                    tracing::debug!(relay = %self.relay.address(), "pooled SMTP connection was closed ({e}): replacing it");
                    continue;
                }
                Err(Failure::Closed(e)) => Err(classify(&e)),
                Err(Failure::Unsendable(e)) => {
                    self.park(session);
                    Err(e)
                }
                Err(Failure::Refused(e)) => {
                    if matches!(tokio::time::timeout(self.relay.timeout, session.smtp.command(Rset)).await, Ok(Ok(_))) {
                        self.park(session);
                    }
                    Err(classify(&e))
                }
                Err(Failure::Broken(e)) => Err(e),
            };
        }
    }

    /// MAIL, RCPT, DATA and the content, each reply within the timeout.
    async fn transaction(
        &self,
        session: &mut Session,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Response, Failure> {
        let conn = &mut session.smtp;
        let parameters = mail_parameters(conn, envelope, message).map_err(Failure::Unsendable)?;
        let mail = Mail::new(envelope.from().cloned(), parameters);
        let rcpts: Vec<Rcpt> = envelope.to().iter().map(|to| Rcpt::new(to.clone(), Vec::new())).collect();
        if session.pipelining {
            self.pipelined(conn, &Commands { mail: &mail, rcpts: &rcpts }).await?;
        } else {
            self.first_reply(conn.command(&mail)).await?;
            for rcpt in &rcpts {
                self.exchange("RCPT TO", conn.command(rcpt)).await?;
            }
            self.exchange("DATA", conn.command(Data)).await?;
        }
        self.exchange("the message content", conn.message(message)).await
    }

    /// MAIL, RCPT and DATA in one write; every reply is read so the session stays in step.
    async fn pipelined(&self, conn: &mut AsyncSmtpConnection, commands: &Commands<'_>) -> Result<(), Failure> {
        let mut refused = match self.first_reply(conn.command(commands)).await {
            Ok(()) => None,
            Err(Failure::Refused(e)) => Some(e),
            Err(failure) => return Err(failure),
        };
        let mut data_accepted = false;
        for step in 0..=commands.rcpts.len() {
            let data = step == commands.rcpts.len();
            match self.exchange(if data { "DATA" } else { "RCPT TO" }, conn.read_response()).await {
                Ok(_) => data_accepted = data,
                Err(Failure::Refused(e)) => {
                    refused.get_or_insert(e);
                }
                Err(failure) => return Err(failure),
            }
        }
        match refused {
            None => Ok(()),
            // The relay waits for content that will not come: only closing the connection ends that.
            Some(e) if data_accepted => Err(Failure::Broken(classify(&e))),
            Some(e) => Err(Failure::Refused(e)),
        }
    }

    /// The reply to MAIL: a connection found closed then is told apart, as nothing was taken.
    async fn first_reply(&self, exchange: impl Future<Output = Result<Response, SmtpError>>) -> Result<(), Failure> {
        match tokio::time::timeout(self.relay.timeout, exchange).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if !is_reply(&e) || e.status() == Some(CLOSING) => Err(Failure::Closed(e)),
            Ok(Err(e)) => Err(Failure::Refused(e)),
            Err(_) => Err(Failure::Broken(self.relay.timed_out("MAIL FROM"))),
        }
    }

    async fn exchange(
        &self,
        what: &str,
        exchange: impl Future<Output = Result<Response, SmtpError>>,
    ) -> Result<Response, Failure> {
        match tokio::time::timeout(self.relay.timeout, exchange).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) if is_reply(&e) && e.status() != Some(CLOSING) => Err(Failure::Refused(e)),
            Ok(Err(e)) => Err(Failure::Broken(classify(&e))),
            Err(_) => Err(Failure::Broken(self.relay.timed_out(what))),
        }
    }

    /// The most recently used idle session; those unused for too long are closed.
    fn checkout(&self) -> Option<Session> {
        let mut idle = lock(&self.idle);
        let expired = idle.partition_point(|p| p.since.elapsed() >= self.idle_limit);
        let stale: Vec<Parked> = idle.drain(..expired).collect();
        let session = idle.pop().map(|p| p.session);
        drop(idle);
        if !stale.is_empty() {
            let timeout = self.relay.timeout;
            tokio::spawn(async move {
                for mut parked in stale {
                    let _ = tokio::time::timeout(timeout, parked.session.smtp.quit()).await;
                }
            });
        }
        session
    }

    fn park(&self, session: Session) {
        if !session.smtp.has_broken() {
            let mut idle = lock(&self.idle);
            idle.push(Parked { session, since: Instant::now() });
        }
    }
}

/// MAIL, RCPT and DATA as one pipelined batch.
struct Commands<'a> {
    mail: &'a Mail,
    rcpts: &'a [Rcpt],
}

impl fmt::Display for Commands<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.mail.fmt(f)?;
        for rcpt in self.rcpts {
            rcpt.fmt(f)?;
        }
        Data.fmt(f)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An answer from the relay (4xx/5xx), as opposed to a network or protocol failure.
fn is_reply(e: &SmtpError) -> bool {
    e.is_transient() || e.is_permanent()
}

/// SMTPUTF8 and 8BITMIME when the envelope or content need them (RFC 6531, RFC 6152).
fn mail_parameters(
    conn: &AsyncSmtpConnection,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Vec<MailParameter>, DeliveryError> {
    let server = conn.server_info();
    let mut parameters = Vec::new();
    if envelope.from().into_iter().chain(envelope.to()).any(|a| !AsRef::<str>::as_ref(a).is_ascii()) {
        if !server.supports_feature(Extension::SmtpUtfEight) {
            return Err(technical("an address is not ASCII and the SMTP relay does not offer SMTPUTF8"));
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        if !server.supports_feature(Extension::EightBitMime) {
            return Err(technical("the message is not ASCII and the SMTP relay does not offer 8BITMIME"));
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}
