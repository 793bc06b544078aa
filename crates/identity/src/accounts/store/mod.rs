//! Persistence of accounts, on SQLite and PostgreSQL alike; the other tables of this part are
//! in the submodules.

pub mod activity;
pub mod auth;
pub mod devices;
pub mod sessions;
pub mod throttle;
pub mod webauthn;

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use super::domain::Account;
use crate::domain::AccountKind;

const ACCOUNT_COLUMNS: &str = "id, kind, email, email_verified_at, name, phone, phone_verified_at, member_id, \
    password_hash, password_single_factor, password_changed_at, created_at, failed_attempts, last_failure_at, \
    locked_at, recovered_at";

macro_rules! account_from {
    ($r:expr) => {{
        let r = $r;
        let kind: String = r.try_get(1)?;
        Account {
            id: r.try_get(0)?,
            kind: AccountKind::parse(&kind).unwrap_or(AccountKind::Citizen),
            email: r.try_get(2)?,
            email_verified_at: r.try_get(3)?,
            name: r.try_get(4)?,
            phone: r.try_get(5)?,
            phone_verified_at: r.try_get(6)?,
            member_id: r.try_get(7)?,
            password_hash: r.try_get(8)?,
            password_single_factor: r.try_get(9)?,
            password_changed_at: r.try_get(10)?,
            created_at: r.try_get(11)?,
            failed_attempts: r.try_get(12)?,
            last_failure_at: r.try_get(13)?,
            locked_at: r.try_get(14)?,
            recovered_at: r.try_get(15)?,
        }
    }};
}

pub async fn account(db: &Db, id: Uuid) -> Result<Option<Account>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM identity_accounts WHERE id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(account_from!(&r)),
        None => None,
    }))
}

/// The account with this (lower-case) email address.
pub async fn account_by_email(db: &Db, email: &str) -> Result<Option<Account>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM identity_accounts WHERE email = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(email).fetch_optional(pool).await? {
        Some(r) => Some(account_from!(&r)),
        None => None,
    }))
}

/// Whether the account (`identity_accounts.id`) has a confirmed authenticator app or a usable
/// security key or passkey, as an SQL expression.
const HAS_APP_OR_KEY: &str = "(EXISTS (SELECT 1 FROM identity_totp t WHERE t.account_id = identity_accounts.id \
    AND t.confirmed_at IS NOT NULL) OR EXISTS (SELECT 1 FROM identity_webauthn_credentials w \
    WHERE w.account_id = identity_accounts.id AND w.disabled_at IS NULL))";

/// The account with this (lower-case) email address and whether it has an authenticator app or
/// a security key or passkey, in one statement (what a password sign-in reads).
pub async fn account_for_sign_in(db: &Db, email: &str) -> Result<Option<(Account, bool)>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS}, {HAS_APP_OR_KEY} FROM identity_accounts WHERE email = $1"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(email).fetch_optional(pool).await? {
        Some(r) => Some((account_from!(&r), r.try_get(16)?)),
        None => None,
    }))
}

/// Whether the account has a confirmed authenticator app or a usable security key or passkey.
pub async fn has_app_or_key(db: &Db, account_id: Uuid) -> Result<bool> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {HAS_APP_OR_KEY} FROM identity_accounts WHERE id = $1"));
    Ok(on_db!(db, pool => sqlx::query_scalar(sql).bind(account_id).fetch_optional(pool).await)?.unwrap_or(false))
}

/// The same, inside a transaction.
pub async fn account_by_email_in(tx: &mut Tx, email: &str) -> Result<Option<Account>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT_COLUMNS} FROM identity_accounts WHERE email = $1"));
    Ok(on_tx!(tx, c => match sqlx::query(sql).bind(email).fetch_optional(c).await? {
        Some(r) => Some(account_from!(&r)),
        None => None,
    }))
}

