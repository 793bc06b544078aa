//! The database: one code path over SQLite and PostgreSQL, chosen at run time from the URL.
//!
//! Queries are written once, with `$1`-style parameters that both engines accept, and run on
//! whichever pool is configured through [`on_db!`] / [`on_tx!`]. There is no `sqlx::Any`: each
//! arm is compiled for its own driver, so types are checked per engine.

mod group;
mod migrate;
mod timestamp;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use group::{BatchWriter, Committed, GroupCommit};
pub use migrate::{BlockMigrations, MigrationStatus};
pub use timestamp::Timestamp;

use crate::config::Config;

/// A pool on one of the two supported engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on one of the two supported engines.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Run the same expression on whichever pool `$db` holds: `on_db!(db, pool => query.fetch_all(pool))`.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($conn) => $body,
            $crate::db::Db::Postgres($conn) => $body,
        }
    };
}

/// Run the same expression inside whichever transaction `$tx` holds; `$conn` is the connection.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// Failures of the database layer, classified so callers can answer 503 when it is away.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) { DbError::Unavailable(error.to_string()) } else { DbError::Other(error) }
    }
}

/// The parameters of a statement built at run time, `n` of them after `first - 1` others:
/// numbered on PostgreSQL (`$first, …`), anonymous on SQLite (`?, …`), where sqlx binds a
/// numbered parameter by looking its name up (a scan of the statement's parameters, so binding
/// hundreds takes time quadratic in their number) and an anonymous one by position. A statement
/// built with these uses them for all its parameters, in the order they are bound.
fn parameters(anonymous: bool, first: usize, n: usize) -> String {
    if anonymous {
        vec!["?"; n].join(", ")
    } else {
        (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
    }
}

/// `(…), (…)`: `rows` rows of `columns` parameters each, for a multi-row `VALUES` (see [`parameters`]).
fn parameter_rows(anonymous: bool, first: usize, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", parameters(anonymous, first + r * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an error means the database cannot be reached (as opposed to a bad query).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // PostgreSQL connection exceptions (08…), admin shutdown/crash/cannot connect (57P0…);
            // SQLite busy/locked past the busy timeout.
            let code = db.code().unwrap_or_default();
            code.starts_with("08") || code.starts_with("57P0") || code == "5" || code == "6"
        }
        _ => false,
    }
}

/// A row that an `INSERT … ON CONFLICT DO NOTHING` did or did not create.
pub fn unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Db {
    /// Connect to the configured database (creating the SQLite file and data directory).
    pub async fn connect(config: &Config) -> Result<Db, DbError> {
        let url = config.effective_database_url();
        let max = config.database.max_connections.max(1);
        let acquire = Duration::from_millis(config.database.acquire_timeout_ms.max(1));
        if url.starts_with("sqlite:") {
            std::fs::create_dir_all(&config.data)
                .map_err(|e| DbError::Unavailable(format!("cannot create data directory: {e}")))?;
            let options = SqliteConnectOptions::from_str(&url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before the request is answered.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // Temporary storage (a statement's journal, among others) in memory: as a file,
                // one was created and deleted for most group-commit batches.
                .pragma("temp_store", "memory")
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(max)
                .min_connections(1)
                // An embedded database cannot drop a connection: the ping sqlx sends before
                // handing one out would only cost a round trip to the connection's thread.
                .test_before_acquire(false)
                .acquire_timeout(acquire)
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        } else {
            let options = PgConnectOptions::from_str(&url)?.application_name("publica");
            let pool = PgPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(acquire)
                .test_before_acquire(true)
                .connect_lazy_with(options);
            // Fail start-up clearly when the database is not there, but later outages only 503.
            pool.acquire().await?;
            Ok(Db::Postgres(pool))
        }
    }

    /// Begin a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
    /// two writers never deadlock upgrading a read lock.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A pool of one connection with this pool's settings, for a writer that runs one
    /// transaction after another (a group committer): on SQLite its connection keeps its page
    /// cache from batch to batch, where the shared pool's connections take turns and each finds
    /// its cache stale (written by another connection) and reads the pages again.
    pub fn dedicated(&self) -> Db {
        match self {
            Db::Sqlite(pool) => Db::Sqlite(one_connection(pool, false)),
            Db::Postgres(pool) => Db::Postgres(one_connection(pool, true)),
        }
    }

    /// A pool of one connection whose commits return before they reach the disk (SQLite's
    /// `synchronous = NORMAL` in WAL mode, PostgreSQL's `synchronous_commit = off`), for
    /// bookkeeping that means nothing after a crash, such as the attempts a throttle holds in
    /// flight. Such a commit is never torn and never reordered: it is durable as soon as any
    /// later ordinary commit of the same database is (SQLite syncs the whole log file,
    /// PostgreSQL flushes its log up to that later commit). Nothing a request acknowledges may
    /// rest on it alone. Keep the handle: each call opens a pool.
    pub fn unsynced(&self) -> Db {
        match self {
            Db::Sqlite(pool) => {
                let options = (*pool.connect_options()).clone().synchronous(SqliteSynchronous::Normal);
                Db::Sqlite(one_connection_with(pool, options, false))
            }
            Db::Postgres(pool) => {
                let options = (*pool.connect_options()).clone().options([("synchronous_commit", "off")]);
                Db::Postgres(one_connection_with(pool, options, true))
            }
        }
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        on_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Connections open and idle in the pool, for metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        on_db!(self, pool => (pool.size(), pool.num_idle()))
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await)
    }
}

/// A pool of one connection with `pool`'s connect options and acquire timeout.
fn one_connection<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, test_before_acquire: bool) -> sqlx::Pool<DB> {
    one_connection_with(pool, (*pool.connect_options()).clone(), test_before_acquire)
}

/// A pool of one connection with `options` and `pool`'s acquire timeout.
fn one_connection_with<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    options: <DB::Connection as sqlx::Connection>::Options,
    test_before_acquire: bool,
) -> sqlx::Pool<DB> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(1)
        .test_before_acquire(test_before_acquire)
        .acquire_timeout(pool.options().get_acquire_timeout())
        .connect_lazy_with(options)
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => "sqlite",
            Tx::Postgres(_) => "postgres",
        }
    }

    /// Placeholders for `n` values bound after `first - 1` others, for a statement built at run
    /// time: `$first, …` on PostgreSQL, `?, …` on SQLite. A statement built with these (and
    /// [`Tx::value_rows`]) writes all its parameters with them, in the order they are bound.
    pub fn placeholders(&self, first: usize, n: usize) -> String {
        parameters(matches!(self, Tx::Sqlite(_)), first, n)
    }

    /// `(…), (…), …`: `rows` rows of `columns` placeholders each, for a multi-row `VALUES`
    /// (as [`Tx::placeholders`]).
    pub fn value_rows(&self, first: usize, rows: usize, columns: usize) -> String {
        parameter_rows(matches!(self, Tx::Sqlite(_)), first, rows, columns)
    }
}

#[cfg(test)]
mod placeholder_tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(parameters(false, 3, 2), "$3, $4");
        assert_eq!(parameters(false, 1, 0), "");
        assert_eq!(parameter_rows(false, 2, 2, 3), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(parameters(true, 3, 2), "?, ?");
        assert_eq!(parameter_rows(true, 2, 2, 2), "(?, ?), (?, ?)");
    }
}
