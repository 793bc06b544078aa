//! Persistence of the exchange's catalogue and lifecycles: the same SQL on SQLite and
//! PostgreSQL, written once with `$1` parameters.
//!
//! State changes are optimistic: the service reads a row, decides the transition, and the
//! `UPDATE … WHERE state = $old` inside the transaction fails with a conflict if someone else
//! changed it meanwhile.

pub mod agreements;
pub mod catalogue;
pub mod lifecycle;
pub mod members;
pub mod purposes;
pub mod runtime;

use publica_kernel::db::Tx;
use publica_kernel::error::Result;
use publica_kernel::on_tx;

/// Decode a JSON column; a malformed value is a decoding error of that column.
pub(crate) fn json_column<T: serde::de::DeserializeOwned>(text: &str) -> std::result::Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Record that authorisations changed, so every process drops what it cached (see
/// `service::state`). Runs inside the transaction of the change.
pub async fn bump_version(tx: &mut Tx) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE exchange_state SET version = version + 1 WHERE id = 1").execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
