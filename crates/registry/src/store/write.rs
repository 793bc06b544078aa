//! Writing versions and index entries inside the caller's transaction, one at a time or in
//! multi-row statements for bulk insertion.

use std::fmt::Write as _;

use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::on_tx;

use crate::domain::ChangeKind;

/// Rows per multi-row statement in bulk inserts. SQLite looks each numbered parameter up by
/// name with a linear search, so its statements cost the square of their parameters: about
/// 50 rows (150 parameters) is fastest there. PostgreSQL prefers fewer round trips.
fn rows_per_statement(tx: &Tx) -> usize {
    match tx {
        Tx::Sqlite(_) => 50,
        Tx::Postgres(_) => 500,
    }
}

/// The conflict target of the record index: at most one head per record.
const ON_HEAD_CONFLICT: &str = "ON CONFLICT (register, record_id, head) DO NOTHING";

/// A version row to write.
pub struct NewVersion<'a> {
    pub register: &'a str,
    pub record_id: &'a str,
    pub kind: ChangeKind,
    pub reason: Option<&'a str>,
    /// JSON text; `None` for a deleted version.
    pub data: Option<String>,
    pub valid_from: Timestamp,
    pub valid_to: Option<Timestamp>,
    pub recorded_at: Timestamp,
    pub actor: Option<&'a str>,
    pub feed: bool,
}

/// Serialise the change feed of `register` until the transaction ends (PostgreSQL; SQLite has
/// one writer at a time anyway), so that sequence numbers commit in order and a reader
/// following the feed by `seq > cursor` never skips a row committed late. Lock order: a
/// record's head row, then this lock, then the audit log.
pub async fn lock_feed(tx: &mut Tx, register: &str) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("publica.registry.feed:{register}"))
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Give a SQLite connection about to insert in bulk a page cache of 64 MiB (from the default
/// 2 MiB), so that index pages stay in memory; the connection keeps it.
pub async fn bulk_cache(tx: &mut Tx) -> Result<()> {
    if let Tx::Sqlite(t) = tx {
        sqlx::query("PRAGMA cache_size = -65536").execute(&mut **t).await?;
    }
    Ok(())
}

/// Close the transaction time of a version row.
pub async fn supersede(tx: &mut Tx, seq: i64, at: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE registry_versions SET superseded_at = $1, head = NULL WHERE seq = $2")
        .bind(at).bind(seq).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Insert one version; `None` when it would be a second head of the record.
pub async fn insert_version(tx: &mut Tx, v: &NewVersion<'_>) -> Result<Option<i64>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO registry_versions (register, record_id, kind, reason, data, valid_from, valid_to, recorded_at, \
         superseded_at, actor, feed, head) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11) {ON_HEAD_CONFLICT} \
         RETURNING seq"
    ));
    let row: Option<(i64,)> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(v.register).bind(v.record_id).bind(v.kind.as_str()).bind(v.reason).bind(v.data.as_deref())
        .bind(v.valid_from).bind(v.valid_to).bind(v.recorded_at).bind(v.actor).bind(v.feed)
        .bind(v.valid_to.is_none().then_some(true))
        .fetch_optional(c).await)?;
    Ok(row.map(|(seq,)| seq))
}

/// A record of a bulk insertion: its id, JSON text and start of validity.
pub struct BatchRow<'a> {
    pub id: &'a str,
    pub data: String,
    pub valid_from: Timestamp,
}

/// Insert `rows` as created heads (in the feed, no actor). Fails with a conflict naming the
/// first record that already has a head. (Without `RETURNING`, which costs SQLite a third
/// more: a shortfall in the rows inserted is looked into only when it happens.)
pub async fn insert_created(tx: &mut Tx, register: &str, recorded_at: Timestamp, rows: &[BatchRow<'_>]) -> Result<()> {
    for chunk in rows.chunks(rows_per_statement(tx)) {
        let mut sql = String::from(
            "INSERT INTO registry_versions (register, record_id, kind, data, valid_from, recorded_at, feed, head) VALUES ",
        );
        for i in 0..chunk.len() {
            let p = 3 + 3 * i;
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(sql, "{sep}($1, ${p}, 'created', ${}, ${}, $2, TRUE, TRUE)", p + 1, p + 2);
        }
        let _ = write!(sql, " {ON_HEAD_CONFLICT}");
        let inserted = on_tx!(tx, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(register).bind(recorded_at);
            for row in chunk {
                query = query.bind(row.id).bind(row.data.as_str()).bind(row.valid_from);
            }
            query.execute(c).await.map(|r| r.rows_affected())
        })?;
        if inserted < chunk.len() as u64 {
            let ids: Vec<&str> = chunk.iter().map(|r| r.id).collect();
            return Err(Error::Conflict(match existing_head(tx, register, &ids, recorded_at).await? {
                Some(id) => format!("{register} record {id} exists"),
                None => format!("a {register} record of this batch exists"),
            }));
        }
    }
    Ok(())
}

