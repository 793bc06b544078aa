//! Archive bundles of the message log, verifiable offline.
//!
//! A bundle is JSON Lines (UTF-8, one object per line, each with a `type`):
//!
//! 1. a `header`: `format` (`publica-exchange-log-bundle`), `version` (1), `hash` (`SHA-512`),
//!    `from_seq`, `to_seq`, `prev_hash` (the hash of the entry before `from_seq`, 64 zero bytes
//!    before the first entry, so consecutive bundles can be linked), `exported_at`, and `keys`:
//!    the public JWKs (with `kid`, their RFC 7638 thumbprint) of every key that signed a batch
//!    in the bundle;
//! 2. then, for each batch in order, its `entry` lines (every stored field, usage records,
//!    `prev_hash` and `hash`) followed by its `batch` line (batch number, `first_seq`,
//!    `last_seq`, `last_hash`, `kid`, `signature`, `at`).
//!
//! Bytes (hashes, signatures, sealed bodies) are unpadded base64url; instants are RFC 3339 UTC
//! (microsecond precision). Only EdDSA batch signatures are accepted. A bundle always holds whole batches: the requested range is
//! widened to the start of the batch holding `from_seq` and the end of the batch holding
//! `to_seq`, so every entry in it is covered by a signature it carries.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use publica_kernel::crypto::{self, Alg};
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::keys::Keyring;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::chain::{BatchSeal, StoredEntry, StoredUsage, b64};
use super::store;

pub const FORMAT: &str = "publica-exchange-log-bundle";
pub const VERSION: i64 = 1;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Header(Header),
    Entry(Box<BundleEntry>),
    Batch(BatchSeal),
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: i64,
    hash: String,
    from_seq: i64,
    to_seq: i64,
    #[serde(with = "b64")]
    prev_hash: Vec<u8>,
    exported_at: Timestamp,
    keys: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct BundleEntry {
    seq: i64,
    request_id: String,
    at: Timestamp,
    client: String,
    service: String,
    eservice_id: Uuid,
    agreement_id: Uuid,
    purpose_id: Uuid,
    method: String,
    path: String,
    user_id: Option<String>,
    issue: Option<String>,
    status: i32,
    #[serde(with = "b64")]
    request_hash: Vec<u8>,
    #[serde(with = "b64")]
    response_hash: Vec<u8>,
    #[serde(with = "b64::opt")]
    request_body: Option<Vec<u8>>,
    #[serde(with = "b64::opt")]
    response_body: Option<Vec<u8>>,
    usage: Vec<StoredUsage>,
    #[serde(with = "b64")]
    prev_hash: Vec<u8>,
    #[serde(with = "b64")]
    hash: Vec<u8>,
}

