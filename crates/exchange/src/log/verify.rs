//! Checking the message log in the database: every entry's link and hash, every batch
//! signature and the signed head. The first problem found is reported, naming the entry, so
//! modification, deletion, insertion, reordering and truncation are all detected.

use std::collections::VecDeque;

use publica_kernel::crypto::Alg;
use publica_kernel::db::Db;
use publica_kernel::error::Result;
use publica_kernel::keys::{Keyring, Purpose};

use super::chain::{BatchSeal, genesis};
use super::store;

const PAGE: i64 = 1000;

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: i64,
    pub batches: i64,
    pub usage_records: i64,
    /// Key ids that signed the batches, oldest first.
    pub kids: Vec<String>,
}

/// The first problem `verify` found, naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message log entry {seq}: {problem}")]
pub struct Tampered {
    pub seq: i64,
    pub problem: String,
}

/// Batch rows read page by page, in order.
struct Batches<'a> {
    db: &'a Db,
    next: i64,
    page: VecDeque<BatchSeal>,
    done: bool,
}

impl Batches<'_> {
    async fn peek(&mut self) -> Result<Option<&BatchSeal>> {
        if self.page.is_empty() && !self.done {
            self.page = store::batches(self.db, self.next, PAGE).await?.into();
            if let Some(last) = self.page.back() {
                self.next = last.batch + 1;
            } else {
                self.done = true;
            }
        }
        Ok(self.page.front())
    }
    fn advance(&mut self) {
        self.page.pop_front();
    }
}

pub(crate) fn signature_ok(keys: &Keyring, seal: &BatchSeal) -> bool {
    keys.by_kid(&seal.kid).is_some_and(|k| {
        k.purpose == Purpose::Signing.as_str() && k.alg == Alg::EdDSA && k.verify(&seal.message(), &seal.signature)
    })
}

/// Walk the whole log and check every link, hash, batch signature and the signed head.
pub async fn verify(db: &Db, keys: &Keyring) -> Result<std::result::Result<Verified, Tampered>> {
    let bad = |seq: i64, problem: String| Ok(Err(Tampered { seq, problem }));
    let mut batches = Batches { db, next: 1, page: VecDeque::new(), done: false };
    let mut expected = 1i64;
    let mut expected_batch = 1i64;
    let mut prev = genesis();
    let mut usage_records = 0i64;
    let mut kids: Vec<String> = Vec::new();
    let mut batch_started = false;
    loop {
        let page = store::entries(db, expected, i64::MAX, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            if entry.seq != expected {
                return bad(
                    expected,
                    format!("missing (the next entry present is {}): deleted or reordered", entry.seq),
                );
            }
            if entry.prev_hash != prev {
                return bad(
                    entry.seq,
                    "does not link to the entry before it: an entry was inserted, deleted or reordered".into(),
                );
            }
            if entry.hash != entry.compute_hash() {
                return bad(entry.seq, "its content does not match its hash: it was modified".into());
            }
            let Some(seal) = batches.peek().await? else {
                return bad(
                    entry.seq,
                    "is not covered by a signed batch: it was added outside the message log's writer".into(),
                );
            };
            if seal.batch != expected_batch {
                return bad(
                    entry.seq,
                    format!(
                        "the signed batch {expected_batch} that should cover it is missing (found batch {})",
                        seal.batch
                    ),
                );
            }
            if !batch_started {
                if seal.first_seq > entry.seq {
                    return bad(
                        entry.seq,
                        "is not covered by a signed batch: it was added outside the message log's writer".into(),
                    );
                }
                if seal.first_seq < entry.seq {
                    return bad(
                        entry.seq,
                        format!("batch {} does not start where the batch before it ended", seal.batch),
                    );
                }
                batch_started = true;
            }
            if seal.last_seq < entry.seq {
                return bad(entry.seq, format!("batch {} has an impossible range", seal.batch));
            }
            if seal.last_seq == entry.seq {
                if seal.last_hash != entry.hash {
                    return bad(
                        entry.seq,
                        format!("differs from signed batch {}: the log was rewritten up to here", seal.batch),
                    );
                }
                if !signature_ok(keys, seal) {
                    return bad(entry.seq, format!("the signature of batch {} is invalid", seal.batch));
                }
                if !kids.contains(&seal.kid) {
                    kids.push(seal.kid.clone());
                }
                batches.advance();
                batch_started = false;
                expected_batch += 1;
            }
            usage_records += entry.usage.len() as i64;
            prev = entry.hash;
            expected += 1;
        }
    }
    let last = expected - 1;
    if let Some(seal) = batches.peek().await? {
        return bad(
            last + 1,
            format!("missing, but batch {} signs entries up to {}: the log was truncated", seal.batch, seal.last_seq),
        );
    }
    let head = store::head(db).await?;
    if head.last_seq > last || head.batch > expected_batch - 1 {
        return bad(
            last + 1,
            format!(
                "missing: the signed head records {} entries in {} batches; the log was truncated",
                head.last_seq, head.batch
            ),
        );
    }
    if head.last_seq < last || head.batch < expected_batch - 1 {
        return bad(head.last_seq + 1, "is beyond the signed head: the head was rolled back".into());
    }
    if last > 0 {
        if head.last_hash != prev {
            return bad(last, "differs from the signed head: the log was rewritten".into());
        }
        let (Some(kid), Some(signature), Some(at)) = (head.kid, head.signature, head.at) else {
            return bad(last, "the head carries no signature".into());
        };
        let seal = BatchSeal {
            batch: head.batch,
            first_seq: head.first_seq,
            last_seq: head.last_seq,
            last_hash: head.last_hash,
            kid,
            signature,
            at,
        };
        if !signature_ok(keys, &seal) {
            return bad(last, "the head signature is invalid".into());
        }
    }
    if let Some(seq) = store::usage_after(db, last).await? {
        return bad(seq, "has usage records but no entry: usage records were inserted".into());
    }
    Ok(Ok(Verified { entries: last, batches: expected_batch - 1, usage_records, kids }))
}

/// A printable summary of a verification, for `publica exchange verify-log`; `true` when the
/// log is intact.
pub async fn verify_summary(db: &Db, keys: &Keyring) -> Result<(bool, String)> {
    Ok(match verify(db, keys).await? {
        Ok(v) => (
            true,
            format!(
                "message log intact: {} entries in {} signed batches, {} usage records; signed by {}",
                v.entries,
                v.batches,
                v.usage_records,
                if v.kids.is_empty() { "no key yet".to_string() } else { v.kids.join(", ") }
            ),
        ),
        Err(t) => (false, format!("message log TAMPERED: {t}")),
    })
}
