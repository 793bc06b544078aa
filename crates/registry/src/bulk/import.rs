//! Importing a CSV or JSON Lines file into a register.
//!
//! The file is hashed first: its SHA-256 and the register name the import, so that a second run
//! with the same file finds the first one's progress. Every row is then coerced and validated
//! on all cores, and only a file whose every row is good is published, in one transaction
//! ([`crate::service::BatchWriter`]), so the records appear all at once; if any row is bad, the
//! report lists row, field and problem and the register is untouched.
//!
//! A file of up to [`ImportOptions::overlap_rows`] rows is checked while it is published: each
//! checked chunk is written in the publishing transaction while the next is checked, and the
//! check's progress is not committed; a bad row rolls the transaction back (the rest of the
//! file is still checked, for the report), and an interrupted run starts again from the top.
//! A larger file is checked first, with the count of rows checked committed after each chunk
//! (a check from the top of the file also prepares the rows and keeps them in memory while
//! they fit, see the pipeline); then one transaction inserts every record: the kept rows, then
//! the file's rows past them, read again. The file is its own staging area: every pass hashes
//! what it reads and a pass over a file whose SHA-256 is no longer the import's is abandoned
//! (the publishing transaction rolls back). A run interrupted while checking continues after
//! the last checked chunk; one interrupted while publishing publishes again from the start
//! (nothing of it was committed).
//!
//! With `partial`, the whole file is checked first as well, then written chunk by chunk straight
//! into the register: each chunk is visible as soon as it commits, with the count of rows
//! written in the same transaction, and a rerun continues after the last committed chunk.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use uuid::Uuid;

use super::pipeline::{Job, Kept};
use super::report::Report;
use super::source::{Format, digest};
use super::state::{self, ImportRow, State};
use crate::Registry;

/// What an import does besides the defaults.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The file's format; by default from its extension (`.csv`, `.jsonl`, `.ndjson`).
    pub format: Option<Format>,
    /// Make chunks visible as they commit instead of all rows at the end.
    pub partial: bool,
    /// How many errors the report lists (all are counted).
    pub max_errors: usize,
    /// Rows per committed chunk.
    pub chunk_rows: usize,
    /// When the imported facts became true (default: when the import starts).
    pub valid_from: Option<Timestamp>,
    /// How an import trades resuming for speed: files of up to this many rows (estimated from
    /// their line count), imported all-or-nothing from the start, are checked while they are
    /// published, without committing the check's progress: interrupted, such an import starts
    /// again from the top (seconds of work). Larger files are checked first, committing
    /// progress per chunk so that an interrupted check resumes, then published.
    pub overlap_rows: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            partial: false,
            max_errors: 100,
            chunk_rows: 10_000,
            valid_from: None,
            overlap_rows: 500_000,
        }
    }
}

/// The stage an import is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Computing the file's SHA-256 (`done`/`total` in bytes).
    Hashing,
    /// Coercing and validating rows (rows).
    Checking,
    /// Writing checked rows into the register chunk by chunk (`partial` imports; rows).
    Writing,
    /// Inserting every record in one transaction (rows).
    Publishing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Hashing => "hashing",
            Phase::Checking => "checking",
            Phase::Writing => "writing",
            Phase::Publishing => "publishing",
        }
    }
}

/// Where an import is: `done` of `total` in the current phase (`total` may be an estimate
/// while checking, from the file's line count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// A progress callback, called from the importing task and from blocking threads.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    /// Hex, derived from the register and the file's SHA-256.
    pub import_id: String,
    pub register: String,
    pub file_sha256: String,
    /// Rows in the file (not counting a CSV header).
    pub rows: u64,
    /// Rows an earlier, interrupted run had checked (or, `partial`, written).
    pub resumed_from: u64,
    /// The same file had been imported before: nothing was done.
    pub already_imported: bool,
    pub partial: bool,
    pub seconds: f64,
}

/// Why an import did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows are bad (or clash with records already there): nothing was imported (`partial`:
    /// nothing after the last committed chunk).
    #[error("{0}")]
    Rejected(Report),
    #[error("cannot read {path}: {message}")]
    Unreadable { path: String, message: String },
    #[error(transparent)]
    Registry(#[from] Error),
}

impl From<publica_kernel::db::DbError> for ImportError {
    fn from(error: publica_kernel::db::DbError) -> Self {
        ImportError::Registry(error.into())
    }
}

