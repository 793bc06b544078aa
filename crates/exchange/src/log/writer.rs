//! Appending to the message log: the gateway's calls are gathered by a group committer (see
//! [`committer`]), and each batch is chained, signed once, inserted with multi-row statements
//! (see [`insert`]) and committed before any caller is answered.

mod committer;
mod insert;

use publica_kernel::Kernel;
use publica_kernel::crypto::Alg;
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::keys::Purpose;
use publica_kernel::on_tx;
use uuid::Uuid;

use self::committer::Committer;
pub use self::committer::{Announced, GATHER_WAIT};
use self::insert::{Seal, insert};
use super::chain::{StoredEntry, StoredUsage, signed_message};
use super::{LogEntry, UsageRecord};

/// At most this many calls share one transaction.
pub const MAX_BATCH: usize = 512;

/// The message log's writer. Cheap to clone; every clone feeds the same committer.
#[derive(Clone)]
pub struct MessageLog {
    committer: Committer,
    log_bodies: bool,
}

/// A call waiting for its batch.
struct Pending {
    entry: StoredEntry,
}

struct Writer {
    kernel: Kernel,
    log_bodies: bool,
}

impl MessageLog {
    /// Start the committing task. With `log_bodies`, request and response bodies are kept,
    /// sealed under the master key; otherwise only their hashes are.
    pub fn start(kernel: Kernel, log_bodies: bool) -> MessageLog {
        let db = kernel.db().clone();
        let committer = Committer::spawn(db, Writer { kernel, log_bodies });
        MessageLog { committer, log_bodies }
    }

    /// Announce a call that will be recorded shortly (with [`MessageLog::record_announced`]):
    /// the committer waits for announced calls (at most [`GATHER_WAIT`]) so that calls made at
    /// the same time share one transaction. Dropping the announcement withdraws it.
    pub fn announce(&self) -> Announced {
        self.committer.announce()
    }

    /// Durably append one exchange (and its usage records) and return its sequence number.
    /// Many concurrent calls share one transaction; an error means the call must be refused.
    pub async fn record(&self, entry: LogEntry) -> Result<i64> {
        self.committer.submit(Pending { entry: prepare(entry, self.log_bodies)? }, None).await
    }

    /// [`MessageLog::record`] for an announced call.
    pub async fn record_announced(&self, announced: Announced, entry: LogEntry) -> Result<i64> {
        self.committer.submit(Pending { entry: prepare(entry, self.log_bodies)? }, Some(announced)).await
    }
}

/// Check what the database would refuse (so one bad call never fails a whole batch), merge
/// usage records naming the same person, and give each record its id.
fn prepare(entry: LogEntry, log_bodies: bool) -> Result<StoredEntry> {
    let texts: [(&str, Option<&str>); 7] = [
        ("request_id", Some(&entry.request_id)),
        ("client", Some(&entry.client)),
        ("service", Some(&entry.service)),
        ("method", Some(&entry.method)),
        ("path", Some(&entry.path)),
        ("user_id", entry.user_id.as_deref()),
        ("issue", entry.issue.as_deref()),
    ];
    for (field, value) in texts {
        no_nul(field, value.unwrap_or_default())?;
    }
    let mut usage: Vec<StoredUsage> = Vec::with_capacity(entry.usage.len());
    for (i, record) in entry.usage.into_iter().enumerate() {
        check_usage(i, &record)?;
        if let Some(same) = usage.iter_mut().find(|u| u.national_id == record.national_id) {
            for item in record.data_items {
                if !same.data_items.contains(&item) {
                    same.data_items.push(item);
                }
            }
            continue;
        }
        usage.push(StoredUsage {
            id: Uuid::now_v7(),
            national_id: record.national_id,
            consumer_org: record.consumer_org,
            consumer_name: record.consumer_name,
            client: record.client,
            eservice_id: record.eservice_id,
            eservice_title: record.eservice_title,
            purpose_id: record.purpose_id,
            purpose_title: record.purpose_title,
            legal_basis: record.legal_basis,
            data_items: record.data_items,
            embargo_until: record.embargo_until,
        });
    }
    Ok(StoredEntry {
        seq: 0,
        request_id: entry.request_id,
        at: entry.at,
        client: entry.client,
        service: entry.service,
        eservice_id: entry.eservice_id,
        agreement_id: entry.agreement_id,
        purpose_id: entry.purpose_id,
        method: entry.method,
        path: entry.path,
        user_id: entry.user_id,
        issue: entry.issue,
        status: i32::from(entry.status),
        request_hash: entry.request_hash,
        response_hash: entry.response_hash,
        request_body: entry.request_body.filter(|_| log_bodies),
        response_body: entry.response_body.filter(|_| log_bodies),
        usage,
        prev_hash: Vec::new(),
        hash: Vec::new(),
    })
}

