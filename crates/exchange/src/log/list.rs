//! Browsing the message log for staff pages: filtered, newest first, keyset-paged by sequence
//! number; one entry's details and its bodies, unsealed with the master key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::keys::Keyring;
use publica_kernel::on_db;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use super::writer::body_aad;

/// What to show; every field left `None` matches everything.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LogFilter {
    /// X-Road client id, exact.
    pub client: Option<String>,
    /// X-Road service id, exact.
    pub service: Option<String>,
    /// HTTP status answered, exact.
    pub status: Option<u16>,
    /// Entries at or after this instant.
    pub from: Option<Timestamp>,
    /// Entries before this instant.
    pub to: Option<Timestamp>,
    /// The X-Road-Id of the exchange.
    pub request_id: Option<String>,
}

/// One entry as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogListItem {
    pub seq: i64,
    pub request_id: String,
    pub at: Timestamp,
    pub client: String,
    pub service: String,
    pub eservice_id: Uuid,
    pub agreement_id: Uuid,
    pub purpose_id: Uuid,
    pub method: String,
    pub path: String,
    pub user_id: Option<String>,
    pub issue: Option<String>,
    pub status: u16,
    /// Base64 of the SHA-512 digests, as `X-Road-Request-Hash` carries them.
    pub request_hash: String,
    pub response_hash: String,
    /// Whether the bodies were kept (sealed).
    pub has_bodies: bool,
}

const COLUMNS: &str = "seq, request_id, at, client, service, eservice_id, agreement_id, purpose_id, method, path, \
     user_id, issue, status, request_hash, response_hash, \
     (request_body IS NOT NULL OR response_body IS NOT NULL) AS has_bodies";

fn item_from<R: Row>(row: &R) -> std::result::Result<LogListItem, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let status: i32 = row.try_get(12)?;
    Ok(LogListItem {
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
        status: u16::try_from(status).unwrap_or_default(),
        request_hash: STANDARD.encode(row.try_get::<Vec<u8>, _>(13)?),
        response_hash: STANDARD.encode(row.try_get::<Vec<u8>, _>(14)?),
        has_bodies: row.try_get(15)?,
    })
}

/// Entries matching `filter` with `seq < before`, newest first, at most `limit` (1 to 500).
pub async fn list(db: &Db, filter: &LogFilter, before: Option<i64>, limit: i64) -> Result<Vec<LogListItem>> {
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(Error::invalid("to", "must be after from"));
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exchange_log
         WHERE ($1 IS NULL OR client = $1) AND ($2 IS NULL OR service = $2) AND ($3 IS NULL OR status = $3)
           AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) AND ($6 IS NULL OR request_id = $6)
           AND seq < $7
         ORDER BY seq DESC LIMIT $8"
    ));
    let status = filter.status.map(i32::from);
    let before = before.unwrap_or(i64::MAX);
    Ok(on_db!(db, pool => {
        sqlx::query(sql).bind(&filter.client).bind(&filter.service).bind(status).bind(filter.from).bind(filter.to)
            .bind(&filter.request_id).bind(before).bind(limit)
            .fetch_all(pool).await?
            .iter().map(item_from).collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

/// One entry by its sequence number.
pub async fn get(db: &Db, seq: i64) -> Result<Option<LogListItem>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM exchange_log WHERE seq = $1"));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(seq).fetch_optional(pool).await?.as_ref().map(item_from).transpose()?))
}

/// An entry's bodies, unsealed; `None` for a body that was not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogBodies {
    pub request: Option<Vec<u8>>,
    pub response: Option<Vec<u8>>,
}

/// The bodies of entry `seq` (`None` when there is no such entry).
pub async fn bodies(db: &Db, keys: &Keyring, seq: i64) -> Result<Option<LogBodies>> {
    type Sealed = (Option<Vec<u8>>, Option<Vec<u8>>);
    let row: Option<Sealed> = on_db!(db, pool => sqlx::query_as(
        "SELECT request_body, response_body FROM exchange_log WHERE seq = $1").bind(seq).fetch_optional(pool).await)?;
    let Some((request, response)) = row else { return Ok(None) };
    let aad = body_aad(seq);
    let open = |sealed: Option<Vec<u8>>| -> Result<Option<Vec<u8>>> {
        sealed
            .map(|s| {
                keys.master()
                    .decrypt(aad.as_bytes(), &s)
                    .map_err(|e| Error::internal(format!("message log entry {seq}: {e}")))
            })
            .transpose()
    };
    Ok(Some(LogBodies { request: open(request)?, response: open(response)? }))
}