impl From<StoredEntry> for BundleEntry {
    fn from(e: StoredEntry) -> Self {
        BundleEntry {
            seq: e.seq,
            request_id: e.request_id,
            at: e.at,
            client: e.client,
            service: e.service,
            eservice_id: e.eservice_id,
            agreement_id: e.agreement_id,
            purpose_id: e.purpose_id,
            method: e.method,
            path: e.path,
            user_id: e.user_id,
            issue: e.issue,
            status: e.status,
            request_hash: e.request_hash,
            response_hash: e.response_hash,
            request_body: e.request_body,
            response_body: e.response_body,
            usage: e.usage,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl From<BundleEntry> for StoredEntry {
    fn from(e: BundleEntry) -> Self {
        StoredEntry {
            seq: e.seq,
            request_id: e.request_id,
            at: e.at,
            client: e.client,
            service: e.service,
            eservice_id: e.eservice_id,
            agreement_id: e.agreement_id,
            purpose_id: e.purpose_id,
            method: e.method,
            path: e.path,
            user_id: e.user_id,
            issue: e.issue,
            status: e.status,
            request_hash: e.request_hash,
            response_hash: e.response_hash,
            request_body: e.request_body,
            response_body: e.response_body,
            usage: e.usage,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

const PAGE: i64 = 1000;

fn push_line(out: &mut Vec<u8>, line: &Line) -> Result<()> {
    serde_json::to_writer(&mut *out, line).map_err(Error::internal)?;
    out.push(b'\n');
    Ok(())
}

/// Export entries `from_seq..=to_seq` (to the newest when `None`), widened to whole batches.
pub async fn export_bundle(db: &Db, keys: &Keyring, from_seq: i64, to_seq: Option<i64>) -> Result<Vec<u8>> {
    if from_seq < 1 {
        return Err(Error::invalid("from_seq", "must be 1 or more"));
    }
    let head = store::head(db).await?;
    if head.last_seq == 0 {
        return Err(Error::invalid("from_seq", "the message log is empty"));
    }
    if from_seq > head.last_seq {
        return Err(Error::invalid("from_seq", format!("is beyond the newest entry, {}", head.last_seq)));
    }
    let to_seq = to_seq.unwrap_or(head.last_seq);
    if to_seq < from_seq {
        return Err(Error::invalid("to_seq", "must not be before from_seq"));
    }
    let to_seq = to_seq.min(head.last_seq);
    let damaged = |seq: i64| {
        Error::Conflict(format!(
            "the message log has no signed batch for entry {seq}; run `publica exchange verify-log`"
        ))
    };
    let first = store::batch_at_or_after(db, from_seq).await?.ok_or_else(|| damaged(from_seq))?;
    let last = store::batch_at_or_after(db, to_seq).await?.ok_or_else(|| damaged(to_seq))?;
    let (start, end) = (first.first_seq.min(from_seq), last.last_seq);
    let prev_hash = store::hash_of(db, start - 1)
        .await?
        .ok_or_else(|| Error::Conflict(format!("entry {} is missing; run `publica exchange verify-log`", start - 1)))?;

    let mut seals: Vec<BatchSeal> = Vec::new();
    let mut next = first.batch;
    while next <= last.batch {
        let page = store::batches(db, next, PAGE).await?;
        let Some(tail) = page.last() else { break };
        next = tail.batch + 1;
        seals.extend(page.into_iter().filter(|s| s.batch <= last.batch));
    }
    let mut jwks: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for seal in &seals {
        if !jwks.contains_key(&seal.kid) {
            let key = keys.by_kid(&seal.kid).ok_or_else(|| {
                Error::internal(format!("key {} that signed batch {} is not in the keyring", seal.kid, seal.batch))
            })?;
            jwks.insert(seal.kid.clone(), key.jwk.clone());
        }
    }

    let mut out = Vec::new();
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        hash: "SHA-512".into(),
        from_seq: start,
        to_seq: end,
        prev_hash,
        exported_at: Timestamp::now(),
        keys: jwks.into_values().collect(),
    };
    push_line(&mut out, &Line::Header(header))?;
    let mut seals = seals.into_iter().peekable();
    let mut at = start;
    while at <= end {
        let page = store::entries(db, at, end, PAGE).await?;
        let Some(tail) = page.last() else { break };
        at = tail.seq + 1;
        for entry in page {
            let seq = entry.seq;
            push_line(&mut out, &Line::Entry(Box::new(entry.into())))?;
            while let Some(seal) = seals.next_if(|s| s.last_seq <= seq) {
                push_line(&mut out, &Line::Batch(seal))?;
            }
        }
    }
    for seal in seals {
        push_line(&mut out, &Line::Batch(seal))?;
    }
    Ok(out)
}

/// A key that signed batches of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleKey {
    pub kid: String,
    pub alg: String,
    /// RFC 7638 SHA-256 thumbprint, base64url: compare with the published JWKS.
    pub thumbprint: String,
}

/// What `verify_bundle` checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleReport {
    pub from_seq: i64,
    pub to_seq: i64,
    pub entries: i64,
    pub batches: i64,
    pub usage_records: i64,
    /// Hash the first entry links to (base64url), to match with the previous bundle's last.
    pub prev_hash: String,
    /// Hash of the last entry (base64url).
    pub last_hash: String,
    pub keys: Vec<BundleKey>,
}

impl fmt::Display for BundleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bundle verified: entries {}..{} ({} entries, {} signed batches, {} usage records)",
            self.from_seq, self.to_seq, self.entries, self.batches, self.usage_records
        )?;
        writeln!(f, "links to previous hash {}", self.prev_hash)?;
        writeln!(f, "last hash {}", self.last_hash)?;
        for key in &self.keys {
            writeln!(f, "signed by {} key, thumbprint {}", key.alg, key.thumbprint)?;
        }
        Ok(())
    }
}

