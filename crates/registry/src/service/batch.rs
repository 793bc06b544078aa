//! Bulk insertion of new records inside the caller's transaction. Records are prepared first,
//! off the async path if the caller likes (JSON text and search entries, see
//! [`Registry::prepare`]); a [`BatchWriter`] then writes their versions as they come, in
//! multi-row statements, and gathers their search entries to write them at the end in key
//! order, where B-tree inserts touch neighbouring pages instead of random ones.

use std::collections::HashSet;
use std::sync::Arc;

use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::{Error, Result};

use super::Registry;
use crate::domain::register::index_entries;
use crate::domain::schema::CompiledRegister;
use crate::domain::{NewRecord, RegisterInfo};
use crate::store;
use crate::store::write::{BatchRow, SearchEntry};

/// Search entries a writer holds before writing them (sorted) mid-way: about 100 MB.
const MAX_PENDING_ENTRIES: usize = 2_000_000;

/// A new record ready to be written in bulk: checked by the caller, its data as JSON text and
/// its search entries.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedRecord {
    pub id: String,
    pub data: String,
    /// `(position of the field among the register's searchable fields, value)`, sorted,
    /// without repeats.
    pub entries: Vec<(u16, String)>,
    pub valid_from: Timestamp,
}

impl PreparedRecord {
    /// About how many bytes of memory the record holds.
    pub fn size(&self) -> usize {
        std::mem::size_of::<PreparedRecord>()
            + self.id.len()
            + self.data.len()
            + self.entries.iter().map(|(_, v)| v.len() + std::mem::size_of::<(u16, String)>()).sum::<usize>()
    }
}

/// Writes new records of one register inside one transaction: see the module's description.
/// Call [`BatchWriter::finish`] before committing, or the search entries are missing.
pub struct BatchWriter {
    register: String,
    /// The key of each searchable field, by position.
    keys: Vec<i64>,
    /// The recorded time of every version the writer writes.
    recorded_at: Timestamp,
    /// Search entries not written yet.
    entries: Vec<SearchEntry>,
}

impl Registry {
    /// A new record's JSON text and search entries, for a [`BatchWriter`]. Pure and cheap:
    /// call it on any thread; the record must have been validated ([`Registry::validate`]).
    pub fn prepare(&self, register: &RegisterInfo, record: &NewRecord) -> Result<PreparedRecord> {
        let compiled = self.compiled(register)?;
        Self::prepare_compiled(&compiled, record)
    }

    /// [`Registry::prepare`] with the register's compiled version at hand (bulk passes look it
    /// up once, not once per row).
    pub(crate) fn prepare_compiled(compiled: &CompiledRegister, record: &NewRecord) -> Result<PreparedRecord> {
        let fields = &compiled.index_fields;
        let mut entries: Vec<(u16, String)> = index_entries(fields, &record.data)
            .into_iter()
            .filter_map(|(name, value)| {
                let position = fields.iter().position(|f| f.name == name)?;
                Some((position as u16, value.into_owned()))
            })
            .collect();
        entries.sort_unstable();
        entries.dedup();
        let data = serde_json::to_string(&record.data).map_err(Error::internal)?;
        Ok(PreparedRecord { id: record.id.clone(), data, entries, valid_from: record.valid_from })
    }

    /// Start writing new records into `register` in `tx`. Takes the register's feed lock (call
    /// it before appending the import's audit entry: writers take it before the audit log's)
    /// and gives a SQLite connection a larger page cache.
    pub async fn batch_writer(&self, tx: &mut Tx, register: &RegisterInfo) -> Result<BatchWriter> {
        let compiled = self.compiled(register)?;
        store::write::lock_feed(tx, &register.name).await?;
        store::write::bulk_cache(tx).await?;
        let names: Vec<&str> = compiled.index_fields.iter().map(|f| f.name.as_str()).collect();
        let keys = store::write::field_keys(tx, &register.name, &names).await?;
        Ok(BatchWriter { register: register.name.clone(), keys, recorded_at: Timestamp::now(), entries: Vec::new() })
    }

