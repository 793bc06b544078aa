//! The chain hashes of one entry of the message log, for its page.

use publica_kernel::db::Db;
use publica_kernel::error::Result;
use publica_kernel::on_db;

/// The chain hashes of entry `seq`: the previous entry's hash and its own (SHA-512).
pub(crate) async fn chain(db: &Db, seq: i64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    Ok(on_db!(db, pool => sqlx::query_as("SELECT prev_hash, hash FROM exchange_log WHERE seq = $1")
        .bind(seq).fetch_optional(pool).await?))
}
