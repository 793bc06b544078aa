//! The import's limits, with one durable commit at the end like an all-or-nothing import, and
//! Publica's settings (SQLite: WAL, `synchronous = FULL`, the 64 MiB page cache imports ask for):
//!
//! - `rows`: the rows an import of persons ends with — one version row holding the record's
//!   JSON, in the registry's tables with their indexes, and its three search entries — written
//!   by the registry's own storage layer (`store::write`) into an empty installation, rows
//!   built beforehand: the import without reading, parsing, validating or bookkeeping;
//! - `narrow`: the engine's insert of the narrowest row that still holds a record (its
//!   identifier and JSON, no index but the row id), in multi-row statements: what storing the
//!   records at all costs.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use publica_kernel::db::{Timestamp, Tx};
use publica_registry::POPULATION;
use publica_registry::store::write::{self, BatchRow, SearchEntry};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

use crate::Result;
use crate::persons;

/// Rows per multi-row statement of the narrow insert (anonymous parameters on SQLite, arrays
/// on PostgreSQL).
const NARROW_PER_STATEMENT: usize = 200;

/// Time the insert of persons `0..count` (`shape`: `rows` or `narrow`) in `data` (or
/// `database_url`, unless `-`); prints records per second and the CPU-seconds of this process
/// while it inserted (on PostgreSQL, without the server's).
pub async fn run(data: &str, database_url: &str, count: u64, shape: &str) -> Result<()> {
    let records: Vec<(String, String)> =
        (0..count).map(|i| Ok((persons::id(i), serde_json::to_string(&persons::person(i))?))).collect::<Result<_>>()?;
    let (rate, cpu) = match shape {
        "rows" => rows(data, database_url, records).await?,
        "narrow" => narrow(data, database_url, records).await?,
        other => return Err(format!("unknown ceiling shape {other}: rows or narrow").into()),
    };
    println!("{rate:.0} {cpu:.3}");
    Ok(())
}

/// The registry's rows, through its storage layer, in an empty installation: records per
/// second and CPU-seconds.
async fn rows(data: &str, database_url: &str, records: Vec<(String, String)>) -> Result<(f64, f64)> {
    let (kernel, _) = crate::scale::open(data, database_url).await?;
    let count = records.len() as f64;
    let now = Timestamp::now();
    let text = |data: &serde_json::Value, pointer: &str| {
        data.pointer(pointer).and_then(|v| v.as_str()).unwrap_or_default().to_string()
    };
    let mut entries: Vec<(usize, String, Arc<str>)> = Vec::new();
    let mut batch = Vec::with_capacity(records.len());
    for (id, json) in records {
        let value: serde_json::Value = serde_json::from_str(&json)?;
        let id: Arc<str> = Arc::from(id);
        for (field, pointer) in ["/birth_date", "/family_name", "/residence/municipality"].iter().enumerate() {
            entries.push((field, text(&value, pointer), id.clone()));
        }
        batch.push(BatchRow { id, data: json, valid_from: now });
    }
    batch.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    entries.sort_unstable();

    let (started, cpu) = (Instant::now(), crate::scale::cpu_seconds());
    let mut tx: Tx = kernel.db().begin().await?;
    write::lock_feed(&mut tx, POPULATION).await?;
    write::bulk_cache(&mut tx).await?;
    let keys = write::field_keys(&mut tx, POPULATION, &["birth_date", "family_name", "municipality"]).await?;
    let entries: Vec<SearchEntry> = entries.into_iter().map(|(field, value, id)| (keys[field], value, id)).collect();
    write::insert_created(&mut tx, POPULATION, now, batch).await?;
    write::add_index(&mut tx, entries).await?;
    tx.commit().await?;
    let measured = (count / started.elapsed().as_secs_f64(), crate::scale::cpu_seconds() - cpu);
    kernel.db().close().await;
    Ok(measured)
}

/// One narrow row per record: records per second and CPU-seconds.
async fn narrow(data: &str, database_url: &str, records: Vec<(String, String)>) -> Result<(f64, f64)> {
    let count = records.len() as f64;
    let (started, cpu);
    if database_url != "-" {
        let mut conn = database_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
        sqlx::query(
            "CREATE TABLE bench_narrow (seq BIGSERIAL PRIMARY KEY, record_id TEXT NOT NULL, data TEXT NOT NULL)",
        )
        .execute(&mut conn)
        .await?;
        (started, cpu) = (Instant::now(), crate::scale::cpu_seconds());
        let mut tx = conn.begin().await?;
        for chunk in records.chunks(NARROW_PER_STATEMENT * 10) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.0.as_str()).collect();
            let data: Vec<&str> = chunk.iter().map(|r| r.1.as_str()).collect();
            sqlx::query("INSERT INTO bench_narrow (record_id, data) SELECT * FROM UNNEST($1::text[], $2::text[])")
                .bind(ids)
                .bind(data)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    } else {
        std::fs::create_dir_all(data)?;
        let path = std::path::Path::new(data).join("narrow.db");
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .pragma("cache_size", "-65536")
            .connect()
            .await?;
        sqlx::query("CREATE TABLE bench_narrow (seq INTEGER PRIMARY KEY, record_id TEXT NOT NULL, data TEXT NOT NULL)")
            .execute(&mut conn)
            .await?;
        (started, cpu) = (Instant::now(), crate::scale::cpu_seconds());
        let mut tx = conn.begin().await?;
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk: Vec<(String, String)> = records.by_ref().take(NARROW_PER_STATEMENT).collect();
            let mut sql = String::from("INSERT INTO bench_narrow (record_id, data) VALUES ");
            for i in 0..chunk.len() {
                let _ = write!(sql, "{}(?, ?)", if i == 0 { "" } else { ", " });
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, data) in chunk {
                // Owned text binds without a copy.
                query = query.bind(id).bind(data);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok((count / started.elapsed().as_secs_f64(), crate::scale::cpu_seconds() - cpu))
}
