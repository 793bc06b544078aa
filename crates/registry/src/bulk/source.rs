//! Reading a bulk file: its SHA-256 (which names the import), then its rows in batches, each row
//! still raw so that the expensive part (coercion, validation) can run on several cores.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest::{Context, SHA256};

use csv::StringRecord;
use serde_json::Value;

use super::report::RowError;
use super::rows::{CsvColumns, json_line};

/// The two formats of bulk files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row naming the fields.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        match text.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "json-lines" | "jsonlines" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }

    /// The format a file's extension implies (`.csv`, `.jsonl`, `.ndjson`).
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension().and_then(|e| e.to_str()).and_then(Format::parse)
    }
}

/// What reading the whole file once tells: its digest and number of lines.
#[derive(Clone, Debug)]
pub struct FileFacts {
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// Newline-terminated lines (an estimate of the rows before they are parsed).
    pub lines: u64,
}

/// Hash the file, reporting `(bytes done, total bytes)` every few megabytes.
pub fn digest(path: &Path, mut progress: impl FnMut(u64, u64)) -> std::io::Result<FileFacts> {
    let mut file = File::open(path)?;
    let total = file.metadata()?.len();
    let mut context = Context::new(&SHA256);
    let mut buffer = vec![0u8; 1 << 20];
    let (mut bytes, mut lines, mut last) = (0u64, 0u64, 0u64);
    let mut ends_with_newline = true;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        let chunk = &buffer[..n];
        context.update(chunk);
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        ends_with_newline = chunk[n - 1] == b'\n';
        bytes += n as u64;
        if bytes - last >= 8 << 20 {
            progress(bytes, total);
            last = bytes;
        }
    }
    progress(bytes, total);
    if !ends_with_newline {
        lines += 1;
    }
    Ok(FileFacts { sha256: hex(context), lines })
}

fn hex(context: Context) -> String {
    context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A file that hashes what is read from it, so that a pass over the file can tell at its end
/// whether it read the file the import was named after.
struct Hashing {
    file: File,
    context: Arc<Mutex<Context>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.context.lock().unwrap_or_else(|e| e.into_inner()).update(&buf[..n]);
        Ok(n)
    }
}

/// A row as read, not yet interpreted.
pub struct Raw {
    /// The line where the row starts.
    pub row: u64,
    pub body: RawBody,
}

pub enum RawBody {
    Csv(StringRecord),
    Json(String),
    /// The row could not even be read (bad UTF-8).
    Broken(RowError),
}

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the header row is not usable")]
    Header(Vec<RowError>),
}

/// An open bulk file, read front to back in batches.
pub struct Source {
    reader: Reader,
    /// The CSV columns, for CSV files.
    pub columns: Option<CsvColumns>,
    digest: Arc<Mutex<Context>>,
}

enum Reader {
    Csv(Box<csv::Reader<Hashing>>),
    Lines { input: BufReader<Hashing>, line: u64 },
}

