//! Members (one per kernel organisation) with their attributes, subsystems, OAuth clients and
//! the clients' public keys.

use publica_kernel::db::{Db, Timestamp, Tx, unique_violation};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use crate::domain::ids::FIRST_MEMBER_CODE;
use crate::domain::{Client, ClientKey, Member, Subsystem};

/// A member's row with its organisation's name, before attributes are added.
#[derive(Clone, Debug)]
pub struct MemberRow {
    pub org_id: Uuid,
    pub name: String,
    pub member_class: String,
    pub member_code: String,
    pub created_at: Timestamp,
}

impl MemberRow {
    pub fn into_member(self, instance: &str, attributes: Vec<String>) -> Member {
        Member {
            xroad_id: format!("{instance}/{}/{}", self.member_class, self.member_code),
            org_id: self.org_id,
            name: self.name,
            member_class: self.member_class,
            member_code: self.member_code,
            attributes,
            created_at: self.created_at,
        }
    }
}

const MEMBER_SELECT: &str = "SELECT m.org_id, o.name, m.member_class, m.member_code, m.created_at \
     FROM exchange_members m JOIN kernel_organisations o ON o.id = m.org_id";

macro_rules! member_from {
    ($r:expr) => {{
        let r = $r;
        MemberRow {
            org_id: r.try_get(0)?,
            name: r.try_get(1)?,
            member_class: r.try_get(2)?,
            member_code: r.try_get(3)?,
            created_at: r.try_get(4)?,
        }
    }};
}

pub async fn member(db: &Db, org_id: Uuid) -> Result<Option<MemberRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{MEMBER_SELECT} WHERE m.org_id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(org_id).fetch_optional(pool).await? {
        Some(r) => Some(member_from!(&r)),
        None => None,
    }))
}

