//! Staff sessions: who is signed in to a page, in which organisation, with which roles.
//! Until the identity block signs people in, the only way in is a single-use, short-lived
//! login link printed by `publica admin login-link`; it stays as the operator's break-glass.

use uuid::Uuid;

use crate::Kernel;
use crate::audit::{Actor, Event};
use crate::crypto::{random_token, sha256};
use crate::db::Timestamp;
use crate::domain::{OrgKind, Roles};
use crate::error::{Error, Result};
use crate::{on_db, on_tx};

/// A signed-in member, as every page sees them.
#[derive(Clone, Debug)]
pub struct StaffSession {
    pub member_id: Uuid,
    pub email: String,
    pub name: String,
    pub org_id: Uuid,
    pub org_slug: String,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub roles: Roles,
}

impl StaffSession {
    pub fn actor(&self) -> Actor {
        Actor::member(self.member_id)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.has(role)
    }

    /// Require a role; the platform operator's admins hold every role everywhere.
    pub fn require(&self, role: &str) -> Result<()> {
        if self.has_role(role) || (self.org_kind == OrgKind::Platform && self.has_role("admin")) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("this needs the `{role}` role in {}", self.org_name)))
        }
    }
}

impl Kernel {
    /// Issue a login link token for a member (audited). Returns the token to put in the URL.
    pub async fn issue_login_link(&self, actor: &Actor, member_id: Uuid) -> Result<String> {
        let member = self.member(member_id).await?;
        if member.disabled_at.is_some() {
            return Err(Error::Forbidden(format!("{} is disabled", member.email)));
        }
        let token = random_token();
        let now = Timestamp::now();
        let expires = now.plus(time::Duration::minutes(self.config().session.login_link_ttl_minutes));
        let mut tx = self.db().begin().await?;
        on_tx!(&mut tx, c => sqlx::query("INSERT INTO kernel_login_links (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(sha256(token.as_bytes()).to_vec()).bind(member_id).bind(now).bind(expires).execute(c).await.map(|_| ()))?;
        self.audit(
            &mut tx,
            Event::new(actor, "kernel.login_link.issued", "member", member_id)
                .org(member.org_id)
                .details(serde_json::json!({ "email": member.email, "expires_at": expires.to_fixed() })),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Spend a login link: it works once, before it expires, for an active member.
    /// Returns the new session token for the cookie.
    pub async fn redeem_login_link(&self, token: &str) -> Result<String> {
        let hash = sha256(token.as_bytes()).to_vec();
        let now = Timestamp::now();
        let mut tx = self.db().begin().await?;
        let row: Option<(Uuid,)> = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE kernel_login_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING member_id")
            .bind(now).bind(&hash).fetch_optional(c).await)?;
        let Some((member_id,)) = row else {
            return Err(Error::Unauthenticated(
                "this sign-in link is unknown, used or expired; ask for a new one".into(),
            ));
        };
        let member = self.member(member_id).await?;
        if member.disabled_at.is_some() {
            return Err(Error::Unauthenticated("this account is disabled".into()));
        }
        let session = self.insert_session(&mut tx, &member, "login-link").await?;
        tx.commit().await?;
        Ok(session)
    }

    /// Start a staff session for a member whom another block has signed in (the identity
    /// provider), audited with that `method`. Returns the token for the session cookie.
    pub async fn start_staff_session(&self, member_id: Uuid, method: &str) -> Result<String> {
        let member = self.member(member_id).await?;
        if member.disabled_at.is_some() {
            return Err(Error::Forbidden(format!("{} is disabled", member.email)));
        }
        let mut tx = self.db().begin().await?;
        let session = self.insert_session(&mut tx, &member, method).await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn insert_session(
        &self,
        tx: &mut crate::db::Tx,
        member: &crate::orgs::Member,
        method: &str,
    ) -> Result<String> {
        let now = Timestamp::now();
        let session = random_token();
        let expires = now.plus(time::Duration::minutes(self.config().session.ttl_minutes));
        on_tx!(tx, c => sqlx::query("INSERT INTO kernel_sessions (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(sha256(session.as_bytes()).to_vec()).bind(member.id).bind(now).bind(expires).execute(c).await.map(|_| ()))?;
        self.audit(
            tx,
            Event::new(&Actor::member(member.id), "kernel.session.started", "member", member.id)
                .org(member.org_id)
                .details(serde_json::json!({ "method": method })),
        )
        .await?;
        Ok(session)
    }

    /// The session behind a cookie value, if it is current and its member active.
    pub async fn session(&self, token: &str) -> Result<Option<StaffSession>> {
        let hash = sha256(token.as_bytes()).to_vec();
        type SessionRow = (Uuid, String, String, String, Uuid, String, String, String);
        let row: Option<SessionRow> = on_db!(self.db(), pool => sqlx::query_as(
            "SELECT m.id, m.email, m.name, m.roles, o.id, o.slug, o.name, o.kind
             FROM kernel_sessions s JOIN kernel_members m ON m.id = s.member_id JOIN kernel_organisations o ON o.id = m.org_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.disabled_at IS NULL")
            .bind(&hash).bind(Timestamp::now()).fetch_optional(pool).await)?;
        Ok(match row {
            Some((member_id, email, name, roles, org_id, org_slug, org_name, kind)) => Some(StaffSession {
                member_id,
                email,
                name,
                org_id,
                org_slug,
                org_name,
                org_kind: OrgKind::parse("kind", &kind)?,
                roles: Roles::from_text(&roles),
            }),
            None => None,
        })
    }

    pub async fn end_session(&self, token: &str, who: &StaffSession) -> Result<()> {
        let mut tx = self.db().begin().await?;
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM kernel_sessions WHERE token_hash = $1")
            .bind(sha256(token.as_bytes()).to_vec()).execute(c).await.map(|_| ()))?;
        self.audit(&mut tx, Event::new(&who.actor(), "kernel.session.ended", "member", who.member_id).org(who.org_id))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Kernel {
    /// Delete expired sessions and login links (their use is in the audit log). Returns how
    /// many rows went. Runs periodically in every process; safe to run concurrently.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let now = Timestamp::now();
        let sessions = on_db!(self.db(), pool => sqlx::query("DELETE FROM kernel_sessions WHERE expires_at < $1")
            .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
        let links = on_db!(self.db(), pool => sqlx::query("DELETE FROM kernel_login_links WHERE expires_at < $1")
            .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(sessions + links)
    }
}