fn check_usage(i: usize, record: &UsageRecord) -> Result<()> {
    if record.national_id.trim().is_empty() {
        return Err(Error::invalid(format!("usage/{i}/national_id"), "must not be empty"));
    }
    let texts = [
        ("national_id", &record.national_id),
        ("consumer_name", &record.consumer_name),
        ("client", &record.client),
        ("eservice_title", &record.eservice_title),
        ("purpose_title", &record.purpose_title),
        ("legal_basis", &record.legal_basis),
    ];
    for (field, value) in texts {
        no_nul(&format!("usage/{i}/{field}"), value)?;
    }
    for (j, item) in record.data_items.iter().enumerate() {
        no_nul(&format!("usage/{i}/data_items/{j}"), item)?;
    }
    Ok(())
}

fn no_nul(field: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::invalid(field, "must not contain a NUL character"));
    }
    Ok(())
}

/// The sealed form of a body: AES-256-GCM under the master key, bound to the entry.
pub(crate) fn body_aad(seq: i64) -> String {
    format!("exchange-log:{seq}")
}

impl Writer {
    /// Chain, seal and insert a batch in `tx`; the sequence number of its first entry.
    async fn write(&self, tx: &mut Tx, items: &[Pending]) -> Result<i64> {
        let keys = self.kernel.keys();
        let key = keys.active(Purpose::Signing, Alg::EdDSA).ok_or_else(|| Error::internal("no EdDSA signing key"))?;
        // Writers in every process serialise on the head row (SQLite: the write lock taken by
        // BEGIN IMMEDIATE), so there is one chain.
        let head_sql = match tx {
            Tx::Sqlite(_) => "SELECT batch, last_seq, last_hash FROM exchange_log_head WHERE id = 1",
            Tx::Postgres(_) => "SELECT batch, last_seq, last_hash FROM exchange_log_head WHERE id = 1 FOR UPDATE",
        };
        let (batch, last_seq, mut prev): (i64, i64, Vec<u8>) =
            on_tx!(tx, c => sqlx::query_as(head_sql).fetch_one(c).await)?;

        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut entry = item.entry.clone();
            entry.seq = last_seq + 1 + i as i64;
            if self.log_bodies {
                let aad = body_aad(entry.seq);
                let master = keys.master();
                entry.request_body = entry.request_body.map(|b| master.encrypt(aad.as_bytes(), &b));
                entry.response_body = entry.response_body.map(|b| master.encrypt(aad.as_bytes(), &b));
            }
            entry.prev_hash = std::mem::take(&mut prev);
            entry.hash = entry.compute_hash();
            prev = entry.hash.clone();
            entries.push(entry);
        }
        let first_seq = last_seq + 1;
        let new_last = last_seq + entries.len() as i64;
        let at = Timestamp::now();
        let signature = key.sign(&signed_message(batch + 1, first_seq, new_last, &prev, &at))?;
        let seal = Seal {
            batch: batch + 1,
            first_seq,
            last_seq: new_last,
            last_hash: &prev,
            kid: &key.kid,
            signature: &signature,
            at,
        };
        insert(tx, &entries, &seal).await?;
        Ok(first_seq)
    }
}

/// Write `entries` as one batch, outside the group committer (tests shape batches with it).
#[cfg(test)]
pub(super) async fn write_batch(kernel: &Kernel, entries: Vec<LogEntry>, log_bodies: bool) -> Result<Vec<i64>> {
    let items =
        entries.into_iter().map(|e| Ok(Pending { entry: prepare(e, log_bodies)? })).collect::<Result<Vec<_>>>()?;
    let writer = Writer { kernel: kernel.clone(), log_bodies };
    let mut tx = kernel.db().begin().await?;
    let first = writer.write(&mut tx, &items).await?;
    tx.commit().await?;
    Ok((0..items.len() as i64).map(|i| first + i).collect())
}
