//! Tools for `bench/run-notify`: the ceiling (a bare durable insert loop on SQLite or
//! PostgreSQL with Publica's settings), an SMTP sink that times deliveries, a sender that posts
//! notifications through the Notify API, and JWTs for wrk.

use std::time::{Duration, Instant};

use futures::StreamExt;

use publica_notify::api::auth::{make_token, split_key};
use publica_notify::testing::SmtpSink;
use sqlx::ConnectOptions;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn usage() -> ! {
    eprintln!(
        "usage: publica-bench-notify token KEY
       publica-bench-notify ceiling DATABASE_URL SECONDS BATCH
       publica-bench-notify sink PORT_FILE COUNT
       publica-bench-notify post BASE_URL KEY TEMPLATE_ID COUNT CONCURRENCY"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["token", key] => {
            let (service, secret) = split_key(key).ok_or("not a Notify API key")?;
            println!("{}", make_token(service, secret, time::OffsetDateTime::now_utc().unix_timestamp()));
        }
        ["ceiling", url, seconds, batch] => ceiling(url, seconds.parse()?, batch.parse()?).await?,
        ["sink", port_file, count] => sink(port_file, count.parse()?).await?,
        ["post", base, key, template, count, concurrency] => {
            post(base, key, template, count.parse()?, concurrency.parse()?).await?
        }
        _ => usage(),
    }
    Ok(())
}

/// Rows shaped like a notification: the same columns and about the same sealed content size.
const TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_notifications (
    id ID PRIMARY KEY, service_id ID NOT NULL, api_key_id ID, key_type TEXT NOT NULL, type TEXT NOT NULL,
    template_id ID NOT NULL, template_version BIGINT NOT NULL, status TEXT NOT NULL, recipient TEXT,
    normalised_to TEXT, client_reference TEXT, content BYTES, created_at TEXT NOT NULL)";

/// One notification-shaped insert (the engine is inferred from where it runs).
macro_rules! insert {
    ($content:expr) => {{
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO bench_notifications (id, service_id, api_key_id, key_type, type, template_id, template_version,
                status, recipient, normalised_to, client_reference, content, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(id)
        .bind(id)
        .bind("test")
        .bind("email")
        .bind(id)
        .bind(1_i64)
        .bind("created")
        .bind("citizen@example.org")
        .bind("citizen@example.org")
        .bind("bench")
        .bind($content)
        .bind(time::OffsetDateTime::now_utc().to_string())
    }};
}

/// Insert for `seconds`, `batch` rows per durable commit; prints rows per second.
async fn ceiling(url: &str, seconds: u64, batch: usize) -> Result<()> {
    let content = vec![0x5a_u8; 640];
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut rows = 0u64;
    if url.starts_with("postgres") {
        let mut conn = url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
        sqlx::query(sqlx::AssertSqlSafe(
            TABLE.replace("BYTES", "BYTEA").replace(" ID ", " UUID ").replace(" ID,", " UUID,"),
        ))
        .execute(&mut conn)
        .await?;
        while Instant::now() < deadline {
            let mut tx = sqlx::Connection::begin(&mut conn).await?;
            for _ in 0..batch {
                insert!(&content[..]).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            rows += batch as u64;
        }
    } else {
        // Publica's SQLite settings: WAL, synchronous = FULL (every commit reaches the disk).
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()?
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
        let mut conn = options.connect().await?;
        sqlx::query(sqlx::AssertSqlSafe(
            TABLE.replace("BYTES", "BLOB").replace(" ID ", " BLOB ").replace(" ID,", " BLOB,"),
        ))
        .execute(&mut conn)
        .await?;
        while Instant::now() < deadline {
            let mut tx = sqlx::Connection::begin(&mut conn).await?;
            for _ in 0..batch {
                insert!(&content[..]).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            rows += batch as u64;
        }
    }
    println!("{:.0}", rows as f64 / start.elapsed().as_secs_f64());
    Ok(())
}

/// Receive `count` messages; writes the port to `port_file` first, then prints messages per
/// second between the first and the last.
async fn sink(port_file: &str, count: usize) -> Result<()> {
    let sink = SmtpSink::builder().keep_data(false).start().await?;
    std::fs::write(port_file, sink.addr().port().to_string())?;
    sink.wait_for(1, Duration::from_secs(600)).await?;
    let first = Instant::now();
    sink.wait_for(count, Duration::from_secs(600)).await?;
    println!("{:.0}", (count - 1) as f64 / first.elapsed().as_secs_f64());
    Ok(())
}

/// Post `count` emails with `concurrency` requests in flight; prints accepted per second.
async fn post(base: &str, key: &str, template: &str, count: usize, concurrency: usize) -> Result<()> {
    let (service, secret) = split_key(key).ok_or("not a Notify API key")?;
    let client = reqwest::Client::new();
    let start = Instant::now();
    let results = futures::stream::iter(0..count)
        .map(|i| {
            let client = client.clone();
            let token = make_token(service, secret, time::OffsetDateTime::now_utc().unix_timestamp());
            let body = serde_json::json!({
                "email_address": format!("citizen{i}@example.org"),
                "template_id": template,
                "personalisation": {"name": "Ada", "reference": format!("R{i}")},
            });
            async move {
                let response =
                    client.post(format!("{base}/v2/notifications/email")).bearer_auth(token).json(&body).send().await?;
                Ok::<u16, reqwest::Error>(response.status().as_u16())
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await;
    let failed = results.iter().filter(|r| !matches!(r, Ok(201))).count();
    if failed > 0 {
        return Err(format!("{failed} of {count} sends were not accepted").into());
    }
    println!("{:.0}", count as f64 / start.elapsed().as_secs_f64());
    Ok(())
}
