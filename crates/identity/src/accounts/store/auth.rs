//! Persistence of authenticators and steps in progress: TOTP secrets, recovery codes, one-time
//! codes sent by email or SMS, and the flows (`publica_id_flow` cookie) that carry a person
//! from one page of a sign-up, sign-in or recovery to the next.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

/// A TOTP authenticator: the sealed secret, whether it is confirmed, the last step used.
#[derive(Clone, Debug)]
pub struct TotpRow {
    pub secret_sealed: Vec<u8>,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub last_step: Option<i64>,
}

pub async fn totp(db: &Db, account_id: Uuid) -> Result<Option<TotpRow>> {
    type Row = (Vec<u8>, Timestamp, Option<Timestamp>, Option<i64>);
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT secret_sealed, created_at, confirmed_at, last_step FROM identity_totp WHERE account_id = $1")
        .bind(account_id).fetch_optional(pool).await)?;
    Ok(row.map(|(secret_sealed, created_at, confirmed_at, last_step)| TotpRow {
        secret_sealed,
        created_at,
        confirmed_at,
        last_step,
    }))
}

/// Start (or restart) an enrolment with a new secret; a confirmed one is never replaced here.
pub async fn put_pending_totp(db: &Db, account_id: Uuid, sealed: &[u8]) -> Result<bool> {
    let now = Timestamp::now();
    let done = on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_totp (account_id, secret_sealed, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id) DO UPDATE SET secret_sealed = $2, created_at = $3, last_step = NULL
         WHERE identity_totp.confirmed_at IS NULL")
        .bind(account_id).bind(sealed).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Store a confirmed authenticator directly (the demo's known secrets), replacing any other.
pub async fn put_confirmed_totp(tx: &mut Tx, account_id: Uuid, sealed: &[u8]) -> Result<()> {
    let now = Timestamp::now();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_totp (account_id, secret_sealed, created_at, confirmed_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (account_id) DO UPDATE SET secret_sealed = $2, created_at = $3, confirmed_at = $3, last_step = NULL")
        .bind(account_id).bind(sealed).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Record that a code of `step` was used, unless one of that step or later was already:
/// whether this use is the first (two requests with one code cannot both succeed).
pub async fn use_totp_step(db: &Db, account_id: Uuid, step: i64, confirm: bool) -> Result<bool> {
    let now = Timestamp::now();
    let done = on_db!(db, pool => sqlx::query(
        "UPDATE identity_totp SET last_step = $1, confirmed_at = CASE WHEN $2 THEN COALESCE(confirmed_at, $3) ELSE confirmed_at END
         WHERE account_id = $4 AND (last_step IS NULL OR last_step < $1)
           AND (CASE WHEN $2 THEN confirmed_at IS NULL ELSE confirmed_at IS NOT NULL END)")
        .bind(step).bind(confirm).bind(now).bind(account_id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn delete_totp(tx: &mut Tx, account_id: Uuid) -> Result<bool> {
    let done = on_tx!(tx, c => sqlx::query("DELETE FROM identity_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL")
        .bind(account_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Replace the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(tx: &mut Tx, account_id: Uuid, hashes: &[Vec<u8>]) -> Result<()> {
    let now = Timestamp::now();
    on_tx!(tx, c => sqlx::query("DELETE FROM identity_recovery_codes WHERE account_id = $1")
        .bind(account_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    for hash in hashes {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO identity_recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(account_id).bind(hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

pub async fn delete_recovery_codes(tx: &mut Tx, account_id: Uuid) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM identity_recovery_codes WHERE account_id = $1")
        .bind(account_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Spend a recovery code: whether it was there and unused.
pub async fn use_recovery_code(db: &Db, account_id: Uuid, hash: &[u8]) -> Result<bool> {
    let done = on_db!(db, pool => sqlx::query(
        "UPDATE identity_recovery_codes SET used_at = $1 WHERE account_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(Timestamp::now()).bind(account_id).bind(hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Recovery codes left unused.
pub async fn recovery_codes_left(db: &Db, account_id: Uuid) -> Result<i64> {
    let (n,): (i64,) = on_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM identity_recovery_codes WHERE account_id = $1 AND used_at IS NULL")
        .bind(account_id).fetch_one(pool).await)?;
    Ok(n)
}

/// A one-time code as stored.
#[derive(Clone, Debug)]
pub struct CodeRow {
    pub id: Uuid,
    pub channel: String,
    pub code_hash: Vec<u8>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub tries: i32,
    pub used_at: Option<Timestamp>,
}

pub struct NewCode<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub purpose: &'a str,
    pub channel: &'a str,
    pub code_hash: &'a [u8],
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Store a code; the account's earlier codes for the same purpose stop working.
pub async fn insert_code(tx: &mut Tx, code: NewCode<'_>) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE identity_codes SET used_at = $1 WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(code.created_at).bind(code.account_id).bind(code.purpose).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_codes (id, account_id, purpose, channel, code_hash, created_at, expires_at, tries)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)")
        .bind(code.id).bind(code.account_id).bind(code.purpose).bind(code.channel).bind(code.code_hash)
        .bind(code.created_at).bind(code.expires_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The account's latest code for a purpose, used or not.
pub async fn latest_code(db: &Db, account_id: Uuid, purpose: &str) -> Result<Option<CodeRow>> {
    type Row = (Uuid, String, Vec<u8>, Timestamp, Timestamp, i32, Option<Timestamp>);
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, channel, code_hash, created_at, expires_at, tries, used_at FROM identity_codes
         WHERE account_id = $1 AND purpose = $2 ORDER BY created_at DESC LIMIT 1")
        .bind(account_id).bind(purpose).fetch_optional(pool).await)?;
    Ok(row.map(|(id, channel, code_hash, created_at, expires_at, tries, used_at)| CodeRow {
        id,
        channel,
        code_hash,
        created_at,
        expires_at,
        tries,
        used_at,
    }))
}

/// How many codes the account was sent since `since` (for any purpose).
pub async fn codes_sent_since(db: &Db, account_id: Uuid, since: Timestamp) -> Result<i64> {
    let (n,): (i64,) = on_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM identity_codes WHERE account_id = $1 AND created_at > $2")
        .bind(account_id).bind(since).fetch_one(pool).await)?;
    Ok(n)
}

/// Take one try of a code: whether a try was left (fewer than `max` so far, unused, unexpired).
pub async fn take_code_try(db: &Db, id: Uuid, max: i32, now: Timestamp) -> Result<bool> {
    let done = on_db!(db, pool => sqlx::query(
        "UPDATE identity_codes SET tries = tries + 1 WHERE id = $1 AND tries < $2 AND used_at IS NULL AND expires_at > $3")
        .bind(id).bind(max).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Spend a code: whether this call was the one that used it.
pub async fn use_code(db: &Db, id: Uuid, now: Timestamp) -> Result<bool> {
    let done = on_db!(db, pool => sqlx::query("UPDATE identity_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(now).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// A step in progress in one browser.
#[derive(Clone, Debug)]
pub struct FlowRow {
    pub id: Uuid,
    pub kind: String,
    pub account_id: Option<Uuid>,
    pub data: serde_json::Value,
    pub expires_at: Timestamp,
}

pub async fn insert_flow(
    db: &Db,
    token_hash: &[u8],
    kind: &str,
    account_id: Option<Uuid>,
    data: &serde_json::Value,
    expires_at: Timestamp,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_flows (id, token_hash, kind, account_id, data, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id).bind(token_hash).bind(kind).bind(account_id).bind(data.to_string()).bind(Timestamp::now())
        .bind(expires_at).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// The current flow behind a cookie's hash.
pub async fn flow(db: &Db, token_hash: &[u8], now: Timestamp) -> Result<Option<FlowRow>> {
    type Row = (Uuid, String, Option<Uuid>, String, Timestamp);
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, kind, account_id, data, expires_at FROM identity_flows WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash).bind(now).fetch_optional(pool).await)?;
    Ok(row.map(|(id, kind, account_id, data, expires_at)| FlowRow {
        id,
        kind,
        account_id,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
        expires_at,
    }))
}

pub async fn delete_flow(db: &Db, id: Uuid) -> Result<()> {
    on_db!(db, pool => sqlx::query("DELETE FROM identity_flows WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// End every flow of an account (a sign-up redone by someone else: the earlier browser's
/// verification stops working).
pub async fn delete_flows_of(tx: &mut Tx, account_id: Uuid) -> Result<u64> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM identity_flows WHERE account_id = $1")
        .bind(account_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n)
}

/// Mark every unused code of an account for a purpose as used, so that none of them works any
/// more (they stay, for the resend limits).
pub async fn spend_codes(tx: &mut Tx, account_id: Uuid, purpose: &str, now: Timestamp) -> Result<u64> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_codes SET used_at = $1 WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now).bind(account_id).bind(purpose).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n)
}

/// Delete what is past its time: flows, and codes expired for a day (kept that long so that a
/// late try is told "expired" rather than "wrong").
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64> {
    let day_ago = now.plus(time::Duration::days(-1));
    let flows = on_db!(db, pool => sqlx::query("DELETE FROM identity_flows WHERE expires_at < $1")
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    let codes = on_db!(db, pool => sqlx::query("DELETE FROM identity_codes WHERE expires_at < $1")
        .bind(day_ago).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(flows + codes)
}
