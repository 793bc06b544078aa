//! Each person's data-usage log: who read their data, through which e-service, for which
//! purpose and legal basis, newest first. Entries under embargo stay hidden until it ends.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::on_db;
use publica_registry::usage::{PersonalDataUsage, UsagePage};
use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

/// The largest page `usage` returns.
pub const MAX_LIMIT: i64 = 1000;

/// Position after an entry: its instant and sequence number, opaque to clients.
fn encode_cursor(at: Timestamp, seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{seq}.{}", at.to_fixed()))
}

fn decode_cursor(cursor: &str) -> Result<(Timestamp, i64)> {
    let bad = || Error::invalid("cursor", "not a cursor returned by this log; start again without one");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (seq, at) = text.split_once('.').ok_or_else(bad)?;
    Ok((Timestamp::parse(at).map_err(|_| bad())?, seq.parse().map_err(|_| bad())?))
}

struct UsageRow {
    seq: i64,
    id: Uuid,
    at: Timestamp,
    consumer_org: Uuid,
    consumer_name: String,
    client: String,
    eservice_id: Uuid,
    eservice_title: String,
    purpose_id: Uuid,
    purpose_title: String,
    legal_basis: String,
    data_items: String,
    request_id: String,
}

fn row_from<R: Row>(row: &R) -> std::result::Result<UsageRow, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(UsageRow {
        seq: row.try_get(0)?,
        id: row.try_get(1)?,
        at: row.try_get(2)?,
        consumer_org: row.try_get(3)?,
        consumer_name: row.try_get(4)?,
        client: row.try_get(5)?,
        eservice_id: row.try_get(6)?,
        eservice_title: row.try_get(7)?,
        purpose_id: row.try_get(8)?,
        purpose_title: row.try_get(9)?,
        legal_basis: row.try_get(10)?,
        data_items: row.try_get(11)?,
        request_id: row.try_get(12)?,
    })
}

impl UsageRow {
    fn wire(&self) -> Result<Value> {
        let items: Vec<String> = serde_json::from_str(&self.data_items)
            .map_err(|e| Error::internal(format!("usage record {}: data items: {e}", self.id)))?;
        Ok(json!({
            "id": self.id,
            "at": self.at,
            "organisation": {"id": self.consumer_org, "name": self.consumer_name},
            "client": self.client,
            "eservice": {"id": self.eservice_id, "title": self.eservice_title},
            "purpose": {"id": self.purpose_id, "title": self.purpose_title, "legal_basis": self.legal_basis},
            "data_items": items,
            "request_id": self.request_id,
        }))
    }
}

/// A person's usage entries visible at `now`, newest first, after `cursor`, at most `limit`.
pub async fn usage(db: &Db, national_id: &str, cursor: Option<&str>, limit: i64, now: Timestamp) -> Result<UsagePage> {
    if national_id.trim().is_empty() {
        return Err(Error::invalid("national_id", "must not be empty"));
    }
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let (after_at, after_seq) = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => {
            let (at, seq) = decode_cursor(c)?;
            (Some(at), seq)
        }
        None => (None, 0),
    };
    let sql = "SELECT seq, id, at, consumer_org, consumer_name, client, eservice_id, eservice_title, purpose_id,
                      purpose_title, legal_basis, data_items, request_id
               FROM exchange_usage
               WHERE national_id = $1 AND (embargo_until IS NULL OR embargo_until <= $2)
                 AND ($3 IS NULL OR (at, seq) < ($3, $4))
               ORDER BY at DESC, seq DESC LIMIT $5";
    let mut rows: Vec<UsageRow> = on_db!(db, pool => {
        sqlx::query(sql).bind(national_id).bind(now).bind(after_at).bind(after_seq).bind(limit + 1)
            .fetch_all(pool).await?
            .iter().map(row_from).collect::<std::result::Result<Vec<_>, _>>()?
    });
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| encode_cursor(r.at, r.seq)) } else { None };
    let entries = rows.iter().map(UsageRow::wire).collect::<Result<Vec<_>>>()?;
    Ok(UsagePage { entries, next_cursor })
}

/// The usage log as the registry's `myPersonalDataUsage` reads it.
pub struct UsageLog(pub Db);

#[async_trait::async_trait]
impl PersonalDataUsage for UsageLog {
    async fn usage(&self, national_id: &str, cursor: Option<&str>, limit: i64) -> Result<UsagePage> {
        usage(&self.0, national_id, cursor, limit, Timestamp::now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_name_the_field() {
        let at = Timestamp::parse("2026-02-03T04:05:06.123456Z").expect("time");
        assert_eq!(decode_cursor(&encode_cursor(at, 42)).expect("cursor"), (at, 42));
        for bad in ["nope", "bm9wZQ", "!!"] {
            match decode_cursor(bad) {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "cursor"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
