//! The passes of an import over its file: reading rows on blocking threads (coercion,
//! validation and preparation for writing on all cores), checking every row, and writing the
//! records — in one transaction, or chunk by chunk for partial imports — with the progress
//! recorded as it goes; for a small file, checking and publishing at once.
//!
//! A check pass that starts at the top of the file also prepares its rows for writing (JSON
//! text, search entries) and keeps them in memory, up to [`KEEP_BYTES`]: the writing pass then
//! takes those rows from memory and reads the file only past them. (They come from the file the
//! import is named after: the check pass ends with its SHA-256, or fails.)

use std::collections::HashMap;
use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::Error;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::import::{ImportError, Phase, Progress, ProgressFn};
use super::report::{Report, RowError};
use super::source::{Format, Raw, Source, SourceError, par_map, threads};
use super::state::{self, ImportRow, State};
use crate::domain::schema::CompiledRegister;
use crate::service::{BatchWriter, PreparedRecord};
use crate::store;
use crate::{NewRecord, RegisterInfo, Registry};

/// Prepared rows a check pass keeps in memory for the writing pass, in bytes.
pub(super) const KEEP_BYTES: usize = 256 << 20;

/// Most rows of a file whose room is reserved ahead (duplicate check, search entries).
const MAX_RESERVED_ROWS: u64 = 1_000_000;

/// An insert that clashed with a record already in the register: the error, the line and
/// identifier of each row of its chunk, and the rows before the chunk.
type Clash = (Error, Vec<(u64, String)>, u64);

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
    /// The record ready to be written (writing passes, and check passes while they keep rows).
    prepared: Option<PreparedRecord>,
}

