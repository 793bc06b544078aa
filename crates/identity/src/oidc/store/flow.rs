//! The authorization flow in progress: interactions (a validated request waiting for the
//! person to sign in, step up or consent), pushed authorization requests, and codes.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Grant, from_json, json_text};
use crate::oidc::request::AuthRequest;

/// An authorization request waiting for the person.
#[derive(Clone, Debug)]
pub struct Interaction {
    pub id: String,
    pub client_id: String,
    pub request: AuthRequest,
    /// The base64url SHA-256 of the value of the cookie that binds the interaction to the
    /// browser that started it; `None` for one stored without (which no browser can continue).
    pub browser_hash: Option<String>,
    /// The account that approved the consent page during this interaction.
    pub consented_by: Option<Uuid>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

/// What the `request` column holds: the request and, beside it, the browser binding.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    request: AuthRequest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    browser_hash: Option<String>,
}

/// Store an interaction bound to no browser (nobody can continue it: for tests of what reads
/// interactions).
pub async fn insert_interaction(
    db: &Db,
    id: &str,
    request: &AuthRequest,
    now: Timestamp,
    expires: Timestamp,
) -> Result<()> {
    insert_bound_interaction(db, id, request, None, now, expires).await
}

/// Store an interaction bound to the browser whose cookie value hashes to `browser_hash`.
pub async fn insert_bound_interaction(
    db: &Db,
    id: &str,
    request: &AuthRequest,
    browser_hash: Option<&str>,
    now: Timestamp,
    expires: Timestamp,
) -> Result<()> {
    let stored = Stored { request: request.clone(), browser_hash: browser_hash.map(str::to_string) };
    on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_oidc_interactions (id, client_id, request, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id).bind(&request.client_id).bind(json_text(&stored)).bind(now).bind(expires)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

type InteractionRow = (String, String, String, Option<Uuid>, Timestamp, Timestamp, Option<Timestamp>);

pub async fn interaction(db: &Db, id: &str) -> Result<Option<Interaction>> {
    let row: Option<InteractionRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, client_id, request, consented_by, created_at, expires_at, completed_at
         FROM identity_oidc_interactions WHERE id = $1")
        .bind(id).fetch_optional(pool).await)?;
    let Some((id, client_id, request, consented_by, created_at, expires_at, completed_at)) = row else {
        return Ok(None);
    };
    let stored: Stored = from_json(&request)?;
    Ok(Some(Interaction {
        id,
        client_id,
        request: stored.request,
        browser_hash: stored.browser_hash,
        consented_by,
        created_at,
        expires_at,
        completed_at,
    }))
}

pub async fn set_consented(tx: &mut Tx, id: &str, account_id: Uuid) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE identity_oidc_interactions SET consented_by = $2 WHERE id = $1")
        .bind(id).bind(account_id).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Mark an interaction done; `false` when it already was (a code is issued once per interaction).
pub async fn complete_interaction(tx: &mut Tx, id: &str, now: Timestamp) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_interactions SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL")
        .bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn insert_pushed(
    db: &Db,
    id: &str,
    client_id: &str,
    params: &[(String, String)],
    expires: Timestamp,
) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_oidc_pushed_requests (id, client_id, params, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(id).bind(client_id).bind(json_text(&params)).bind(expires).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Spend a pushed request: it works once, before it expires. Returns its client and parameters.
pub async fn take_pushed(db: &Db, id: &str, now: Timestamp) -> Result<Option<(String, Vec<(String, String)>)>> {
    let row: Option<(String, String)> = on_db!(db, pool => sqlx::query_as(
        "UPDATE identity_oidc_pushed_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING client_id, params")
        .bind(id).bind(now).fetch_optional(pool).await)?;
    row.map(|(client, params)| Ok((client, from_json(&params)?))).transpose()
}

/// A code as stored.
#[derive(Clone, Debug)]
pub struct Code {
    pub grant_id: Uuid,
    pub client_id: String,
    pub account_id: Uuid,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub grant: Grant,
    pub expires_at: Timestamp,
}

pub struct NewCode<'a> {
    pub hash: &'a [u8],
    pub grant_id: Uuid,
    pub client_id: &'a str,
    pub account_id: Uuid,
    pub redirect_uri: &'a str,
    pub code_challenge: Option<&'a str>,
    pub grant: &'a Grant,
    pub expires_at: Timestamp,
}

pub async fn insert_code(tx: &mut Tx, code: NewCode<'_>, now: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_oidc_codes (code_hash, grant_id, client_id, account_id, redirect_uri, code_challenge,
            grant_details, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(code.hash).bind(code.grant_id).bind(code.client_id).bind(code.account_id).bind(code.redirect_uri)
        .bind(code.code_challenge).bind(json_text(code.grant)).bind(now).bind(code.expires_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Purge what is past its expiry: interactions and pushed requests at once, codes a day
/// later (so that a late replay is still recognised and revokes its grant).
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64> {
    let day_ago = now.plus(time::Duration::days(-1));
    let mut n = 0;
    for (sql, at) in [
        ("DELETE FROM identity_oidc_interactions WHERE expires_at < $1", now),
        ("DELETE FROM identity_oidc_pushed_requests WHERE expires_at < $1", now),
        ("DELETE FROM identity_oidc_codes WHERE expires_at < $1", day_ago),
    ] {
        n += on_db!(db, pool => sqlx::query(sql).bind(at).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}
