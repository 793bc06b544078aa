//! The exchange's message log and each person's data-usage log.
//!
//! Every call through the gateway is appended (before the gateway answers) to `exchange_log`:
//! its metadata, the SHA-512 hashes of request and response and, when bodies are logged,
//! the bodies sealed under the master key (AES-256-GCM, associated data `exchange-log:{seq}`).
//! Entries are hash-chained with SHA-512 over the previous hash and a canonical serialisation
//! of every stored field, usage records included (see [`chain`]). Calls are group-committed:
//! each committed batch gets one row in `exchange_log_batches` whose Ed25519 signature (the
//! kernel's active EdDSA *signing* key, published in the JWKS, so anyone can check archive
//! bundles against it) covers the batch number, its range and its last hash. The head row is a
//! copy of the newest batch row; writers in every process lock it, so there is one chain.
//!
//! [`verify`] walks the whole log; [`export_bundle`] and [`verify_bundle`] make and check
//! archive bundles offline; [`usage`] and [`UsageLog`] serve a person's log; [`list`] serves
//! the staff pages.

pub mod bundle;
pub mod chain;
pub mod list;
mod store;
pub mod usage;
pub mod verify;
pub mod writer;

#[cfg(test)]
mod tests;

use publica_kernel::db::Timestamp;
use uuid::Uuid;

pub use bundle::{BundleKey, BundleReport, export_bundle, verify_bundle};
pub use list::{LogBodies, LogFilter, LogListItem, bodies, get, list};
pub use usage::{UsageLog, usage};
pub use verify::{Tampered, Verified, verify, verify_summary};
pub use writer::MessageLog;

/// One exchange as the gateway records it.
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// `X-Road-Id` (a generated UUID when the client sent none).
    pub request_id: String,
    pub at: Timestamp,
    /// X-Road client id `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: String,
    /// X-Road service id `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
    pub service: String,
    pub eservice_id: Uuid,
    pub agreement_id: Uuid,
    pub purpose_id: Uuid,
    pub method: String,
    pub path: String,
    pub user_id: Option<String>,
    pub issue: Option<String>,
    pub status: u16,
    /// SHA-512 of the request, as `X-Road-Request-Hash` reports it.
    pub request_hash: Vec<u8>,
    /// SHA-512 of the response body.
    pub response_hash: Vec<u8>,
    /// Kept (sealed under the master key) only when bodies are logged.
    pub request_body: Option<Vec<u8>>,
    pub response_body: Option<Vec<u8>>,
    /// The persons this exchange concerns.
    pub usage: Vec<UsageRecord>,
}

/// That a person's data was read: shown in their data-usage log.
#[derive(Clone, Debug)]
pub struct UsageRecord {
    pub national_id: String,
    pub consumer_org: Uuid,
    pub consumer_name: String,
    /// X-Road client id of the consumer's subsystem.
    pub client: String,
    pub eservice_id: Uuid,
    pub eservice_title: String,
    pub purpose_id: Uuid,
    pub purpose_title: String,
    pub legal_basis: String,
    /// What was read, e.g. `name`, `birth_date`, `over-18`.
    pub data_items: Vec<String>,
    /// Hidden from the person until then (confidential investigations).
    pub embargo_until: Option<Timestamp>,
}
