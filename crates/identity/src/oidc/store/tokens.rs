//! Refresh and access tokens, grouped by the grant they were issued under (a client's own
//! self-contained access tokens only once revoked), and the client assertions already used.

use publica_kernel::db::{Db, Timestamp, Tx, unique_violation};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

use super::{Grant, from_json, json_text};
use crate::oidc::claims::{self, Target};

/// A refresh token as stored.
#[derive(Clone, Debug)]
pub struct Refresh {
    pub grant_id: Uuid,
    pub client_id: String,
    pub account_id: Uuid,
    pub grant: Grant,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// The account exists and is not locked.
    pub account_usable: bool,
}

/// A refresh token to record.
#[derive(Clone, Debug)]
pub struct NewRefresh {
    pub hash: Vec<u8>,
    pub grant_id: Uuid,
    pub client_id: String,
    pub account_id: Uuid,
    /// The grant as authorized (what the next rotation may give again).
    pub grant: Grant,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert_refresh(tx: &mut Tx, r: &NewRefresh) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_oidc_refresh_tokens (token_hash, grant_id, client_id, account_id, grant_details, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&r.hash).bind(r.grant_id).bind(&r.client_id).bind(r.account_id).bind(json_text(&r.grant))
        .bind(r.created_at).bind(r.expires_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

type RefreshRow = (Uuid, String, Uuid, String, Timestamp, Timestamp, Option<Timestamp>, Option<Timestamp>, bool);

/// A refresh token with whether its account may still use it (it exists and is not locked).
pub async fn refresh(db: &Db, hash: &[u8]) -> Result<Option<Refresh>> {
    let row: Option<RefreshRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT r.grant_id, r.client_id, r.account_id, r.grant_details, r.created_at, r.expires_at, r.used_at,
                r.revoked_at, (a.id IS NOT NULL AND a.locked_at IS NULL)
         FROM identity_oidc_refresh_tokens r LEFT JOIN identity_accounts a ON a.id = r.account_id
         WHERE r.token_hash = $1")
        .bind(hash).fetch_optional(pool).await)?;
    let Some((grant_id, client_id, account_id, grant, created_at, expires_at, used_at, revoked_at, account_usable)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(Refresh {
        grant_id,
        client_id,
        account_id,
        grant: from_json(&grant)?,
        created_at,
        expires_at,
        used_at,
        revoked_at,
        account_usable,
    }))
}

/// Rotate: mark a refresh token used; `false` when it was used or revoked meanwhile.
pub async fn use_refresh(tx: &mut Tx, hash: &[u8], now: Timestamp) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Revoke every refresh and access token of a grant. Returns how many were still live.
pub async fn revoke_grant(tx: &mut Tx, grant_id: Uuid, now: Timestamp) -> Result<u64> {
    let a = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_refresh_tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL")
        .bind(grant_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    let b = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_access_tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL")
        .bind(grant_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(a + b)
}

/// Revoke every token of an account at a client (consent withdrawn).
pub async fn revoke_account_client(tx: &mut Tx, account_id: Uuid, client_id: &str, now: Timestamp) -> Result<u64> {
    let mut n = 0;
    for table in ["identity_oidc_refresh_tokens", "identity_oidc_access_tokens"] {
        let sql = format!(
            "UPDATE {table} SET revoked_at = $3 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL"
        );
        n += on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(client_id).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// Revoke every refresh token and every access token of an account, at every client (a
/// password changed, an account recovered, "sign out everywhere"): introspection then calls
/// them inactive, userinfo refuses them and no refresh token can be used. Returns how many were
/// still live. The caller audits, in the same transaction.
pub async fn revoke_account_tokens(tx: &mut Tx, account_id: Uuid) -> Result<u64> {
    let now = Timestamp::now();
    let mut n = 0;
    for table in ["identity_oidc_refresh_tokens", "identity_oidc_access_tokens"] {
        let sql = format!("UPDATE {table} SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL");
        n += on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

/// How the `jti` of a self-contained access token begins: one a client asked for itself
/// (client credentials), of which no row is kept unless it is revoked.
pub const SELF_CONTAINED: &str = "c.";

/// The `jti` of a new access token that has a row: a UUIDv7, so that the rows of tokens issued
/// one after another land next to each other in the table's key (a random key would make each
/// issuance write a page of its own). It is not a secret: the token is signed.
pub fn new_jti() -> String {
    Uuid::now_v7().simple().to_string()
}

/// An access token as recorded.
#[derive(Clone, Debug)]
pub struct Access {
    pub jti: String,
    pub grant_id: Option<Uuid>,
    pub client_id: String,
    pub account_id: Option<Uuid>,
    pub scope: String,
    /// Claims the `claims` parameter asked userinfo for, besides those of the scopes.
    pub userinfo_claims: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl Access {
    /// The access token of a user's grant, issued `now` for `seconds`.
    pub fn of_grant(
        jti: String,
        grant_id: Uuid,
        client_id: String,
        account_id: Uuid,
        grant: &Grant,
        now: Timestamp,
        seconds: i64,
    ) -> Access {
        Access {
            jti,
            grant_id: Some(grant_id),
            client_id,
            account_id: Some(account_id),
            scope: grant.scope(),
            userinfo_claims: claims::named(grant.claims.as_ref(), Target::Userinfo),
            created_at: now,
            expires_at: now.plus(time::Duration::seconds(seconds)),
            revoked_at: None,
        }
    }
}

pub async fn insert_access(tx: &mut Tx, a: &Access) -> Result<()> {
    insert_access_rows(tx, std::iter::once(a)).await
}

/// Insert access-token rows with one statement.
pub async fn insert_access_rows<'a>(tx: &mut Tx, rows: impl Iterator<Item = &'a Access>) -> Result<()> {
    let rows: Vec<&Access> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO identity_oidc_access_tokens (jti, grant_id, client_id, account_id, scope, userinfo_claims, created_at, expires_at)
         VALUES {}",
        tx.value_rows(1, rows.len(), 8)
    );
    on_tx!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for a in &rows {
            q = q
                .bind(&a.jti)
                .bind(a.grant_id)
                .bind(&a.client_id)
                .bind(a.account_id)
                .bind(&a.scope)
                .bind((!a.userinfo_claims.is_empty()).then(|| json_text(&a.userinfo_claims)))
                .bind(a.created_at)
                .bind(a.expires_at);
        }
        q.execute(c).await.map(|_| ())
    })?;
    Ok(())
}

type AccessRow =
    (String, Option<Uuid>, String, Option<Uuid>, String, Option<String>, Timestamp, Timestamp, Option<Timestamp>);

/// The row of an access token. A self-contained one ([`SELF_CONTAINED`]) has a row only once
/// revoked (see `Identity::access_record` for the record of one without).
pub async fn access(db: &Db, jti: &str) -> Result<Option<Access>> {
    let row: Option<AccessRow> = on_db!(db, pool => sqlx::query_as(
        "SELECT jti, grant_id, client_id, account_id, scope, userinfo_claims, created_at, expires_at, revoked_at
         FROM identity_oidc_access_tokens WHERE jti = $1")
        .bind(jti).fetch_optional(pool).await)?;
    let Some((jti, grant_id, client_id, account_id, scope, claims, created_at, expires_at, revoked_at)) = row else {
        return Ok(None);
    };
    Ok(Some(Access {
        jti,
        grant_id,
        client_id,
        account_id,
        scope,
        userinfo_claims: claims.as_deref().map(from_json).transpose()?.unwrap_or_default(),
        created_at,
        expires_at,
        revoked_at,
    }))
}

/// Revoke a self-contained access token: a row with `revoked_at` set, kept until it expires.
pub async fn deny_access(db: &Db, a: &Access, now: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_oidc_access_tokens (jti, grant_id, client_id, account_id, scope, created_at, expires_at, revoked_at)
         VALUES ($1, NULL, $2, NULL, $3, $4, $5, $6) ON CONFLICT (jti) DO NOTHING")
        .bind(&a.jti).bind(&a.client_id).bind(&a.scope).bind(a.created_at).bind(a.expires_at).bind(now)
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

pub async fn revoke_access(db: &Db, jti: &str, now: Timestamp) -> Result<bool> {
    let n = on_db!(db, pool => sqlx::query(
        "UPDATE identity_oidc_access_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL")
        .bind(jti).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Remember a client assertion's `jti` until it expires; `false` when it was already used.
pub async fn use_assertion(db: &Db, client_id: &str, jti: &str, expires_at: Timestamp) -> Result<bool> {
    let inserted = on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_oidc_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)")
        .bind(client_id).bind(jti).bind(expires_at).execute(pool).await.map(|_| ()));
    match inserted {
        Ok(()) => Ok(true),
        Err(e) if unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Live refresh tokens of an account: `(client_id, created_at, expires_at)`.
pub async fn live_refresh_of(db: &Db, account_id: Uuid, now: Timestamp) -> Result<Vec<(String, Timestamp, Timestamp)>> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT client_id, created_at, expires_at FROM identity_oidc_refresh_tokens
         WHERE account_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at")
        .bind(account_id).bind(now).fetch_all(pool).await)?)
}

/// Purge tokens and assertions past their expiry (a day later for refresh tokens, so that a
/// late reuse of a rotated one is still recognised).
pub async fn purge(db: &Db, now: Timestamp) -> Result<u64> {
    let day_ago = now.plus(time::Duration::days(-1));
    let mut n = 0;
    for (sql, at) in [
        ("DELETE FROM identity_oidc_assertions WHERE expires_at < $1", now),
        ("DELETE FROM identity_oidc_access_tokens WHERE expires_at < $1", now),
        ("DELETE FROM identity_oidc_refresh_tokens WHERE expires_at < $1", day_ago),
    ] {
        n += on_db!(db, pool => sqlx::query(sql).bind(at).execute(pool).await.map(|r| r.rows_affected()))?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jtis_issued_one_after_another_sort_in_that_order_and_differ() {
        let jtis: Vec<String> = (0..1000).map(|_| new_jti()).collect();
        assert!(jtis.windows(2).all(|w| w[0] < w[1]), "not in issuance order");
        assert!(jtis.iter().all(|j| j.len() == 32 && !j.starts_with(SELF_CONTAINED)));
    }
}
