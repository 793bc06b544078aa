//! The import's physical limit: a bare loop inserting the same rows an import of persons ends
//! with (one version row holding the record's JSON, and its three search index entries) into
//! tables shaped and indexed like the registry's, with Publica's settings (SQLite: WAL,
//! `synchronous = FULL`, the 64 MiB page cache the import asks for), 10,000 records per durable
//! commit, multi-row statements, and no parsing, validation or staging.

use std::fmt::Write as _;
use std::time::Instant;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

use crate::Result;
use crate::persons;

const PER_COMMIT: u64 = 10_000;
const VERSIONS_PER_STATEMENT: usize = 50;
const ENTRIES_PER_STATEMENT: usize = 100;

const TABLES: [&str; 4] = [
    "CREATE TABLE bench_versions (seq SERIAL_KEY, register TEXT NOT NULL, record_id TEXT NOT NULL,
        kind TEXT NOT NULL, reason TEXT, data TEXT, valid_from TEXT NOT NULL, valid_to TEXT, recorded_at TEXT NOT NULL,
        superseded_at TEXT, actor TEXT, feed BOOLEAN NOT NULL, head BOOLEAN)",
    "CREATE UNIQUE INDEX bench_versions_record ON bench_versions (register, record_id, head)",
    "CREATE INDEX bench_versions_feed ON bench_versions (register, seq) WHERE feed = TRUE",
    "CREATE TABLE bench_index (register TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,
        record_id TEXT NOT NULL, PRIMARY KEY (register, field, value, record_id)) NO_ROWID",
];

/// One record's rows: id, JSON text, and its index entries.
struct Rows {
    id: String,
    data: String,
    entries: [(&'static str, String); 3],
}

fn rows(i: u64) -> Result<Rows> {
    let p = persons::person(i);
    let text = |pointer: &str| p.pointer(pointer).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    Ok(Rows {
        id: persons::id(i),
        entries: [
            ("birth_date", text("/birth_date")),
            ("family_name", text("/family_name")),
            ("residence.municipality", text("/residence/municipality")),
        ],
        data: serde_json::to_string(&p)?,
    })
}

fn versions_sql(rows: usize, dollar: bool) -> String {
    let mut sql = String::from(
        "INSERT INTO bench_versions (register, record_id, kind, data, valid_from, recorded_at, feed, head) VALUES ",
    );
    let mut n = 0;
    for r in 0..rows {
        let mut p = || {
            n += 1;
            if dollar { format!("${n}") } else { "?".to_string() }
        };
        let (a, b, c, d, e) = (p(), p(), p(), p(), p());
        let _ = write!(sql, "{}({a}, {b}, 'created', {c}, {d}, {e}, TRUE, TRUE)", if r == 0 { "" } else { ", " });
    }
    sql
}

fn entries_sql(entries: usize, dollar: bool) -> String {
    let mut sql = String::from("INSERT INTO bench_index (register, field, value, record_id) VALUES ");
    let mut n = 0;
    for r in 0..entries {
        let mut p = || {
            n += 1;
            if dollar { format!("${n}") } else { "?".to_string() }
        };
        let (a, b, c, d) = (p(), p(), p(), p());
        let _ = write!(sql, "{}({a}, {b}, {c}, {d})", if r == 0 { "" } else { ", " });
    }
    sql
}

macro_rules! insert_chunk {
    ($conn:expr, $records:expr, $dollar:expr, $now:expr) => {{
        let mut tx = sqlx::Connection::begin($conn).await?;
        for chunk in $records.chunks(VERSIONS_PER_STATEMENT) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(versions_sql(chunk.len(), $dollar)));
            for r in chunk {
                q = q.bind("population").bind(&r.id).bind(&r.data).bind($now).bind($now);
            }
            q.execute(&mut *tx).await?;
        }
        let mut entries: Vec<(&str, &str, &str)> =
            $records.iter().flat_map(|r| r.entries.iter().map(|(f, v)| (*f, v.as_str(), r.id.as_str()))).collect();
        entries.sort_unstable();
        for chunk in entries.chunks(ENTRIES_PER_STATEMENT) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(entries_sql(chunk.len(), $dollar)));
            for (f, v, id) in chunk {
                q = q.bind("population").bind(*f).bind(*v).bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }};
}

/// Insert `count` persons' rows; prints records per second (rows prepared outside the timing).
pub async fn run(url: &str, count: u64) -> Result<()> {
    let prepared: Vec<Rows> = (0..count).map(rows).collect::<Result<_>>()?;
    let now = "2026-01-01T00:00:00.000000Z";
    let started;
    if url.starts_with("postgres") {
        let mut conn = url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
        for ddl in TABLES {
            let ddl = ddl.replace("SERIAL_KEY", "BIGSERIAL PRIMARY KEY").replace(" NO_ROWID", "");
            sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(&mut conn).await?;
        }
        started = Instant::now();
        for records in prepared.chunks(PER_COMMIT as usize) {
            insert_chunk!(&mut conn, records, true, now);
        }
    } else {
        let options = url
            .parse::<SqliteConnectOptions>()?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .pragma("cache_size", "-65536");
        let mut conn = options.connect().await?;
        for ddl in TABLES {
            let ddl =
                ddl.replace("SERIAL_KEY", "INTEGER PRIMARY KEY AUTOINCREMENT").replace("NO_ROWID", "WITHOUT ROWID");
            sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(&mut conn).await?;
        }
        started = Instant::now();
        for records in prepared.chunks(PER_COMMIT as usize) {
            insert_chunk!(&mut conn, records, false, now);
        }
    }
    println!("{:.0}", count as f64 / started.elapsed().as_secs_f64());
    Ok(())
}
