//! Identity proofing: the person gives their national identifier and facts about themselves;
//! Publica checks them against the population register through the exchange, as an ordinary
//! consumer with its own agreement and purpose, so each proofing is in the person's
//! data-usage log. Also the staff sign-in that turns an identity session into a back-office
//! session.
//!
//! - [`setup`]: becoming a consumer of the person lookup (`Identity::setup_proofing`);
//! - [`register`]: reading a record through the exchange's token endpoint and gateway;
//! - [`facts`]: checking what was entered and comparing it with the record;
//! - [`proof`]: one attempt, its limits, audit and the link to the account;
//! - [`pages`] and [`staff`]: `/identity/proofing` and `/identity/staff/sign-in`.

pub mod facts;
mod fold;
pub mod pages;
pub mod proof;
pub mod register;
pub mod setup;
pub mod staff;
pub mod store;

use std::sync::{Arc, Mutex};

use publica_exchange::Exchange;
use publica_exchange::domain::{AgreementState, EServiceState, PurposeState};
use publica_exchange::service::Caller;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::crypto::PrivateKey;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Result;

use crate::config::IdentityConfig;
use crate::service::Identity;

pub use facts::{FactError, Facts, FactsInput, Problem};
pub use proof::ProofingOutcome;
pub use setup::{ProofingSetupSpec, ProofingSetupStatus};

/// How long attempts are kept (they count for 24 hours; the rest is for investigations).
const ATTEMPTS_KEPT: time::Duration = time::Duration::days(30);

/// Run-time state of proofing: the key for hashing national ids of attempts, the exchange
/// client's opened key and its current voucher.
pub struct State {
    subject_key: [u8; 32],
    voucher: Mutex<Option<register::CachedVoucher>>,
    key: Mutex<Option<(String, Arc<PrivateKey>)>>,
}

impl State {
    pub fn new(kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        Ok(State {
            subject_key: kernel.keys().master().derive("publica-identity-proofing-subject-v1"),
            voucher: Mutex::new(None),
            key: Mutex::new(None),
        })
    }
}

/// What a person is told before proofing: which register is consulted, by whom, and why.
#[derive(Clone, Debug)]
pub struct ProofingNotice {
    /// The e-service read (`Person lookup`) and the register's keeper.
    pub eservice: String,
    pub provider: String,
    /// The organisation operating the identity provider.
    pub operator: String,
    pub purpose: String,
    pub legal_basis: String,
}

impl Identity {
    /// What proofing will consult, or why it cannot run now (for the operator's log).
    pub async fn proofing_notice(&self) -> Result<std::result::Result<ProofingNotice, String>> {
        let Some(exchange) = self.kernel.get::<Exchange>() else {
            return Ok(Err("the exchange block is not running in this deployment".into()));
        };
        let Some(setup) = store::setup(self.kernel.db()).await? else {
            return Ok(Err("proofing is not set up".into()));
        };
        let (Some(purpose_id), Some(agreement_id)) = (setup.purpose_id, setup.agreement_id) else {
            return Ok(Err("proofing has no purpose yet: its agreement waits for approval".into()));
        };
        let operator = self.kernel.organisation(setup.org_id).await?;
        let caller = Caller::new(operator.id, operator.kind, Actor::system("identity"));
        let (agreement, _) = exchange.agreement(&caller, agreement_id).await?;
        let (purpose, _) = exchange.purpose(&caller, purpose_id).await?;
        let eservice = exchange.eservice(setup.eservice_id).await?;
        if agreement.state != AgreementState::Active {
            return Ok(Err(format!("the agreement for {} is {}", eservice.xroad_id, agreement.state.as_str())));
        }
        if purpose.state != PurposeState::Active {
            return Ok(Err(format!("the purpose \"{}\" is {}", purpose.title, purpose.state.as_str())));
        }
        if eservice.state != EServiceState::Active {
            return Ok(Err(format!("the e-service {} is suspended", eservice.xroad_id)));
        }
        let provider = self.kernel.organisation(eservice.provider_org).await?;
        Ok(Ok(ProofingNotice {
            eservice: eservice.title,
            provider: provider.name,
            operator: operator.name,
            purpose: purpose.title,
            legal_basis: purpose.legal_basis,
        }))
    }
}

/// Forget proofing attempts past their retention (call from the block's housekeeping).
pub async fn housekeeping(identity: &Identity) -> Result<()> {
    let purged = store::purge_attempts(identity.kernel.db(), Timestamp::now().plus(-ATTEMPTS_KEPT)).await?;
    if purged > 0 {
        tracing::info!(purged, "old identity proofing attempts forgotten");
    }
    Ok(())
}

/// This part's pages (cookie sessions, CSRF-checked by the kernel's page layer).
pub fn page_routes(identity: Arc<Identity>) -> axum::Router {
    pages::routes(identity.clone()).merge(staff::routes(identity))
}
