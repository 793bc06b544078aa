//! Throttling of guesses, per account and address (the address the request came from) and per
//! address alone, counted in the database so that several processes share the counts. After
//! `free` consecutive failures, each further attempt must wait 2^(n − free) seconds after the
//! last, up to 15 minutes; the request is refused at once with the time to come back, never
//! made to sleep. The lockout of the account itself after `lockout_after_failures` is counted
//! on the account (see `service`).
//!
//! Attempts in flight are counted apart from failures (on the counter's own row):
//! a guess is claimed before it is checked, and at most as many may be in flight as there are
//! free failures left (at least one), so that a burst of parallel guesses cannot all slip
//! through before the first failure is written. Only a failure counts towards the delays, so
//! that many right answers at once (an office behind one address) never block anyone. Each
//! claim ends with [`succeeded`] or [`failed`]; one that never does (a crashed request) stops
//! counting after a minute.

use publica_kernel::crypto::sha256;
use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;

use super::store::throttle as store;

/// Failures allowed per account and address before delays start.
pub const ACCOUNT_IP_FREE: i32 = 5;
/// Failures allowed per address (all accounts) before delays start: offices and homes share
/// addresses, so more than per account.
pub const IP_FREE: i32 = 20;
/// The longest wait.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
/// A counter untouched this long starts again from zero.
const FORGET_AFTER: time::Duration = time::Duration::hours(24);

/// The counters an attempt to sign in to one account from one address goes through.
#[derive(Clone, Debug)]
pub struct Keys {
    /// Per account (named by its email address, so that unknown addresses count too) and address.
    pub account_ip: String,
    /// `None` when the address is unknown (the server does not pass it on): then unknown
    /// clients are not all counted as one.
    pub ip: Option<String>,
}

impl Keys {
    pub fn new(email: &str, ip: Option<&str>) -> Keys {
        let email_hash: String =
            sha256(email.trim().to_lowercase().as_bytes())[..12].iter().map(|b| format!("{b:02x}")).collect();
        Keys {
            account_ip: format!("acct-ip:{email_hash}:{}", ip.unwrap_or("unknown")),
            ip: ip.map(|ip| format!("ip:{ip}")),
        }
    }

    /// Each counter's key with its free failures.
    fn all(&self) -> Vec<(&str, i32)> {
        let mut keys = vec![(self.account_ip.as_str(), ACCOUNT_IP_FREE)];
        if let Some(ip) = &self.ip {
            keys.push((ip.as_str(), IP_FREE));
        }
        keys
    }

    fn names(&self) -> Vec<&str> {
        self.all().into_iter().map(|(key, _)| key).collect()
    }
}

/// How long to wait after the `failures`-th failure in a row.
pub fn delay(failures: i32, free: i32) -> Option<time::Duration> {
    if failures < free {
        return None;
    }
    let exponent = failures - free;
    let seconds = if exponent >= 10 { MAX_DELAY_SECONDS } else { (1i64 << exponent).min(MAX_DELAY_SECONDS) };
    Some(time::Duration::seconds(seconds))
}

/// How long an attempt in flight counts when nothing ends it.
const PENDING_FOR: time::Duration = time::Duration::minutes(1);

/// The attempts in flight a counter holds now (none once nothing changed them for a minute).
fn in_flight(counter: &store::Counter, now: Timestamp) -> i32 {
    match counter.in_flight_at {
        Some(at) if at.plus(PENDING_FOR) >= now => counter.in_flight,
        _ => 0,
    }
}