impl Source {
    /// Open `path`; a CSV file's header is mapped to `schema` at once.
    pub fn open(path: &Path, format: Format, schema: &Value) -> Result<Source, SourceError> {
        let digest = Arc::new(Mutex::new(Context::new(&SHA256)));
        let file = Hashing { file: File::open(path)?, context: digest.clone() };
        match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .buffer_capacity(1 << 20)
                    .from_reader(file);
                let headers = match reader.headers() {
                    Ok(h) => h.clone(),
                    Err(e) => {
                        return match e.into_kind() {
                            csv::ErrorKind::Io(io) => Err(SourceError::Io(io)),
                            other => Err(SourceError::Header(vec![RowError::row(1, csv_problem(&other))])),
                        };
                    }
                };
                let columns = CsvColumns::from_headers(&headers, schema).map_err(SourceError::Header)?;
                Ok(Source { reader: Reader::Csv(Box::new(reader)), columns: Some(columns), digest })
            }
            Format::JsonLines => Ok(Source {
                reader: Reader::Lines { input: BufReader::with_capacity(1 << 20, file), line: 0 },
                columns: None,
                digest,
            }),
        }
    }

    /// The SHA-256 of what has been read: the file's, once the last batch came back empty.
    pub fn sha256(&self) -> String {
        hex(self.digest.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Up to `max` rows; an empty batch means the end of the file.
    pub fn next_batch(&mut self, max: usize) -> std::io::Result<Vec<Raw>> {
        let mut batch = Vec::with_capacity(max.min(65_536));
        match &mut self.reader {
            Reader::Csv(reader) => {
                while batch.len() < max {
                    let mut record = StringRecord::new();
                    match reader.read_record(&mut record) {
                        Ok(false) => break,
                        Ok(true) => {
                            let row = record.position().map_or(0, |p| p.line());
                            batch.push(Raw { row, body: RawBody::Csv(record) });
                        }
                        Err(e) => {
                            let row = e.position().map_or(0, |p| p.line());
                            match e.into_kind() {
                                csv::ErrorKind::Io(io) => return Err(io),
                                other => batch
                                    .push(Raw { row, body: RawBody::Broken(RowError::row(row, csv_problem(&other))) }),
                            }
                        }
                    }
                }
            }
            Reader::Lines { input, line } => {
                let mut bytes = Vec::new();
                while batch.len() < max {
                    bytes.clear();
                    if input.read_until(b'\n', &mut bytes)? == 0 {
                        break;
                    }
                    *line += 1;
                    let row = *line;
                    match String::from_utf8(std::mem::take(&mut bytes)) {
                        Ok(text) if text.trim().is_empty() => {}
                        Ok(text) => batch.push(Raw { row, body: RawBody::Json(text) }),
                        Err(_) => batch.push(Raw {
                            row,
                            body: RawBody::Broken(RowError::row(row, "the line is not valid UTF-8 text")),
                        }),
                    }
                }
            }
        }
        Ok(batch)
    }

    /// The record a raw row describes.
    pub fn parse(&self, raw: &Raw) -> Result<Value, Vec<RowError>> {
        match (&raw.body, &self.columns) {
            (RawBody::Csv(record), Some(columns)) => columns.to_value(record, raw.row),
            (RawBody::Json(text), _) => json_line(text, raw.row),
            (RawBody::Broken(error), _) => Err(vec![error.clone()]),
            (RawBody::Csv(_), None) => Err(vec![RowError::row(raw.row, "a CSV row without a header")]),
        }
    }
}

fn csv_problem(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 text".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} cells; the header has {expected_len} columns")
        }
        other => format!("cannot be read as CSV: {other:?}"),
    }
}

/// Apply `f` to every item on up to `threads` threads, keeping the order.
pub fn par_map<T: Sync, U: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = threads.max(1);
    if threads == 1 || items.len() < 256 {
        return items.iter().map(&f).collect();
    }
    let per = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(f).collect::<Vec<U>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// How many threads the CPU-bound parts use.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from).min(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_the_files_sha256_and_counts_lines() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f.jsonl");
        std::fs::write(&path, b"abc\nde").expect("write");
        let facts = digest(&path, |_, _| {}).expect("digest");
        let expected: String = publica_kernel::crypto::sha256(b"abc\nde").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(facts.sha256, expected);
        assert_eq!(facts.lines, 2);
    }

    #[test]
    fn par_map_keeps_order() {
        let items: Vec<u32> = (0..10_000).collect();
        assert_eq!(par_map(&items, 3, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn csv_rows_carry_their_line_and_broken_rows_do_not_stop_reading() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f.csv");
        std::fs::write(&path, b"a,b\n1,2\n\"multi\nline\",3\n\xff,4\n5,6\n").expect("write");
        let schema = serde_json::json!({"type": "object", "properties": {"a": {}, "b": {}}});
        let mut source = Source::open(&path, Format::Csv, &schema).expect("open");
        let batch = source.next_batch(100).expect("read");
        assert!(source.next_batch(100).expect("end").is_empty());
        assert_eq!(source.sha256(), digest(&path, |_, _| {}).expect("digest").sha256);
        let rows: Vec<u64> = batch.iter().map(|r| r.row).collect();
        assert_eq!(rows, vec![2, 3, 5, 6]);
        assert!(matches!(batch[2].body, RawBody::Broken(_)));
        assert_eq!(source.parse(&batch[1]).expect("row"), serde_json::json!({"a": "multi\nline", "b": "3"}));
    }
}
