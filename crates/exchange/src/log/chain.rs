//! The message log's hash chain and batch signatures: entries as stored, their canonical
//! serialisation, SHA-512 links and the message each batch's signature covers.
//!
//! An entry's hash is `SHA-512(prev_hash || canonical(entry))`, where `canonical` is a
//! domain tag followed by every stored field in a fixed order, each one length-prefixed
//! (`u64` big-endian length, then the bytes; an optional field is a `0` byte when absent or a
//! `1` byte and the field), and then the entry's usage records in order. The first entry links
//! to 64 zero bytes. Nothing in the encoding is ambiguous, so two different entries never
//! serialise alike. SHA-512 matches the hash X-Road uses for `X-Road-Request-Hash`.

use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Length of every hash in the chain (SHA-512).
pub const HASH_LEN: usize = 64;

/// The hash the first entry links to.
pub fn genesis() -> Vec<u8> {
    vec![0u8; HASH_LEN]
}

pub fn sha512(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, data).as_ref().to_vec()
}

/// One usage record as stored (and as carried in archive bundles).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredUsage {
    pub id: Uuid,
    pub national_id: String,
    pub consumer_org: Uuid,
    pub consumer_name: String,
    pub client: String,
    pub eservice_id: Uuid,
    pub eservice_title: String,
    pub purpose_id: Uuid,
    pub purpose_title: String,
    pub legal_basis: String,
    pub data_items: Vec<String>,
    pub embargo_until: Option<Timestamp>,
}

/// One message-log entry as stored, with its links. Bodies are the sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub seq: i64,
    pub request_id: String,
    pub at: Timestamp,
    pub client: String,
    pub service: String,
    pub eservice_id: Uuid,
    pub agreement_id: Uuid,
    pub purpose_id: Uuid,
    pub method: String,
    pub path: String,
    pub user_id: Option<String>,
    pub issue: Option<String>,
    pub status: i32,
    pub request_hash: Vec<u8>,
    pub response_hash: Vec<u8>,
    pub request_body: Option<Vec<u8>>,
    pub response_body: Option<Vec<u8>>,
    pub usage: Vec<StoredUsage>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

struct Canonical(Vec<u8>);

impl Canonical {
    fn bytes(&mut self, value: &[u8]) {
        self.0.extend_from_slice(&(value.len() as u64).to_be_bytes());
        self.0.extend_from_slice(value);
    }
    fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }
    fn int(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }
    fn uuid(&mut self, value: &Uuid) {
        self.0.extend_from_slice(value.as_bytes());
    }
    fn time(&mut self, value: &Timestamp) {
        self.str(&value.to_fixed());
    }
    fn opt<T: ?Sized>(&mut self, value: Option<&T>, put: impl FnOnce(&mut Self, &T)) {
        match value {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                put(self, v);
            }
        }
    }
}

impl StoredEntry {
    /// The canonical serialisation of every stored field except the links.
    pub fn canonical(&self) -> Vec<u8> {
        let mut c = Canonical(Vec::with_capacity(512));
        c.str("publica-exchange-log-entry-v1");
        c.int(self.seq);
        c.str(&self.request_id);
        c.time(&self.at);
        c.str(&self.client);
        c.str(&self.service);
        c.uuid(&self.eservice_id);
        c.uuid(&self.agreement_id);
        c.uuid(&self.purpose_id);
        c.str(&self.method);
        c.str(&self.path);
        c.opt(self.user_id.as_deref(), Canonical::str);
        c.opt(self.issue.as_deref(), Canonical::str);
        c.int(i64::from(self.status));
        c.bytes(&self.request_hash);
        c.bytes(&self.response_hash);
        c.opt(self.request_body.as_deref(), Canonical::bytes);
        c.opt(self.response_body.as_deref(), Canonical::bytes);
        c.int(self.usage.len() as i64);
        for u in &self.usage {
            c.uuid(&u.id);
            c.str(&u.national_id);
            c.uuid(&u.consumer_org);
            c.str(&u.consumer_name);
            c.str(&u.client);
            c.uuid(&u.eservice_id);
            c.str(&u.eservice_title);
            c.uuid(&u.purpose_id);
            c.str(&u.purpose_title);
            c.str(&u.legal_basis);
            c.int(u.data_items.len() as i64);
            for item in &u.data_items {
                c.str(item);
            }
            c.opt(u.embargo_until.as_ref(), Canonical::time);
        }
        c.0
    }

