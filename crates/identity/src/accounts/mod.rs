//! Accounts and authentication: sign-up with email verification, passwords (NIST SP 800-63B
//! rev. 4), MFA (TOTP, recovery codes, one-time codes through notify), throttling and
//! lockout, browser sessions with idle and absolute timeouts, and each account's activity log.

use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::error::Result;
use publica_kernel::jobs::JobHandler;

use crate::config::IdentityConfig;
use crate::service::Identity;

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
