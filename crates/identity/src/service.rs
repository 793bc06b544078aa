//! The identity block's service, provided to routes with `kernel.provide`. Each part of the
//! block (accounts, the OpenID Connect provider, proofing) keeps its run-time state here and
//! adds its methods in its own module with `impl Identity`.

use publica_kernel::Kernel;
use publica_kernel::error::Result;

use crate::config::IdentityConfig;

pub struct Identity {
    pub(crate) kernel: Kernel,
    pub(crate) config: IdentityConfig,
    /// `public_url` (or the listen address) + `/identity`, byte for byte the `iss` of every
    /// token and the issuer of the discovery document.
    pub(crate) issuer: String,
    pub(crate) accounts: crate::accounts::State,
    pub(crate) oidc: crate::oidc::State,
    pub(crate) proofing: crate::proofing::State,
}

impl Identity {
    pub fn new(kernel: Kernel, config: IdentityConfig) -> Result<Identity> {
        let issuer = format!("{}/identity", kernel.config().public_base());
        let accounts = crate::accounts::State::new(&kernel, &config)?;
        let oidc = crate::oidc::State::new(&kernel, &config)?;
        let proofing = crate::proofing::State::new(&kernel, &config)?;
        Ok(Identity { kernel, config, issuer, accounts, oidc, proofing })
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }
    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}