pub async fn members(db: &Db) -> Result<Vec<MemberRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{MEMBER_SELECT} ORDER BY m.member_code"));
    Ok(on_db!(db, pool => sqlx::query(sql).fetch_all(pool).await?.iter()
        .map(|r| Ok(member_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// Insert the member row with the next free code; `Ok(false)` when the code was taken by a
/// concurrent insert (the caller retries) or the organisation is already a member.
pub async fn insert_member(tx: &mut Tx, org_id: Uuid, class: &str, now: Timestamp) -> Result<bool> {
    let highest: Option<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT MAX(member_code) FROM exchange_members")
        .fetch_one(c).await)?;
    let next = highest.and_then(|h| h.parse::<u32>().ok()).map_or(FIRST_MEMBER_CODE, |h| h + 1);
    if next > 99_999_999 {
        return Err(Error::Unavailable("every eight-digit member code is taken".into()));
    }
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_members (org_id, member_class, member_code, created_at) VALUES ($1, $2, $3, $4)")
        .bind(org_id).bind(class).bind(format!("{next:08}")).bind(now).execute(c).await.map(|_| ()));
    match inserted {
        Ok(()) => Ok(true),
        Err(e) if unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The member with this code, for resolving a service path or a client header.
pub async fn member_by_code(db: &Db, code: &str) -> Result<Option<MemberRow>> {
    let sql = sqlx::AssertSqlSafe(format!("{MEMBER_SELECT} WHERE m.member_code = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(code).fetch_optional(pool).await? {
        Some(r) => Some(member_from!(&r)),
        None => None,
    }))
}

pub async fn attributes(db: &Db, org_id: Uuid) -> Result<Vec<String>> {
    Ok(on_db!(db, pool => sqlx::query_scalar(
        "SELECT attribute FROM exchange_member_attributes WHERE org_id = $1 ORDER BY attribute")
        .bind(org_id).fetch_all(pool).await?))
}

/// Grant an attribute; `false` when the member already held it.
pub async fn grant_attribute(tx: &mut Tx, org_id: Uuid, attribute: &str, by: &str, now: Timestamp) -> Result<bool> {
    let result = on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_member_attributes (org_id, attribute, granted_at, granted_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, attribute) DO NOTHING")
        .bind(org_id).bind(attribute).bind(now).bind(by).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

/// Revoke an attribute; `false` when the member did not hold it.
pub async fn revoke_attribute(tx: &mut Tx, org_id: Uuid, attribute: &str) -> Result<bool> {
    let result = on_tx!(tx, c => sqlx::query("DELETE FROM exchange_member_attributes WHERE org_id = $1 AND attribute = $2")
        .bind(org_id).bind(attribute).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

const SUBSYSTEM_SELECT: &str = "SELECT s.id, s.org_id, s.code, s.title, s.created_at, m.member_class, m.member_code \
     FROM exchange_subsystems s JOIN exchange_members m ON m.org_id = s.org_id";

macro_rules! subsystem_from {
    ($r:expr, $instance:expr) => {{
        let r = $r;
        let code: String = r.try_get(2)?;
        let class: String = r.try_get(5)?;
        let member: String = r.try_get(6)?;
        Subsystem {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            xroad_id: format!("{}/{class}/{member}/{code}", $instance),
            code,
            title: r.try_get(3)?,
            created_at: r.try_get(4)?,
        }
    }};
}

pub async fn insert_subsystem(tx: &mut Tx, s: &Subsystem) -> Result<()> {
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_subsystems (id, org_id, code, title, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(s.id).bind(s.org_id).bind(&s.code).bind(&s.title).bind(s.created_at).execute(c).await.map(|_| ()));
    match inserted {
        Err(e) if unique_violation(&e) => {
            Err(Error::Conflict(format!("the organisation already has a subsystem `{}`", s.code)))
        }
        other => Ok(other?),
    }
}

pub async fn subsystem(db: &Db, instance: &str, id: Uuid) -> Result<Option<Subsystem>> {
    let sql = sqlx::AssertSqlSafe(format!("{SUBSYSTEM_SELECT} WHERE s.id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(subsystem_from!(&r, instance)),
        None => None,
    }))
}

pub async fn subsystem_by_code(db: &Db, instance: &str, org_id: Uuid, code: &str) -> Result<Option<Subsystem>> {
    let sql = sqlx::AssertSqlSafe(format!("{SUBSYSTEM_SELECT} WHERE s.org_id = $1 AND s.code = $2"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(org_id).bind(code).fetch_optional(pool).await? {
        Some(r) => Some(subsystem_from!(&r, instance)),
        None => None,
    }))
}

pub async fn subsystems_of(db: &Db, instance: &str, org_id: Uuid) -> Result<Vec<Subsystem>> {
    let sql = sqlx::AssertSqlSafe(format!("{SUBSYSTEM_SELECT} WHERE s.org_id = $1 ORDER BY s.code"));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(org_id).fetch_all(pool).await?.iter()
        .map(|r| Ok(subsystem_from!(r, instance))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

const CLIENT_COLUMNS: &str = "id, subsystem_id, name, created_at";

macro_rules! client_from {
    ($r:expr) => {{
        let r = $r;
        Client { id: r.try_get(0)?, subsystem_id: r.try_get(1)?, name: r.try_get(2)?, created_at: r.try_get(3)? }
    }};
}

pub async fn insert_client(tx: &mut Tx, client: &Client) -> Result<()> {
    on_tx!(tx, c => sqlx::query("INSERT INTO exchange_clients (id, subsystem_id, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(client.id).bind(client.subsystem_id).bind(&client.name).bind(client.created_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn client(db: &Db, id: Uuid) -> Result<Option<Client>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {CLIENT_COLUMNS} FROM exchange_clients WHERE id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(client_from!(&r)),
        None => None,
    }))
}

pub async fn clients_of(db: &Db, org_id: Uuid) -> Result<Vec<Client>> {
    let sql = sqlx::AssertSqlSafe(
        "SELECT c.id, c.subsystem_id, c.name, c.created_at FROM exchange_clients c \
         JOIN exchange_subsystems s ON s.id = c.subsystem_id WHERE s.org_id = $1 ORDER BY c.created_at",
    );
    Ok(on_db!(db, pool => sqlx::query(sql).bind(org_id).fetch_all(pool).await?.iter()
        .map(|r| Ok(client_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

macro_rules! key_from {
    ($r:expr) => {{
        let r = $r;
        let jwk: String = r.try_get(3)?;
        ClientKey {
            client_id: r.try_get(0)?,
            kid: r.try_get(1)?,
            alg: r.try_get(2)?,
            jwk: super::json_column(&jwk)?,
            created_at: r.try_get(4)?,
        }
    }};
}

pub async fn insert_key(tx: &mut Tx, key: &ClientKey) -> Result<()> {
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_client_keys (client_id, kid, alg, jwk, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(key.client_id).bind(&key.kid).bind(&key.alg).bind(key.jwk.to_string()).bind(key.created_at)
        .execute(c).await.map(|_| ()));
    match inserted {
        Err(e) if unique_violation(&e) => {
            Err(Error::Conflict(format!("the client already has a key with kid `{}`", key.kid)))
        }
        other => Ok(other?),
    }
}

pub async fn keys_of(db: &Db, client_id: Uuid) -> Result<Vec<ClientKey>> {
    Ok(on_db!(db, pool => sqlx::query(
        "SELECT client_id, kid, alg, jwk, created_at FROM exchange_client_keys WHERE client_id = $1 ORDER BY created_at")
        .bind(client_id).fetch_all(pool).await?.iter()
        .map(|r| Ok(key_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

pub async fn key(db: &Db, client_id: Uuid, kid: &str) -> Result<Option<ClientKey>> {
    Ok(on_db!(db, pool => match sqlx::query(
        "SELECT client_id, kid, alg, jwk, created_at FROM exchange_client_keys WHERE client_id = $1 AND kid = $2")
        .bind(client_id).bind(kid).fetch_optional(pool).await? {
        Some(r) => Some(key_from!(&r)),
        None => None,
    }))
}

pub async fn delete_key(tx: &mut Tx, client_id: Uuid, kid: &str) -> Result<bool> {
    let result = on_tx!(tx, c => sqlx::query("DELETE FROM exchange_client_keys WHERE client_id = $1 AND kid = $2")
        .bind(client_id).bind(kid).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}
