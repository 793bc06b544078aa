//! The exchange service: the catalogue and the lifecycles of agreements and purposes (each
//! change audited), and what the token endpoint and the gateway need at run time — cached
//! authorisations, daily quotas and the message log.

pub mod agreements;
mod catalogue;
mod members;
pub mod purposes;
pub mod quota;
pub mod state;
mod steps;

use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Tx;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use uuid::Uuid;

pub use catalogue::NewEService;
pub use purposes::NewPurpose;

use crate::config::ExchangeConfig;
use crate::log::MessageLog;

/// Who asks for a change: an organisation, through one of its API keys or staff members.
#[derive(Clone, Debug)]
pub struct Caller {
    pub org_id: Uuid,
    pub org_kind: OrgKind,
    pub actor: Actor,
}

impl Caller {
    pub fn new(org_id: Uuid, org_kind: OrgKind, actor: Actor) -> Caller {
        Caller { org_id, org_kind, actor }
    }
}

/// The exchange block's service, provided to routes with `kernel.provide`.
pub struct Exchange {
    kernel: Kernel,
    config: ExchangeConfig,
    state: Arc<state::StateCache>,
    quotas: Arc<quota::Quotas>,
    log: MessageLog,
    http: reqwest::Client,
    voucher_keys: crate::token::voucher::VoucherKeys,
    register_fields: crate::backend::registry::RegisterFields,
    /// `public_url` (or the listen address), without a trailing slash.
    public_base: String,
    issuer: String,
}

impl Exchange {
    /// Start the service: the authorisation cache's watcher and the quota flusher run in the
    /// background for as long as the service lives.
    pub fn new(kernel: Kernel, config: ExchangeConfig, log: MessageLog) -> Result<Exchange> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(config.backend_timeout_seconds.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Unavailable(format!("exchange: cannot build the HTTP client: {e}")))?;
        let state = state::StateCache::start(kernel.clone(), config.instance.clone());
        let quotas = quota::Quotas::start(kernel.db().clone());
        let public_base = kernel.config().public_base();
        Ok(Exchange {
            kernel,
            config,
            state,
            quotas,
            log,
            http,
            voucher_keys: Default::default(),
            register_fields: Default::default(),
            issuer: format!("{public_base}/exchange"),
            public_base,
        })
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }
    pub fn config(&self) -> &ExchangeConfig {
        &self.config
    }
    pub fn instance(&self) -> &str {
        &self.config.instance
    }
    pub fn state(&self) -> &state::StateCache {
        &self.state
    }
    pub fn quotas(&self) -> &quota::Quotas {
        &self.quotas
    }
    pub fn log(&self) -> &MessageLog {
        &self.log
    }
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
    pub fn voucher_keys(&self) -> &crate::token::voucher::VoucherKeys {
        &self.voucher_keys
    }

    /// The public address of this deployment (`public_url`, else the listen address).
    pub fn public_base(&self) -> &str {
        &self.public_base
    }
    pub fn register_fields(&self) -> &crate::backend::registry::RegisterFields {
        &self.register_fields
    }

    /// The token endpoint's URL: the `aud` client assertions must carry.
    pub fn token_url(&self) -> String {
        format!("{}/exchange/token.oauth2", self.public_base())
    }

    /// The `iss` of the vouchers this exchange signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Audit a change and invalidate every process's cached authorisations, in the change's
    /// transaction; then commit and drop this process's cache at once.
    async fn commit_change(&self, mut tx: Tx, event: Event) -> Result<()> {
        self.kernel.audit(&mut tx, event).await?;
        crate::store::bump_version(&mut tx).await?;
        tx.commit().await?;
        self.state.invalidate();
        Ok(())
    }
}

/// A required, trimmed text of at most `max` characters without control characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(field, "required"));
    }
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Error::invalid(field, "control characters are not allowed"));
    }
    Ok(value.to_string())
}

/// An optional reason for a lifecycle step, checked like any text.
pub(crate) fn reason(value: Option<&str>) -> Result<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Ok(Some(text("reason", v, 1000)?)),
        None => Ok(None),
    }
}
