//! Persistence of registers and record versions: the same SQL on SQLite and PostgreSQL. Reads
//! are here, writes in [`mod@write`], register definitions in [`registers`].

pub mod registers;
pub mod write;

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};

use crate::domain::{ChangeKind, Record};

/// The columns of a version row, in the order [`VersionRow`] reads them (table alias `v`).
const COLUMNS: &str = "v.seq, v.register, v.record_id, v.kind, v.reason, v.data, v.valid_from, v.valid_to, v.recorded_at, v.superseded_at";

/// A version row as read.
type VersionRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Timestamp,
    Option<Timestamp>,
    Timestamp,
    Option<Timestamp>,
);

fn record_from(row: VersionRow) -> Result<Record> {
    let (seq, register, id, kind, reason, data, valid_from, valid_to, recorded_at, superseded_at) = row;
    let kind =
        ChangeKind::parse(&kind).ok_or_else(|| Error::internal(format!("version {seq}: unknown kind {kind}")))?;
    let data = match data {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::internal(format!("version {seq}: stored data is not JSON: {e}")))?,
        None => serde_json::Value::Null,
    };
    Ok(Record { register, id, data, seq, kind, reason, valid_from, valid_to, recorded_at, superseded_at })
}

fn records_from(rows: Vec<VersionRow>) -> Result<Vec<Record>> {
    rows.into_iter().map(record_from).collect()
}

/// The head of a record (believed now, open-ended): the row every write starts from. With
/// `lock` on PostgreSQL, the row is locked until the transaction ends.
pub async fn head(tx: &mut Tx, register: &str, id: &str, lock: bool) -> Result<Option<Record>> {
    let base = format!(
        "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 AND v.record_id = $2 \
         AND v.head = TRUE"
    );
    let sql = match tx {
        Tx::Postgres(_) if lock => format!("{base} FOR UPDATE"),
        _ => base,
    };
    let row: Option<VersionRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(register).bind(id).fetch_optional(c).await)?;
    row.map(record_from).transpose()
}

/// The version valid at `valid_at` as known now.
pub async fn current(db: &Db, register: &str, id: &str, valid_at: Timestamp) -> Result<Option<Record>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 AND v.record_id = $2 \
         AND v.superseded_at IS NULL AND v.valid_from <= $3 AND (v.valid_to IS NULL OR v.valid_to > $3) \
         ORDER BY v.seq DESC LIMIT 1"
    ));
    let row: Option<VersionRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(register).bind(id).bind(valid_at).fetch_optional(pool).await)?;
    row.map(record_from).transpose()
}

/// The version valid at `valid_at` as the register knew it at `known_at`.
pub async fn known(
    db: &Db,
    register: &str,
    id: &str,
    valid_at: Timestamp,
    known_at: Timestamp,
) -> Result<Option<Record>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 AND v.record_id = $2 \
         AND v.valid_from <= $3 AND (v.valid_to IS NULL OR v.valid_to > $3) \
         AND v.recorded_at <= $4 AND (v.superseded_at IS NULL OR v.superseded_at > $4) \
         ORDER BY v.seq DESC LIMIT 1"
    ));
    let row: Option<VersionRow> = on_db!(db, pool => sqlx::query_as(sql)
        .bind(register).bind(id).bind(valid_at).bind(known_at).fetch_optional(pool).await)?;
    row.map(record_from).transpose()
}

/// Whether a record holds (is not deleted) at `valid_at`, as known now.
pub async fn exists(db: &Db, register: &str, id: &str, valid_at: Timestamp) -> Result<bool> {
    let row: Option<(i64,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT v.seq FROM registry_versions v WHERE v.register = $1 AND v.record_id = $2 \
         AND v.superseded_at IS NULL AND v.valid_from <= $3 AND (v.valid_to IS NULL OR v.valid_to > $3) \
         AND v.kind <> 'deleted' LIMIT 1")
        .bind(register).bind(id).bind(valid_at).fetch_optional(pool).await)?;
    Ok(row.is_some())
}

/// Every version row of a record, by sequence number.
pub async fn history(db: &Db, register: &str, id: &str) -> Result<Vec<Record>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 AND v.record_id = $2 ORDER BY v.seq"
    ));
    let rows: Vec<VersionRow> = on_db!(db, pool => sqlx::query_as(sql).bind(register).bind(id).fetch_all(pool).await)?;
    records_from(rows)
}

