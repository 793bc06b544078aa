//! Daily quotas (per UTC day): per consumer subsystem and e-service (the agreement), per
//! e-service in total, and per purpose (its declared daily calls).
//!
//! Counting happens in memory, so a call costs no database write for its quota. Once a second
//! each process adds its new calls to `exchange_quota_usage` in one transaction and reads back
//! the day's totals, which include every other process's flushed calls. Within one process a
//! quota is exact. With several processes, each sees the others' calls at most about two
//! flush intervals late, so a quota can be exceeded by at most what the other processes admit
//! in those two seconds; after a restart a process starts from the durable counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use publica_kernel::db::Db;
use publica_kernel::error::Result;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::store::runtime as store;

/// How often counts are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// Which quota a count belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A consumer subsystem's calls to one e-service (its agreement).
    Agreement,
    /// All calls to one e-service.
    EService,
    /// Calls for one purpose.
    Purpose,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Agreement => "agreement",
            Scope::EService => "eservice",
            Scope::Purpose => "purpose",
        }
    }
    fn parse(text: &str) -> Option<Scope> {
        match text {
            "agreement" => Some(Scope::Agreement),
            "eservice" => Some(Scope::EService),
            "purpose" => Some(Scope::Purpose),
            _ => None,
        }
    }
}

/// One quota a call counts against.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub scope: Scope,
    pub subject: Uuid,
    /// Calls allowed per UTC day.
    pub per_day: i64,
}

/// The answer for one call: whether it may go ahead, and the most constraining quota for the
/// `RateLimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: i64,
    pub remaining: i64,
    /// Seconds until the quotas start over (UTC midnight).
    pub reset_seconds: i64,
    /// The quota that refused the call, if one did.
    pub exceeded: Option<Scope>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    day: Date,
    scope: Scope,
    subject: Uuid,
}

#[derive(Clone, Copy, Debug, Default)]
struct Counter {
    /// The durable total when last read (every process's flushed calls).
    base: i64,
    /// Calls being written by the running flush.
    inflight: i64,
    /// Calls not yet handed to a flush.
    pending: i64,
}

impl Counter {
    fn used(&self) -> i64 {
        self.base + self.inflight + self.pending
    }
}

/// The counters of this process; see the module documentation.
pub struct Quotas {
    db: Db,
    counters: Mutex<HashMap<Key, Counter>>,
}

impl Quotas {
    /// The counters and their flusher, which ends when they are dropped.
    pub fn start(db: Db) -> Arc<Quotas> {
        let quotas = Arc::new(Quotas { db, counters: Mutex::default() });
        tokio::spawn(flush_loop(Arc::downgrade(&quotas)));
        quotas
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Counter>> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count one call against every limit, or refuse it without counting when any is used up.
    pub async fn take(&self, limits: &[Limit]) -> Result<Decision> {
        let now = OffsetDateTime::now_utc();
        let day = now.date();
        let reset_seconds = seconds_to_midnight(now);
        let keys: Vec<Key> = limits.iter().map(|l| Key { day, scope: l.scope, subject: l.subject }).collect();
        let missing: Vec<Key> = {
            let counters = self.lock();
            keys.iter().filter(|k| !counters.contains_key(k)).copied().collect()
        };
        for key in missing {
            let base = store::calls(&self.db, &day_text(day), key.scope.as_str(), key.subject).await?;
            self.lock().entry(key).or_insert(Counter { base, ..Counter::default() });
        }
        let mut counters = self.lock();
        let mut tightest = Decision { allowed: true, limit: 0, remaining: i64::MAX, reset_seconds, exceeded: None };
        for (limit, key) in limits.iter().zip(&keys) {
            let used = counters.get(key).map(Counter::used).unwrap_or(0);
            let remaining = limit.per_day - used;
            if remaining <= 0 {
                return Ok(Decision {
                    allowed: false,
                    limit: limit.per_day,
                    remaining: 0,
                    reset_seconds,
                    exceeded: Some(limit.scope),
                });
            }
            if remaining - 1 < tightest.remaining {
                tightest.limit = limit.per_day;
                tightest.remaining = remaining - 1;
            }
        }
        for key in &keys {
            counters.entry(*key).or_default().pending += 1;
        }
        if tightest.remaining == i64::MAX {
            tightest.remaining = 0;
        }
        Ok(tightest)
    }

    /// Write new calls and read back the day's totals (every process's).
    pub async fn flush(&self) -> Result<()> {
        let today = OffsetDateTime::now_utc().date();
        let batch: Vec<(Key, i64)> = {
            let mut counters = self.lock();
            counters.retain(|k, c| k.day >= today || c.pending > 0 || c.inflight > 0);
            counters
                .iter_mut()
                .filter(|(_, c)| c.pending > 0)
                .map(|(k, c)| {
                    let delta = c.pending;
                    c.inflight += delta;
                    c.pending = 0;
                    (*k, delta)
                })
                .collect()
        };
        if !batch.is_empty() {
            match self.write(&batch).await {
                Ok(totals) => {
                    let mut counters = self.lock();
                    for ((key, delta), total) in batch.iter().zip(totals) {
                        if let Some(c) = counters.get_mut(key) {
                            c.inflight -= delta;
                            c.base = total;
                        }
                    }
                }
                Err(e) => {
                    let mut counters = self.lock();
                    for (key, delta) in &batch {
                        if let Some(c) = counters.get_mut(key) {
                            c.inflight -= delta;
                            c.pending += delta;
                        }
                    }
                    return Err(e);
                }
            }
        }
        let rows = store::calls_of_day(&self.db, &day_text(today)).await?;
        let mut counters = self.lock();
        for (scope, subject, calls) in rows {
            let Some(scope) = Scope::parse(&scope) else { continue };
            if let Some(c) = counters.get_mut(&Key { day: today, scope, subject })
                && c.inflight == 0
            {
                c.base = c.base.max(calls);
            }
        }
        counters.retain(|k, c| k.day >= today || c.pending > 0 || c.inflight > 0);
        Ok(())
    }

    async fn write(&self, batch: &[(Key, i64)]) -> Result<Vec<i64>> {
        let mut tx = self.db.begin().await?;
        let mut totals = Vec::with_capacity(batch.len());
        for (key, delta) in batch {
            totals.push(store::add_calls(&mut tx, &day_text(key.day), key.scope.as_str(), key.subject, *delta).await?);
        }
        tx.commit().await?;
        Ok(totals)
    }
}

async fn flush_loop(quotas: Weak<Quotas>) {
    loop {
        tokio::time::sleep(FLUSH_INTERVAL).await;
        let Some(quotas) = quotas.upgrade() else { return };
        if let Err(e) = quotas.flush().await {
            tracing::warn!(error = %e, "exchange: cannot write the daily call counts; retrying");
        }
    }
}

/// `2026-03-14`: how a day is stored.
pub fn day_text(day: Date) -> String {
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

/// Seconds until the next UTC midnight (at least 1).
pub fn seconds_to_midnight(now: OffsetDateTime) -> i64 {
    let elapsed = i64::from(now.hour()) * 3600 + i64::from(now.minute()) * 60 + i64::from(now.second());
    (86_400 - elapsed).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_resets() {
        let at = time::macros::datetime!(2026-03-14 23:59:30 UTC);
        assert_eq!(day_text(at.date()), "2026-03-14");
        assert_eq!(seconds_to_midnight(at), 30);
        assert_eq!(seconds_to_midnight(time::macros::datetime!(2026-03-14 00:00:00 UTC)), 86_400);
    }
}
