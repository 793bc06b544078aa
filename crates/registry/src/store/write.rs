//! Writing versions and index entries inside the caller's transaction, one at a time or in
//! multi-row statements for bulk insertion.

use std::sync::Arc;

use publica_kernel::db::{Db, DbError, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::on_tx;

use crate::domain::ChangeKind;

/// Rows per multi-row statement in bulk inserts. On SQLite the statements use anonymous `?`
/// parameters, which bind in constant time (numbered ones are looked up by name, linearly, so
/// a statement with many of them costs the square of their number), and fewer, larger
/// statements mean fewer hand-overs to the connection's thread (1,000 rows measured faster
/// than 200); PostgreSQL takes whole columns as arrays.
fn rows_per_statement(tx: &Tx) -> usize {
    match tx {
        Tx::Sqlite(_) => 1000,
        Tx::Postgres(_) => 2000,
    }
}

/// `n` parenthesised groups `group`, comma-separated: the rows of a multi-row `VALUES`.
fn values_list(n: usize, group: &str) -> String {
    let mut sql = String::with_capacity(n * (group.len() + 2));
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(group);
    }
    sql
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

/// Begin a bulk import's publishing transaction. On SQLite its connection does not checkpoint
/// the write-ahead log when the transaction commits (`wal_autocheckpoint = 0`): the import is
/// durable at its commit, and the checkpoint — maintenance — runs afterwards, in the background
/// ([`checkpoint_later`]). The connection is closed after the transaction, not returned to the
/// pool with that setting.
pub async fn begin_bulk(db: &Db) -> Result<Tx> {
    match db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await.map_err(DbError::from)?;
            sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *conn).await?;
            conn.close_on_drop();
            let begin = sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE");
            Ok(Tx::Sqlite(sqlx::Transaction::begin(conn, Some(begin)).await.map_err(DbError::from)?))
        }
        Db::Postgres(_) => Ok(db.begin().await?),
    }
}

/// After a [`begin_bulk`] transaction committed: checkpoint SQLite's write-ahead log on a task
/// of its own (`PASSIVE`: it waits for no reader or writer).
pub fn checkpoint_later(db: &Db) {
    if let Db::Sqlite(pool) = db {
        let pool = pool.clone();
        tokio::spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(error = %e, "checkpoint after a bulk import failed; SQLite's next automatic one will do it");
            }
        });
    }
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
pub struct BatchRow {
    pub id: Arc<str>,
    pub data: String,
    pub valid_from: Timestamp,
}

/// A SQLite statement with its arguments, ready to run.
type SqliteQuery = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Run the statements `build` makes of `items`, `per` items each, building each statement
/// while SQLite runs the one before (sqlx runs it on the connection's own thread). Stops at
/// the first statement for which `enough(index, rows affected)` is false; returns its index.
async fn pipelined<T>(
    conn: &mut sqlx::SqliteConnection,
    items: Vec<T>,
    per: usize,
    mut build: impl FnMut(Vec<T>) -> SqliteQuery,
    mut enough: impl FnMut(usize, u64) -> bool,
) -> Result<Option<usize>> {
    let mut items = items.into_iter();
    let mut next_statement = |items: &mut std::vec::IntoIter<T>| {
        let chunk: Vec<T> = items.by_ref().take(per).collect();
        (!chunk.is_empty()).then(|| build(chunk))
    };
    let mut next = next_statement(&mut items);
    let mut index = 0;
    while let Some(query) = next.take() {
        let (done, built) = tokio::join!(query.execute(&mut *conn), async { next_statement(&mut items) });
        if !enough(index, done?.rows_affected()) {
            return Ok(Some(index));
        }
        next = built;
        index += 1;
    }
    Ok(None)
}

/// Insert `rows` as created heads (in the feed, no actor). Fails with a conflict naming the
/// first record that already has a head. (Without `RETURNING`, which costs SQLite a third
/// more: a shortfall in the rows inserted is looked into only when it happens.)
pub async fn insert_created(tx: &mut Tx, register: &str, recorded_at: Timestamp, rows: Vec<BatchRow>) -> Result<()> {
    let per = rows_per_statement(tx);
    let ids: Vec<Arc<str>> = rows.iter().map(|r| r.id.clone()).collect();
    let sizes: Vec<usize> = ids.chunks(per).map(<[_]>::len).collect();
    let short = match tx {
        Tx::Sqlite(t) => {
            // Bound as owned or shared text, which sqlx does not copy; timestamps as their
            // stored text, formatted once per distinct value.
            let shared: Arc<str> = Arc::from(register);
            let recorded: Arc<str> = Arc::from(recorded_at.to_fixed());
            let mut valid_from: (Option<Timestamp>, Arc<str>) = (None, Arc::from(""));
            let build = |chunk: Vec<BatchRow>| {
                let sql = format!(
                    "INSERT INTO registry_versions (register, record_id, kind, data, valid_from, recorded_at, feed, head) \
                     VALUES {} {ON_HEAD_CONFLICT}",
                    values_list(chunk.len(), "(?, ?, 'created', ?, ?, ?, TRUE, TRUE)")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in chunk {
                    if valid_from.0 != Some(row.valid_from) {
                        valid_from = (Some(row.valid_from), Arc::from(row.valid_from.to_fixed()));
                    }
                    query = query.bind(shared.clone()).bind(row.id).bind(row.data);
                    query = query.bind(valid_from.1.clone()).bind(recorded.clone());
                }
                query
            };
            pipelined(t, rows, per, build, |i, n| n >= sizes[i] as u64).await?
        }
        Tx::Postgres(t) => {
            let mut short = None;
            for (index, chunk) in rows.chunks(per).enumerate() {
                let ids: Vec<&str> = chunk.iter().map(|r| &*r.id).collect();
                let data: Vec<&str> = chunk.iter().map(|r| r.data.as_str()).collect();
                let valid_from: Vec<time::OffsetDateTime> = chunk.iter().map(|r| r.valid_from.inner()).collect();
                let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO registry_versions (register, record_id, kind, data, valid_from, recorded_at, feed, head) \
                     SELECT $1, r, 'created', d, f, $2, TRUE, TRUE \
                     FROM UNNEST($3::text[], $4::text[], $5::timestamptz[]) AS t (r, d, f) {ON_HEAD_CONFLICT}"
                )))
                .bind(register)
                .bind(recorded_at)
                .bind(ids)
                .bind(data)
                .bind(valid_from)
                .execute(&mut **t)
                .await?
                .rows_affected();
                if inserted < chunk.len() as u64 {
                    short = Some(index);
                    break;
                }
            }
            short
        }
    };
    let Some(index) = short else { return Ok(()) };
    let chunk: Vec<&str> = ids.chunks(per).nth(index).unwrap_or_default().iter().map(|id| &**id).collect();
    Err(Error::Conflict(match existing_head(tx, register, &chunk, recorded_at).await? {
        Some(id) => format!("{register} record {id} exists"),
        None => format!("a {register} record of this batch exists"),
    }))
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

