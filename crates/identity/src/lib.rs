//! The identity block: one account for every public service. Accounts for citizens, business
//! representatives and staff; passwords as NIST SP 800-63B rev. 4 asks; MFA; levels of
//! assurance in several vocabularies; identity proofing against the population register
//! through the exchange; and an OpenID Connect provider that strict clients accept.

pub mod accounts;
pub mod citizen;
pub mod config;
mod demo;
pub mod domain;
pub mod oidc;
pub mod pages;
pub mod proofing;
pub mod service;

use std::sync::Arc;

use publica_kernel::db::BlockMigrations;
use publica_kernel::error::{Error, Result};
use publica_kernel::i18n::Lang;
use publica_kernel::jobs::JobHandler;
use publica_kernel::{Block, Kernel};

pub use config::IdentityConfig;
pub use service::Identity;

pub const MIGRATIONS: BlockMigrations = BlockMigrations {
    block: "identity",
    sqlite: &[
        (1, "accounts", include_str!("../migrations/sqlite/0001_accounts.sql")),
        (2, "openid connect", include_str!("../migrations/sqlite/0002_oidc.sql")),
        (3, "proofing", include_str!("../migrations/sqlite/0003_proofing.sql")),
        (4, "webauthn and remembered devices", include_str!("../migrations/sqlite/0004_webauthn.sql")),
        (5, "client resources", include_str!("../migrations/sqlite/0005_client_resources.sql")),
        (6, "throttle in flight", include_str!("../migrations/sqlite/0006_throttle_in_flight.sql")),
    ],
    postgres: &[
        (1, "accounts", include_str!("../migrations/postgres/0001_accounts.sql")),
        (2, "openid connect", include_str!("../migrations/postgres/0002_oidc.sql")),
        (3, "proofing", include_str!("../migrations/postgres/0003_proofing.sql")),
        (4, "webauthn and remembered devices", include_str!("../migrations/postgres/0004_webauthn.sql")),
        (5, "client resources", include_str!("../migrations/postgres/0005_client_resources.sql")),
        (6, "throttle in flight", include_str!("../migrations/postgres/0006_throttle_in_flight.sql")),
    ],
};

pub struct IdentityBlock;

#[async_trait::async_trait]
impl Block for IdentityBlock {
    fn name(&self) -> &'static str {
        "identity"
    }
    fn config_defaults(&self) -> serde_json::Value {
        serde_json::to_value(IdentityConfig::default()).unwrap_or_default()
    }
    fn migrations(&self) -> BlockMigrations {
        MIGRATIONS
    }
    fn staff_links(&self) -> &'static [(&'static str, &'static str)] {
        &[("identity-clients-title", "/identity/clients")]
    }
    fn locales(&self) -> &'static [(Lang, &'static str)] {
        &[
            (Lang::En, include_str!("../locales/en/identity.ftl")),
            (Lang::Fr, include_str!("../locales/fr/identity.ftl")),
            (Lang::En, include_str!("../locales/en/accounts.ftl")),
            (Lang::Fr, include_str!("../locales/fr/accounts.ftl")),
            (Lang::En, include_str!("../locales/en/oidc.ftl")),
            (Lang::Fr, include_str!("../locales/fr/oidc.ftl")),
            (Lang::En, include_str!("../locales/en/proofing.ftl")),
            (Lang::Fr, include_str!("../locales/fr/proofing.ftl")),
        ]
    }
    async fn start(&self, kernel: &Kernel) -> Result<()> {
        let config: IdentityConfig =
            kernel.config().section("identity").map_err(|e| Error::Unavailable(e.to_string()))?;
        config.check().map_err(Error::Unavailable)?;
        kernel.provide(Identity::new(kernel.clone(), config)?);
        citizen::provide(kernel);
        Ok(())
    }
    fn api_routes(&self, kernel: &Kernel) -> axum::Router {
        let Some(identity) = kernel.get::<Identity>() else {
            return axum::Router::new();
        };
        oidc::routes(identity.clone()).merge(accounts::api_routes(identity))
    }
    fn page_routes(&self, kernel: &Kernel) -> axum::Router {
        let Some(identity) = kernel.get::<Identity>() else {
            return axum::Router::new();
        };
        pages::routes(identity)
    }
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        oidc::openapi()
    }
    fn job_handlers(&self, kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
        let Some(identity) = kernel.get::<Identity>() else {
            return Vec::new();
        };
        let mut handlers = accounts::job_handlers(&identity);
        handlers.extend(oidc::job_handlers(&identity));
        handlers
    }
    async fn housekeeping(&self, kernel: &Kernel) -> Result<()> {
        let Some(identity) = kernel.get::<Identity>() else {
            return Ok(());
        };
        accounts::housekeeping(&identity).await?;
        proofing::housekeeping(&identity).await?;
        oidc::housekeeping(&identity).await
    }
    async fn seed_demo(&self, kernel: &Kernel) -> Result<serde_json::Value> {
        demo::seed(kernel).await
    }
}
