//! Browser sessions: the `publica_id` cookie (HttpOnly, SameSite=Lax, Secure behind TLS) names
//! a session whose token is stored hashed, with the time of the last active authentication,
//! the level and methods it reached; it ends after `session_idle_minutes` without activity or
//! `session_absolute_minutes` after sign-in. Activity is written at most once a minute. Also
//! the `publica_id_flow` cookie of a sign-up, sign-in or recovery in progress.

use axum::http::{HeaderMap, HeaderValue};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use publica_kernel::crypto::{random_token, sha256};
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::Result;
use uuid::Uuid;

use super::Origin;
use super::domain::Account;
use super::store::{self, activity::NewActivity, sessions::SessionRow};
use crate::domain::{Aal, Ial};
use crate::service::Identity;

pub const SESSION_COOKIE: &str = "publica_id";
pub const FLOW_COOKIE: &str = "publica_id_flow";
/// Activity is written at most this often per session.
const TOUCH_EVERY: time::Duration = time::Duration::seconds(60);

/// The session of this browser and its account, when current.
#[derive(Clone, Debug)]
pub struct Current {
    pub session: SessionRow,
    pub account: Account,
}

impl Current {
    pub fn aal(&self) -> Aal {
        Aal::parse(&self.session.aal).unwrap_or(Aal::Aal1)
    }
}

/// The token a cookie of that name carries, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers).get(name).map(|c| c.value().to_string()).filter(|v| !v.is_empty())
}

fn cookie(name: &str, value: String, path: &str, https: bool, max_age: Option<time::Duration>) -> Option<HeaderValue> {
    let mut builder = Cookie::build((name.to_string(), value))
        .path(path.to_string())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https);
    if let Some(age) = max_age {
        builder = builder.max_age(age);
    }
    builder.build().to_string().parse().ok()
}

/// `Set-Cookie` for a new session (a browser-session cookie: it goes when the browser closes,
/// and the server ends it sooner by its timeouts).
pub fn session_cookie(token: &str, https: bool) -> Option<HeaderValue> {
    cookie(SESSION_COOKIE, token.to_string(), "/", https, None)
}

pub fn clear_session_cookie(https: bool) -> Option<HeaderValue> {
    cookie(SESSION_COOKIE, String::new(), "/", https, Some(time::Duration::ZERO))
}

pub fn flow_cookie(token: &str, https: bool, lifetime: time::Duration) -> Option<HeaderValue> {
    cookie(FLOW_COOKIE, token.to_string(), "/identity", https, Some(lifetime))
}

pub fn clear_flow_cookie(https: bool) -> Option<HeaderValue> {
    cookie(FLOW_COOKIE, String::new(), "/identity", https, Some(time::Duration::ZERO))
}

impl Identity {
    /// The current session behind this request's cookie and its account; notes the activity.
    pub(crate) async fn current(&self, headers: &HeaderMap) -> Result<Option<Current>> {
        let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        let db = self.kernel.db();
        let Some(session) = store::sessions::by_token(db, &sha256(token.as_bytes())).await? else {
            return Ok(None);
        };
        let now = Timestamp::now();
        let idle = time::Duration::minutes(self.config.session_idle_minutes);
        if session.expires_at <= now || session.last_seen_at.plus(idle) <= now {
            if store::sessions::delete(db, session.id).await? {
                self.sessions_ended(&[session.id]).await;
            }
            return Ok(None);
        }
        let Some(account) = store::account(db, session.account_id).await? else {
            return Ok(None);
        };
        if session.last_seen_at.plus(TOUCH_EVERY) <= now {
            store::sessions::touch(db, session.id, now).await?;
        }
        Ok(Some(Current { session, account }))
    }

    /// The identity level an account has now: its proofed identity, unless the account was
    /// recovered by an emailed code alone since (then it must be proofed again).
    pub(crate) async fn ial_of(&self, account: &Account) -> Result<Ial> {
        Ok(match self.verified_identity(account.id).await? {
            Some(v) if account.recovered_at.is_none_or(|r| v.verified_at > r) => v.ial,
            _ => Ial::None,
        })
    }

    /// Start a session after a complete sign-in; returns its cookie token and id.
    pub(crate) async fn start_session(
        &self,
        account_id: Uuid,
        aal: Aal,
        amr: Vec<String>,
        origin: &Origin,
    ) -> Result<(String, Uuid)> {
        let mut tx = self.kernel.db().begin().await?;
        let started = self.start_session_after(&mut tx, account_id, aal, amr, origin, None).await?;
        tx.commit().await?;
        Ok(started)
    }

