//! The statements that store one batch: its entries and usage records in multi-row inserts, its
//! signed batch row and the head.
//!
//! On SQLite the whole batch goes to the database as one list of statements (one hand-over to
//! the connection's thread instead of one per statement: the group commit's cost per batch is
//! mostly those hand-overs) with anonymous `?` parameters (SQLite finds a numbered parameter by
//! a linear search of the statement's names, so binding `$n` costs the square of the
//! parameters). On PostgreSQL each statement is a round trip with `$n` parameters.
//!
//! Rows are cut into power-of-two chunks (37 calls: 32, 4 and 1), so each table has at most
//! seven distinct multi-row statements, which stay prepared in every connection's statement
//! cache whatever the batch sizes.

use std::sync::OnceLock;

use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::{Error, Result};

use crate::log::chain::{StoredEntry, StoredUsage};

/// Rows per multi-row statement at most.
const MAX_ROWS_PER_STATEMENT: usize = 64;

/// A batch's signed row, also copied to the head.
pub(super) struct Seal<'a> {
    pub batch: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    pub last_hash: &'a [u8],
    pub kid: &'a str,
    pub signature: &'a [u8],
    pub at: Timestamp,
}

/// One usage record with its entry, as inserted.
struct UsageRow<'a> {
    entry: &'a StoredEntry,
    ord: i32,
    usage: &'a StoredUsage,
    items: String,
}

const ENTRY_COLUMNS: &[&str] = &[
    "seq",
    "request_id",
    "at",
    "client",
    "service",
    "eservice_id",
    "agreement_id",
    "purpose_id",
    "method",
    "path",
    "user_id",
    "issue",
    "status",
    "request_hash",
    "response_hash",
    "request_body",
    "response_body",
    "prev_hash",
    "hash",
];

const USAGE_COLUMNS: &[&str] = &[
    "seq",
    "ord",
    "id",
    "national_id",
    "at",
    "consumer_org",
    "consumer_name",
    "client",
    "eservice_id",
    "eservice_title",
    "purpose_id",
    "purpose_title",
    "legal_basis",
    "data_items",
    "request_id",
    "embargo_until",
];

const BATCH_INSERT: [&str; 2] = [
    "INSERT INTO exchange_log_batches (batch, first_seq, last_seq, last_hash, kid, signature, at) \
     VALUES (?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO exchange_log_batches (batch, first_seq, last_seq, last_hash, kid, signature, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)",
];

const HEAD_UPDATE: [&str; 2] = [
    "UPDATE exchange_log_head SET batch = ?, first_seq = ?, last_seq = ?, last_hash = ?, kid = ?, signature = ?, \
     at = ? WHERE id = 1",
    "UPDATE exchange_log_head SET batch = $1, first_seq = $2, last_seq = $3, last_hash = $4, kid = $5, \
     signature = $6, at = $7 WHERE id = 1",
];

/// Bind an entry's columns in [`ENTRY_COLUMNS`] order.
macro_rules! bind_entry {
    ($q:expr, $e:expr) => {
        $q.bind($e.seq)
            .bind(&$e.request_id)
            .bind($e.at)
            .bind(&$e.client)
            .bind(&$e.service)
            .bind($e.eservice_id)
            .bind($e.agreement_id)
            .bind($e.purpose_id)
            .bind(&$e.method)
            .bind(&$e.path)
            .bind(&$e.user_id)
            .bind(&$e.issue)
            .bind($e.status)
            .bind(&$e.request_hash)
            .bind(&$e.response_hash)
            .bind(&$e.request_body)
            .bind(&$e.response_body)
            .bind(&$e.prev_hash)
            .bind(&$e.hash)
    };
}

/// Bind a usage row's columns in [`USAGE_COLUMNS`] order.
macro_rules! bind_usage {
    ($q:expr, $r:expr) => {
        $q.bind($r.entry.seq)
            .bind($r.ord)
            .bind($r.usage.id)
            .bind(&$r.usage.national_id)
            .bind($r.entry.at)
            .bind($r.usage.consumer_org)
            .bind(&$r.usage.consumer_name)
            .bind(&$r.usage.client)
            .bind($r.usage.eservice_id)
            .bind(&$r.usage.eservice_title)
            .bind($r.usage.purpose_id)
            .bind(&$r.usage.purpose_title)
            .bind(&$r.usage.legal_basis)
            .bind(&$r.items)
            .bind(&$r.entry.request_id)
            .bind($r.usage.embargo_until)
    };
}

/// Bind the seal's columns (the batch row's and the head's, in the same order).
macro_rules! bind_seal {
    ($q:expr, $s:expr) => {
        $q.bind($s.batch)
            .bind($s.first_seq)
            .bind($s.last_seq)
            .bind($s.last_hash)
            .bind($s.kid)
            .bind($s.signature)
            .bind($s.at)
    };
}

