//! Persistence of remembered devices: the hash of each browser's `publica_id_device` token,
//! whose account it is, when both factors were last checked there, and until when it counts.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

/// A remembered device as stored.
#[derive(Clone, Debug)]
pub struct DeviceRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: Timestamp,
    pub mfa_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Timestamp,
}

type Row = (Uuid, Uuid, Option<String>, Option<String>, Timestamp, Timestamp, Option<Timestamp>, Timestamp);

fn from_row(r: Row) -> DeviceRow {
    let (id, account_id, user_agent, ip, created_at, mfa_at, last_used_at, expires_at) = r;
    DeviceRow { id, account_id, user_agent, ip, created_at, mfa_at, last_used_at, expires_at }
}

const COLUMNS: &str = "id, account_id, user_agent, ip, created_at, mfa_at, last_used_at, expires_at";

pub async fn insert(tx: &mut Tx, token_hash: &[u8], d: &DeviceRow) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_remembered_devices (id, account_id, token_hash, user_agent, ip, created_at, mfa_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(d.id).bind(d.account_id).bind(token_hash).bind(&d.user_agent).bind(&d.ip).bind(d.created_at)
        .bind(d.mfa_at).bind(d.expires_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The device behind a token's hash, if it is still current.
pub async fn by_token(db: &Db, token_hash: &[u8], now: Timestamp) -> Result<Option<DeviceRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identity_remembered_devices WHERE token_hash = $1 AND expires_at > $2"
    ));
    let row: Option<Row> =
        on_db!(db, pool => sqlx::query_as(sql).bind(token_hash).bind(now).fetch_optional(pool).await)?;
    Ok(row.map(from_row))
}

/// The account's current devices, newest first.
pub async fn of_account(db: &Db, account_id: Uuid, now: Timestamp) -> Result<Vec<DeviceRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identity_remembered_devices WHERE account_id = $1 AND expires_at > $2
         ORDER BY created_at DESC, id DESC"
    ));
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(account_id).bind(now).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// A sign-in on the device without its second factor.
pub async fn used(db: &Db, id: Uuid, at: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query("UPDATE identity_remembered_devices SET last_used_at = $1 WHERE id = $2")
        .bind(at).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Both factors were checked on the device again.
pub async fn refreshed(db: &Db, id: Uuid, at: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query("UPDATE identity_remembered_devices SET mfa_at = $1, last_used_at = $1 WHERE id = $2")
        .bind(at).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Forget one of the account's devices; whether it was there.
pub async fn delete(tx: &mut Tx, account_id: Uuid, id: Uuid) -> Result<bool> {
    let done = on_tx!(tx, c => sqlx::query("DELETE FROM identity_remembered_devices WHERE id = $1 AND account_id = $2")
        .bind(id).bind(account_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Forget every device of the account; how many there were.
pub async fn delete_all_of(tx: &mut Tx, account_id: Uuid) -> Result<u64> {
    on_tx!(tx, c => sqlx::query("DELETE FROM identity_remembered_devices WHERE account_id = $1")
        .bind(account_id).execute(c).await.map(|r| r.rows_affected()))
    .map_err(Error::from)
}

/// Delete devices past their time.
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64> {
    on_db!(db, pool => sqlx::query("DELETE FROM identity_remembered_devices WHERE expires_at < $1")
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))
    .map_err(Error::from)
}