/// The first rows of the file, checked and prepared by the check pass.
#[derive(Default)]
pub(super) struct Kept {
    rows: Vec<(u64, PreparedRecord)>,
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
    /// read past (a check pass still collects their identifiers). A check pass also prepares
    /// the rows for writing while they fit in `keep` bytes, unless it skips rows or finds a bad
    /// one. The last message is an error if the file read is not the one the import is named
    /// after.
    fn read(&self, skip: u64, pass: Pass, keep: usize) -> mpsc::Receiver<Result<Chunk, ImportError>> {
        let (tx, rx) = mpsc::channel(2);
        let valid_from = self.import.valid_from;
        let mut keep = if skip > 0 { 0 } else { keep };
        let registry = self.registry.clone();
        let info = self.info.clone();
        let path = self.path.clone();
        let expected = self.import.file_sha256.clone();
        let (format, chunk, expected_rows) = (self.format, self.chunk, self.estimate);
        tokio::task::spawn_blocking(move || {
            let unreadable = |message: String| ImportError::Unreadable { path: path.display().to_string(), message };
            let compiled = match registry.compiled(&info) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.into()));
                    return;
                }
            };
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
            // Sized for the whole file up front when checking (the only pass that fills it):
            // growing it rehashes and touches new memory.
            let capacity = if pass == Pass::Check { expected_rows.min(MAX_RESERVED_ROWS) as usize } else { 0 };
            let mut seen: HashMap<u128, u64> = HashMap::with_capacity(capacity);
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
                let good = Vec::with_capacity(batch.len());
                let mut out = Chunk { read: batch.len() as u64, skipped, good, errors: Vec::new() };
                if !(skipped && pass == Pass::Write) {
                    let validate = pass == Pass::Check && !skipped;
                    let prepare = pass == Pass::Write || (validate && keep > 0);
                    let rows = par_map(&batch, threads, |raw| {
                        row(&source, &compiled, &info, raw, Step { validate, prepare, csv, valid_from })
                    });
                    if pass == Pass::Check && prepare {
                        let size: usize =
                            rows.iter().flatten().filter_map(|g| g.prepared.as_ref()).map(|p| p.size()).sum();
                        keep = keep.saturating_sub(size);
                    }
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
                                if good.prepared.is_some() {
                                    out.good.push(good);
                                }
                            }
                            Ok(good) => out.good.push(good),
                            Err(errors) => out.errors.extend(errors),
                        }
                    }
                    if !out.errors.is_empty() {
                        keep = 0;
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
    /// after each chunk. Returns the number of data rows, and the first rows prepared for
    /// writing when the pass started at the top of the file.
    pub(super) async fn check(&self, skip: u64) -> Result<(u64, Kept), ImportError> {
        let mut chunks = self.read(skip, Pass::Check, KEEP_BYTES);
        let mut report = Report::new(self.max_errors);
        let mut done = 0u64;
        let mut kept = Kept::default();
        // Rows are kept while every row so far was kept: a prefix of the file.
        let mut keeping = skip == 0;
        let db = self.kernel.db();
        while let Some(chunk) = chunks.recv().await {
            let chunk = chunk?;
            report.extend(chunk.errors);
            done += chunk.read;
            // A chunk is prepared whole or not at all; once one is not, the kept rows end.
            keeping = keeping && report.is_clean() && chunk.good.len() as u64 == chunk.read;
            if keeping {
                kept.rows.extend(chunk.good.into_iter().filter_map(|g| Some((g.line, g.prepared?))));
            } else if !report.is_clean() {
                kept.rows = Vec::new();
            }
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
        Ok((done, kept))
    }

    /// The chunks a writing pass writes after the first `skip` rows of the `total`: the kept
    /// rows first (there are none unless `skip` is 0), then the file's rows past them.
    fn rows_to_write(&self, skip: u64, total: u64, kept: Kept) -> ToWrite {
        let kept = if skip == 0 { kept.rows } else { Vec::new() };
        let from = skip + kept.len() as u64;
        let file = (from < total).then(|| self.read(from, Pass::Write, 0));
        ToWrite { kept: kept.into_iter(), chunk: self.chunk, file }
    }

    /// A chunk's records to write, and the line and identifier of each (to name a clash).
    fn split(good: Vec<Good>) -> (Vec<PreparedRecord>, Vec<(u64, String)>) {
        let lines = good.iter().map(|g| (g.line, g.id.clone())).collect();
        let mut records = Vec::with_capacity(good.len());
        records.extend(good.into_iter().filter_map(|g| g.prepared));
        (records, lines)
    }

    /// Insert every record in one transaction.
    pub(super) async fn publish(&self, actor: &Actor, org: Uuid, total: u64, kept: Kept) -> Result<(), ImportError> {
        let mut rows = self.rows_to_write(0, total, kept);
        let mut tx = store::write::begin_bulk(self.kernel.db()).await?;
        let mut writer = self.registry.batch_writer(&mut tx, &self.info).await?;
        writer.reserve(total.min(MAX_RESERVED_ROWS) as usize);
        let mut done = 0u64;
        self.report(Phase::Publishing, 0, total);
        while let Some(chunk) = rows.next().await {
            let chunk = self.good(chunk?, done)?;
            let (records, lines) = Self::split(chunk.good);
            if let Err(e) = writer.insert(&mut tx, records).await {
                drop(tx);
                return Err(self.clash(e, &lines, done).await);
            }
            done += chunk.read;
            self.report(Phase::Publishing, done, total);
        }
        self.commit_published(tx, writer, actor, org, done).await
    }

    /// The end of a publishing transaction: the writer's last rows, the import's state and
    /// its audit entry, one commit, then SQLite's checkpoint on a task of its own.
    async fn commit_published(
        &self,
        mut tx: Tx,
        writer: BatchWriter,
        actor: &Actor,
        org: Uuid,
        done: u64,
    ) -> Result<(), ImportError> {
        writer.finish(&mut tx).await?;
        state::written(&mut tx, &self.import.id, done as i64).await?;
        state::finish(&mut tx, &self.import.id, State::Published).await?;
        self.audit(&mut tx, actor, org, done).await?;
        tx.commit().await?;
        store::write::checkpoint_later(self.kernel.db());
        Ok(())
    }

    /// Check every row and publish at once, for a file small enough to check again from its top
    /// when interrupted: each chunk is written in the one publishing transaction as soon as it
    /// is checked, while the reading threads check the next; nothing of the check is committed.
    /// A bad row ends the writing (the transaction rolls back) and the rest of the file is
    /// only checked, for the report; a clash with a record already in the register is
    /// reported once the whole file is checked and good, as when checking comes first. Returns
    /// the number of data rows.
    pub(super) async fn check_and_publish(&self, actor: &Actor, org: Uuid) -> Result<u64, ImportError> {
        let mut chunks = self.read(0, Pass::Check, usize::MAX);
        let mut report = Report::new(self.max_errors);
        let mut tx = store::write::begin_bulk(self.kernel.db()).await?;
        let mut writer = self.registry.batch_writer(&mut tx, &self.info).await?;
        writer.reserve(self.estimate.min(MAX_RESERVED_ROWS) as usize);
        // The publishing transaction while every row so far is good and written.
        let mut open = Some((tx, writer));
        let mut clash: Option<Clash> = None;
        let mut done = 0u64;
        self.report(Phase::Checking, 0, self.estimate);
        while let Some(chunk) = chunks.recv().await {
            let chunk = chunk?;
            report.extend(chunk.errors);
            if !report.is_clean() {
                open = None;
            }
            if let Some((tx, writer)) = open.as_mut() {
                let (records, lines) = Self::split(chunk.good);
                if let Err(e) = writer.insert(tx, records).await {
                    open = None;
                    if !matches!(e, Error::Conflict(_)) {
                        return Err(e.into());
                    }
                    clash = Some((e, lines, done));
                }
            }
            done += chunk.read;
            if open.is_some() {
                self.report(Phase::Publishing, done, self.estimate);
            }
        }
        report.rows = done;
        let db = self.kernel.db();
        if !report.is_clean() {
            drop(open);
            report.sort();
            state::fail(db, &self.import.id).await?;
            return Err(ImportError::Rejected(report));
        }
        if let Some((error, lines, at)) = clash {
            return Err(self.clash(error, &lines, at).await);
        }
        let (mut tx, writer) = open.ok_or_else(|| Error::internal("the publishing transaction ended early"))?;
        state::checked_in(&mut tx, &self.import.id, done as i64, Some(done as i64)).await?;
        self.report(Phase::Publishing, done, done);
        self.commit_published(tx, writer, actor, org, done).await?;
        Ok(done)
    }

    /// Write every row after the first `skip` (written by an earlier run) into the register,
    /// one committed chunk at a time.
    pub(super) async fn write(
        &self,
        actor: &Actor,
        org: Uuid,
        skip: u64,
        total: u64,
        kept: Kept,
    ) -> Result<(), ImportError> {
        let mut rows = self.rows_to_write(skip, total, kept);
        let db = self.kernel.db();
        let mut done = skip;
        self.report(Phase::Writing, done, total);
        while let Some(chunk) = rows.next().await {
            let chunk = self.good(chunk?, done)?;
            let mut tx = db.begin().await?;
            let mut writer = self.registry.batch_writer(&mut tx, &self.info).await?;
            let (records, lines) = Self::split(chunk.good);
            if let Err(e) = writer.insert(&mut tx, records).await {
                drop(tx);
                return Err(self.clash(e, &lines, done).await);
            }
            writer.finish(&mut tx).await?;
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

    async fn audit(&self, tx: &mut Tx, actor: &Actor, org: Uuid, rows: u64) -> Result<(), Error> {
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

/// The chunks of a writing pass: kept rows, then the file's.
struct ToWrite {
    kept: std::vec::IntoIter<(u64, PreparedRecord)>,
    chunk: usize,
    file: Option<mpsc::Receiver<Result<Chunk, ImportError>>>,
}

impl ToWrite {
    async fn next(&mut self) -> Option<Result<Chunk, ImportError>> {
        if self.kept.len() > 0 {
            let good: Vec<Good> = self
                .kept
                .by_ref()
                .take(self.chunk)
                .map(|(line, prepared)| Good { line, id: prepared.id.clone(), prepared: Some(prepared) })
                .collect();
            return Some(Ok(Chunk { read: good.len() as u64, skipped: false, good, errors: Vec::new() }));
        }
        loop {
            match self.file.as_mut()?.recv().await? {
                Ok(chunk) if chunk.skipped => continue,
                other => return Some(other),
            }
        }
    }
}

/// What [`row`] does besides coercing.
#[derive(Clone, Copy)]
struct Step {
    /// Check the record against the register.
    validate: bool,
    /// Prepare it for writing.
    prepare: bool,
    csv: bool,
    valid_from: Timestamp,
}

/// Coerce one row, validate it (`step.validate`: identifier and schema; otherwise the
/// identifier is taken as it is, the row being known good) and prepare it for writing
/// (`step.prepare`).
fn row(
    source: &Source,
    compiled: &CompiledRegister,
    info: &RegisterInfo,
    raw: &Raw,
    step: Step,
) -> Result<Good, Vec<RowError>> {
    let data = source.parse(raw)?;
    let id = if step.validate {
        compiled.validate(&data).map_err(|e| vec![row_error(raw.row, e, step.csv)])?
    } else {
        match data.get(&info.id_field) {
            Some(Value::String(id)) => id.clone(),
            _ => {
                return Err(vec![RowError::new(
                    raw.row,
                    info.id_field.clone(),
                    "is required: the record's identifier",
                )]);
            }
        }
    };
    if !step.prepare {
        return Ok(Good { line: raw.row, id, prepared: None });
    }
    let record = NewRecord { id, data, valid_from: step.valid_from };
    match Registry::prepare_compiled(compiled, &record) {
        Ok(prepared) => Ok(Good { line: raw.row, id: record.id, prepared: Some(prepared) }),
        Err(e) => Err(vec![RowError::row(raw.row, e.to_string())]),
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
