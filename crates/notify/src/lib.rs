//! The notify block: email, SMS and letters from templates, wire-compatible with GOV.UK Notify
//! API v2 (and GC Notify's extensions), delivered from the durable job queue.

pub mod api;
pub mod config;
pub mod delivery;
mod demo;
pub mod domain;
pub mod jobs;
pub mod pages;
pub mod send;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use publica_kernel::db::BlockMigrations;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::JobHandler;
use publica_kernel::{Block, Kernel};

pub use config::NotifyConfig;
pub use service::Notify;

use crate::delivery::{FolderPrintProvider, HttpSmsProvider, HttpSmsSettings, SmtpSender, SmtpSettings};

pub const MIGRATIONS: BlockMigrations = BlockMigrations {
    block: "notify",
    sqlite: &[
        (1, "notify", include_str!("../migrations/sqlite/0001_notify.sql")),
        (2, "send", include_str!("../migrations/sqlite/0002_send.sql")),
    ],
    postgres: &[
        (1, "notify", include_str!("../migrations/postgres/0001_notify.sql")),
        (2, "send", include_str!("../migrations/postgres/0002_send.sql")),
    ],
};

pub struct NotifyBlock;

#[async_trait::async_trait]
impl Block for NotifyBlock {
    fn name(&self) -> &'static str {
        "notify"
    }
    fn config_defaults(&self) -> serde_json::Value {
        serde_json::to_value(NotifyConfig::default()).unwrap_or_default()
    }
    fn migrations(&self) -> BlockMigrations {
        MIGRATIONS
    }
    fn staff_links(&self) -> &'static [(&'static str, &'static str)] {
        &[("notify-services-title", "/notify")]
    }
    fn locales(&self) -> &'static [(publica_kernel::i18n::Lang, &'static str)] {
        &[
            (publica_kernel::i18n::Lang::En, include_str!("../locales/en/notify.ftl")),
            (publica_kernel::i18n::Lang::Fr, include_str!("../locales/fr/notify.ftl")),
        ]
    }
    async fn start(&self, kernel: &Kernel) -> Result<()> {
        let config: NotifyConfig = kernel.config().section("notify").map_err(|e| Error::Unavailable(e.to_string()))?;
        let delivery = delivery_from(kernel, &config)?;
        let send_config = config.send.clone();
        kernel.provide(Notify::new(kernel.clone(), config, delivery)?);
        kernel.provide(send::Send::new(kernel.clone(), send_config, send::system_clock()));
        Ok(())
    }
    fn api_routes(&self, kernel: &Kernel) -> axum::Router {
        api::routes(kernel).merge(send::routes(kernel))
    }
    fn page_routes(&self, kernel: &Kernel) -> axum::Router {
        pages::routes(kernel)
    }
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        <api::openapi::NotifyApi as utoipa::OpenApi>::openapi()
    }
    fn job_handlers(&self, kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
        let mut handlers: Vec<Arc<dyn JobHandler>> = vec![
            Arc::new(jobs::DeliverJob { kernel: kernel.clone() }),
            Arc::new(jobs::CallbackJob { kernel: kernel.clone() }),
            Arc::new(jobs::InboundCallbackJob { kernel: kernel.clone() }),
        ];
        handlers.extend(send::job_handlers(kernel));
        handlers
    }
    async fn housekeeping(&self, kernel: &Kernel) -> Result<()> {
        let purged = store::purge_contents(kernel.db(), publica_kernel::db::Timestamp::now()).await?;
        if purged > 0 {
            tracing::info!(purged, "notification contents past their retention period purged");
        }
        Ok(())
    }
    async fn seed_demo(&self, kernel: &Kernel) -> Result<serde_json::Value> {
        let mut demo = demo::seed(kernel).await?;
        if let Some(map) = demo.as_object_mut() {
            map.insert("send".into(), send::seed_demo(kernel).await?);
        }
        Ok(demo)
    }
}

/// The delivery adapters the configuration asks for; a bad setting stops the start with the fix.
fn delivery_from(kernel: &Kernel, config: &NotifyConfig) -> Result<service::Delivery> {
    let bad = |e: delivery::DeliveryError| Error::Unavailable(format!("notify configuration: {}", e.detail()));
    let email = match &config.smtp_url {
        Some(url) if !url.is_empty() => {
            let dkim = match (&config.dkim.selector, &config.dkim.private_key) {
                (Some(selector), Some(key)) => Some(delivery::DkimSettings {
                    selector: selector.clone(),
                    domain: config.email_domain.clone(),
                    private_key_pem: key.clone(),
                }),
                _ => None,
            };
            let settings = SmtpSettings {
                url: url.clone(),
                timeout: Duration::from_secs(30),
                dkim,
                pool_size: config.smtp_pool_size,
            };
            Some(Arc::new(SmtpSender::new(&settings).map_err(bad)?) as Arc<dyn delivery::EmailSender>)
        }
        _ => None,
    };
    let (sms, sms_token) = match (&config.sms.url, &config.sms.token) {
        (Some(url), Some(token)) if !url.is_empty() => {
            let settings = HttpSmsSettings { url: url.clone(), token: token.clone(), timeout: Duration::from_secs(10) };
            let provider = HttpSmsProvider::new(&settings).map_err(bad)?;
            (Some(Arc::new(provider) as Arc<dyn delivery::SmsProvider>), Some(token.clone()))
        }
        (Some(url), None) if !url.is_empty() => {
            return Err(Error::Unavailable(
                "notify configuration: sms.url is set but sms.token is not: set PUBLICA_NOTIFY__SMS__TOKEN".into(),
            ));
        }
        _ => (None, None),
    };
    let dir = match &config.letters.dir_path {
        Some(dir) if !dir.is_empty() => std::path::PathBuf::from(dir),
        _ => kernel.config().data.join("letters"),
    };
    let print = Some(Arc::new(FolderPrintProvider::new(dir).map_err(bad)?) as Arc<dyn delivery::PrintProvider>);
    Ok(service::Delivery { email, sms, print, sms_token })
}