    /// Insert new records (kind created, in the change feed) inside the caller's transaction,
    /// already validated by the caller with [`Registry::validate`]; no audit entry per record
    /// (audit the import once). Conflict naming the id when a record exists already or appears
    /// twice. Call it before appending the import's audit entry: it takes the register's feed
    /// lock, which writers take before the audit log's.
    pub async fn insert_batch(&self, tx: &mut Tx, register: &RegisterInfo, rows: &[NewRecord]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut seen = HashSet::with_capacity(rows.len());
        if let Some(twice) = rows.iter().find(|r| !seen.insert(r.id.as_str())) {
            return Err(Error::Conflict(format!("{} record {} appears twice", register.name, twice.id)));
        }
        let prepared = rows.iter().map(|r| self.prepare(register, r)).collect::<Result<Vec<_>>>()?;
        let mut writer = self.batch_writer(tx, register).await?;
        writer.insert(tx, prepared).await?;
        writer.finish(tx).await
    }
}

/// The first 16 bytes of a value, big-endian (so that integer order is byte order), and its
/// length up to 17: together they tell values of up to 16 bytes apart exactly.
fn prefix(value: &str) -> (u128, u8) {
    let mut bytes = [0u8; 16];
    let n = value.len().min(16);
    bytes[..n].copy_from_slice(&value.as_bytes()[..n]);
    (u128::from_be_bytes(bytes), value.len().min(17) as u8)
}

/// Search entries in the order of the search index's key as far as B-tree locality needs it:
/// by field key and value (entries differing only in their record go to the same pages).
/// Sorting integers made of each value's first bytes, then the rare runs of long values that
/// share them, costs a fraction of comparing the strings all along.
fn in_key_order(entries: Vec<SearchEntry>) -> Vec<SearchEntry> {
    let mut order: Vec<(i64, u128, u8, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, (key, value, _))| {
            let (bytes, len) = prefix(value);
            (*key, bytes, len, i as u32)
        })
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<SearchEntry>> = entries.into_iter().map(Some).collect();
    let mut sorted: Vec<SearchEntry> = Vec::with_capacity(order.len());
    sorted.extend(order.iter().filter_map(|o| slots[o.3 as usize].take()));
    // Values longer than 16 bytes with the same first 16: order each such run by value.
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len()
            && order[end].0 == order[start].0
            && order[end].1 == order[start].1
            && order[end].2 == 17
            && order[start].2 == 17
        {
            end += 1;
        }
        if end - start > 1 {
            sorted[start..end].sort_unstable_by(|a, b| a.1.cmp(&b.1));
        }
        start = end;
    }
    sorted
}

impl BatchWriter {
    /// Make room for the search entries of about `records` records to come (growing the list
    /// as they come copies it again and again).
    pub fn reserve(&mut self, records: usize) {
        let entries = records.saturating_mul(self.keys.len().max(1)).min(MAX_PENDING_ENTRIES);
        self.entries.reserve(entries.saturating_sub(self.entries.len()));
    }

    /// Write the versions of `rows` (in identifier order) and keep their search entries for
    /// later. Conflict naming the first record that exists already.
    pub async fn insert(&mut self, tx: &mut Tx, mut rows: Vec<PreparedRecord>) -> Result<()> {
        rows.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let mut batch = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Arc<str> = Arc::from(row.id);
            for (position, value) in row.entries {
                let key = self.keys.get(usize::from(position)).copied().ok_or_else(|| {
                    Error::internal(format!("{}: no searchable field at position {position}", self.register))
                })?;
                self.entries.push((key, value, id.clone()));
            }
            batch.push(BatchRow { id, data: row.data, valid_from: row.valid_from });
        }
        store::write::insert_created(tx, &self.register, self.recorded_at, batch).await?;
        if self.entries.len() >= MAX_PENDING_ENTRIES {
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Write the search entries kept so far, in key order.
    async fn flush(&mut self, tx: &mut Tx) -> Result<()> {
        let entries = in_key_order(std::mem::take(&mut self.entries));
        store::write::add_index(tx, entries).await
    }

    /// Write the remaining search entries.
    pub async fn finish(mut self, tx: &mut Tx) -> Result<()> {
        self.flush(tx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_sort_by_key_then_value() {
        let long = |tail: &str| format!("a value longer than sixteen bytes {tail}");
        let id: Arc<str> = Arc::from("r");
        let values = ["b", "a", "", "a\u{0}", &long("2"), &long("1"), "ab", "é", "a", &long("1")];
        let entries: Vec<SearchEntry> =
            [3i64, 1, 2].iter().flat_map(|k| values.iter().map(|v| (*k, v.to_string(), id.clone()))).collect();
        let mut expected: Vec<(i64, String)> = entries.iter().map(|(k, v, _)| (*k, v.clone())).collect();
        expected.sort();
        let got: Vec<(i64, String)> = in_key_order(entries).into_iter().map(|(k, v, _)| (k, v)).collect();
        assert_eq!(got, expected);
    }
}
