//! The exchange block: once-only data exchange between agencies. X-Road identifiers and the
//! X-Road Message Protocol for REST at the gateway (`/r1/…`), PDND-style purpose-bound
//! vouchers from the token endpoint (`/exchange/token.oauth2`), daily quotas, a catalogue of
//! e-services with agreements and purposes managed through `/api/exchange/v1`, a signed
//! message log, and each person's data-usage log.

pub mod api;
pub mod backend;
pub mod config;
mod demo;
pub mod domain;
pub mod evidence;
pub mod gateway;
pub mod log;
pub mod pages;
pub mod service;
pub mod store;
pub mod token;

use std::sync::Arc;

use publica_kernel::db::{BlockMigrations, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::JobHandler;
use publica_kernel::{Block, Kernel};

pub use config::ExchangeConfig;
pub use service::Exchange;

pub const MIGRATIONS: BlockMigrations = BlockMigrations {
    block: "exchange",
    sqlite: &[
        (1, "exchange", include_str!("../migrations/sqlite/0001_exchange.sql")),
        (2, "message log", include_str!("../migrations/sqlite/0002_log.sql")),
        (3, "evidence requests", include_str!("../migrations/sqlite/0003_evidence.sql")),
        (4, "evidence: persons sign in", include_str!("../migrations/sqlite/0004_evidence_sign_in.sql")),
    ],
    postgres: &[
        (1, "exchange", include_str!("../migrations/postgres/0001_exchange.sql")),
        (2, "message log", include_str!("../migrations/postgres/0002_log.sql")),
        (3, "evidence requests", include_str!("../migrations/postgres/0003_evidence.sql")),
        (4, "evidence: persons sign in", include_str!("../migrations/postgres/0004_evidence_sign_in.sql")),
    ],
};

pub struct ExchangeBlock;

#[async_trait::async_trait]
impl Block for ExchangeBlock {
    fn name(&self) -> &'static str {
        "exchange"
    }
    fn config_defaults(&self) -> serde_json::Value {
        serde_json::to_value(ExchangeConfig::default()).unwrap_or_default()
    }
    fn migrations(&self) -> BlockMigrations {
        MIGRATIONS
    }
    fn staff_links(&self) -> &'static [(&'static str, &'static str)] {
        &[("exchange-title", "/exchange")]
    }
    fn locales(&self) -> &'static [(publica_kernel::i18n::Lang, &'static str)] {
        &[
            (publica_kernel::i18n::Lang::En, include_str!("../locales/en/exchange.ftl")),
            (publica_kernel::i18n::Lang::Fr, include_str!("../locales/fr/exchange.ftl")),
        ]
    }
    async fn start(&self, kernel: &Kernel) -> Result<()> {
        let config: ExchangeConfig =
            kernel.config().section("exchange").map_err(|e| Error::Unavailable(e.to_string()))?;
        config.check().map_err(Error::Unavailable)?;
        let log = log::MessageLog::start(kernel.clone(), config.log_bodies);
        kernel.provide(Exchange::new(kernel.clone(), config, log)?);
        kernel.provide(publica_registry::usage::UsageProvider(Arc::new(log::UsageLog(kernel.db().clone()))));
        Ok(())
    }
    fn api_routes(&self, kernel: &Kernel) -> axum::Router {
        let Some(exchange) = kernel.get::<Exchange>() else {
            return axum::Router::new();
        };
        api::routes(exchange.clone())
            .merge(token::routes(exchange.clone()))
            .merge(gateway::routes(exchange))
            .merge(evidence::api_routes(kernel))
    }
    fn page_routes(&self, kernel: &Kernel) -> axum::Router {
        pages::routes(kernel).merge(evidence::page_routes(kernel))
    }
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        <api::openapi::ExchangeApi as utoipa::OpenApi>::openapi()
    }
    fn job_handlers(&self, _kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
        Vec::new()
    }
    async fn housekeeping(&self, kernel: &Kernel) -> Result<()> {
        let now = Timestamp::now();
        store::runtime::purge_assertions(kernel.db(), now).await?;
        let keep_from = now.inner().date() - time::Duration::days(35);
        store::runtime::purge_calls_before(kernel.db(), &service::quota::day_text(keep_from)).await?;
        let expired = evidence::purge_expired(kernel).await?;
        if expired > 0 {
            tracing::info!(expired, "evidence requests past their deadline expired or forgotten");
        }
        Ok(())
    }
    async fn seed_demo(&self, kernel: &Kernel) -> Result<serde_json::Value> {
        demo::seed(kernel).await
    }
}
