//! Persistence of WebAuthn authenticators (security keys and passkeys) and of the ceremonies in
//! progress, whose challenge state stays on the server.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

/// An authenticator as stored.
#[derive(Clone, Debug)]
pub struct CredentialRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub credential_id: Vec<u8>,
    pub user_handle: Uuid,
    pub name: String,
    /// webauthn-rs's `Passkey`, JSON.
    pub passkey: String,
    pub backup_eligible: bool,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub disabled_at: Option<Timestamp>,
}

type Row = (Uuid, Uuid, Vec<u8>, Uuid, String, String, bool, Timestamp, Option<Timestamp>, Option<Timestamp>);

fn from_row(r: Row) -> CredentialRow {
    let (
        id,
        account_id,
        credential_id,
        user_handle,
        name,
        passkey,
        backup_eligible,
        created_at,
        last_used_at,
        disabled_at,
    ) = r;
    CredentialRow {
        id,
        account_id,
        credential_id,
        user_handle,
        name,
        passkey,
        backup_eligible,
        created_at,
        last_used_at,
        disabled_at,
    }
}

const COLUMNS: &str = "id, account_id, credential_id, user_handle, name, passkey, backup_eligible, created_at, \
    last_used_at, disabled_at";

/// Store a new authenticator; `Conflict` when its credential id is registered already.
pub async fn insert(tx: &mut Tx, c: &CredentialRow) -> Result<()> {
    let done = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO identity_webauthn_credentials (id, account_id, credential_id, user_handle, name, passkey,
            backup_eligible, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(c.id).bind(c.account_id).bind(&c.credential_id).bind(c.user_handle).bind(&c.name).bind(&c.passkey)
        .bind(c.backup_eligible).bind(c.created_at).execute(conn).await.map(|r| r.rows_affected()));
    match done {
        Err(e) if publica_kernel::db::unique_violation(&e) => {
            Err(Error::Conflict("this authenticator is registered already".into()))
        }
        other => other.map(|_| ()).map_err(Error::from),
    }
}

/// The account's authenticators, oldest first (disabled ones included).
pub async fn of_account(db: &Db, account_id: Uuid) -> Result<Vec<CredentialRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM identity_webauthn_credentials WHERE account_id = $1 ORDER BY created_at, id"
    ));
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(account_id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The authenticator with this credential id, whoever's it is.
pub async fn by_credential_id(db: &Db, credential_id: &[u8]) -> Result<Option<CredentialRow>> {
    let sql =
        sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM identity_webauthn_credentials WHERE credential_id = $1"));
    let row: Option<Row> = on_db!(db, pool => sqlx::query_as(sql).bind(credential_id).fetch_optional(pool).await)?;
    Ok(row.map(from_row))
}

/// The user handle the account's authenticators carry, if it has any.
pub async fn user_handle(db: &Db, account_id: Uuid) -> Result<Option<Uuid>> {
    let row: Option<(Uuid,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT user_handle FROM identity_webauthn_credentials WHERE account_id = $1 ORDER BY created_at LIMIT 1")
        .bind(account_id).fetch_optional(pool).await)?;
    Ok(row.map(|r| r.0))
}

/// After a sign-in with it: the updated credential (counter, flags) and when it was used.
pub async fn used(db: &Db, id: Uuid, passkey: &str, backup_eligible: bool, at: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "UPDATE identity_webauthn_credentials SET passkey = $1, backup_eligible = $2, last_used_at = $3 WHERE id = $4")
        .bind(passkey).bind(backup_eligible).bind(at).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Refuse an authenticator from now on; whether this call did it.
pub async fn disable(tx: &mut Tx, id: Uuid, at: Timestamp) -> Result<bool> {
    let done = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_webauthn_credentials SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
        .bind(at).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Remove one of the account's authenticators; whether it was there.
pub async fn delete(tx: &mut Tx, account_id: Uuid, id: Uuid) -> Result<Option<String>> {
    let row: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "DELETE FROM identity_webauthn_credentials WHERE id = $1 AND account_id = $2 RETURNING name")
        .bind(id).bind(account_id).fetch_optional(c).await)?;
    Ok(row.map(|r| r.0))
}

/// Remove every authenticator of the account (recovery without a recovery code); how many.
pub async fn delete_all_of(tx: &mut Tx, account_id: Uuid) -> Result<u64> {
    let removed = on_tx!(tx, c => sqlx::query("DELETE FROM identity_webauthn_credentials WHERE account_id = $1")
        .bind(account_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(removed)
}

/// How many usable authenticators the account has, and how many of them are device-bound.
pub async fn counts(db: &Db, account_id: Uuid) -> Result<(i64, i64)> {
    let (all, bound): (i64, Option<i64>) = on_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*), SUM(CASE WHEN backup_eligible THEN 0 ELSE 1 END) FROM identity_webauthn_credentials
         WHERE account_id = $1 AND disabled_at IS NULL")
        .bind(account_id).fetch_one(pool).await)?;
    Ok((all, bound.unwrap_or(0)))
}

/// A ceremony in progress.
#[derive(Clone, Debug)]
pub struct CeremonyRow {
    pub id: Uuid,
    pub kind: String,
    pub account_id: Option<Uuid>,
    pub bound_to: Option<Uuid>,
    pub state: String,
    pub data: serde_json::Value,
    pub expires_at: Timestamp,
}

pub struct NewCeremony<'a> {
    pub token_hash: &'a [u8],
    pub kind: &'a str,
    pub account_id: Option<Uuid>,
    pub bound_to: Option<Uuid>,
    pub state: &'a str,
    pub data: &'a serde_json::Value,
    pub expires_at: Timestamp,
}

pub async fn insert_ceremony(db: &Db, c: NewCeremony<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_webauthn_ceremonies (id, token_hash, kind, account_id, bound_to, state, data, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(c.token_hash).bind(c.kind).bind(c.account_id).bind(c.bound_to).bind(c.state)
        .bind(c.data.to_string()).bind(Timestamp::now()).bind(c.expires_at).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(id)
}

/// Take a ceremony: it is deleted as it is read, so that its challenge answers once. `None`
/// when there is none of that kind behind the token, or it is past its time.
pub async fn take_ceremony(db: &Db, token_hash: &[u8], kind: &str, now: Timestamp) -> Result<Option<CeremonyRow>> {
    type CRow = (Uuid, String, Option<Uuid>, Option<Uuid>, String, String, Timestamp);
    let row: Option<CRow> = on_db!(db, pool => sqlx::query_as(
        "DELETE FROM identity_webauthn_ceremonies WHERE token_hash = $1 AND kind = $2
         RETURNING id, kind, account_id, bound_to, state, data, expires_at")
        .bind(token_hash).bind(kind).fetch_optional(pool).await)?;
    Ok(row.filter(|r| r.6 > now).map(|(id, kind, account_id, bound_to, state, data, expires_at)| CeremonyRow {
        id,
        kind,
        account_id,
        bound_to,
        state,
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
        expires_at,
    }))
}

/// Delete ceremonies past their time.
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64> {
    on_db!(db, pool => sqlx::query("DELETE FROM identity_webauthn_ceremonies WHERE expires_at < $1")
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))
    .map_err(Error::from)
}