/// Import `path` into `register` on behalf of `org`, which must own it.
pub async fn import(
    kernel: &Kernel,
    actor: &Actor,
    org: Uuid,
    register: &str,
    path: &Path,
    options: &ImportOptions,
    progress: ProgressFn,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let registry =
        kernel.get::<Registry>().ok_or_else(|| Error::Unavailable("the registry block is not running".into()))?;
    let info = registry.register(register).await?;
    if info.owner_org != org {
        return Err(Error::Forbidden(format!(
            "only the organisation that owns register {register} imports into it (it is its authoritative source)"
        ))
        .into());
    }
    let format = options
        .format
        .or_else(|| Format::from_path(path))
        .ok_or_else(|| Error::invalid("format", "say whether the file is csv or jsonl (or name it .csv / .jsonl)"))?;
    let unreadable = |e: &dyn std::fmt::Display| ImportError::Unreadable {
        path: path.display().to_string(),
        message: e.to_string(),
    };

    let facts = {
        let path = path.to_path_buf();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            digest(&path, |done, total| progress(Progress { phase: Phase::Hashing, done, total }))
        })
        .await
        .map_err(|e| Error::internal(format!("hashing stopped: {e}")))?
        .map_err(|e| unreadable(&e))?
    };
    let import_id = import_id(register, &facts.sha256);
    let estimate = facts.lines.saturating_sub(u64::from(format == Format::Csv));
    let db = kernel.db();

    let existing = state::load(db, &import_id).await?;
    let row = match existing {
        Some(done) if done.state == State::Published => {
            return Ok(ImportSummary {
                import_id,
                register: register.to_string(),
                file_sha256: facts.sha256,
                rows: done.rows_total.unwrap_or(done.rows_written).max(0) as u64,
                resumed_from: 0,
                already_imported: true,
                partial: done.partial,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        Some(running) if running.state == State::Running => {
            if running.partial != options.partial {
                let mode = if running.partial { "with --partial" } else { "without --partial" };
                return Err(Error::Conflict(format!(
                    "an import of this file into {register} was interrupted; run it again {mode} to continue it"
                ))
                .into());
            }
            if let Some(asked) = options.valid_from
                && asked != running.valid_from
            {
                return Err(Error::invalid(
                    "valid_from",
                    format!("the interrupted import of this file used {}; give the same or none", running.valid_from),
                )
                .into());
            }
            running
        }
        _ => {
            let row = ImportRow {
                id: import_id.clone(),
                register: register.to_string(),
                file_sha256: facts.sha256.clone(),
                format: format.as_str().into(),
                partial: options.partial,
                valid_from: options.valid_from.unwrap_or_else(Timestamp::now),
                state: State::Running,
                rows_checked: 0,
                rows_written: 0,
                rows_total: None,
                actor: actor.0.clone(),
                started_at: Timestamp::now(),
                finished_at: None,
            };
            state::begin(db, &row).await?;
            row
        }
    };
    let checked = row.rows_checked.max(0) as u64;
    let written = row.rows_written.max(0) as u64;
    let resumed_from = if options.partial && row.rows_total.is_some() { written } else { checked };

    let job = Job {
        kernel: kernel.clone(),
        registry,
        info: Arc::new(info),
        path: path.to_path_buf(),
        format,
        import: row.clone(),
        chunk: options.chunk_rows.max(1),
        max_errors: options.max_errors,
        estimate,
        progress,
    };
    let fresh = row.rows_total.is_none() && checked == 0;
    let total = if fresh && !options.partial && estimate <= options.overlap_rows {
        // A fresh, small enough import (nothing resumed): checked while it is published.
        job.check_and_publish(actor, org).await?
    } else {
        let (total, kept) = match row.rows_total {
            Some(total) => (total.max(0) as u64, Kept::default()),
            None => job.check(checked).await?,
        };
        if options.partial {
            job.write(actor, org, written, total, kept).await?;
        } else {
            job.publish(actor, org, total, kept).await?;
        }
        total
    };
    Ok(ImportSummary {
        import_id,
        register: register.to_string(),
        file_sha256: facts.sha256,
        rows: total,
        resumed_from,
        already_imported: false,
        partial: options.partial,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The import id: hex of SHA-256 over the register name and the file's SHA-256 (first 128 bits).
pub fn import_id(register: &str, file_sha256: &str) -> String {
    let digest = publica_kernel::crypto::sha256(format!("{register}\n{file_sha256}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_depend_on_register_and_file() {
        assert_eq!(import_id("population", "ab").len(), 32);
        assert_ne!(import_id("population", "ab"), import_id("businesses", "ab"));
        assert_ne!(import_id("population", "ab"), import_id("population", "ac"));
    }
}
