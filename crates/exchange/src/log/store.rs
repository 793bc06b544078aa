//! Reading the message log's tables: entries with their usage records, batch rows and the head,
//! decoded the same way on SQLite and PostgreSQL.

use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::Result;
use publica_kernel::on_db;
use sqlx::Row;
use uuid::Uuid;

use super::chain::{BatchSeal, StoredEntry, StoredUsage};

pub(crate) const ENTRY_COLUMNS: &str = "seq, request_id, at, client, service, eservice_id, agreement_id, purpose_id, \
     method, path, user_id, issue, status, request_hash, response_hash, request_body, response_body, prev_hash, hash";

pub(crate) const USAGE_COLUMNS: &str = "seq, id, national_id, consumer_org, consumer_name, client, eservice_id, \
     eservice_title, purpose_id, purpose_title, legal_basis, data_items, embargo_until";

const BATCH_COLUMNS: &str = "batch, first_seq, last_seq, last_hash, kid, signature, at";

/// Decode a stored `data_items` array. Text that is not a JSON array of strings (only possible
/// by editing the table) becomes one item starting with NUL, a character no recorded item can
/// hold, so the entry's hash no longer matches and verification names it.
pub(crate) fn data_items(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_else(|_| vec![format!("\u{0}unreadable:{text}")])
}

pub(crate) fn entry_from<R: Row>(row: &R) -> std::result::Result<StoredEntry, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(StoredEntry {
        seq: row.try_get(0)?,
        request_id: row.try_get(1)?,
        at: row.try_get(2)?,
        client: row.try_get(3)?,
        service: row.try_get(4)?,
        eservice_id: row.try_get(5)?,
        agreement_id: row.try_get(6)?,
        purpose_id: row.try_get(7)?,
        method: row.try_get(8)?,
        path: row.try_get(9)?,
        user_id: row.try_get(10)?,
        issue: row.try_get(11)?,
        status: row.try_get(12)?,
        request_hash: row.try_get(13)?,
        response_hash: row.try_get(14)?,
        request_body: row.try_get(15)?,
        response_body: row.try_get(16)?,
        usage: Vec::new(),
        prev_hash: row.try_get(17)?,
        hash: row.try_get(18)?,
    })
}

pub(crate) fn usage_from<R: Row>(row: &R) -> std::result::Result<(i64, StoredUsage), sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Timestamp>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let items: String = row.try_get(11)?;
    Ok((
        row.try_get(0)?,
        StoredUsage {
            id: row.try_get(1)?,
            national_id: row.try_get(2)?,
            consumer_org: row.try_get(3)?,
            consumer_name: row.try_get(4)?,
            client: row.try_get(5)?,
            eservice_id: row.try_get(6)?,
            eservice_title: row.try_get(7)?,
            purpose_id: row.try_get(8)?,
            purpose_title: row.try_get(9)?,
            legal_basis: row.try_get(10)?,
            data_items: data_items(&items),
            embargo_until: row.try_get(12)?,
        },
    ))
}

fn batch_from<R: Row>(row: &R) -> std::result::Result<BatchSeal, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(BatchSeal {
        batch: row.try_get(0)?,
        first_seq: row.try_get(1)?,
        last_seq: row.try_get(2)?,
        last_hash: row.try_get(3)?,
        kid: row.try_get(4)?,
        signature: row.try_get(5)?,
        at: row.try_get(6)?,
    })
}

/// Entries with `from <= seq <= to`, at most `limit`, ascending, each with its usage records.
pub(crate) async fn entries(db: &Db, from: i64, to: i64, limit: i64) -> Result<Vec<StoredEntry>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM exchange_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    ));
    let mut list: Vec<StoredEntry> = on_db!(db, pool => {
        sqlx::query(sql).bind(from).bind(to).bind(limit).fetch_all(pool).await?
            .iter().map(entry_from).collect::<std::result::Result<Vec<_>, _>>()?
    });
    let (Some(first), Some(last)) = (list.first().map(|e| e.seq), list.last().map(|e| e.seq)) else {
        return Ok(list);
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {USAGE_COLUMNS} FROM exchange_usage WHERE seq >= $1 AND seq <= $2 ORDER BY seq, ord"
    ));
    let usage: Vec<(i64, StoredUsage)> = on_db!(db, pool => {
        sqlx::query(sql).bind(first).bind(last).fetch_all(pool).await?
            .iter().map(usage_from).collect::<std::result::Result<Vec<_>, _>>()?
    });
    // Both lists are ordered by seq: merge them.
    let mut at = 0;
    for (seq, record) in usage {
        while at < list.len() && list[at].seq < seq {
            at += 1;
        }
        if let Some(entry) = list.get_mut(at).filter(|e| e.seq == seq) {
            entry.usage.push(record);
        }
    }
    Ok(list)
}

/// The smallest seq of a usage record after `seq` (records of entries that do not exist).
pub(crate) async fn usage_after(db: &Db, seq: i64) -> Result<Option<i64>> {
    Ok(on_db!(db, pool => sqlx::query_scalar("SELECT MIN(seq) FROM exchange_usage WHERE seq > $1")
        .bind(seq).fetch_one(pool).await)?)
}

/// Batch rows with `batch >= from`, ascending, at most `limit`.
pub(crate) async fn batches(db: &Db, from: i64, limit: i64) -> Result<Vec<BatchSeal>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM exchange_log_batches WHERE batch >= $1 ORDER BY batch LIMIT $2"
    ));
    Ok(on_db!(db, pool => {
        sqlx::query(sql).bind(from).bind(limit).fetch_all(pool).await?
            .iter().map(batch_from).collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

/// The batch whose range holds `seq` (or, when none does, the first batch after it).
pub(crate) async fn batch_at_or_after(db: &Db, seq: i64) -> Result<Option<BatchSeal>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM exchange_log_batches WHERE last_seq >= $1 ORDER BY batch LIMIT 1"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(seq).fetch_optional(pool).await?.as_ref().map(batch_from).transpose()?))
}

/// The head row: a copy of the newest batch row (`batch` 0 and no signature while empty).
pub(crate) struct Head {
    pub batch: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    pub last_hash: Vec<u8>,
    pub kid: Option<String>,
    pub signature: Option<Vec<u8>>,
    pub at: Option<Timestamp>,
}

pub(crate) async fn head(db: &Db) -> Result<Head> {
    type HeadRow = (i64, i64, i64, Vec<u8>, Option<String>, Option<Vec<u8>>, Option<Timestamp>);
    let (batch, first_seq, last_seq, last_hash, kid, signature, at): HeadRow = on_db!(db, pool => sqlx::query_as(
        "SELECT batch, first_seq, last_seq, last_hash, kid, signature, at FROM exchange_log_head WHERE id = 1")
        .fetch_one(pool).await)?;
    Ok(Head { batch, first_seq, last_seq, last_hash, kid, signature, at })
}

/// The hash of entry `seq` (the genesis hash for 0), if it exists.
pub(crate) async fn hash_of(db: &Db, seq: i64) -> Result<Option<Vec<u8>>> {
    if seq == 0 {
        return Ok(Some(super::chain::genesis()));
    }
    Ok(on_db!(db, pool => sqlx::query_scalar("SELECT hash FROM exchange_log WHERE seq = $1")
        .bind(seq).fetch_optional(pool).await)?)
}
