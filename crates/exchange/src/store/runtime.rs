//! What the token endpoint and the gateway write and read besides the catalogue: client
//! assertions already used, durable daily call counts, and the authorisation version.

use publica_kernel::db::{Db, Timestamp, Tx, unique_violation};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

/// The current authorisation version (bumped by every lifecycle change).
pub async fn state_version(db: &Db) -> Result<i64> {
    Ok(on_db!(db, pool => sqlx::query_scalar("SELECT version FROM exchange_state WHERE id = 1").fetch_one(pool).await?))
}

/// Remember a client assertion's `jti` until it expires; `false` when it was already used.
pub async fn use_assertion(db: &Db, client_id: Uuid, jti: &str, expires_at: Timestamp) -> Result<bool> {
    let inserted = on_db!(db, pool => sqlx::query(
        "INSERT INTO exchange_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)")
        .bind(client_id).bind(jti).bind(expires_at).execute(pool).await.map(|_| ()));
    match inserted {
        Ok(()) => Ok(true),
        Err(e) if unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Forget assertions past their expiry: they can no longer be replayed anyway.
pub async fn purge_assertions(db: &Db, now: Timestamp) -> Result<u64> {
    let result = on_db!(db, pool => sqlx::query("DELETE FROM exchange_assertions WHERE expires_at < $1")
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(result)
}

/// Add `delta` calls to a day's count and return the new total (every process's calls).
pub async fn add_calls(tx: &mut Tx, day: &str, scope: &str, subject: Uuid, delta: i64) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO exchange_quota_usage (day, scope, subject, calls) VALUES ($1, $2, $3, $4)
         ON CONFLICT (day, scope, subject) DO UPDATE SET calls = exchange_quota_usage.calls + excluded.calls
         RETURNING calls")
        .bind(day).bind(scope).bind(subject).bind(delta).fetch_one(c).await?))
}

/// A day's recorded count for one scope and subject (0 when none).
pub async fn calls(db: &Db, day: &str, scope: &str, subject: Uuid) -> Result<i64> {
    let found: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT calls FROM exchange_quota_usage WHERE day = $1 AND scope = $2 AND subject = $3")
        .bind(day).bind(scope).bind(subject).fetch_optional(pool).await?);
    Ok(found.unwrap_or(0))
}

/// Every recorded count of a day: `(scope, subject, calls)`.
pub async fn calls_of_day(db: &Db, day: &str) -> Result<Vec<(String, Uuid, i64)>> {
    Ok(on_db!(db, pool => sqlx::query("SELECT scope, subject, calls FROM exchange_quota_usage WHERE day = $1")
        .bind(day).fetch_all(pool).await?.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// Drop counts of days before `day` (ISO dates sort as text).
pub async fn purge_calls_before(db: &Db, day: &str) -> Result<u64> {
    let result = on_db!(db, pool => sqlx::query("DELETE FROM exchange_quota_usage WHERE day < $1")
        .bind(day).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(result)
}
