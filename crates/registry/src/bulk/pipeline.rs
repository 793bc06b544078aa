//! The passes of an import over its file: reading rows on blocking threads (coercion and
//! validation on all cores), checking every row, and writing the records — in one transaction,
//! or chunk by chunk for partial imports — with the progress recorded as it goes.

use std::collections::HashMap;
use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::error::Error;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::import::{ImportError, Phase, Progress, ProgressFn};
use super::report::{Report, RowError};
use super::source::{Format, Raw, Source, SourceError, par_map, threads};
use super::state::{self, ImportRow, State};
use crate::{NewRecord, RegisterInfo, Registry};

/// A chunk of rows from the reading threads.
struct Chunk {
    /// Data rows read in this chunk (good and bad).
    read: u64,
    /// Rows an earlier run already did, only read past.
    skipped: bool,
    good: Vec<Good>,
    errors: Vec<RowError>,
}

struct Good {
    line: u64,
    id: String,
    /// The record (kept by the writing passes only).
    data: Value,
}

/// What a pass over the file does with each row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Coerce and validate, and look for identifiers that appear twice.
    Check,
    /// Coerce and keep the records to write (the rows are known to be good).
    Write,
}

pub(super) struct Job {
    pub(super) kernel: Kernel,
    pub(super) registry: Arc<Registry>,
    pub(super) info: Arc<RegisterInfo>,
    pub(super) path: std::path::PathBuf,
    pub(super) format: Format,
    pub(super) import: ImportRow,
    pub(super) chunk: usize,
    pub(super) max_errors: usize,
    pub(super) estimate: u64,
    pub(super) progress: ProgressFn,
}

