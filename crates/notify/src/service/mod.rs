//! The notify service: what the API, the pages and the jobs share — services and their keys,
//! templates, limits, the group committer for new notifications and the delivery adapters.

mod accept;
pub mod admin;
pub mod bulk;
mod files;
mod limits;
mod render;
mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use publica_kernel::Kernel;
use publica_kernel::db::GroupCommit;
use publica_kernel::error::{Error, Result};
use publica_kernel::sealed_keys::SealedApiKey;
use uuid::Uuid;

pub use accept::{
    Accepted, Content, Precompiled, SIMULATED_EMAILS, SIMULATED_PHONES, SendRequest, precompiled_template_id, render,
};
pub use files::{ALLOWED_EXTENSIONS, is_file};
pub use render::{placeholders_of, render_version};
pub use writer::{NewNotification, StatusChange};

use crate::config::NotifyConfig;
use crate::delivery::{EmailSender, PrintProvider, SmsProvider};
use crate::store::{self, Service, TemplateVersion};

/// How long a service's keys and a template's latest version are cached: a revoked key or a
/// template edit takes effect within this time on every process.
const CACHE_TTL: Duration = Duration::from_secs(5);

/// A service and every key it has, revoked ones included.
pub struct ServiceKeys {
    pub service: Option<Service>,
    pub keys: Vec<SealedApiKey>,
}

/// Where notifications go.
pub struct Delivery {
    pub email: Option<Arc<dyn EmailSender>>,
    pub sms: Option<Arc<dyn SmsProvider>>,
    pub print: Option<Arc<dyn PrintProvider>>,
    /// Receipts from the SMS gateway are checked with this token.
    pub sms_token: Option<String>,
}

/// The notify block's service, shared by its routes, pages and jobs.
pub struct Notify {
    kernel: Kernel,
    config: NotifyConfig,
    keys: Mutex<HashMap<Uuid, (Instant, Arc<ServiceKeys>)>>,
    templates: Mutex<HashMap<Uuid, (Instant, Arc<TemplateVersion>)>>,
    /// When this process last recorded each key's use (the cached keys' `last_used_at` is stale).
    key_use: Mutex<HashMap<Uuid, Instant>>,
    limits: limits::Limits,
    accepted: GroupCommit<NewNotification>,
    statuses: GroupCommit<StatusChange>,
    pub delivery: Delivery,
    pub http: reqwest::Client,
}

impl Notify {
    pub fn new(kernel: Kernel, config: NotifyConfig, delivery: Delivery) -> Result<Notify> {
        let accepted =
            GroupCommit::spawn(kernel.db().clone(), 1024, Arc::new(writer::AcceptWriter::new(kernel.clone())));
        let statuses =
            GroupCommit::spawn(kernel.db().clone(), 512, Arc::new(writer::StatusWriter::new(kernel.clone())));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("publica-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(Notify {
            limits: limits::Limits::new(config.rate_limit_per_minute),
            kernel,
            config,
            keys: Mutex::default(),
            templates: Mutex::default(),
            key_use: Mutex::default(),
            accepted,
            statuses,
            delivery,
            http,
        })
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    pub fn config(&self) -> &NotifyConfig {
        &self.config
    }

    /// A service and its keys, cached briefly (every API call needs them).
    pub async fn service_keys(&self, service_id: Uuid) -> Result<Arc<ServiceKeys>> {
        if let Some((at, keys)) = lock(&self.keys).get(&service_id)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(keys.clone());
        }
        let service = store::service(self.kernel.db(), service_id).await?;
        let keys = match &service {
            Some(_) => self.kernel.sealed_api_keys("notify", &service_id.to_string()).await?,
            None => Vec::new(),
        };
        let entry = Arc::new(ServiceKeys { service, keys });
        lock(&self.keys).insert(service_id, (Instant::now(), entry.clone()));
        Ok(entry)
    }

    /// Record a key's use at most once a minute from this process, whatever the cache says.
    pub async fn record_key_use(
        &self,
        key_id: Uuid,
        last_used_at: Option<publica_kernel::db::Timestamp>,
    ) -> Result<()> {
        {
            let mut seen = lock(&self.key_use);
            if seen.get(&key_id).is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
                return Ok(());
            }
            seen.insert(key_id, Instant::now());
        }
        self.kernel.record_api_key_use(key_id, last_used_at).await
    }

    /// Forget cached keys of a service (after a key is created or revoked here).
    pub fn forget_service(&self, service_id: Uuid) {
        lock(&self.keys).remove(&service_id);
    }

    /// The latest version of a template of `service_id`, cached briefly.
    pub async fn latest_template(&self, service_id: Uuid, id: Uuid) -> Result<Option<Arc<TemplateVersion>>> {
        if let Some((at, t)) = lock(&self.templates).get(&id)
            && at.elapsed() < CACHE_TTL
            && t.service_id == service_id
        {
            return Ok(Some(t.clone()));
        }
        let Some(t) = store::template(self.kernel.db(), service_id, id, None).await? else {
            return Ok(None);
        };
        let t = Arc::new(t);
        lock(&self.templates).insert(id, (Instant::now(), t.clone()));
        Ok(Some(t))
    }

    pub fn forget_template(&self, id: Uuid) {
        lock(&self.templates).remove(&id);
    }

    /// Record a status change durably (grouped with others in one transaction); callbacks for
    /// final statuses are enqueued in the same transaction.
    pub async fn change_status(&self, change: StatusChange) -> Result<()> {
        self.statuses.submit(change).await
    }

    /// Team members' email addresses and the guest list of a service, normalised.
    pub async fn allowed_recipients(&self, service: &Service) -> Result<Vec<String>> {
        let mut allowed: Vec<String> = self
            .kernel
            .members(service.org_id)
            .await?
            .into_iter()
            .filter(|m| m.disabled_at.is_none())
            .map(|m| crate::domain::recipient::normalise_email(&m.email))
            .collect();
        for (kind, recipient) in store::guest_list(self.kernel.db(), service.id).await? {
            allowed.push(match kind.as_str() {
                "email" => crate::domain::recipient::normalise_email(&recipient),
                _ => crate::domain::recipient::validate_phone(&recipient, true).unwrap_or(recipient),
            });
        }
        Ok(allowed)
    }

    /// Rate limit of the service and key type, before anything else is looked at (as Notify).
    pub fn check_rate_limit(&self, service: &Service, key_type: crate::domain::kinds::KeyType) -> Result<(), String> {
        self.limits.check_rate(service, key_type)
    }

    /// Open a secret sealed for a service (callback tokens).
    pub fn open_secret(&self, service_id: Uuid, sealed: &[u8]) -> Result<String> {
        let plain = self
            .kernel
            .keys()
            .master()
            .decrypt(&secret_aad(service_id), sealed)
            .map_err(|_| Error::internal("a sealed callback token cannot be opened with this master key"))?;
        String::from_utf8(plain).map_err(Error::internal)
    }

    pub fn seal_secret(&self, service_id: Uuid, secret: &str) -> Vec<u8> {
        self.kernel.keys().master().encrypt(&secret_aad(service_id), secret.as_bytes())
    }
}

fn secret_aad(service_id: Uuid) -> Vec<u8> {
    [b"publica-notify-secret-v1:".as_slice(), service_id.as_bytes()].concat()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