/// The keys of a register's searchable fields, in the order of `fields`, each assigned on first
/// use (see `registry_fields`).
pub async fn field_keys(tx: &mut Tx, register: &str, fields: &[&str]) -> Result<Vec<i64>> {
    let mut known = known_keys(tx, register).await?;
    if fields.iter().any(|f| !known.iter().any(|(name, _)| name == f)) {
        for field in fields {
            on_tx!(tx, c => sqlx::query(
                "INSERT INTO registry_fields (register, field) VALUES ($1, $2) ON CONFLICT (register, field) DO NOTHING")
                .bind(register).bind(*field).execute(c).await.map(|_| ()))?;
        }
        known = known_keys(tx, register).await?;
    }
    fields
        .iter()
        .map(|f| {
            known
                .iter()
                .find(|(name, _)| name == f)
                .map(|(_, key)| *key)
                .ok_or_else(|| Error::internal(format!("register {register}: no key for searchable field {f}")))
        })
        .collect()
}

async fn known_keys(tx: &mut Tx, register: &str) -> Result<Vec<(String, i64)>> {
    Ok(on_tx!(tx, c => sqlx::query_as("SELECT field, key FROM registry_fields WHERE register = $1")
        .bind(register).fetch_all(c).await)?)
}

/// A search entry: field key, value, record id.
pub type SearchEntry = (i64, String, Arc<str>);

/// Add search entries, best in key order (B-tree inserts then touch neighbouring pages instead
/// of random ones).
pub async fn add_index(tx: &mut Tx, entries: Vec<SearchEntry>) -> Result<()> {
    match tx {
        Tx::Sqlite(t) => {
            // Three parameters per entry, 3,000 entries per statement (see rows_per_statement).
            let build = |chunk: Vec<SearchEntry>| {
                let sql = format!(
                    "INSERT INTO registry_search (key, value, record_id) VALUES {} ON CONFLICT DO NOTHING",
                    values_list(chunk.len(), "(?, ?, ?)")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (key, value, id) in chunk {
                    query = query.bind(key).bind(value).bind(id);
                }
                query
            };
            pipelined(t, entries, 3000, build, |_, _| true).await?;
        }
        Tx::Postgres(t) => {
            // Three arrays per statement.
            for chunk in entries.chunks(5000) {
                let keys: Vec<i64> = chunk.iter().map(|e| e.0).collect();
                let values: Vec<&str> = chunk.iter().map(|e| e.1.as_str()).collect();
                let ids: Vec<&str> = chunk.iter().map(|e| &*e.2).collect();
                sqlx::query(
                    "INSERT INTO registry_search (key, value, record_id) \
                     SELECT k, v, r FROM UNNEST($1::bigint[], $2::text[], $3::text[]) AS e (k, v, r) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(keys)
                .bind(values)
                .bind(ids)
                .execute(&mut **t)
                .await?;
            }
        }
    }
    Ok(())
}

/// Remove one record's search entries `(field key, value)`.
pub async fn remove_index(tx: &mut Tx, id: &str, entries: &[(i64, String)]) -> Result<()> {
    for (key, value) in entries {
        on_tx!(tx, c => sqlx::query("DELETE FROM registry_search WHERE key = $1 AND value = $2 AND record_id = $3")
            .bind(key).bind(value).bind(id).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

/// Remove every search entry of a register.
pub async fn clear_index(tx: &mut Tx, register: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "DELETE FROM registry_search WHERE key IN (SELECT key FROM registry_fields WHERE register = $1)")
        .bind(register).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// `(id, data)` of the heads (latest versions, not deleted) after `after_id`, by id.
pub async fn heads_data(tx: &mut Tx, register: &str, after_id: &str, limit: i64) -> Result<Vec<(String, String)>> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT record_id, data FROM registry_versions WHERE register = $1 AND head = TRUE \
         AND kind <> 'deleted' AND record_id > $2 ORDER BY record_id LIMIT $3")
        .bind(register).bind(after_id).bind(limit).fetch_all(c).await)?)
}