    /// `SHA-512(prev_hash || canonical)`.
    pub fn compute_hash(&self) -> Vec<u8> {
        let mut digest = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA512);
        digest.update(&self.prev_hash);
        digest.update(&self.canonical());
        digest.finish().as_ref().to_vec()
    }
}

/// A signed batch row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSeal {
    pub batch: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    #[serde(with = "b64")]
    pub last_hash: Vec<u8>,
    pub kid: String,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    pub at: Timestamp,
}

impl BatchSeal {
    /// What the signature covers: a domain tag (its newline can never occur in a JWS signing
    /// input, so a log signature is never mistaken for a token's), then every field but the
    /// key id and the signature.
    pub fn message(&self) -> Vec<u8> {
        signed_message(self.batch, self.first_seq, self.last_seq, &self.last_hash, &self.at)
    }
}

pub fn signed_message(batch: i64, first_seq: i64, last_seq: i64, last_hash: &[u8], at: &Timestamp) -> Vec<u8> {
    let mut c = Canonical(b"publica-exchange-log-batch-v1\n".to_vec());
    c.int(batch);
    c.int(first_seq);
    c.int(last_seq);
    c.bytes(last_hash);
    c.time(at);
    c.0
}

/// Bytes as unpadded base64url in JSON.
pub mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        URL_SAFE_NO_PAD.decode(text.as_bytes()).map_err(|_| serde::de::Error::custom("not unpadded base64url"))
    }

    /// The same for an optional value (`null` when absent).
    pub mod opt {
        use super::*;

        pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(b) => super::serialize(b, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(text) => URL_SAFE_NO_PAD
                    .decode(text.as_bytes())
                    .map(Some)
                    .map_err(|_| serde::de::Error::custom("not unpadded base64url")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> StoredEntry {
        StoredEntry {
            seq: 1,
            request_id: "r".into(),
            at: Timestamp::parse("2026-03-01T10:00:00Z").expect("time"),
            client: "DL/GOV/70000001/a".into(),
            service: "DL/GOV/70000002/b/persons".into(),
            eservice_id: Uuid::nil(),
            agreement_id: Uuid::nil(),
            purpose_id: Uuid::nil(),
            method: "GET".into(),
            path: "/persons/1".into(),
            user_id: None,
            issue: Some(String::new()),
            status: 200,
            request_hash: vec![1; 64],
            response_hash: vec![2; 64],
            request_body: None,
            response_body: None,
            usage: Vec::new(),
            prev_hash: genesis(),
            hash: Vec::new(),
        }
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = entry().compute_hash();
        assert_eq!(base.len(), HASH_LEN);
        let variants: [fn(&mut StoredEntry); 8] = [
            |e| e.seq = 2,
            |e| e.path = "/persons/2".into(),
            |e| e.user_id = Some(String::new()),
            |e| e.issue = None,
            |e| e.status = 201,
            |e| e.request_body = Some(Vec::new()),
            |e| e.prev_hash = vec![9; 64],
            // Moving bytes between neighbouring fields must not collide.
            |e| {
                e.client = "DL/GOV/70000001/aD".into();
                e.service = "L/GOV/70000002/b/persons".into();
            },
        ];
        for change in variants {
            let mut e = entry();
            change(&mut e);
            assert_ne!(e.compute_hash(), base);
        }
    }

    #[test]
    fn usage_records_are_part_of_the_hash() {
        let mut e = entry();
        let base = e.compute_hash();
        e.usage.push(StoredUsage {
            id: Uuid::nil(),
            national_id: "12345678903".into(),
            consumer_org: Uuid::nil(),
            consumer_name: "Tax".into(),
            client: "c".into(),
            eservice_id: Uuid::nil(),
            eservice_title: "Persons".into(),
            purpose_id: Uuid::nil(),
            purpose_title: "Check".into(),
            legal_basis: "Law 1".into(),
            data_items: vec!["name".into()],
            embargo_until: None,
        });
        let with = e.compute_hash();
        assert_ne!(with, base);
        e.usage[0].embargo_until = Some(Timestamp::now());
        assert_ne!(e.compute_hash(), with);
    }
}
