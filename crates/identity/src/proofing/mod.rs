//! Identity proofing: the person gives their national identifier and facts about themselves;
//! Publica checks them against the population register through the exchange, as an ordinary
//! consumer with its own agreement and purpose, so each proofing is in the person's
//! data-usage log.

use publica_kernel::Kernel;
use publica_kernel::error::Result;

use crate::config::IdentityConfig;

/// Run-time state of proofing (the exchange client's key and voucher, …).
pub struct State {}

impl State {
    pub fn new(_kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        Ok(State {})
    }
}
