//! The import state table (`registry_imports`): how far each import got — rows checked, rows
//! written, the file's row count once known — so that a rerun continues where the last stopped.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use sqlx::Row;

/// Where an import stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    Published,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Published => "published",
            State::Failed => "failed",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "published" => State::Published,
            "failed" => State::Failed,
            _ => State::Running,
        }
    }
}

/// One import as recorded.
#[derive(Clone, Debug)]
pub struct ImportRow {
    pub id: String,
    pub register: String,
    pub file_sha256: String,
    pub format: String,
    pub partial: bool,
    pub valid_from: Timestamp,
    pub state: State,
    /// Rows validated so far, in file order.
    pub rows_checked: i64,
    /// Rows written into the register so far.
    pub rows_written: i64,
    /// The file's data rows, once every one has been checked.
    pub rows_total: Option<i64>,
    pub actor: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, register, file_sha256, format, partial, valid_from, state, rows_checked, rows_written, \
    rows_total, actor, started_at, finished_at";

macro_rules! import_from {
    ($r:expr) => {{
        let r = $r;
        ImportRow {
            id: r.try_get("id")?,
            register: r.try_get("register")?,
            file_sha256: r.try_get("file_sha256")?,
            format: r.try_get("format")?,
            partial: r.try_get("partial")?,
            valid_from: r.try_get("valid_from")?,
            state: State::parse(r.try_get::<&str, _>("state")?),
            rows_checked: r.try_get("rows_checked")?,
            rows_written: r.try_get("rows_written")?,
            rows_total: r.try_get("rows_total")?,
            actor: r.try_get("actor")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
        }
    }};
}

pub async fn load(db: &Db, id: &str) -> Result<Option<ImportRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM registry_imports WHERE id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(import_from!(&r)),
        None => None,
    }))
}

/// The imports of a register, newest first.
pub async fn list(db: &Db, register: &str, limit: i64) -> Result<Vec<ImportRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registry_imports WHERE register = $1 ORDER BY started_at DESC LIMIT $2"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(register).bind(limit).fetch_all(pool).await?
        .iter().map(|r| Ok(import_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// Record a new import, or start a failed one over: running, nothing done.
pub async fn begin(db: &Db, row: &ImportRow) -> Result<()> {
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, c => {
        sqlx::query("DELETE FROM registry_imports WHERE id = $1").bind(&row.id).execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO registry_imports (id, register, file_sha256, format, partial, valid_from, state, rows_checked,
                rows_written, rows_total, actor, started_at, updated_at, finished_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'running', 0, 0, NULL, $7, $8, $8, NULL)",
        )
        .bind(&row.id).bind(&row.register).bind(&row.file_sha256).bind(&row.format).bind(row.partial)
        .bind(row.valid_from).bind(&row.actor).bind(now)
        .execute(&mut *c).await.map(|_| ())
    })?;
    tx.commit().await?;
    Ok(())
}

const CHECKED: &str = "UPDATE registry_imports SET rows_checked = $2, rows_total = COALESCE($3, rows_total), updated_at = $4 WHERE id = $1";

/// Record that the first `rows` rows are checked; with `total`, that the whole file is.
pub async fn checked(db: &Db, import_id: &str, rows: i64, total: Option<i64>) -> Result<()> {
    on_db!(db, pool => sqlx::query(CHECKED)
        .bind(import_id).bind(rows).bind(total).bind(Timestamp::now()).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// [`checked`] inside the caller's transaction (an import that checks while it publishes).
pub async fn checked_in(tx: &mut Tx, import_id: &str, rows: i64, total: Option<i64>) -> Result<()> {
    on_tx!(tx, c => sqlx::query(CHECKED)
        .bind(import_id).bind(rows).bind(total).bind(Timestamp::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Record rows written, in the same transaction as the rows.
pub async fn written(tx: &mut Tx, import_id: &str, rows: i64) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE registry_imports SET rows_written = $2, updated_at = $3 WHERE id = $1")
        .bind(import_id).bind(rows).bind(Timestamp::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Close an import.
pub async fn finish(tx: &mut Tx, import_id: &str, state: State) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE registry_imports SET state = $2, updated_at = $3, finished_at = $3 WHERE id = $1")
        .bind(import_id).bind(state.as_str()).bind(Timestamp::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Mark an import failed, in a transaction of its own.
pub async fn fail(db: &Db, import_id: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    finish(&mut tx, import_id, State::Failed).await?;
    tx.commit().await?;
    Ok(())
}
