//! Letters for a print house: each PDF goes into a dated folder with a JSON-lines manifest the
//! print house reads (layout in `docs/notify-providers.md`); writes are atomic and idempotent.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

use super::DeliveryError;

/// Postage classes a letter may carry (GOV.UK Notify's names).
pub const POSTAGE_CLASSES: [&str; 5] = ["first", "second", "economy", "europe", "rest-of-world"];

/// A rendered letter: the PDF and what the print house needs to post it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingLetter {
    pub notification_id: Uuid,
    pub reference: Option<String>,
    /// One of [`POSTAGE_CLASSES`].
    pub postage: String,
    /// Empty when the address is printed in the PDF itself (precompiled letters).
    pub address_lines: Vec<String>,
    pub pdf: Vec<u8>,
}

/// Something that prints and posts letters and returns its reference for each.
#[async_trait]
pub trait PrintProvider: Send + Sync {
    async fn send(&self, letter: &OutgoingLetter) -> Result<String, DeliveryError>;
}

/// One line of `manifest.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub id: Uuid,
    pub reference: Option<String>,
    pub postage: String,
    pub address: Vec<String>,
    /// Page count when the PDF's page objects are readable without decompressing (Publica's are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    /// Lower-case hex SHA-256 of the PDF file.
    pub sha256: String,
    pub bytes: u64,
    /// File name within the same dated folder.
    pub file: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Writes `{dir}/{YYYY-MM-DD}/{id}.pdf` and a line in `{dir}/{YYYY-MM-DD}/manifest.jsonl` (UTC dates).
#[derive(Debug, Clone)]
pub struct FolderPrintProvider {
    dir: PathBuf,
}