/// The RFC 7638 thumbprint of a public JWK, from its required members only.
fn thumbprint(jwk: &serde_json::Value) -> std::result::Result<String, String> {
    let member = |name: &str| -> std::result::Result<String, String> {
        let value = jwk.get(name).and_then(|v| v.as_str()).ok_or_else(|| format!("a key lacks its `{name}` member"))?;
        serde_json::to_string(value).map_err(|e| e.to_string())
    };
    let canonical = match jwk.get("kty").and_then(|v| v.as_str()) {
        Some("OKP") => format!(r#"{{"crv":{},"kty":"OKP","x":{}}}"#, member("crv")?, member("x")?),
        Some("EC") => format!(r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#, member("crv")?, member("x")?, member("y")?),
        Some("RSA") => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, member("e")?, member("n")?),
        _ => return Err("a key has an unknown `kty`".into()),
    };
    Ok(crypto::b64url(&crypto::sha256(canonical.as_bytes())))
}

/// Check a bundle offline: every entry's link and hash, every batch signature against the
/// keys it carries (whose ids must be their thumbprints), and that every entry is signed.
pub fn verify_bundle(bytes: &[u8]) -> std::result::Result<BundleReport, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("the bundle is not UTF-8 text: {e}"))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, first)) = lines.next() else {
        return Err("the bundle is empty".into());
    };
    let header = match serde_json::from_str::<Line>(first) {
        Ok(Line::Header(h)) => h,
        Ok(_) => return Err("line 1: the bundle does not start with its header".into()),
        Err(e) => return Err(format!("line 1: not a bundle header: {e}")),
    };
    if header.format != FORMAT || header.version != VERSION || header.hash != "SHA-512" {
        return Err(format!(
            "line 1: not a {FORMAT} version {VERSION} with SHA-512 (found {} version {}, {})",
            header.format, header.version, header.hash
        ));
    }
    let mut keys: BTreeMap<String, (serde_json::Value, BundleKey)> = BTreeMap::new();
    for jwk in &header.keys {
        let print = thumbprint(jwk)?;
        let kid = jwk.get("kid").and_then(|v| v.as_str()).unwrap_or_default();
        if kid != print {
            return Err(format!("key `{kid}`: its id is not its thumbprint {print}"));
        }
        let alg = jwk.get("alg").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        keys.insert(kid.to_string(), (jwk.clone(), BundleKey { kid: kid.to_string(), alg, thumbprint: print }));
    }

    let mut expected = header.from_seq;
    let mut batch_start = header.from_seq;
    let mut prev = header.prev_hash.clone();
    let (mut batches, mut usage_records) = (0i64, 0i64);
    let mut last_batch: Option<i64> = None;
    let mut used: Vec<String> = Vec::new();
    for (index, line) in lines {
        let n = index + 1;
        let parsed: Line = serde_json::from_str(line)
            .map_err(|e| format!("line {n} (after entry {}): not a bundle line: {e}", expected - 1))?;
        match parsed {
            Line::Header(_) => return Err(format!("line {n}: a second header")),
            Line::Entry(entry) => {
                let entry = StoredEntry::from(*entry);
                let seq = entry.seq;
                if seq != expected {
                    return Err(format!("entry {seq}: expected entry {expected}: entries are missing or out of order"));
                }
                if entry.prev_hash != prev {
                    return Err(format!("entry {seq}: does not link to the entry before it"));
                }
                if entry.hash != entry.compute_hash() {
                    return Err(format!("entry {seq}: its content does not match its hash: it was modified"));
                }
                usage_records += entry.usage.len() as i64;
                prev = entry.hash;
                expected += 1;
            }
            Line::Batch(seal) => {
                let b = seal.batch;
                if last_batch.is_some_and(|l| b != l + 1) {
                    return Err(format!("batch {b}: does not follow batch {}", last_batch.unwrap_or_default()));
                }
                if seal.first_seq != batch_start || seal.last_seq != expected - 1 || seal.last_seq < seal.first_seq {
                    return Err(format!(
                        "entry {batch_start}: batch {b} signs entries {}..{} but the bundle holds {}..{} before it",
                        seal.first_seq,
                        seal.last_seq,
                        batch_start,
                        expected - 1
                    ));
                }
                if seal.last_hash != prev {
                    return Err(format!("entry {}: differs from signed batch {b}", seal.last_seq));
                }
                let Some((jwk, _)) = keys.get(&seal.kid) else {
                    return Err(format!("batch {b}: signed by key {} which the bundle does not carry", seal.kid));
                };
                if !crypto::verify(jwk, Alg::EdDSA, &seal.message(), &seal.signature) {
                    return Err(format!(
                        "batch {b}: the signature is invalid (entries {}..{})",
                        seal.first_seq, seal.last_seq
                    ));
                }
                if !used.contains(&seal.kid) {
                    used.push(seal.kid.clone());
                }
                last_batch = Some(b);
                batch_start = expected;
                batches += 1;
            }
        }
    }
    if batch_start != expected {
        return Err(format!("entry {batch_start}: not covered by a signed batch in the bundle"));
    }
    if expected - 1 != header.to_seq || expected == header.from_seq {
        return Err(format!(
            "the bundle ends at entry {} but its header says {}..{}: it was truncated",
            expected - 1,
            header.from_seq,
            header.to_seq
        ));
    }
    Ok(BundleReport {
        from_seq: header.from_seq,
        to_seq: header.to_seq,
        entries: expected - header.from_seq,
        batches,
        usage_records,
        prev_hash: URL_SAFE_NO_PAD.encode(&header.prev_hash),
        last_hash: URL_SAFE_NO_PAD.encode(&prev),
        keys: used.iter().filter_map(|kid| keys.get(kid).map(|(_, k)| k.clone())).collect(),
    })
}