/// Insert an account; `Conflict` when the email address is taken.
pub async fn insert_account(tx: &mut Tx, a: &Account) -> Result<()> {
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_accounts (id, kind, email, email_verified_at, name, phone, phone_verified_at, member_id,
            password_hash, password_single_factor, password_changed_at, created_at, failed_attempts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)")
        .bind(a.id).bind(a.kind.as_str()).bind(&a.email).bind(a.email_verified_at).bind(&a.name).bind(&a.phone)
        .bind(a.phone_verified_at).bind(a.member_id).bind(&a.password_hash).bind(a.password_single_factor)
        .bind(a.password_changed_at).bind(a.created_at)
        .execute(c).await.map(|r| r.rows_affected()));
    match result {
        Err(e) if publica_kernel::db::unique_violation(&e) => {
            Err(Error::Conflict("this email address has an account".into()))
        }
        other => other.map(|_| ()).map_err(Error::from),
    }
}

/// Replace what an unverified sign-up said (someone signing up again with the same address).
pub async fn redo_sign_up(tx: &mut Tx, id: Uuid, name: Option<&str>, hash: &str, single_factor: bool) -> Result<()> {
    let now = Timestamp::now();
    on_tx!(tx, c => sqlx::query(
        "UPDATE identity_accounts SET name = $1, password_hash = $2, password_single_factor = $3, password_changed_at = $4
         WHERE id = $5 AND email_verified_at IS NULL")
        .bind(name).bind(hash).bind(single_factor).bind(now).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_email_verified(tx: &mut Tx, id: Uuid, at: Timestamp) -> Result<bool> {
    let done = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_accounts SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL")
        .bind(at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn set_password(tx: &mut Tx, id: Uuid, hash: &str, single_factor: bool) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE identity_accounts SET password_hash = $1, password_single_factor = $2, password_changed_at = $3 WHERE id = $4")
        .bind(hash).bind(single_factor).bind(Timestamp::now()).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Replace the hash of the same password (new parameters), keeping when it was chosen.
pub async fn rehash_password(db: &Db, id: Uuid, old: &str, new: &str) -> Result<()> {
    on_db!(db, pool => sqlx::query("UPDATE identity_accounts SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
        .bind(new).bind(id).bind(old).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_phone(tx: &mut Tx, id: Uuid, phone: Option<&str>, verified_at: Option<Timestamp>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE identity_accounts SET phone = $1, phone_verified_at = $2 WHERE id = $3")
        .bind(phone).bind(verified_at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Count a failed sign-in; returns the consecutive failures now.
pub async fn add_failure(tx: &mut Tx, id: Uuid, at: Timestamp) -> Result<i32> {
    let (n,): (i32,) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE identity_accounts SET failed_attempts = failed_attempts + 1, last_failure_at = $1 WHERE id = $2
         RETURNING failed_attempts")
        .bind(at).bind(id).fetch_one(c).await)?;
    Ok(n)
}

/// Lock the account unless it is locked already; whether this call locked it.
pub async fn lock(tx: &mut Tx, id: Uuid, at: Timestamp) -> Result<bool> {
    let done = on_tx!(tx, c => sqlx::query("UPDATE identity_accounts SET locked_at = $1 WHERE id = $2 AND locked_at IS NULL")
        .bind(at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// A successful sign-in ends the run of failures.
pub async fn clear_failures(tx: &mut Tx, id: Uuid) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE identity_accounts SET failed_attempts = 0 WHERE id = $1 AND failed_attempts <> 0")
        .bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Unlock and forget failures (recovery); whether it was locked.
pub async fn unlock(tx: &mut Tx, id: Uuid) -> Result<bool> {
    let row: Option<(Option<Timestamp>,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT locked_at FROM identity_accounts WHERE id = $1").bind(id).fetch_optional(c).await)?;
    on_tx!(tx, c => sqlx::query("UPDATE identity_accounts SET locked_at = NULL, failed_attempts = 0 WHERE id = $1")
        .bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(row.and_then(|r| r.0).is_some())
}

pub async fn set_recovered(tx: &mut Tx, id: Uuid, at: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE identity_accounts SET recovered_at = $1 WHERE id = $2")
        .bind(at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