impl FolderPrintProvider {
    /// Creates the folder if needed and checks it is writable.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, DeliveryError> {
        let dir = dir.into();
        let unusable = |e: std::io::Error| {
            DeliveryError::Technical(format!(
                "print folder {} is not usable ({e}): create it, writable by Publica",
                dir.display()
            ))
        };
        fs::create_dir_all(&dir).map_err(unusable)?;
        OpenOptions::new().create(true).append(true).open(dir.join(".lock")).map_err(unusable)?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl PrintProvider for FolderPrintProvider {
    /// Returns `{date}/{id}.pdf`, the PDF's path relative to the folder.
    async fn send(&self, letter: &OutgoingLetter) -> Result<String, DeliveryError> {
        let (dir, letter) = (self.dir.clone(), letter.clone());
        tokio::task::spawn_blocking(move || write_letter(&dir, &letter, OffsetDateTime::now_utc()))
            .await
            .map_err(|e| DeliveryError::Technical(format!("writing the letter stopped: {e}")))?
    }
}

/// The whole write, under an exclusive lock on `{dir}/.lock` (held across processes too).
///
/// Order: PDF (temp, fsync, rename), then the manifest line (fsync), then a marker
/// `{dir}/.sent/{xx}/{id}` holding the reference. The marker makes a second send of the same id
/// return the first reference, whatever the day; if a crash came between the manifest line and
/// the marker, the manifest is checked before anything is written again.
pub(crate) fn write_letter(dir: &Path, letter: &OutgoingLetter, now: OffsetDateTime) -> Result<String, DeliveryError> {
    validate(letter)?;
    let io = |what: &str, path: &Path, e: std::io::Error| {
        DeliveryError::Technical(format!("print folder: {what} {} failed: {e}", path.display()))
    };
    let lock_path = dir.join(".lock");
    let lock =
        OpenOptions::new().create(true).append(true).open(&lock_path).map_err(|e| io("opening", &lock_path, e))?;
    lock.lock().map_err(|e| io("locking", &lock_path, e))?;

    let id = letter.notification_id.to_string();
    let marker_dir = dir.join(".sent").join(&id[id.len() - 2..]);
    let marker = marker_dir.join(&id);
    match fs::read_to_string(&marker) {
        Ok(reference) if !reference.trim().is_empty() => return Ok(reference.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("reading", &marker, e)),
    }

    let date =
        now.format(format_description!("[year]-[month]-[day]")).map_err(|e| DeliveryError::Technical(e.to_string()))?;
    let day = dir.join(&date);
    fs::create_dir_all(&day).map_err(|e| io("creating", &day, e))?;
    let file = format!("{id}.pdf");
    let reference = format!("{date}/{file}");
    let pdf_path = day.join(&file);
    let manifest = day.join("manifest.jsonl");

    let already_listed = pdf_path.exists()
        && manifest_lists(&manifest, letter.notification_id).map_err(|e| io("reading", &manifest, e))?;
    if !already_listed {
        write_atomically(&day, &format!(".{file}.tmp"), &file, &letter.pdf).map_err(|e| io("writing", &pdf_path, e))?;
        let entry = ManifestEntry {
            id: letter.notification_id,
            reference: letter.reference.clone(),
            postage: letter.postage.clone(),
            address: letter.address_lines.iter().map(|l| l.trim().to_owned()).collect(),
            pages: count_pages(&letter.pdf),
            sha256: hex(digest::digest(&digest::SHA256, &letter.pdf).as_ref()),
            bytes: letter.pdf.len() as u64,
            file,
            created_at: now,
        };
        append_line(&day, &manifest, &entry).map_err(|e| io("appending to", &manifest, e))?;
    }
    fs::create_dir_all(&marker_dir).map_err(|e| io("creating", &marker_dir, e))?;
    write_atomically(&marker_dir, &format!(".{id}.tmp"), &id, reference.as_bytes())
        .map_err(|e| io("writing", &marker, e))?;
    Ok(reference)
}

fn validate(letter: &OutgoingLetter) -> Result<(), DeliveryError> {
    if !POSTAGE_CLASSES.contains(&letter.postage.as_str()) {
        return Err(DeliveryError::Technical(format!(
            "postage {:?} is not one of {}",
            letter.postage,
            POSTAGE_CLASSES.join(", ")
        )));
    }
    // No address lines means the address is printed in the PDF's window (precompiled letters).
    if letter.address_lines.iter().any(|l| l.trim().is_empty()) {
        return Err(DeliveryError::Technical("the letter has an empty address line".into()));
    }
    if !letter.pdf.starts_with(b"%PDF-") {
        return Err(DeliveryError::Technical("the letter is not a PDF (no %PDF- header)".into()));
    }
    Ok(())
}

/// Writes `dir/tmp`, flushes it to disk, renames it to `dir/name` and flushes the folder.
fn write_atomically(dir: &Path, tmp: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(tmp);
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

/// Appends one JSON line; a line torn by a crash is closed first so it stays on its own.
fn append_line(day: &Path, manifest: &Path, entry: &ManifestEntry) -> std::io::Result<()> {
    let created = !manifest.exists();
    let mut file = OpenOptions::new().create(true).read(true).append(true).open(manifest)?;
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let len = file.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            line.insert(0, b'\n');
        }
    }
    file.write_all(&line)?;
    file.sync_data()?;
    if created {
        File::open(day)?.sync_all()?;
    }
    Ok(())
}

