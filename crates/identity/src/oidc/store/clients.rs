//! Registered clients: settings as JSON, the secret as its SHA-256 hash, the resource servers
//! the client may ask tokens for (RFC 8707) as a JSON list.

use publica_kernel::db::{Db, Timestamp, Tx, unique_violation};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

use super::{from_json, json_text};
use crate::oidc::client::{Checked, Client};

/// A client with what only the provider sees: its secret's hash.
#[derive(Clone, Debug)]
pub struct StoredClient {
    pub client: Client,
    pub secret_hash: Option<Vec<u8>>,
    /// Resource servers the client may name as its own access tokens' audience.
    pub resources: Vec<String>,
}

type Row = (String, Uuid, String, Option<Vec<u8>>, String, Timestamp, Timestamp, String);

const COLUMNS: &str = "client_id, org_id, name, secret_hash, settings, created_at, updated_at, resources";

fn from_row(row: Row) -> Result<StoredClient> {
    let (client_id, org_id, name, secret_hash, settings, created_at, updated_at, resources) = row;
    let s: Checked = from_json(&settings)?;
    Ok(StoredClient {
        client: Client {
            client_id,
            org_id,
            name,
            redirect_uris: s.redirect_uris,
            post_logout_redirect_uris: s.post_logout_redirect_uris,
            backchannel_logout_uri: s.backchannel_logout_uri,
            token_endpoint_auth_method: s.auth_method,
            jwks: s.jwks,
            id_token_signed_response_alg: s.id_token_alg,
            userinfo_signed_response_alg: s.userinfo_alg,
            subject_type: s.subject_type,
            sector_identifier: s.sector_identifier,
            scopes: s.scopes,
            offline_access: s.offline_access,
            default_acr: s.default_acr,
            grant_types: s.grant_types,
            simulate: s.simulate,
            has_secret: secret_hash.is_some(),
            created_at,
            updated_at,
        },
        secret_hash,
        resources: from_json(&resources)?,
    })
}

pub async fn insert(
    tx: &mut Tx,
    client_id: &str,
    org_id: Uuid,
    settings: &Checked,
    secret_hash: Option<&[u8]>,
    resources: &[String],
    now: Timestamp,
) -> Result<()> {
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_oidc_clients (client_id, org_id, name, secret_hash, settings, created_at, updated_at, resources)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)")
        .bind(client_id).bind(org_id).bind(&settings.name).bind(secret_hash).bind(json_text(settings)).bind(now)
        .bind(json_text(&resources))
        .execute(c).await.map(|_| ()));
    match inserted {
        Err(e) if unique_violation(&e) => Err(Error::Conflict(format!("a client with client_id `{client_id}` exists"))),
        other => Ok(other?),
    }
}

pub async fn update(tx: &mut Tx, client_id: &str, settings: &Checked, now: Timestamp) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_clients SET name = $2, settings = $3, updated_at = $4 WHERE client_id = $1")
        .bind(client_id).bind(&settings.name).bind(json_text(settings)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_resources(tx: &mut Tx, client_id: &str, resources: &[String], now: Timestamp) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_clients SET resources = $2, updated_at = $3 WHERE client_id = $1")
        .bind(client_id).bind(json_text(&resources)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_secret(tx: &mut Tx, client_id: &str, secret_hash: Option<&[u8]>, now: Timestamp) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE identity_oidc_clients SET secret_hash = $2, updated_at = $3 WHERE client_id = $1")
        .bind(client_id).bind(secret_hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Delete a client and everything issued to it.
pub async fn delete(tx: &mut Tx, client_id: &str) -> Result<bool> {
    for table in [
        "identity_oidc_interactions",
        "identity_oidc_pushed_requests",
        "identity_oidc_codes",
        "identity_oidc_refresh_tokens",
        "identity_oidc_access_tokens",
        "identity_oidc_assertions",
        "identity_oidc_consents",
        "identity_oidc_logins",
    ] {
        let sql = format!("DELETE FROM {table} WHERE client_id = $1");
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(client_id).execute(c).await.map(|_| ()))?;
    }
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM identity_oidc_clients WHERE client_id = $1")
        .bind(client_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(db: &Db, client_id: &str) -> Result<Option<StoredClient>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_oidc_clients WHERE client_id = $1");
    let row: Option<Row> =
        on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(client_id).fetch_optional(pool).await)?;
    row.map(from_row).transpose()
}

/// Clients of one organisation, or all, by name.
pub async fn list(db: &Db, org_id: Option<Uuid>) -> Result<Vec<Client>> {
    Ok(list_stored(db, org_id).await?.into_iter().map(|s| s.client).collect())
}

/// The same, with what only the provider sees.
pub async fn list_stored(db: &Db, org_id: Option<Uuid>) -> Result<Vec<StoredClient>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM identity_oidc_clients WHERE ($1 IS NULL OR org_id = $1) ORDER BY name, client_id"
    );
    let rows: Vec<Row> =
        on_db!(db, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(pool).await)?;
    rows.into_iter().map(from_row).collect()
}
