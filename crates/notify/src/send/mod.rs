//! Legally valid notifications, as Italy's SEND (Piattaforma Notifiche): senders upload
//! documents and submit notifications by API; each recipient, named by national identifier, is
//! reached at the digital domicile they registered (or the one the sender gives), with courtesy
//! messages by email and SMS, and otherwise by a notice on paper; every step goes on the
//! notification's timeline, key steps produce sealed legal facts whose hashes go into the audit
//! log, and each recipient's notification is perfected when they open it or after a period.
//! Senders follow progress through pull event streams and report payments, which make a
//! notification PAID. The guide is `docs/notify-send.md`.

pub mod api;
mod demo;
mod feedback;
pub mod iun;
mod jobs;
pub mod legal_facts;
mod lifecycle;
pub mod model;
mod notices;
pub mod pades;
pub mod payments;
mod record;
pub mod seal;
pub mod status;
pub mod store;
mod views;
mod workflow;

use std::sync::{Arc, RwLock};

use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::NewJob;
use serde_json::json;

pub use api::routes;
pub use demo::seed as seed_demo;
pub use jobs::handlers as job_handlers;
pub use lifecycle::Cancellation;
pub use views::{Received, RequestKey};
pub use workflow::{SubmitError, Submitted};

use crate::config::SendConfig;
use crate::service::Notify;

/// What "now" is for legal notifications; tests replace it to move time.
pub type Clock = Arc<dyn Fn() -> Timestamp + std::marker::Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Timestamp::now)
}

/// Channels a person can register: the digital domicile and the courtesy contacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressChannel {
    /// The digital domicile (SEND's `PEC`): an email address with legal value.
    Pec,
    Email,
    Sms,
}

impl AddressChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressChannel::Pec => "PEC",
            AddressChannel::Email => "EMAIL",
            AddressChannel::Sms => "SMS",
        }
    }

    pub fn parse(text: &str) -> Option<AddressChannel> {
        match text {
            "PEC" => Some(AddressChannel::Pec),
            "EMAIL" => Some(AddressChannel::Email),
            "SMS" => Some(AddressChannel::Sms),
            _ => None,
        }
    }
}

/// The legal notifications service, shared by its routes and jobs.
pub struct Send {
    kernel: Kernel,
    config: SendConfig,
    clock: RwLock<Clock>,
    seal: tokio::sync::OnceCell<Arc<seal::Seal>>,
    channels: tokio::sync::OnceCell<Arc<notices::Channels>>,
    url_key: [u8; 32],
}

impl Send {
    pub fn new(kernel: Kernel, config: SendConfig, clock: Clock) -> Send {
        let url_key = kernel.keys().master().derive("publica-notify-send-urls-v1");
        Send {
            kernel,
            config,
            clock: RwLock::new(clock),
            seal: tokio::sync::OnceCell::new(),
            channels: tokio::sync::OnceCell::new(),
            url_key,
        }
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    pub fn config(&self) -> &SendConfig {
        &self.config
    }

    /// Now, on the service's clock.
    pub fn now(&self) -> Timestamp {
        let clock = self.clock.read().unwrap_or_else(|e| e.into_inner()).clone();
        clock()
    }

    /// Replace the clock (tests move time with it).
    pub fn set_clock(&self, clock: Clock) {
        *self.clock.write().unwrap_or_else(|e| e.into_inner()) = clock;
    }

    fn notify(&self) -> Result<Arc<Notify>> {
        self.kernel.get::<Notify>().ok_or_else(|| Error::Unavailable("the notify block has not started".into()))
    }

    /// The seal that signs legal facts.
    pub async fn seal(&self) -> Result<Arc<seal::Seal>> {
        self.seal
            .get_or_try_init(|| async {
                seal::Seal::load_or_create(&self.kernel, "Publica legal notifications seal").await.map(Arc::new)
            })
            .await
            .cloned()
    }

    async fn channels(&self) -> Result<Arc<notices::Channels>> {
        let notify = self.notify()?;
        self.channels
            .get_or_try_init(|| async { notices::Channels::ensure(&notify).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Register a person's address for `channel` (replacing the previous one).
    pub async fn register_address(
        &self,
        actor: &Actor,
        tax_id: &str,
        channel: AddressChannel,
        address: &str,
    ) -> Result<()> {
        if !model::tax_id(tax_id) {
            return Err(Error::invalid("taxId", "a codice fiscale or an 11-digit tax number"));
        }
        let address = match channel {
            AddressChannel::Pec | AddressChannel::Email => crate::domain::recipient::validate_email(address)
                .map(|_| crate::domain::recipient::normalise_email(address))
                .map_err(|e| Error::invalid("value", e))?,
            AddressChannel::Sms => {
                crate::domain::recipient::validate_phone(address, true).map_err(|e| Error::invalid("value", e))?
            }
        };
        let mut tx = self.kernel.db().begin().await?;
        store::set_address(&mut tx, tax_id, channel.as_str(), &address, self.now()).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(actor, "notify.send.address.registered", "person", tax_id)
                    .details(json!({"channel": channel.as_str()})),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove a person's address for `channel`; false when there was none.
    pub async fn remove_address(&self, actor: &Actor, tax_id: &str, channel: AddressChannel) -> Result<bool> {
        let mut tx = self.kernel.db().begin().await?;
        let removed = store::remove_address(&mut tx, tax_id, channel.as_str()).await?;
        if removed {
            self.kernel
                .audit(
                    &mut tx,
                    Event::new(actor, "notify.send.address.removed", "person", tax_id)
                        .details(json!({"channel": channel.as_str()})),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// A person's registered addresses: `(channel, address)`.
    pub async fn addresses(&self, tax_id: &str) -> Result<Vec<(String, String)>> {
        store::addresses(self.kernel.db(), tax_id).await
    }

    /// Apply the refinements due now (on the service's clock) from the job queue.
    pub async fn sweep_now(&self) -> Result<()> {
        let mut tx = self.kernel.db().begin().await?;
        let key = format!("now:{}", uuid::Uuid::now_v7());
        self.kernel.enqueue(&mut tx, NewJob::new(jobs::REFINE, key, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }
}