/// Feed rows (new facts) of a register after `after`, ascending.
pub async fn changes(db: &Db, register: &str, after: i64, limit: i64) -> Result<Vec<Record>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 AND v.seq > $2 AND v.feed = TRUE \
         ORDER BY v.seq LIMIT $3"
    ));
    let rows: Vec<VersionRow> =
        on_db!(db, pool => sqlx::query_as(sql).bind(register).bind(after).bind(limit).fetch_all(pool).await)?;
    records_from(rows)
}

/// Whether a register has any version row at all.
pub async fn has_records(db: &Db, register: &str) -> Result<bool> {
    let row: Option<(i64,)> = on_db!(db, pool => sqlx::query_as(
        "SELECT seq FROM registry_versions WHERE register = $1 LIMIT 1").bind(register).fetch_optional(pool).await)?;
    Ok(row.is_some())
}

/// Heads (latest versions, not deleted) whose searchable fields equal every `(field, value)`
/// filter, by identifier after `after_id`.
///
/// The plan does not depend on the planner's statistics (fresh after a bulk import, they
/// are missing): the most selective filter drives a range scan of the index in identifier
/// order, every other filter is one primary-key probe per candidate (a correlated scalar
/// subquery, which PostgreSQL does not turn into a join), and the matching heads are then
/// fetched by identifier.
pub async fn search(
    db: &Db,
    register: &str,
    filters: &[(String, String)],
    after_id: &str,
    limit: i64,
) -> Result<Vec<Record>> {
    if filters.is_empty() {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 \
             AND v.head = TRUE AND v.kind <> 'deleted' AND v.record_id > $2 \
             ORDER BY v.record_id LIMIT $3"
        ));
        let rows: Vec<VersionRow> = on_db!(db, pool => sqlx::query_as(sql)
            .bind(register).bind(after_id).bind(limit).fetch_all(pool).await)?;
        return records_from(rows);
    }
    let mut filters: Vec<&(String, String)> = filters.iter().collect();
    if filters.len() > 1 {
        let mut sized = Vec::with_capacity(filters.len());
        for filter in filters {
            sized.push((capped_count(db, register, filter, after_id).await?, filter));
        }
        sized.sort_by_key(|(count, _)| *count);
        filters = sized.into_iter().map(|(_, f)| f).collect();
    }
    let ids = matching_ids(db, register, &filters, after_id, limit).await?;
    heads(db, register, &ids).await
}

/// How many index entries match a filter, counting up to 1,000.
async fn capped_count(db: &Db, register: &str, filter: &(String, String), after_id: &str) -> Result<i64> {
    let (count,): (i64,) = on_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT 1 FROM registry_search WHERE key = (SELECT key FROM registry_fields \
         WHERE register = $1 AND field = $2) AND value = $3 AND record_id > $4 LIMIT 1000) AS capped")
        .bind(register).bind(&filter.0).bind(&filter.1).bind(after_id).fetch_one(pool).await)?;
    Ok(count)
}

/// Identifiers matching every filter (the first drives), in order, after `after_id`.
async fn matching_ids(
    db: &Db,
    register: &str,
    filters: &[&(String, String)],
    after_id: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let mut sql = String::from(
        "SELECT i.record_id FROM registry_search i WHERE i.key = (SELECT key FROM registry_fields \
         WHERE register = $1 AND field = $2) AND i.value = $3 AND i.record_id > $4",
    );
    for n in 1..filters.len() {
        let p = 4 + 2 * n;
        sql.push_str(&format!(
            " AND (SELECT COUNT(*) FROM registry_search x WHERE x.key = (SELECT key FROM registry_fields \
             WHERE register = $1 AND field = ${p}) AND x.value = ${} AND x.record_id = i.record_id) > 0",
            p + 1
        ));
    }
    sql.push_str(" ORDER BY i.record_id LIMIT $5");
    let rows: Vec<(String,)> = on_db!(db, pool => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(register);
        for (i, (field, value)) in filters.iter().map(|f| (&f.0, &f.1)).enumerate() {
            query = query.bind(field).bind(value);
            if i == 0 {
                query = query.bind(after_id).bind(limit);
            }
        }
        query.fetch_all(pool).await
    })?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The heads of the given records, by identifier.
async fn heads(db: &Db, register: &str, ids: &[String]) -> Result<Vec<Record>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (0..ids.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {COLUMNS} FROM registry_versions v WHERE v.register = $1 AND v.head = TRUE \
         AND v.record_id IN ({list}) ORDER BY v.record_id"
    );
    let rows: Vec<VersionRow> = on_db!(db, pool => {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(register);
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(pool).await
    })?;
    records_from(rows)
}
