//! Persistence of browser sessions (the `publica_id` cookie): only the token's hash is kept.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

/// A browser session as stored.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub created_at: Timestamp,
    pub auth_time: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub aal: String,
    pub amr: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

type Row = (Uuid, Uuid, Timestamp, Timestamp, Timestamp, Timestamp, String, String, Option<String>, Option<String>);

fn from_row(r: Row) -> SessionRow {
    let (id, account_id, created_at, auth_time, last_seen_at, expires_at, aal, amr, ip, user_agent) = r;
    SessionRow {
        id,
        account_id,
        created_at,
        auth_time,
        last_seen_at,
        expires_at,
        aal,
        amr: serde_json::from_str(&amr).unwrap_or_default(),
        ip,
        user_agent,
    }
}

const COLUMNS: &str = "id, account_id, created_at, auth_time, last_seen_at, expires_at, aal, amr, ip, user_agent";

pub async fn insert_in(tx: &mut Tx, token_hash: &[u8], s: &SessionRow) -> Result<()> {
    let amr = serde_json::to_string(&s.amr).unwrap_or_else(|_| "[]".into());
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_sessions (id, token_hash, account_id, created_at, auth_time, last_seen_at, expires_at, aal, amr, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(s.id).bind(token_hash).bind(s.account_id).bind(s.created_at).bind(s.auth_time).bind(s.last_seen_at)
        .bind(s.expires_at).bind(&s.aal).bind(amr).bind(&s.ip).bind(&s.user_agent).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The session behind a cookie's hash, whatever its age (the caller checks the timeouts).
pub async fn by_token(db: &Db, token_hash: &[u8]) -> Result<Option<SessionRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM identity_sessions WHERE token_hash = $1"));
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await)?;
    Ok(row.map(from_row))
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<SessionRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM identity_sessions WHERE id = $1"));
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
    Ok(row.map(from_row))
}

/// The account's sessions, newest first.
pub async fn of_account(db: &Db, account_id: Uuid) -> Result<Vec<SessionRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identity_sessions WHERE account_id = $1 ORDER BY created_at DESC"
    ));
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(account_id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Note activity (the caller does so at most once a minute per session).
pub async fn touch(db: &Db, id: Uuid, at: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query("UPDATE identity_sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1")
        .bind(at).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A stronger authentication in the same session (step-up): its level, methods and time.
/// Raise a session's level, under a new token (the one the browser had stops working).
pub async fn raise(db: &Db, id: Uuid, token_hash: &[u8], aal: &str, amr: &[String], at: Timestamp) -> Result<()> {
    let amr = serde_json::to_string(amr).unwrap_or_else(|_| "[]".into());
    on_db!(db, pool => sqlx::query(
        "UPDATE identity_sessions SET token_hash = $1, aal = $2, amr = $3, auth_time = $4, last_seen_at = $4
         WHERE id = $5")
        .bind(token_hash).bind(aal).bind(amr).bind(at).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(db: &Db, id: Uuid) -> Result<bool> {
    let done = on_db!(db, pool => sqlx::query("DELETE FROM identity_sessions WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// End every session of the account but `keep`; returns the ids ended.
pub async fn delete_all_of(tx: &mut Tx, account_id: Uuid, keep: Option<Uuid>) -> Result<Vec<Uuid>> {
    let rows: Vec<(Uuid,)> = on_tx!(tx, c => sqlx::query_as(
        "DELETE FROM identity_sessions WHERE account_id = $1 AND ($2 IS NULL OR id <> $2) RETURNING id")
        .bind(account_id).bind(keep).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Delete sessions past their absolute end or idle for longer than `idle`.
pub async fn purge(db: &Db, now: Timestamp, idle: time::Duration) -> Result<Vec<Uuid>> {
    let idle_since = now.plus(-idle);
    let rows: Vec<(Uuid,)> = on_db!(db, pool => sqlx::query_as(
        "DELETE FROM identity_sessions WHERE expires_at < $1 OR last_seen_at < $2 RETURNING id")
        .bind(now).bind(idle_since).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
