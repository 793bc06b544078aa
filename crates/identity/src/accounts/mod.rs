//! Accounts and authentication: sign-up with email verification, passwords (NIST SP 800-63B
//! rev. 4), MFA (TOTP, recovery codes, one-time codes through notify), throttling and
//! lockout, browser sessions with idle and absolute timeouts, and each account's activity log.

use std::sync::Arc;

use axum::http::HeaderMap;
use publica_kernel::Kernel;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::JobHandler;
use uuid::Uuid;

use crate::config::IdentityConfig;
use crate::domain::{AccountClaims, AccountKind, SignedIn};
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

impl Identity {
    /// The person signed in to this browser (the `publica_id` cookie), if the session is
    /// current: not past its idle or absolute timeout. Counts as activity.
    pub async fn signed_in(&self, _headers: &HeaderMap) -> Result<Option<SignedIn>> {
        Ok(None)
    }

    /// Everything an account can release as claims, including its verified identity.
    pub async fn account_claims(&self, account_id: Uuid) -> Result<AccountClaims> {
        Err(Error::not_found(format!("account {account_id}")))
    }

    /// The kernel member a staff account signs in as, if any.
    pub async fn staff_member(&self, _account_id: Uuid) -> Result<Option<Uuid>> {
        Ok(None)
    }

    /// Create an account without the sign-up flow; idempotent by email (returns the
    /// existing account's id when the email is taken).
    pub async fn create_account(&self, _new: NewAccount) -> Result<Uuid> {
        Err(Error::Unavailable("accounts are not built yet".into()))
    }

    /// Enrol a TOTP authenticator with a known base32 secret (the demo's citizens).
    pub async fn enrol_totp_secret(&self, _account_id: Uuid, _secret_base32: &str) -> Result<()> {
        Err(Error::Unavailable("accounts are not built yet".into()))
    }

    /// Add an entry to the account's activity log (`kind` e.g. `oidc.consent`, `proofing.passed`).
    pub async fn record_activity(
        &self,
        _account_id: Uuid,
        _kind: &str,
        _detail: serde_json::Value,
        _origin: &Origin,
    ) -> Result<()> {
        Ok(())
    }

    /// End one browser session (RP-initiated logout); its cookie stops working at once.
    pub async fn end_browser_session(&self, _session_id: Uuid) -> Result<()> {
        Ok(())
    }
}

/// Run-time state of accounts (the password hasher's pool, throttling counters, …).
pub struct State {}

impl State {
    pub fn new(_kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        Ok(State {})
    }
}

/// JSON routes of accounts, if any.
pub fn api_routes(_identity: Arc<Identity>) -> axum::Router {
    axum::Router::new()
}

pub fn job_handlers(_identity: &Arc<Identity>) -> Vec<Arc<dyn JobHandler>> {
    Vec::new()
}

pub async fn housekeeping(_identity: &Identity) -> Result<()> {
    Ok(())
}

/// This part's pages (cookie sessions, CSRF-checked by the kernel's page layer).
pub fn page_routes(_identity: std::sync::Arc<Identity>) -> axum::Router {
    axum::Router::new()
}