impl Job {
    /// Read the file on blocking threads, sending chunks of rows. The first `skip` rows are only
    /// read past (a check pass still collects their identifiers). The last message is an error
    /// if the file read is not the one the import is named after.
    fn read(&self, skip: u64, pass: Pass) -> mpsc::Receiver<Result<Chunk, ImportError>> {
        let (tx, rx) = mpsc::channel(2);
        let registry = self.registry.clone();
        let info = self.info.clone();
        let path = self.path.clone();
        let expected = self.import.file_sha256.clone();
        let (format, chunk) = (self.format, self.chunk);
        tokio::task::spawn_blocking(move || {
            let unreadable = |message: String| ImportError::Unreadable { path: path.display().to_string(), message };
            let mut source = match Source::open(&path, format, &info.schema) {
                Ok(s) => s,
                Err(SourceError::Header(errors)) => {
                    let _ = tx.blocking_send(Ok(Chunk { read: 0, skipped: false, good: Vec::new(), errors }));
                    return;
                }
                Err(SourceError::Io(e)) => {
                    let _ = tx.blocking_send(Err(unreadable(e.to_string())));
                    return;
                }
            };
            let csv = format == Format::Csv;
            let threads = threads();
            let mut seen: HashMap<u128, u64> = HashMap::new();
            let mut read = 0u64;
            loop {
                let want = if read < skip { (skip - read).min(chunk as u64) as usize } else { chunk };
                let batch = match source.next_batch(want) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(unreadable(e.to_string())));
                        return;
                    }
                };
                if batch.is_empty() {
                    if source.sha256() != expected {
                        let message = "the file changed during the import (its SHA-256 is not the same); \
                            nothing more was written: run the import again";
                        let _ = tx.blocking_send(Err(unreadable(message.into())));
                    }
                    return;
                }
                let skipped = read < skip;
                read += batch.len() as u64;
                let mut out = Chunk { read: batch.len() as u64, skipped, good: Vec::new(), errors: Vec::new() };
                if !(skipped && pass == Pass::Write) {
                    let validate = pass == Pass::Check && !skipped;
                    let rows = par_map(&batch, threads, |raw| row(&source, &registry, &info, raw, validate, csv));
                    for (raw, result) in batch.iter().zip(rows) {
                        match result {
                            Ok(good) if pass == Pass::Check => {
                                if let Some(first) = seen.insert(id_key(&good.id), raw.row) {
                                    seen.insert(id_key(&good.id), first);
                                    out.errors.push(RowError::new(
                                        raw.row,
                                        info.id_field.clone(),
                                        format!(
                                            "identifier {} appears twice in the file (first on row {first})",
                                            good.id
                                        ),
                                    ));
                                }
                            }
                            Ok(good) => out.good.push(good),
                            Err(errors) => out.errors.extend(errors),
                        }
                    }
                }
                if tx.blocking_send(Ok(out)).is_err() {
                    return;
                }
            }
        });
        rx
    }

    fn report(&self, phase: Phase, done: u64, total: u64) {
        (self.progress)(Progress { phase, done, total: total.max(done) });
    }

    /// Check every row after the first `skip` (checked by an earlier run), committing the count
    /// after each chunk. Returns the number of data rows.
    pub(super) async fn check(&self, skip: u64) -> Result<u64, ImportError> {
        let mut chunks = self.read(skip, Pass::Check);
        let mut report = Report::new(self.max_errors);
        let mut done = 0u64;
        let db = self.kernel.db();
        while let Some(chunk) = chunks.recv().await {
            let chunk = chunk?;
            report.extend(chunk.errors);
            done += chunk.read;
            if !chunk.skipped && report.is_clean() {
                state::checked(db, &self.import.id, done as i64, None).await?;
            }
            self.report(Phase::Checking, done, self.estimate);
        }
        report.rows = done;
        if !report.is_clean() {
            report.sort();
            state::fail(db, &self.import.id).await?;
            return Err(ImportError::Rejected(report));
        }
        state::checked(db, &self.import.id, done as i64, Some(done as i64)).await?;
        Ok(done)
    }

    /// Insert every record in one transaction.
    pub(super) async fn publish(&self, actor: &Actor, org: Uuid, total: u64) -> Result<(), ImportError> {
        let mut chunks = self.read(0, Pass::Write);
        let mut tx = self.kernel.db().begin().await?;
        let mut done = 0u64;
        self.report(Phase::Publishing, 0, total);
        while let Some(chunk) = chunks.recv().await {
            let chunk = self.good(chunk?, done)?;
            let lines: Vec<(u64, String)> = chunk.good.iter().map(|g| (g.line, g.id.clone())).collect();
            if let Err(e) = self.registry.insert_batch(&mut tx, &self.info, &self.records(chunk.good)).await {
                drop(tx);
                return Err(self.clash(e, &lines, done).await);
            }
            done += chunk.read;
            self.report(Phase::Publishing, done, total);
        }
        state::written(&mut tx, &self.import.id, done as i64).await?;
        state::finish(&mut tx, &self.import.id, State::Published).await?;
        self.audit(&mut tx, actor, org, done).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Write every row after the first `skip` (written by an earlier run) into the register,
    /// one committed chunk at a time.
    pub(super) async fn write(&self, actor: &Actor, org: Uuid, skip: u64, total: u64) -> Result<(), ImportError> {
        let mut chunks = self.read(skip, Pass::Write);
        let db = self.kernel.db();
        let mut done = skip;
        self.report(Phase::Writing, done, total);
        while let Some(chunk) = chunks.recv().await {
            let chunk = chunk?;
            if chunk.skipped {
                continue;
            }
            let chunk = self.good(chunk, done)?;
            let lines: Vec<(u64, String)> = chunk.good.iter().map(|g| (g.line, g.id.clone())).collect();
            let mut tx = db.begin().await?;
            if let Err(e) = self.registry.insert_batch(&mut tx, &self.info, &self.records(chunk.good)).await {
                drop(tx);
                return Err(self.clash(e, &lines, done).await);
            }
            done += chunk.read;
            state::written(&mut tx, &self.import.id, done as i64).await?;
            tx.commit().await?;
            self.report(Phase::Writing, done, total);
        }
        let mut tx = db.begin().await?;
        state::finish(&mut tx, &self.import.id, State::Published).await?;
        self.audit(&mut tx, actor, org, done).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A chunk of a writing pass, which has no bad row unless the file is not the one checked.
    fn good(&self, chunk: Chunk, done: u64) -> Result<Chunk, ImportError> {
        match chunk.errors.first() {
            None => Ok(chunk),
            Some(first) => {
                let mut report = Report::new(self.max_errors);
                report.push(first.clone());
                report.rows = done;
                Err(ImportError::Rejected(report))
            }
        }
    }

    fn records(&self, good: Vec<Good>) -> Vec<NewRecord> {
        good.into_iter().map(|g| NewRecord { id: g.id, data: g.data, valid_from: self.import.valid_from }).collect()
    }

    /// An insert failed: a clash with a record already in the register becomes a report naming
    /// the row; anything else is returned as it is. The import is marked failed.
    async fn clash(&self, error: Error, rows: &[(u64, String)], done: u64) -> ImportError {
        let Error::Conflict(message) = &error else { return error.into() };
        let mut report = Report::new(self.max_errors);
        report.rows = done;
        match rows.iter().find(|(_, id)| message.contains(id.as_str())) {
            Some((line, id)) => report.push(RowError::new(
                *line,
                self.info.id_field.clone(),
                format!("a record with identifier {id} is already in the register"),
            )),
            None => report.push(RowError::row(0, message.clone())),
        }
        if let Err(e) = state::fail(self.kernel.db(), &self.import.id).await {
            return e.into();
        }
        ImportError::Rejected(report)
    }

    async fn audit(&self, tx: &mut publica_kernel::db::Tx, actor: &Actor, org: Uuid, rows: u64) -> Result<(), Error> {
        let event =
            Event::new(actor, "registry.import.completed", "register", &self.info.name).org(org).details(json!({
                "import_id": self.import.id,
                "file_sha256": self.import.file_sha256,
                "format": self.import.format,
                "rows": rows,
                "partial": self.import.partial,
                "valid_from": self.import.valid_from,
            }));
        self.kernel.audit(tx, event).await?;
        Ok(())
    }
}

/// Coerce one row and, when `validate`, validate it (keeping only its identifier); otherwise
/// keep the record.
fn row(
    source: &Source,
    registry: &Registry,
    info: &RegisterInfo,
    raw: &Raw,
    validate: bool,
    csv: bool,
) -> Result<Good, Vec<RowError>> {
    let data = source.parse(raw)?;
    if validate {
        let id = registry.validate(info, &data).map_err(|e| vec![row_error(raw.row, e, csv)])?;
        return Ok(Good { line: raw.row, id, data: Value::Null });
    }
    match data.get(&info.id_field) {
        Some(Value::String(id)) => Ok(Good { line: raw.row, id: id.clone(), data }),
        _ => Err(vec![RowError::new(raw.row, info.id_field.clone(), "is required: the record's identifier")]),
    }
}

/// A validation error as a report line: CSV files name fields with dots, JSON Lines with
/// JSON pointers.
fn row_error(row: u64, error: Error, csv: bool) -> RowError {
    match error {
        Error::Invalid { field, message } => {
            let field = if csv { dotted(&field) } else { field };
            RowError::new(row, field, message)
        }
        other => RowError::row(row, other.to_string()),
    }
}

/// `/residence/municipality` → `residence.municipality`; `/citizenships/1` → `citizenships[1]`.
fn dotted(pointer: &str) -> String {
    if !pointer.starts_with('/') {
        return pointer.to_string();
    }
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) && !out.is_empty() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// 128 bits of SHA-256 of an identifier: the duplicate check keeps these, not the ids.
fn id_key(id: &str) -> u128 {
    let digest = publica_kernel::crypto::sha256(id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_dotted_names() {
        assert_eq!(dotted("/residence/municipality"), "residence.municipality");
        assert_eq!(dotted("/citizenships/1"), "citizenships[1]");
        assert_eq!(dotted("/a~1b"), "a/b");
        assert_eq!(dotted("national_id"), "national_id");
    }
}
