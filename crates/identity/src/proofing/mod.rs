//! Identity proofing: the person gives their national identifier and facts about themselves;
//! Publica checks them against the population register through the exchange, as an ordinary
//! consumer with its own agreement and purpose, so each proofing is in the person's
//! data-usage log.

use publica_kernel::Kernel;
use publica_kernel::error::Result;
use uuid::Uuid;

use crate::config::IdentityConfig;
use crate::domain::VerifiedIdentity;
use crate::service::Identity;

impl Identity {
    /// The identity proofed for this account, if any (the latest, when proofed again).
    pub async fn verified_identity(&self, _account_id: Uuid) -> Result<Option<VerifiedIdentity>> {
        Ok(None)
    }
}

/// Run-time state of proofing (the exchange client's key and voucher, …).
pub struct State {}

impl State {
    pub fn new(_kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        Ok(State {})
    }
}

/// This part's pages (cookie sessions, CSRF-checked by the kernel's page layer).
pub fn page_routes(_identity: std::sync::Arc<Identity>) -> axum::Router {
    axum::Router::new()
}
