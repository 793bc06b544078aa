//! What concerns people: the consents they gave each client, and which clients each of their
//! browser sessions signed in to (so that logging out reaches those clients).

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

use super::{from_json, json_text};

/// A consent: the scopes and claims an account let a client have.
#[derive(Clone, Debug)]
pub struct Consent {
    pub account_id: Uuid,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub claims: Vec<String>,
    pub granted_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Consent {
    /// Whether this consent covers a request for `scopes` and `claims`.
    pub fn covers(&self, scopes: &[String], claims: &[String]) -> bool {
        scopes.iter().all(|s| s == "openid" || self.scopes.contains(s))
            && claims.iter().all(|c| self.claims.contains(c))
    }
}

type ConsentRow = (Uuid, String, String, String, Timestamp, Timestamp);

fn consent_from(row: ConsentRow) -> Result<Consent> {
    let (account_id, client_id, scopes, claims, granted_at, updated_at) = row;
    Ok(Consent {
        account_id,
        client_id,
        scopes: from_json(&scopes)?,
        claims: from_json(&claims)?,
        granted_at,
        updated_at,
    })
}

pub async fn consent(db: &Db, account_id: Uuid, client_id: &str) -> Result<Option<Consent>> {
    let row: Option<ConsentRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT account_id, client_id, scopes, claims, granted_at, updated_at FROM identity_oidc_consents
         WHERE account_id = $1 AND client_id = $2")
        .bind(account_id).bind(client_id).fetch_optional(pool).await)?;
    row.map(consent_from).transpose()
}

/// Every consent of an account, oldest first.
pub async fn consents_of(db: &Db, account_id: Uuid) -> Result<Vec<Consent>> {
    let rows: Vec<ConsentRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT account_id, client_id, scopes, claims, granted_at, updated_at FROM identity_oidc_consents
         WHERE account_id = $1 ORDER BY granted_at")
        .bind(account_id).fetch_all(pool).await)?;
    rows.into_iter().map(consent_from).collect()
}

/// Record a consent (replacing the previous one of this account for this client).
pub async fn save_consent(
    tx: &mut Tx,
    account_id: Uuid,
    client_id: &str,
    scopes: &[String],
    claims: &[String],
    now: Timestamp,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_oidc_consents (account_id, client_id, scopes, claims, granted_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, claims = excluded.claims,
            updated_at = excluded.updated_at")
        .bind(account_id).bind(client_id).bind(json_text(&scopes)).bind(json_text(&claims)).bind(now)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn delete_consent(tx: &mut Tx, account_id: Uuid, client_id: &str) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM identity_oidc_consents WHERE account_id = $1 AND client_id = $2")
        .bind(account_id).bind(client_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A client a browser session signed in to.
#[derive(Clone, Debug)]
pub struct Login {
    pub session_id: Uuid,
    pub client_id: String,
    pub account_id: Uuid,
    pub sub: String,
    pub sid: String,
    pub created_at: Timestamp,
}

pub async fn record_login(tx: &mut Tx, login: &Login) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_oidc_logins (session_id, client_id, account_id, sub, sid, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, client_id) DO NOTHING")
        .bind(login.session_id).bind(&login.client_id).bind(login.account_id).bind(&login.sub).bind(&login.sid)
        .bind(login.created_at).execute(c).await.map(|_| ()))?;
    Ok(())
}

type LoginRow = (Uuid, String, Uuid, String, String, Timestamp);

fn login_from((session_id, client_id, account_id, sub, sid, created_at): LoginRow) -> Login {
    Login { session_id, client_id, account_id, sub, sid, created_at }
}

/// Take (read and forget) the clients a session signed in to.
pub async fn take_logins(tx: &mut Tx, session_id: Uuid) -> Result<Vec<Login>> {
    let rows: Vec<LoginRow> = on_tx!(tx, c => sqlx::query_as(
        "DELETE FROM identity_oidc_logins WHERE session_id = $1
         RETURNING session_id, client_id, account_id, sub, sid, created_at")
        .bind(session_id).fetch_all(c).await)?;
    Ok(rows.into_iter().map(login_from).collect())
}

/// The clients an account's sessions signed in to, newest first.
pub async fn logins_of(db: &Db, account_id: Uuid) -> Result<Vec<Login>> {
    let rows: Vec<LoginRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT session_id, client_id, account_id, sub, sid, created_at FROM identity_oidc_logins
         WHERE account_id = $1 ORDER BY created_at DESC")
        .bind(account_id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(login_from).collect())
}

/// Forget logins older than `before` (their sessions have ended by their absolute timeout).
pub async fn purge_logins(db: &Db, before: Timestamp) -> Result<u64> {
    Ok(on_db!(db, pool => sqlx::query("DELETE FROM identity_oidc_logins WHERE created_at < $1")
        .bind(before).execute(pool).await.map(|r| r.rows_affected()))?)
}
