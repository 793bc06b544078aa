//! The registry block: the country's base registers (population, businesses, and any register
//! described by a JSON Schema) with bitemporal history, owner-only writes, exact-match search,
//! a change feed, bulk import and export, and the GovStack Digital Registries API.
//!
//! Other blocks read and write registers through [`Registry`] (`kernel.get::<Registry>()`),
//! never through the `registry_*` tables.

pub mod api;
pub mod bulk;
pub mod demo;
pub mod domain;
pub mod pages;
pub mod service;
pub mod store;
pub mod usage;

use std::sync::Arc;

use publica_kernel::db::BlockMigrations;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::JobHandler;
use publica_kernel::{Block, Kernel};

pub use domain::ids::{business_id, national_id};
pub use domain::{AsOf, BUSINESSES, ChangeKind, IdScheme, NewRecord, POPULATION, Record, RegisterInfo};
pub use service::{Registry, RegistryConfig};
pub use usage::{PersonalDataUsage, UsagePage, UsageProvider};

pub const MIGRATIONS: BlockMigrations = BlockMigrations {
    block: "registry",
    sqlite: &[
        (1, "registry", include_str!("../migrations/sqlite/0001_registry.sql")),
        (2, "imports", include_str!("../migrations/sqlite/0002_imports.sql")),
        (3, "search_keys", include_str!("../migrations/sqlite/0003_search_keys.sql")),
    ],
    postgres: &[
        (1, "registry", include_str!("../migrations/postgres/0001_registry.sql")),
        (2, "imports", include_str!("../migrations/postgres/0002_imports.sql")),
        (3, "search_keys", include_str!("../migrations/postgres/0003_search_keys.sql")),
    ],
};

pub struct RegistryBlock;

#[async_trait::async_trait]
impl Block for RegistryBlock {
    fn name(&self) -> &'static str {
        "registry"
    }
    fn config_defaults(&self) -> serde_json::Value {
        serde_json::to_value(RegistryConfig::default()).unwrap_or_default()
    }
    fn migrations(&self) -> BlockMigrations {
        MIGRATIONS
    }
    fn staff_links(&self) -> &'static [(&'static str, &'static str)] {
        &[("registry-title", "/registry")]
    }
    fn locales(&self) -> &'static [(publica_kernel::i18n::Lang, &'static str)] {
        &[
            (publica_kernel::i18n::Lang::En, include_str!("../locales/en/registry.ftl")),
            (publica_kernel::i18n::Lang::Fr, include_str!("../locales/fr/registry.ftl")),
        ]
    }
    /// Check the configuration, provide the [`Registry`] and define the built-in registers
    /// whose owners exist (the others follow when their owners appear; see [`Registry`]).
    async fn start(&self, kernel: &Kernel) -> Result<()> {
        let config: RegistryConfig =
            kernel.config().section("registry").map_err(|e| Error::Unavailable(e.to_string()))?;
        let registry = Registry::with_config(kernel.clone(), config);
        registry.ensure_builtin().await?;
        kernel.provide(registry);
        Ok(())
    }
    fn api_routes(&self, kernel: &Kernel) -> axum::Router {
        api::routes(kernel)
    }
    fn page_routes(&self, kernel: &Kernel) -> axum::Router {
        pages::routes(kernel)
    }
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        <api::RegistryApi as utoipa::OpenApi>::openapi()
    }
    fn job_handlers(&self, _kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
        Vec::new()
    }
    async fn seed_demo(&self, kernel: &Kernel) -> Result<serde_json::Value> {
        demo::seed(kernel).await
    }
}
