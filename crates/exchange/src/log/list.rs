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

/// The listed columns of `exchange_log l`, in [`item_from`]'s order.
const COLUMNS: &str = "l.seq, l.request_id, l.at, l.client, l.service, l.eservice_id, l.agreement_id, l.purpose_id, \
     l.method, l.path, l.user_id, l.issue, l.status, l.request_hash, l.response_hash, \
     (l.request_body IS NOT NULL OR l.response_body IS NOT NULL) AS has_bodies";

/// A [`LogFilter`] (`$1` to `$6`) and the keyset bound `seq < $7`, on `exchange_log l`.
const FILTERED: &str =
    "($1 IS NULL OR l.client = $1) AND ($2 IS NULL OR l.service = $2) AND ($3 IS NULL OR l.status = $3)
           AND ($4 IS NULL OR l.at >= $4) AND ($5 IS NULL OR l.at < $5) AND ($6 IS NULL OR l.request_id = $6)
           AND l.seq < $7";

/// Calls of `exchange_log l` that the organisation in parameter `org` (`$9`) made (under an
/// agreement of one of its subsystems) or answered (to one of its e-services), decided by the
/// ids each entry records rather than by the text of its X-Road identifiers.
fn involving(org: &str) -> String {
    format!(
        "(l.eservice_id IN (SELECT e.id FROM exchange_eservices e
                    JOIN exchange_subsystems s ON s.id = e.subsystem_id WHERE s.org_id = {org})
                OR l.agreement_id IN (SELECT a.id FROM exchange_agreements a
                    JOIN exchange_subsystems s ON s.id = a.consumer_subsystem_id WHERE s.org_id = {org}))"
    )
}

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
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to <= from
    {
        return Err(Error::invalid("to", "must be after from"));
    }
    select(db, None, filter, before, limit).await
}

/// [`list`] restricted to the calls `org` made or answered.
pub async fn list_for(
    db: &Db,
    org: Uuid,
    filter: &LogFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LogListItem>> {
    select(db, Some(org), filter, before, limit).await
}

/// Entries matching `filter` (and involving `org`, if given) with `seq < before`, newest
/// first, at most `limit` (1 to 500).
async fn select(
    db: &Db,
    org: Option<Uuid>,
    filter: &LogFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LogListItem>> {
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    let involving = if org.is_some() { format!("AND {}", involving("$9")) } else { String::new() };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exchange_log l WHERE {FILTERED} {involving} ORDER BY l.seq DESC LIMIT $8"
    ));
    let status = filter.status.map(i32::from);
    let before = before.unwrap_or(i64::MAX);
    Ok(on_db!(db, pool => {
        let query = sqlx::query(sql).bind(&filter.client).bind(&filter.service).bind(status).bind(filter.from)
            .bind(filter.to).bind(&filter.request_id).bind(before).bind(limit);
        let query = match org {
            Some(org) => query.bind(org),
            None => query,
        };
        query.fetch_all(pool).await?.iter().map(item_from).collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

/// Whether entry `seq` is a call `org` made or answered.
pub async fn involves(db: &Db, seq: i64, org: Uuid) -> Result<bool> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT l.seq FROM exchange_log l WHERE l.seq = $1 AND {}", involving("$2")));
    let found: Option<i64> =
        on_db!(db, pool => sqlx::query_scalar(sql).bind(seq).bind(org).fetch_optional(pool).await?);
    Ok(found.is_some())
}

/// One entry by its sequence number.
pub async fn get(db: &Db, seq: i64) -> Result<Option<LogListItem>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM exchange_log l WHERE l.seq = $1"));
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