    /// [`Identity::start_session`] in the caller's transaction, recording `step` (an activity
    /// kind and detail: the sign-in step that completed the sign-in) with the session's start
    /// in one statement.
    pub(crate) async fn start_session_after(
        &self,
        tx: &mut Tx,
        account_id: Uuid,
        aal: Aal,
        amr: Vec<String>,
        origin: &Origin,
        step: Option<(&str, &serde_json::Value)>,
    ) -> Result<(String, Uuid)> {
        let token = random_token();
        let now = Timestamp::now();
        let session = SessionRow {
            id: Uuid::now_v7(),
            account_id,
            created_at: now,
            auth_time: now,
            last_seen_at: now,
            expires_at: now.plus(time::Duration::minutes(self.config.session_absolute_minutes)),
            aal: aal.as_str().into(),
            amr,
            ip: origin.ip.clone(),
            user_agent: origin.user_agent.clone(),
        };
        store::sessions::insert_in(tx, &sha256(token.as_bytes()), &session).await?;
        let started = serde_json::json!({ "session": session.id, "aal": aal.as_str(), "amr": session.amr });
        let entry = |kind, detail| NewActivity {
            account_id,
            kind,
            detail,
            ip: origin.ip.as_deref(),
            user_agent: origin.user_agent.as_deref(),
        };
        let mut entries: Vec<NewActivity> = step.map(|(kind, detail)| entry(kind, detail)).into_iter().collect();
        entries.push(entry("session.started", &started));
        store::activity::insert_all_in(tx, &entries).await?;
        Ok((token, session.id))
    }

    /// A stronger sign-in in the same session (step-up).
    /// Raise the session's level after a second factor; the session's new token (its cookie).
    pub(crate) async fn raise_session(
        &self,
        session: &SessionRow,
        aal: Aal,
        add: &[&str],
        origin: &Origin,
    ) -> Result<String> {
        let mut amr = session.amr.clone();
        for method in add {
            if !amr.iter().any(|m| m == method) {
                amr.push((*method).to_string());
            }
        }
        // A new token for the stronger session, so that a token seen before the step-up (a
        // fixed or leaked cookie) does not carry the new level.
        let token = random_token();
        let hash = sha256(token.as_bytes());
        store::sessions::raise(self.kernel.db(), session.id, &hash, aal.as_str(), &amr, Timestamp::now()).await?;
        self.record_activity(
            session.account_id,
            "session.raised",
            serde_json::json!({ "session": session.id, "aal": aal.as_str(), "amr": amr }),
            origin,
        )
        .await?;
        Ok(token)
    }

    /// Whether the session's last active authentication is recent enough for a sensitive action.
    pub(crate) fn recently_authenticated(&self, session: &SessionRow) -> bool {
        session.auth_time.plus(time::Duration::minutes(self.config.reauthenticate_minutes)) > Timestamp::now()
    }

    /// End the session a completed sign-in replaces (a forced re-authentication), telling each
    /// client it signed in to by back-channel logout: the new session has new `sid`s.
    pub(crate) async fn end_replaced_session(&self, old: Uuid) -> Result<()> {
        if store::sessions::delete(self.kernel.db(), old).await? {
            self.sessions_ended(&[old]).await;
        }
        Ok(())
    }

    /// End this browser's session (sign-out).
    pub(crate) async fn sign_out(&self, current: &Current, origin: &Origin) -> Result<()> {
        store::sessions::delete(self.kernel.db(), current.session.id).await?;
        self.sessions_ended(&[current.session.id]).await;
        self.record_activity(
            current.account.id,
            "session.ended",
            serde_json::json!({ "session": current.session.id }),
            origin,
        )
        .await
    }

    /// End every session of the account, forget its remembered devices and revoke every token
    /// issued to services for it (audited); returns how many sessions ended.
    pub async fn sign_out_everywhere(&self, account_id: Uuid, origin: &Origin) -> Result<usize> {
        let mut tx = self.kernel.db().begin().await?;
        let ended = store::sessions::delete_all_of(&mut tx, account_id, None).await?;
        let forgotten = self.forget_devices_in(&mut tx, account_id, "signed out everywhere").await?;
        let tokens = crate::oidc::store::tokens::revoke_account_tokens(&mut tx, account_id).await?;
        self.kernel
            .audit(
                &mut tx,
                publica_kernel::audit::Event::new(
                    &super::domain::actor(account_id),
                    "identity.account.signed_out_everywhere",
                    "identity_account",
                    account_id,
                )
                .details(serde_json::json!({
                    "sessions": ended.len(),
                    "devices_forgotten": forgotten,
                    "tokens_revoked": tokens,
                })),
            )
            .await?;
        tx.commit().await?;
        self.sessions_ended(&ended).await;
        self.record_activity(
            account_id,
            "sessions.ended-everywhere",
            serde_json::json!({ "sessions": ended.len() }),
            origin,
        )
        .await?;
        Ok(ended.len())
    }

    /// Tell the client applications these sessions signed in to that they ended (OpenID
    /// Connect back-channel logout, through the job queue). The sessions are gone already, so
    /// a failure here is logged rather than undoing the sign-out.
    pub(crate) async fn sessions_ended(&self, sessions: &[Uuid]) {
        for session in sessions {
            if let Err(e) = self.backchannel_logout(*session).await {
                tracing::warn!(error = %e, %session, "could not queue the back-channel logout of an ended session");
            }
        }
    }
}