/// The counters an attempt goes through, each with its free failures, read and held until the
/// transaction ends.
async fn lock<'k>(tx: &mut Tx, keys: &'k Keys, now: Timestamp) -> Result<Vec<((&'k str, i32), store::Counter)>> {
    let counters = store::lock_all(tx, &keys.names(), now).await?;
    Ok(keys.all().into_iter().zip(counters).collect())
}

/// Take an attempt: `Err(until)` when one of the counters says to wait until then, or when as
/// many attempts are in flight as there are free failures left (then: a second); nothing is
/// counted. `Ok` when the attempt may go ahead; it is in flight until [`succeeded`] or
/// [`failed`]. Either answer costs one statement that writes, and a refusal one that reads.
///
/// `db` may be (and for sign-ins is) a [`Db::unsynced`] handle: an attempt in flight means
/// nothing after a crash, and a claim that goes ahead ends in [`succeeded`] or [`failed`],
/// whose ordinary commit makes the claim durable too before anything is answered; so the
/// claim's own commit need not wait for the disk (one sync less per attempt).
pub async fn claim(db: &Db, keys: &Keys, now: Timestamp) -> Result<std::result::Result<(), Timestamp>> {
    let all = keys.all();
    let at = store::ClaimAt { now, pending_since: now.plus(-PENDING_FOR), forget_before: now.plus(-FORGET_AFTER) };
    let claimed = store::claim_all(db, &all, at).await?;
    if claimed.len() == all.len() {
        return Ok(Ok(()));
    }
    if !claimed.is_empty() {
        // Another process took a counter's last room between the check and the claim
        // (PostgreSQL only): what the others took is given back.
        let claimed: Vec<&str> = claimed.iter().map(String::as_str).collect();
        let mut tx = db.begin().await?;
        store::release_all(&mut tx, &claimed, None, at.pending_since, now).await?;
        tx.commit().await?;
    }
    let waits = store::waits(db, &keys.names()).await?;
    Ok(Err(waits.into_iter().flatten().fold(now.plus(time::Duration::seconds(1)), Timestamp::max)))
}

/// The attempt succeeded: it is no longer in flight, and the account-and-address run of
/// failures ends (the address's failures stay: they may be other accounts').
pub async fn succeeded(db: &Db, keys: &Keys, now: Timestamp) -> Result<()> {
    let mut tx = db.begin().await?;
    succeeded_in(&mut tx, keys, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`succeeded`] inside the caller's transaction, in one statement.
pub async fn succeeded_in(tx: &mut Tx, keys: &Keys, now: Timestamp) -> Result<()> {
    store::release_all(tx, &keys.names(), Some(&keys.account_ip), now.plus(-PENDING_FOR), now).await
}

/// The attempt failed: it is no longer in flight, and it counts as a failure on every counter,
/// starting or lengthening the wait.
pub async fn failed(db: &Db, keys: &Keys, now: Timestamp) -> Result<()> {
    let mut tx = db.begin().await?;
    failed_in(&mut tx, keys, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`failed`] inside the caller's transaction (with the account's own failure count, so that a
/// wrong password for an account costs one commit, as one for an unknown address does).
pub async fn failed_in(tx: &mut Tx, keys: &Keys, now: Timestamp) -> Result<()> {
    for ((key, free), counter) in lock(tx, keys, now).await? {
        let stale = counter.updated_at < now.plus(-FORGET_AFTER);
        let failures = if stale { 1 } else { counter.failures + 1 };
        let blocked_until = delay(failures, free).map(|d| now.plus(d));
        let in_flight = (in_flight(&counter, now) - 1).max(0);
        store::set_failed(tx, key, failures, blocked_until, in_flight, now).await?;
    }
    Ok(())
}

/// Forget counters that stopped mattering.
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64> {
    let mut tx = db.begin().await?;
    let n = store::purge(&mut tx, now.plus(-FORGET_AFTER), now).await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_after_the_free_attempts_up_to_fifteen_minutes() {
        assert_eq!(delay(4, 5), None);
        assert_eq!(delay(5, 5), Some(time::Duration::seconds(1)));
        assert_eq!(delay(6, 5), Some(time::Duration::seconds(2)));
        assert_eq!(delay(12, 5), Some(time::Duration::seconds(128)));
        assert_eq!(delay(14, 5), Some(time::Duration::seconds(512)));
        assert_eq!(delay(15, 5), Some(time::Duration::seconds(900)));
        assert_eq!(delay(1000, 5), Some(time::Duration::seconds(900)));
    }

    #[test]
    fn keys_name_the_account_by_a_hash_of_its_address() {
        let keys = Keys::new(" Ana@Example.org ", Some("203.0.113.7"));
        assert_eq!(keys.ip.as_deref(), Some("ip:203.0.113.7"));
        assert_eq!(Keys::new("ana@example.org", None).ip, None);
        assert!(keys.account_ip.starts_with("acct-ip:") && keys.account_ip.ends_with(":203.0.113.7"));
        assert!(!keys.account_ip.contains("ana"));
        assert_eq!(keys.account_ip, Keys::new("ana@example.org", Some("203.0.113.7")).account_ip);
    }
}