/// The first of `ids` with a head recorded at another time than `recorded_at`.
async fn existing_head(tx: &mut Tx, register: &str, ids: &[&str], recorded_at: Timestamp) -> Result<Option<String>> {
    let list = (0..ids.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT record_id FROM registry_versions WHERE register = $1 AND head = TRUE AND recorded_at <> $2 \
         AND record_id IN ({list}) ORDER BY record_id LIMIT 1"
    );
    let row: Option<(String,)> = on_tx!(tx, c => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(register).bind(recorded_at);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_optional(c).await
    })?;
    Ok(row.map(|(id,)| id))
}

/// Index entries per statement.
const INDEX_ENTRIES_PER_STATEMENT: usize = 5000;

/// Add index entries `(field, value, record id)`, best in key order. The entries travel as one
/// array per statement (a JSON text that SQLite's `json_each` unpacks, three arrays that
/// PostgreSQL's `UNNEST` zips), which costs a fraction of binding three parameters per entry.
pub async fn add_index(tx: &mut Tx, register: &str, entries: &[(&str, &str, &str)]) -> Result<()> {
    for chunk in entries.chunks(INDEX_ENTRIES_PER_STATEMENT) {
        match tx {
            Tx::Sqlite(t) => {
                let json = serde_json::to_string(&chunk.iter().map(|(f, v, id)| [f, v, id]).collect::<Vec<_>>())
                    .map_err(Error::internal)?;
                sqlx::query(
                    "INSERT INTO registry_index (register, field, value, record_id) \
                     SELECT $1, e.value ->> 0, e.value ->> 1, e.value ->> 2 FROM json_each($2) AS e WHERE TRUE \
                     ON CONFLICT DO NOTHING",
                )
                .bind(register)
                .bind(json)
                .execute(&mut **t)
                .await?;
            }
            Tx::Postgres(t) => {
                let fields: Vec<&str> = chunk.iter().map(|e| e.0).collect();
                let values: Vec<&str> = chunk.iter().map(|e| e.1).collect();
                let ids: Vec<&str> = chunk.iter().map(|e| e.2).collect();
                sqlx::query(
                    "INSERT INTO registry_index (register, field, value, record_id) \
                     SELECT $1, f, v, r FROM UNNEST($2::text[], $3::text[], $4::text[]) AS e (f, v, r) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(register)
                .bind(fields)
                .bind(values)
                .bind(ids)
                .execute(&mut **t)
                .await?;
            }
        }
    }
    Ok(())
}

/// Remove one record's index entries `(field, value)`.
pub async fn remove_index(tx: &mut Tx, register: &str, id: &str, entries: &[(String, String)]) -> Result<()> {
    for (field, value) in entries {
        on_tx!(tx, c => sqlx::query(
            "DELETE FROM registry_index WHERE register = $1 AND field = $2 AND value = $3 AND record_id = $4")
            .bind(register).bind(field).bind(value).bind(id).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// Remove every index entry of a register.
pub async fn clear_index(tx: &mut Tx, register: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM registry_index WHERE register = $1").bind(register).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// `(id, data)` of the heads (latest versions, not deleted) after `after_id`, by id.
pub async fn heads_data(tx: &mut Tx, register: &str, after_id: &str, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT record_id, data FROM registry_versions WHERE register = $1 AND head = TRUE \
         AND kind <> 'deleted' AND record_id > $2 ORDER BY record_id LIMIT $3")
        .bind(register).bind(after_id).bind(limit).fetch_all(c).await)?)
}
