//! Organisations (the platform operator, agencies, businesses), their members with roles, and
//! API keys scoped to one block and one organisation. Every block uses these; none has its own.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::Kernel;
use crate::audit::{Actor, Event};
use crate::crypto::{random_token, sha256};
use crate::db::{Timestamp, unique_violation};
use crate::domain::{Email, OrgKind, Roles, Slug};
use crate::error::{Error, Result};
use crate::{on_db, on_tx};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub kind: OrgKind,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub name: String,
    pub roles: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub disabled_at: Option<Timestamp>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The block the key opens, e.g. `kernel` or `notify`.
    pub block: String,
    pub name: String,
    /// The first characters of the token, to recognise it; the token itself is never stored.
    pub token_prefix: String,
    /// What the key opens inside its block (for `notify`, the service id), if it is narrower than the organisation.
    pub subject: Option<String>,
    /// The block's type of key (for `notify`: `test`, `team` or `normal`).
    pub kind: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
}

/// Who an API key speaks for, once authenticated.
#[derive(Clone, Debug)]
pub struct ApiPrincipal {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub org_kind: OrgKind,
    pub block: String,
}

impl ApiPrincipal {
    pub fn actor(&self) -> Actor {
        Actor::api_key(self.key_id)
    }
}

const ORG_COLUMNS: &str = "id, slug, name, kind, created_at";
const MEMBER_COLUMNS: &str = "id, org_id, email, name, roles, created_at, disabled_at";
pub(crate) const KEY_COLUMNS: &str =
    "id, org_id, block, name, token_prefix, created_at, revoked_at, last_used_at, subject, kind";

macro_rules! org_from {
    ($r:expr) => {{
        let r = $r;
        let kind: String = r.try_get(3)?;
        Organisation {
            id: r.try_get(0)?,
            slug: r.try_get(1)?,
            name: r.try_get(2)?,
            kind: OrgKind::parse("kind", &kind).unwrap_or(OrgKind::Agency),
            created_at: r.try_get(4)?,
        }
    }};
}

macro_rules! member_from {
    ($r:expr) => {{
        let r = $r;
        let roles: String = r.try_get(4)?;
        Member {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            email: r.try_get(2)?,
            name: r.try_get(3)?,
            roles: Roles::from_text(&roles).0.into_iter().map(String::from).collect(),
            created_at: r.try_get(5)?,
            disabled_at: r.try_get(6)?,
        }
    }};
}

macro_rules! key_from {
    ($r:expr) => {{
        let r = $r;
        ApiKey {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            block: r.try_get(2)?,
            name: r.try_get(3)?,
            token_prefix: r.try_get(4)?,
            created_at: r.try_get(5)?,
            revoked_at: r.try_get(6)?,
            last_used_at: r.try_get(7)?,
            subject: r.try_get(8)?,
            kind: r.try_get(9)?,
        }
    }};
}
pub(crate) use key_from;

fn name_field(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 || text.chars().any(char::is_control) {
        return Err(Error::invalid(field, "give a name of 1 to 200 printable characters"));
    }
    Ok(text.to_string())
}

