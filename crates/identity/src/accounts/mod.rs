//! Accounts and authentication: sign-up with email verification, passwords (NIST SP 800-63B
//! rev. 4), MFA (TOTP, recovery codes, one-time codes through notify), throttling and
//! lockout, browser sessions with idle and absolute timeouts, and each account's activity log.
//!
//! Rooms: `domain` (types and rules), `password` (policy and Argon2id), `totp`, `store` (SQL),
//! `throttle`, `codes` (emailed and texted codes), `notify` (the notify service they go
//! through), `sessions` (browser sessions and cookies), `service` (sign-up, sign-in, password
//! changes, recovery), `mfa` (second factors), `webauthn` (security keys and passkeys),
//! `devices` (remembered devices), `pages` (the HTML pages).

mod codes;
pub mod devices;
pub mod domain;
mod mfa;
mod notify;
mod pages;
pub mod password;
mod service;
mod sessions;
pub mod store;
pub mod throttle;
pub mod totp;
pub mod webauthn;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::JobHandler;
use uuid::Uuid;

pub use codes::CodeCheck;
pub use mfa::{FactorCheck, TotpEnrolment};
pub use service::{PasswordCheck, SignedInByPassword};
pub use sessions::{FLOW_COOKIE, SESSION_COOKIE};

use crate::config::IdentityConfig;
use crate::domain::{Aal, AccountClaims, AccountKind, SignedIn};
use crate::service::Identity;

/// An account to create directly (the demo, the CLI): no verification email is sent.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub email: String,
    pub email_verified: bool,
    pub password: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// For staff: the kernel member this account signs in as.
    pub member_id: Option<Uuid>,
}

/// Where a sign-in came from, for throttling and the activity log.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// The origin of a request: the client's address (the peer's, or the one a trusted proxy
    /// passed on, see `publica_kernel::web::client_ip`) and the browser's `User-Agent` (the
    /// device), shortened to 300 characters. No GeoIP database is shipped, so the "place" of a
    /// sign-in shown to the person is this address.
    pub fn of(kernel: &Kernel, headers: &HeaderMap, peer: Option<IpAddr>) -> Origin {
        let ip = publica_kernel::web::client_ip(kernel, headers, peer);
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(300).collect::<String>())
            .filter(|v| !v.is_empty());
        Origin { ip: ip.map(|ip| ip.to_string()), user_agent }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Origin
where
    Kernel: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Origin::of(&Kernel::from_ref(state), &parts.headers, peer))
    }
}

impl Identity {
    /// Where the throttle claims attempts ([`throttle::claim`]): a connection of its own whose
    /// commits do not wait for the disk ([`Db::unsynced`]), opened at the first claim.
    pub(crate) fn claims_db(&self) -> &Db {
        self.accounts.claims.get_or_init(|| self.kernel.db().unsynced())
    }

    /// The person signed in to this browser (the `publica_id` cookie), if the session is
    /// current: not past its idle or absolute timeout. Counts as activity.
    pub async fn signed_in(&self, headers: &HeaderMap) -> Result<Option<SignedIn>> {
        let Some(current) = self.current(headers).await? else {
            return Ok(None);
        };
        Ok(Some(SignedIn {
            session_id: current.session.id,
            account_id: current.account.id,
            auth_time: current.session.auth_time,
            aal: current.aal(),
            amr: current.session.amr.clone(),
            ial: self.ial_of(&current.account).await?,
        }))
    }

    /// Everything an account can release as claims, including its verified identity (none
    /// after a recovery by emailed code alone, until the person is proofed again).
    pub async fn account_claims(&self, account_id: Uuid) -> Result<AccountClaims> {
        let account = self.account(account_id).await?;
        let verified = self
            .verified_identity(account_id)
            .await?
            .filter(|v| account.recovered_at.is_none_or(|r| v.verified_at > r));
        Ok(AccountClaims {
            account_id,
            kind: account.kind,
            email: account.email,
            email_verified: account.email_verified_at.is_some(),
            name: account.name,
            phone_verified: account.phone.is_some() && account.phone_verified_at.is_some(),
            phone: account.phone,
            verified,
        })
    }

    /// The kernel member a staff account signs in as, if any.
    pub async fn staff_member(&self, account_id: Uuid) -> Result<Option<Uuid>> {
        let account = self.account(account_id).await?;
        Ok(if account.kind == AccountKind::Staff { account.member_id } else { None })
    }

