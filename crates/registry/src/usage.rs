//! The hook for each person's data-usage log: the registry defines it (its GovStack
//! `myPersonalDataUsage` answers from it), the exchange block implements it.

use std::sync::Arc;

use publica_kernel::error::Result;

/// Who read a person's data, for what: the exchange block's usage log.
#[async_trait::async_trait]
pub trait PersonalDataUsage: Send + Sync + 'static {
    /// A person's data-usage entries, newest first, as wire JSON objects, after `cursor`.
    async fn usage(&self, national_id: &str, cursor: Option<&str>, limit: i64) -> Result<UsagePage>;
}

/// One page of a person's data-usage entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsagePage {
    pub entries: Vec<serde_json::Value>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// What the kernel holds: `kernel.provide(UsageProvider(Arc::new(implementation)))`. Readers
/// answer an empty list when no provider is registered (the exchange block is not running).
#[derive(Clone)]
pub struct UsageProvider(pub Arc<dyn PersonalDataUsage>);
