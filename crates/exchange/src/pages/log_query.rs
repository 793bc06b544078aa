//! The message log as one organisation may see it: the calls it made (its subsystem was the
//! client, under its agreement) or answered (its e-service was called). The log module lists
//! every entry; these queries add that restriction, decided by the ids each entry records
//! rather than by the text of its X-Road identifiers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::on_db;
use uuid::Uuid;

use crate::log::{LogFilter, LogListItem};

/// The entry's columns, as `log::list` reads them.
const COLUMNS: &str = "l.seq, l.request_id, l.at, l.client, l.service, l.eservice_id, l.agreement_id, l.purpose_id, \
     l.method, l.path, l.user_id, l.issue, l.status, l.request_hash, l.response_hash, \
     (l.request_body IS NOT NULL OR l.response_body IS NOT NULL)";

type Columns = (
    i64,
    String,
    Timestamp,
    String,
    String,
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    i32,
    Vec<u8>,
    Vec<u8>,
    bool,
);

fn item(c: Columns) -> LogListItem {
    LogListItem {
        seq: c.0,
        request_id: c.1,
        at: c.2,
        client: c.3,
        service: c.4,
        eservice_id: c.5,
        agreement_id: c.6,
        purpose_id: c.7,
        method: c.8,
        path: c.9,
        user_id: c.10,
        issue: c.11,
        status: u16::try_from(c.12).unwrap_or_default(),
        request_hash: STANDARD.encode(c.13),
        response_hash: STANDARD.encode(c.14),
        has_bodies: c.15,
    }
}

/// Entries of calls `org` made or answered that match `filter`, with `seq < before`, newest
/// first, at most `limit` (1 to 500): `log::list` restricted to one organisation.
pub(crate) async fn list_for(
    db: &Db,
    org: Uuid,
    filter: &LogFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LogListItem>> {
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM exchange_log l
         WHERE ($1 IS NULL OR l.client = $1) AND ($2 IS NULL OR l.service = $2) AND ($3 IS NULL OR l.status = $3)
           AND ($4 IS NULL OR l.at >= $4) AND ($5 IS NULL OR l.at < $5) AND ($6 IS NULL OR l.request_id = $6)
           AND l.seq < $7
           AND (l.eservice_id IN (SELECT e.id FROM exchange_eservices e
                    JOIN exchange_subsystems s ON s.id = e.subsystem_id WHERE s.org_id = $9)
                OR l.agreement_id IN (SELECT a.id FROM exchange_agreements a
                    JOIN exchange_subsystems s ON s.id = a.consumer_subsystem_id WHERE s.org_id = $9))
         ORDER BY l.seq DESC LIMIT $8"
    ));
    let status = filter.status.map(i32::from);
    let before = before.unwrap_or(i64::MAX);
    let rows: Vec<Columns> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(&filter.client).bind(&filter.service).bind(status).bind(filter.from).bind(filter.to)
        .bind(&filter.request_id).bind(before).bind(limit).bind(org)
        .fetch_all(pool).await?);
    Ok(rows.into_iter().map(item).collect())
}

/// Whether entry `seq` is a call `org` made or answered.
pub(crate) async fn involves(db: &Db, seq: i64, org: Uuid) -> Result<bool> {
    let found: Option<i64> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT l.seq FROM exchange_log l WHERE l.seq = $1
           AND (l.eservice_id IN (SELECT e.id FROM exchange_eservices e
                    JOIN exchange_subsystems s ON s.id = e.subsystem_id WHERE s.org_id = $2)
                OR l.agreement_id IN (SELECT a.id FROM exchange_agreements a
                    JOIN exchange_subsystems s ON s.id = a.consumer_subsystem_id WHERE s.org_id = $2))")
        .bind(seq).bind(org).fetch_optional(pool).await?);
    Ok(found.is_some())
}

/// The chain hashes of entry `seq`: the previous entry's hash and its own (SHA-512).
pub(crate) async fn chain(db: &Db, seq: i64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    Ok(on_db!(db, pool => sqlx::query_as("SELECT prev_hash, hash FROM exchange_log WHERE seq = $1")
        .bind(seq).fetch_optional(pool).await?))
}