    /// Create an account without the sign-up flow; idempotent by email (returns the
    /// existing account's id when the email is taken). The password follows the same rules as
    /// at sign-up (at least 15 characters, not a common one).
    pub async fn create_account(&self, new: NewAccount) -> Result<Uuid> {
        if let Some(existing) = self.account_by_email(&new.email).await? {
            return Ok(existing.id);
        }
        let verified = new.email_verified;
        match self.insert_new_account(&new, verified, Some(&Actor::system("identity"))).await {
            Err(Error::Conflict(_)) => self
                .account_by_email(&new.email)
                .await?
                .map(|a| a.id)
                .ok_or_else(|| Error::internal("an account vanished while being created")),
            other => other,
        }
    }

    /// Enrol a TOTP authenticator with a known base32 secret (the demo's citizens): 160 bits,
    /// 32 base32 characters. Replaces any authenticator app the account had.
    pub async fn enrol_totp_secret(&self, account_id: Uuid, secret_base32: &str) -> Result<()> {
        self.enrol_known_totp(account_id, secret_base32).await
    }

    /// Add an entry to the account's activity log (`kind` e.g. `oidc.consent`, `proofing.passed`).
    /// The account page shows it with the message `acc-activity-{kind, dots as hyphens}` when
    /// one exists, else the kind itself.
    pub async fn record_activity(
        &self,
        account_id: Uuid,
        kind: &str,
        detail: serde_json::Value,
        origin: &Origin,
    ) -> Result<()> {
        let entry = store::activity::NewActivity {
            account_id,
            kind,
            detail: &detail,
            ip: origin.ip.as_deref(),
            user_agent: origin.user_agent.as_deref(),
        };
        store::activity::insert(self.kernel.db(), entry).await
    }

    /// End one browser session (RP-initiated logout); its cookie stops working at once.
    pub async fn end_browser_session(&self, session_id: Uuid) -> Result<()> {
        if let Some(session) = store::sessions::by_id(self.kernel.db(), session_id).await?
            && store::sessions::delete(self.kernel.db(), session_id).await?
        {
            let detail = serde_json::json!({ "session": session_id, "by": "logout" });
            self.record_activity(session.account_id, "session.ended", detail, &Origin::default()).await?;
        }
        Ok(())
    }

    /// The level a browser session reached, for pages that need one.
    pub async fn session_aal(&self, headers: &HeaderMap) -> Result<Option<Aal>> {
        Ok(self.current(headers).await?.map(|c| c.aal()))
    }
}

/// Run-time state of accounts: the password hasher's pool, the notify service codes leave by,
/// the WebAuthn relying party (or why there is none), and the connection the throttle claims
/// attempts on.
pub struct State {
    pub(crate) hasher: password::Hasher,
    pub(crate) channels: tokio::sync::OnceCell<notify::Channels>,
    pub(crate) webauthn: std::result::Result<webauthn_rs::Webauthn, String>,
    claims: std::sync::OnceLock<Db>,
}

impl State {
    pub fn new(kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        let webauthn = webauthn::relying_party(&kernel.config().public_base());
        if let Err(why) = &webauthn {
            tracing::warn!("security keys and passkeys are off: {why}");
        }
        Ok(State {
            hasher: password::Hasher::new(),
            channels: tokio::sync::OnceCell::new(),
            webauthn,
            claims: std::sync::OnceLock::new(),
        })
    }
}

/// JSON routes of accounts, if any.
pub fn api_routes(_identity: Arc<Identity>) -> axum::Router {
    axum::Router::new()
}

pub fn job_handlers(_identity: &Arc<Identity>) -> Vec<Arc<dyn JobHandler>> {
    Vec::new()
}

/// Purge sessions past their timeouts, flows, codes, WebAuthn ceremonies and remembered devices
/// past their time, and throttling counters that stopped mattering. Safe from several processes at once.
pub async fn housekeeping(identity: &Identity) -> Result<()> {
    identity.accounts.hasher.trim(std::time::Duration::from_secs(60));
    let db = identity.kernel.db();
    let now = Timestamp::now();
    let idle = time::Duration::minutes(identity.config.session_idle_minutes);
    let ended = store::sessions::purge(db, now, idle).await?;
    identity.sessions_ended(&ended).await;
    let sessions = ended.len() as u64;
    let pending = store::auth::purge(db, now).await?;
    let counters = throttle::purge(db, now).await?;
    let ceremonies = store::webauthn::purge(db, now).await? + store::devices::purge(db, now).await?;
    if sessions + pending + counters + ceremonies > 0 {
        tracing::debug!(sessions, pending, counters, ceremonies, "identity housekeeping purged expired rows");
    }
    Ok(())
}

/// This part's pages (cookie sessions, CSRF-checked by the kernel's page layer).
pub fn page_routes(identity: std::sync::Arc<Identity>) -> axum::Router {
    pages::routes(identity)
}