impl Kernel {
    pub async fn create_organisation(
        &self,
        actor: &Actor,
        slug: &Slug,
        name: &str,
        kind: OrgKind,
    ) -> Result<Organisation> {
        let name = name_field("name", name)?;
        let org =
            Organisation { id: Uuid::now_v7(), slug: slug.as_str().into(), name, kind, created_at: Timestamp::now() };
        let mut tx = self.db().begin().await?;
        let inserted = on_tx!(&mut tx, c => sqlx::query("INSERT INTO kernel_organisations (id, slug, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(org.id).bind(&org.slug).bind(&org.name).bind(kind.as_str()).bind(org.created_at).execute(c).await.map(|_| ()));
        match inserted {
            Err(e) if unique_violation(&e) => {
                return Err(Error::Conflict(format!("an organisation with slug `{}` exists", org.slug)));
            }
            other => other?,
        }
        self.audit(
            &mut tx,
            Event::new(actor, "kernel.organisation.created", "organisation", org.id)
                .org(org.id)
                .details(serde_json::json!({ "slug": org.slug, "name": org.name, "kind": kind.as_str() })),
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM kernel_organisations ORDER BY name"));
        Ok(on_db!(self.db(), pool => sqlx::query(sql).fetch_all(pool).await?.iter()
            .map(|r| Ok(org_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
    }

    pub async fn organisation(&self, id: Uuid) -> Result<Organisation> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM kernel_organisations WHERE id = $1"));
        let org = on_db!(self.db(), pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
            Some(r) => Some(org_from!(&r)),
            None => None,
        });
        org.ok_or_else(|| Error::not_found(format!("organisation {id}")))
    }

    pub async fn organisation_by_slug(&self, slug: &str) -> Result<Option<Organisation>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ORG_COLUMNS} FROM kernel_organisations WHERE slug = $1"));
        Ok(on_db!(self.db(), pool => match sqlx::query(sql).bind(slug).fetch_optional(pool).await? {
            Some(r) => Some(org_from!(&r)),
            None => None,
        }))
    }

    pub async fn add_member(
        &self,
        actor: &Actor,
        org_id: Uuid,
        email: &Email,
        name: &str,
        roles: &Roles,
    ) -> Result<Member> {
        let name = name_field("name", name)?;
        let org = self.organisation(org_id).await?;
        let member = Member {
            id: Uuid::now_v7(),
            org_id: org.id,
            email: email.as_str().into(),
            name,
            roles: roles.0.iter().map(|r| r.as_str().to_string()).collect(),
            created_at: Timestamp::now(),
            disabled_at: None,
        };
        let mut tx = self.db().begin().await?;
        let inserted = on_tx!(&mut tx, c => sqlx::query("INSERT INTO kernel_members (id, org_id, email, name, roles, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(member.id).bind(member.org_id).bind(&member.email).bind(&member.name).bind(roles.to_text()).bind(member.created_at)
            .execute(c).await.map(|_| ()));
        match inserted {
            Err(e) if unique_violation(&e) => {
                return Err(Error::Conflict(format!("{} is already a member of {}", member.email, org.slug)));
            }
            other => other?,
        }
        self.audit(
            &mut tx,
            Event::new(actor, "kernel.member.added", "member", member.id)
                .org(org.id)
                .details(serde_json::json!({ "email": member.email, "roles": member.roles })),
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    pub async fn members(&self, org_id: Uuid) -> Result<Vec<Member>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM kernel_members WHERE org_id = $1 ORDER BY email"
        ));
        Ok(on_db!(self.db(), pool => sqlx::query(sql).bind(org_id).fetch_all(pool).await?.iter()
            .map(|r| Ok(member_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
    }

    /// Every active membership of one email address, across organisations.
    pub async fn memberships(&self, email: &Email) -> Result<Vec<Member>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM kernel_members WHERE email = $1 AND disabled_at IS NULL ORDER BY created_at"
        ));
        Ok(on_db!(self.db(), pool => sqlx::query(sql).bind(email.as_str()).fetch_all(pool).await?.iter()
            .map(|r| Ok(member_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
    }

    pub async fn member(&self, id: Uuid) -> Result<Member> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {MEMBER_COLUMNS} FROM kernel_members WHERE id = $1"));
        let member = on_db!(self.db(), pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
            Some(r) => Some(member_from!(&r)),
            None => None,
        });
        member.ok_or_else(|| Error::not_found(format!("member {id}")))
    }

    /// Disable a member: their sessions end and they can no longer sign in.
    pub async fn disable_member(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("UPDATE kernel_members SET disabled_at = $1 WHERE id = $2 AND org_id = $3 AND disabled_at IS NULL")
            .bind(Timestamp::now()).bind(id).bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::not_found(format!("active member {id}")));
        }
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM kernel_sessions WHERE member_id = $1").bind(id).execute(c).await.map(|_| ()))?;
        self.audit(&mut tx, Event::new(actor, "kernel.member.disabled", "member", id).org(org_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Create an API key for `block`. The token is returned once and only its hash is kept.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        org_id: Uuid,
        block: &str,
        name: &str,
    ) -> Result<(ApiKey, String)> {
        let name = name_field("name", name)?;
        if !self.knows_block(block) {
            return Err(Error::invalid(
                "block",
                format!("unknown block `{block}`; one of: {}", self.block_names().join(", ")),
            ));
        }
        self.organisation(org_id).await?;
        let token = format!("publica_{block}_{}", random_token());
        self.insert_api_key(actor, org_id, block, &name, &token).await.map(|key| (key, token))
    }

    /// Store a key whose token the caller chose (demo data derives tokens deterministically).
    pub async fn insert_api_key(
        &self,
        actor: &Actor,
        org_id: Uuid,
        block: &str,
        name: &str,
        token: &str,
    ) -> Result<ApiKey> {
        let key = ApiKey {
            id: Uuid::now_v7(),
            org_id,
            block: block.into(),
            name: name.into(),
            token_prefix: token.chars().take(block.len() + 13).collect(),
            subject: None,
            kind: None,
            created_at: Timestamp::now(),
            revoked_at: None,
            last_used_at: None,
        };
        let mut tx = self.db().begin().await?;
        let inserted = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO kernel_api_keys (id, org_id, block, name, token_hash, token_prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(key.id).bind(org_id).bind(block).bind(&key.name).bind(sha256(token.as_bytes()).to_vec())
            .bind(&key.token_prefix).bind(&actor.0).bind(key.created_at).execute(c).await.map(|_| ()));
        match inserted {
            Err(e) if unique_violation(&e) => {
                return Err(Error::Conflict("this API key exists already".into()));
            }
            other => other?,
        }
        self.audit(
            &mut tx,
            Event::new(actor, "kernel.api_key.created", "api_key", key.id)
                .org(org_id)
                .details(serde_json::json!({ "block": block, "name": key.name, "prefix": key.token_prefix })),
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    pub async fn api_keys(&self, org_id: Uuid) -> Result<Vec<ApiKey>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM kernel_api_keys WHERE org_id = $1 ORDER BY created_at DESC"
        ));
        Ok(on_db!(self.db(), pool => sqlx::query(sql).bind(org_id).fetch_all(pool).await?.iter()
            .map(|r| Ok(key_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
    }

    pub async fn revoke_api_key(&self, actor: &Actor, org_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db().begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("UPDATE kernel_api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
            .bind(Timestamp::now()).bind(id).bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::not_found(format!("active API key {id}")));
        }
        self.audit(&mut tx, Event::new(actor, "kernel.api_key.revoked", "api_key", id).org(org_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Check a bearer token for `block`. Records the last use at most once a minute. Sealed
    /// keys (see `sealed_keys`) are secrets for signatures and never work as bearer tokens.
    pub async fn authenticate_api_key(&self, token: &str, block: &str) -> Result<ApiPrincipal> {
        let hash = sha256(token.as_bytes()).to_vec();
        type KeyRow = (Uuid, Uuid, String, Option<Timestamp>, Option<Timestamp>, String);
        let row: Option<KeyRow> = on_db!(self.db(), pool => sqlx::query_as(
            "SELECT k.id, k.org_id, k.block, k.revoked_at, k.last_used_at, o.kind
             FROM kernel_api_keys k JOIN kernel_organisations o ON o.id = k.org_id
             WHERE k.token_hash = $1 AND k.secret_sealed IS NULL")
            .bind(&hash).fetch_optional(pool).await)?;
        let Some((key_id, org_id, key_block, revoked_at, last_used_at, kind)) = row else {
            return Err(Error::Unauthenticated("unknown API key".into()));
        };
        if revoked_at.is_some() {
            return Err(Error::Unauthenticated("this API key was revoked".into()));
        }
        if key_block != block {
            return Err(Error::Forbidden(format!("this API key is for the `{key_block}` block, not `{block}`")));
        }
        self.record_api_key_use(key_id, last_used_at).await?;
        let org_kind = OrgKind::parse("kind", &kind)?;
        Ok(ApiPrincipal { key_id, org_id, org_kind, block: key_block })
    }

    /// Record that a key was used, at most once a minute: a write per API call would serialise
    /// every request on SQLite.
    pub async fn record_api_key_use(&self, key_id: Uuid, last_used_at: Option<Timestamp>) -> Result<()> {
        let now = Timestamp::now();
        let stale = now.plus(time::Duration::minutes(-1));
        if last_used_at.is_none_or(|t| t < stale) {
            on_db!(self.db(), pool => sqlx::query("UPDATE kernel_api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
                .bind(now).bind(key_id).bind(stale).execute(pool).await.map(|_| ()))?;
        }
        Ok(())
    }
}
