//! Persistence of throttling counters: one row per key, updated under a row lock so that
//! several processes count the same failures.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};

/// A counter as read under its lock.
#[derive(Clone, Debug)]
pub struct Counter {
    pub failures: i32,
    pub blocked_until: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// Attempts being checked now, and when that count last changed.
    pub in_flight: i32,
    pub in_flight_at: Option<Timestamp>,
}

/// Read counters and hold their rows until the transaction ends (created at zero if missing),
/// in one statement; the counters in the order of `keys`. The no-op update is what makes
/// RETURNING give an existing row, and on PostgreSQL it locks that row as `FOR UPDATE` would;
/// SQLite's transactions hold the write lock from their first statement.
pub async fn lock_all(tx: &mut Tx, keys: &[&str], now: Timestamp) -> Result<Vec<Counter>> {
    type Row = (String, i32, Option<Timestamp>, Timestamp, i32, Option<Timestamp>);
    let values: Vec<String> = (0..keys.len()).map(|i| format!("(${}, 0, $1)", i + 2)).collect();
    let sql = format!(
        "INSERT INTO identity_throttle (key, failures, updated_at) VALUES {}
         ON CONFLICT (key) DO UPDATE SET key = excluded.key
         RETURNING key, failures, blocked_until, updated_at, in_flight, in_flight_at",
        values.join(", ")
    );
    let rows: Vec<Row> = on_tx!(tx, c => {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(now);
        for key in keys {
            q = q.bind(*key);
        }
        q.fetch_all(c).await
    })?;
    keys.iter()
        .map(|key| {
            let (_, failures, blocked_until, updated_at, in_flight, in_flight_at) =
                rows.iter().find(|r| r.0 == *key).ok_or_else(|| {
                    publica_kernel::error::Error::internal(format!("throttle counter {key} not returned"))
                })?;
            Ok(Counter {
                failures: *failures,
                blocked_until: *blocked_until,
                updated_at: *updated_at,
                in_flight: *in_flight,
                in_flight_at: *in_flight_at,
            })
        })
        .collect()
}

/// When a claim is made: `now`; attempts in flight counted since `pending_since` (older ones
/// ended without a word); failures counted since `forget_before`.
#[derive(Clone, Copy, Debug)]
pub struct ClaimAt {
    pub now: Timestamp,
    pub pending_since: Timestamp,
    pub forget_before: Timestamp,
}

/// Claim one attempt in flight on every counter, in one statement, if each allows it, and
/// return the keys claimed: all of them, or none when one refuses. A counter allows it when
/// its wait is over and it has fewer attempts in flight than free failures left (`free` minus
/// its failures), and always one. A counter that does not exist yet is made with the attempt
/// in flight. SQLite writes one statement at a time, so there all or none are claimed; on
/// PostgreSQL each row's `ON CONFLICT … WHERE` is evaluated again on the latest version of
/// the locked row, so a counter changed by another process since the statement's snapshot is
/// never claimed beyond its room, and the keys returned may then be some of them.
pub async fn claim_all(db: &Db, keys: &[(&str, i32)], at: ClaimAt) -> Result<Vec<String>> {
    const T: &str = "identity_throttle";
    let names: Vec<String> = (0..keys.len()).map(|i| format!("${}", 2 * i + 4)).collect();
    let values: Vec<String> = names.iter().map(|n| format!("({n})")).collect();
    let free: String = (0..keys.len()).map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 4, 2 * i + 5)).collect();
    let in_flight = format!("(CASE WHEN {T}.in_flight_at >= $2 THEN {T}.in_flight ELSE 0 END)");
    let failures = format!("(CASE WHEN {T}.updated_at < $3 THEN 0 ELSE {T}.failures END)");
    let allows = format!(
        "(({T}.blocked_until IS NULL OR {T}.blocked_until <= $1)
          AND ({in_flight} <= 0 OR {in_flight} + {failures} < (CASE {T}.key{free} END)))"
    );
    let sql = format!(
        "INSERT INTO {T} (key, failures, updated_at, in_flight, in_flight_at)
         SELECT column1, 0, $1, 1, $1 FROM (VALUES {}) AS claimed
         WHERE NOT EXISTS (SELECT 1 FROM {T} WHERE {T}.key IN ({}) AND NOT {allows})
         ON CONFLICT (key) DO UPDATE SET in_flight = {in_flight} + 1, in_flight_at = $1 WHERE {allows}
         RETURNING key",
        values.join(", "),
        names.join(", ")
    );
    Ok(on_db!(db, pool => {
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).bind(at.now).bind(at.pending_since).bind(at.forget_before);
        for (key, free) in keys {
            q = q.bind(*key).bind(*free);
        }
        q.fetch_all(pool).await
    })?)
}

/// The waits of counters (none for a counter that does not exist).
pub async fn waits(db: &Db, keys: &[&str]) -> Result<Vec<Option<Timestamp>>> {
    let list: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!("SELECT blocked_until FROM identity_throttle WHERE key IN ({})", list.join(", "));
    Ok(on_db!(db, pool => {
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()));
        for key in keys {
            q = q.bind(*key);
        }
        q.fetch_all(pool).await
    })?)
}

/// Write the failures and the attempts in flight of a counter (an attempt that ended in
/// failure).
pub async fn set_failed(
    tx: &mut Tx,
    key: &str,
    failures: i32,
    blocked_until: Option<Timestamp>,
    in_flight: i32,
    now: Timestamp,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE identity_throttle SET failures = $1, blocked_until = $2, updated_at = $3, in_flight = $4,
         in_flight_at = $3 WHERE key = $5")
        .bind(failures).bind(blocked_until).bind(now).bind(in_flight).bind(key).execute(c).await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One attempt fewer in flight on each of `keys`, in one statement: none when a count is
/// older than `stale_before` (as reading it under [`lock_all`] and then setting the count would
/// have it); and the run of failures of `clear` (one of the keys, if any) over, its wait with
/// it. A missing counter stays missing.
pub async fn release_all(
    tx: &mut Tx,
    keys: &[&str],
    clear: Option<&str>,
    stale_before: Timestamp,
    now: Timestamp,
) -> Result<()> {
    let list: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "UPDATE identity_throttle SET failures = CASE WHEN key = $3 THEN 0 ELSE failures END,
         blocked_until = CASE WHEN key = $3 THEN NULL ELSE blocked_until END,
         in_flight = CASE WHEN in_flight_at >= $1 AND in_flight > 0 THEN in_flight - 1 ELSE 0 END,
         in_flight_at = $2 WHERE key IN ({})",
        list.join(", ")
    );
    on_tx!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(stale_before).bind(now).bind(clear);
        for key in keys {
            q = q.bind(*key);
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Forget counters untouched since `before` and not blocking any more.
pub async fn purge(tx: &mut Tx, before: Timestamp, now: Timestamp) -> Result<u64> {
    let done = on_tx!(tx, c => sqlx::query(
        "DELETE FROM identity_throttle WHERE updated_at < $1 AND (blocked_until IS NULL OR blocked_until < $2)")
        .bind(before).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done)
}