/// Whether the manifest already has a line for this id (torn lines are skipped).
fn manifest_lists(manifest: &Path, id: Uuid) -> std::io::Result<bool> {
    let file = match File::open(manifest) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    for line in BufReader::new(file).lines() {
        if serde_json::from_str::<ManifestEntry>(&line?).is_ok_and(|entry| entry.id == id) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts `/Type /Page` objects (not `/Pages`); `None` when none is visible (e.g. object streams).
fn count_pages(pdf: &[u8]) -> Option<u32> {
    let mut count = 0u32;
    let mut rest = pdf;
    while let Some(at) = find(rest, b"/Type") {
        rest = &rest[at + 5..];
        let value = rest.iter().position(|b| !b" \t\r\n".contains(b)).map_or(&[][..], |skip| &rest[skip..]);
        if value.starts_with(b"/Page") && !value.get(5).is_some_and(|b| b.is_ascii_alphanumeric()) {
            count += 1;
        }
    }
    (count > 0).then_some(count)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_counted_without_pages_nodes() {
        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Pages /Count 2 >>\n\
            2 0 obj <</Type/Page>>\n3 0 obj << /Type\n/Page /Parent 1 0 R >>";
        assert_eq!(count_pages(pdf), Some(2));
        assert_eq!(count_pages(b"%PDF-1.7 compressed"), None);
    }

    #[test]
    fn letters_are_validated() {
        let ok = OutgoingLetter {
            notification_id: Uuid::nil(),
            reference: None,
            postage: "second".into(),
            address_lines: vec!["A Person".into(), "1 Street".into(), "SW1A 1AA".into()],
            pdf: b"%PDF-1.7".to_vec(),
        };
        assert!(validate(&ok).is_ok());
        for bad in [
            OutgoingLetter { postage: "pigeon".into(), ..ok.clone() },
            OutgoingLetter { address_lines: vec![" ".into()], ..ok.clone() },
            OutgoingLetter { pdf: b"<html>".to_vec(), ..ok.clone() },
        ] {
            assert!(matches!(validate(&bad), Err(DeliveryError::Technical(_))));
        }
    }

    fn letter(id: u128) -> OutgoingLetter {
        OutgoingLetter {
            notification_id: Uuid::from_u128(id),
            reference: Some("case-42".into()),
            postage: "first".into(),
            address_lines: vec!["A Person".into(), "1 Street".into(), "SW1A 1AA".into()],
            pdf: b"%PDF-1.7\n1 0 obj <</Type /Page>>\n%%EOF\n".to_vec(),
        }
    }

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).expect("valid time")
    }

    fn manifest_ids(path: &Path) -> Vec<Uuid> {
        fs::read_to_string(path)
            .expect("manifest")
            .lines()
            .filter_map(|l| serde_json::from_str::<ManifestEntry>(l).ok())
            .map(|e| e.id)
            .collect()
    }

    #[test]
    fn same_letter_on_another_day_is_not_written_again() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let day_one = at(1_740_873_599); // 2025-03-01T23:59:59Z
        let first = write_letter(tmp.path(), &letter(1), day_one).expect("written");
        assert_eq!(first, "2025-03-01/00000000-0000-0000-0000-000000000001.pdf");
        let again = write_letter(tmp.path(), &letter(1), at(1_740_873_601)).expect("idempotent");
        assert_eq!(again, first);
        assert!(!tmp.path().join("2025-03-02").exists());
        assert_eq!(manifest_ids(&tmp.path().join("2025-03-01/manifest.jsonl")), vec![Uuid::from_u128(1)]);
    }

    #[test]
    fn a_crash_before_the_marker_does_not_duplicate_the_line() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let now = at(1_740_823_200);
        write_letter(tmp.path(), &letter(7), now).expect("written");
        let marker = tmp.path().join(".sent/07/00000000-0000-0000-0000-000000000007");
        fs::remove_file(&marker).expect("marker removed");
        write_letter(tmp.path(), &letter(7), now).expect("recovered");
        assert!(marker.exists());
        assert_eq!(manifest_ids(&tmp.path().join("2025-03-01/manifest.jsonl")), vec![Uuid::from_u128(7)]);
    }

    #[test]
    fn a_torn_manifest_line_stays_on_its_own() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let now = at(1_740_823_200);
        write_letter(tmp.path(), &letter(1), now).expect("written");
        let manifest = tmp.path().join("2025-03-01/manifest.jsonl");
        OpenOptions::new().append(true).open(&manifest).and_then(|mut f| f.write_all(b"{\"id\":\"torn")).expect("torn");
        write_letter(tmp.path(), &letter(2), now).expect("written");
        assert_eq!(manifest_ids(&manifest), vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
        assert_eq!(fs::read_to_string(&manifest).expect("manifest").lines().count(), 3);
        assert!(
            !fs::read_dir(tmp.path().join("2025-03-01"))
                .expect("dir")
                .any(|e| { e.is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".tmp")) })
        );
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
    }
}