/// Store a chained, sealed batch inside `tx`.
pub(super) async fn insert(tx: &mut Tx, entries: &[StoredEntry], seal: &Seal<'_>) -> Result<()> {
    let usage = usage_rows(entries)?;
    match tx {
        Tx::Sqlite(t) => {
            let mut sql = String::new();
            for chunk in chunks(entries) {
                sql.push_str(ENTRIES.get(false, chunk.len()));
                sql.push_str(";\n");
            }
            for chunk in chunks(&usage) {
                sql.push_str(USAGE.get(false, chunk.len()));
                sql.push_str(";\n");
            }
            sql.push_str(BATCH_INSERT[0]);
            sql.push_str(";\n");
            sql.push_str(HEAD_UPDATE[0]);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in entries {
                q = bind_entry!(q, e);
            }
            for r in &usage {
                q = bind_usage!(q, r);
            }
            q = bind_seal!(q, seal);
            q = bind_seal!(q, seal);
            q.execute(&mut **t).await?;
        }
        Tx::Postgres(t) => {
            for chunk in chunks(entries) {
                let mut q = sqlx::query(ENTRIES.get(true, chunk.len()));
                for e in chunk {
                    q = bind_entry!(q, e);
                }
                q.execute(&mut **t).await?;
            }
            for chunk in chunks(&usage) {
                let mut q = sqlx::query(USAGE.get(true, chunk.len()));
                for r in chunk {
                    q = bind_usage!(q, r);
                }
                q.execute(&mut **t).await?;
            }
            for sql in [BATCH_INSERT[1], HEAD_UPDATE[1]] {
                bind_seal!(sqlx::query(sql), seal).execute(&mut **t).await?;
            }
        }
    }
    Ok(())
}

fn usage_rows(entries: &[StoredEntry]) -> Result<Vec<UsageRow<'_>>> {
    let mut rows = Vec::new();
    for entry in entries {
        for (ord, usage) in entry.usage.iter().enumerate() {
            let items = serde_json::to_string(&usage.data_items).map_err(Error::internal)?;
            let ord = i32::try_from(ord).map_err(|_| Error::invalid("usage", "too many usage records"))?;
            rows.push(UsageRow { entry, ord, usage, items });
        }
    }
    Ok(rows)
}

/// `INSERT INTO table (columns) VALUES ($1, …), (…), …` for `rows` rows, or with SQLite's
/// anonymous `?` when not `numbered`.
fn multi_insert(table: &str, columns: &[&str], rows: usize, numbered: bool) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// `items` in power-of-two chunks of at most [`MAX_ROWS_PER_STATEMENT`], largest first.
fn chunks<T>(mut items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    while !items.is_empty() {
        let size =
            if items.len() >= MAX_ROWS_PER_STATEMENT { MAX_ROWS_PER_STATEMENT } else { 1 << items.len().ilog2() };
        let (chunk, rest) = items.split_at(size);
        out.push(chunk);
        items = rest;
    }
    out
}

/// The multi-row inserts of one table, built once: for SQLite and for PostgreSQL, one per chunk
/// size 1, 2, 4 … [`MAX_ROWS_PER_STATEMENT`].
struct Statements {
    built: OnceLock<[Vec<String>; 2]>,
    table: &'static str,
    columns: &'static [&'static str],
}

static ENTRIES: Statements = Statements::new("exchange_log", ENTRY_COLUMNS);
static USAGE: Statements = Statements::new("exchange_usage", USAGE_COLUMNS);

impl Statements {
    const fn new(table: &'static str, columns: &'static [&'static str]) -> Statements {
        Statements { built: OnceLock::new(), table, columns }
    }

    /// The statement inserting `rows` rows (a power of two, at most the maximum).
    fn get(&'static self, numbered: bool, rows: usize) -> &'static str {
        let built = self.built.get_or_init(|| {
            let sizes = || (0..=MAX_ROWS_PER_STATEMENT.ilog2()).map(|p| 1usize << p);
            [
                sizes().map(|n| multi_insert(self.table, self.columns, n, false)).collect(),
                sizes().map(|n| multi_insert(self.table, self.columns, n, true)).collect(),
            ]
        });
        built[usize::from(numbered)][rows.ilog2() as usize].as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_insert_numbers_every_parameter() {
        assert_eq!(multi_insert("t", &["a", "b"], 2, true), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(multi_insert("t", &["a", "b"], 2, false), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }

    #[test]
    fn batches_are_cut_into_power_of_two_chunks() {
        let items: Vec<u32> = (0..200).collect();
        let sizes = |n: usize| chunks(&items[..n]).iter().map(|c| c.len()).collect::<Vec<_>>();
        assert_eq!(sizes(37), vec![32, 4, 1]);
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(64), vec![64]);
        assert_eq!(sizes(200), vec![64, 64, 64, 8]);
        assert!(sizes(0).is_empty());
        let joined: Vec<u32> = chunks(&items[..77]).concat();
        assert_eq!(joined, items[..77], "every item once, in order");
    }

    #[test]
    fn every_chunk_size_has_its_statement() {
        for rows in [1, 2, 4, 8, 16, 32, 64] {
            let sql = ENTRIES.get(false, rows);
            assert_eq!(sql.matches('?').count(), rows * ENTRY_COLUMNS.len());
            let sql = USAGE.get(true, rows);
            assert!(sql.contains(&format!("${}", rows * USAGE_COLUMNS.len())));
        }
    }
}
