//! The audit log: append-only, each entry hash-chained to the one before, with a head and
//! periodic checkpoints signed by the platform's audit key. `verify` finds any modification,
//! deletion, insertion, reordering or truncation and names the first bad entry.

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use crate::crypto::{Alg, sha256};
use crate::db::{Db, Timestamp, Tx};
use crate::error::{Error, Result};
use crate::keys::{Keyring, Purpose};
use crate::{on_db, on_tx};

/// A signed checkpoint is kept every this many entries.
pub const CHECKPOINT_EVERY: i64 = 100;

tokio::task_local! {
    /// The id of the HTTP request being served, set by the web layer, read by the audit log.
    pub static REQUEST_ID: axum::http::HeaderValue;
}

/// Who did something: rendered as `member:<id>`, `api-key:<id>`, `operator:cli`, `system:<what>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn member(id: Uuid) -> Self {
        Actor(format!("member:{id}"))
    }
    pub fn api_key(id: Uuid) -> Self {
        Actor(format!("api-key:{id}"))
    }
    pub fn operator() -> Self {
        Actor("operator:cli".into())
    }
    pub fn system(what: &str) -> Self {
        Actor(format!("system:{what}"))
    }
}

/// One thing to record: who did what to which object.
#[derive(Clone, Debug)]
pub struct Event {
    pub actor: Actor,
    /// Dotted, block first: `kernel.member.added`, `notify.template.updated`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub org_id: Option<Uuid>,
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(actor: &Actor, action: &str, object_type: &str, object_id: impl ToString) -> Self {
        Event {
            actor: actor.clone(),
            action: action.into(),
            object_type: object_type.into(),
            object_id: object_id.to_string(),
            org_id: None,
            details: serde_json::Value::Null,
        }
    }
    pub fn org(mut self, org_id: Uuid) -> Self {
        self.org_id = Some(org_id);
        self
    }
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// An entry as stored.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub org_id: Option<Uuid>,
    pub request_id: Option<String>,
    /// Canonical JSON text of the details.
    pub details: String,
    #[serde(skip)]
    pub prev_hash: Vec<u8>,
    #[serde(skip)]
    pub hash: Vec<u8>,
}

impl Entry {
    /// SHA-256 over the previous hash and the canonical JSON of every recorded field.
    fn compute_hash(&self) -> [u8; 32] {
        let body = serde_json::json!({
            "seq": self.seq,
            "at": self.at.to_fixed(),
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "org_id": self.org_id.map(|u| u.to_string()),
            "request_id": self.request_id,
            "details": self.details,
        });
        let mut data = self.prev_hash.clone();
        data.extend_from_slice(body.to_string().as_bytes());
        sha256(&data)
    }
}

fn signed_message(label: &str, seq: i64, hash: &[u8]) -> Vec<u8> {
    let mut message = format!("publica-audit-{label}-v1\n").into_bytes();
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(hash);
    message
}

/// Record `event` inside the caller's transaction, so the change and its audit entry commit
/// together. Writers are serialised on the head row.
pub async fn append(tx: &mut Tx, keys: &Keyring, event: Event) -> Result<i64> {
    let key = keys.active(Purpose::Audit, Alg::EdDSA).ok_or_else(|| Error::internal("no audit key"))?;
    let head_sql = match tx {
        Tx::Sqlite(_) => "SELECT seq, hash FROM kernel_audit_head WHERE id = 1",
        Tx::Postgres(_) => "SELECT seq, hash FROM kernel_audit_head WHERE id = 1 FOR UPDATE",
    };
    let (seq, prev_hash): (i64, Vec<u8>) = on_tx!(tx, c => sqlx::query_as(head_sql).fetch_one(c).await)?;
    let entry = Entry {
        seq: seq + 1,
        at: Timestamp::now(),
        actor: event.actor.0,
        action: event.action,
        object_type: event.object_type,
        object_id: event.object_id,
        org_id: event.org_id,
        request_id: REQUEST_ID.try_with(|id| id.to_str().ok().map(str::to_string)).ok().flatten(),
        details: event.details.to_string(),
        prev_hash,
        hash: Vec::new(),
    };
    let hash = entry.compute_hash().to_vec();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO kernel_audit (seq, at, actor, action, object_type, object_id, org_id, request_id, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(entry.seq).bind(entry.at).bind(&entry.actor).bind(&entry.action).bind(&entry.object_type)
        .bind(&entry.object_id).bind(entry.org_id).bind(&entry.request_id).bind(&entry.details)
        .bind(&entry.prev_hash).bind(&hash)
        .execute(c).await.map(|_| ()))?;
    let head_sig = key.sign(&signed_message("head", entry.seq, &hash))?;
    on_tx!(tx, c => sqlx::query("UPDATE kernel_audit_head SET seq = $1, hash = $2, kid = $3, signature = $4 WHERE id = 1")
        .bind(entry.seq).bind(&hash).bind(&key.kid).bind(head_sig).execute(c).await.map(|_| ()))?;
    if entry.seq % CHECKPOINT_EVERY == 0 {
        let sig = key.sign(&signed_message("checkpoint", entry.seq, &hash))?;
        on_tx!(tx, c => sqlx::query("INSERT INTO kernel_audit_checkpoints (seq, hash, kid, signature, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(entry.seq).bind(&hash).bind(&key.kid).bind(sig).bind(entry.at).execute(c).await.map(|_| ()))?;
    }
    Ok(entry.seq)
}

const ENTRY_COLUMNS: &str =
    "seq, at, actor, action, object_type, object_id, org_id, request_id, details, prev_hash, hash";

fn entry_from<R: Row>(row: &R) -> std::result::Result<Entry, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Timestamp: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Uuid>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(Entry {
        seq: row.try_get(0)?,
        at: row.try_get(1)?,
        actor: row.try_get(2)?,
        action: row.try_get(3)?,
        object_type: row.try_get(4)?,
        object_id: row.try_get(5)?,
        org_id: row.try_get(6)?,
        request_id: row.try_get(7)?,
        details: row.try_get(8)?,
        prev_hash: row.try_get(9)?,
        hash: row.try_get(10)?,
    })
}

/// The newest entries (optionally of one organisation), newest first, before `before_seq`.
pub async fn list(db: &Db, org_id: Option<Uuid>, before_seq: Option<i64>, limit: i64) -> Result<Vec<Entry>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM kernel_audit WHERE ($1 IS NULL OR org_id = $1) AND seq < $2 ORDER BY seq DESC LIMIT $3"
    ));
    let before = before_seq.unwrap_or(i64::MAX);
    Ok(on_db!(db, pool => {
        sqlx::query(sql).bind(org_id).bind(before).bind(limit).fetch_all(pool).await?
            .iter().map(entry_from).collect::<std::result::Result<Vec<_>, _>>()?
    }))
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: i64,
    pub checkpoints: i64,
}

/// The first problem `verify` found, naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log entry {seq}: {problem}")]
pub struct Tampered {
    pub seq: i64,
    pub problem: String,
}

/// Walk the whole log and check every link, checkpoint and the signed head.
pub async fn verify(db: &Db, keys: &Keyring) -> Result<std::result::Result<Verified, Tampered>> {
    let bad = |seq: i64, problem: String| Ok(Err(Tampered { seq, problem }));
    let checkpoints: Vec<(i64, Vec<u8>, String, Vec<u8>)> = on_db!(db, pool =>
        sqlx::query_as("SELECT seq, hash, kid, signature FROM kernel_audit_checkpoints ORDER BY seq").fetch_all(pool).await)?;
    let (head_seq, head_hash, head_kid, head_sig): (i64, Vec<u8>, Option<String>, Option<Vec<u8>>) = on_db!(db, pool =>
        sqlx::query_as("SELECT seq, hash, kid, signature FROM kernel_audit_head WHERE id = 1").fetch_one(pool).await)?;

    let mut expected = 1i64;
    let mut prev = vec![0u8; 32];
    let mut next_checkpoint = checkpoints.iter().peekable();
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM kernel_audit WHERE seq >= $1 ORDER BY seq LIMIT 1000");
    loop {
        let batch: Vec<Entry> = on_db!(db, pool => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(expected).fetch_all(pool).await?
                .iter().map(entry_from).collect::<std::result::Result<Vec<_>, _>>()?
        });
        if batch.is_empty() {
            break;
        }
        for entry in batch {
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
            let hash = entry.compute_hash();
            if entry.hash != hash {
                return bad(entry.seq, "its content does not match its hash: it was modified".into());
            }
            if let Some((cseq, chash, kid, sig)) = next_checkpoint.peek()
                && *cseq == entry.seq
            {
                if chash != &entry.hash {
                    return bad(
                        entry.seq,
                        "differs from the signed checkpoint: the log was rewritten up to here".into(),
                    );
                }
                if !signature_ok(keys, kid, &signed_message("checkpoint", *cseq, chash), sig) {
                    return bad(entry.seq, "the checkpoint signature is invalid".into());
                }
                next_checkpoint.next();
            }
            prev = entry.hash;
            expected += 1;
        }
    }
    let last = expected - 1;
    if let Some((cseq, ..)) = next_checkpoint.next() {
        return bad(last + 1, format!("missing, but a checkpoint was signed at entry {cseq}: the log was truncated"));
    }
    if head_seq > last {
        return bad(last + 1, format!("missing: the signed head records {head_seq} entries; the log was truncated"));
    }
    if head_seq < last {
        return bad(head_seq + 1, "was added outside the audit log's writer (not covered by the signed head)".into());
    }
    if last > 0 {
        if head_hash != prev {
            return bad(last, "differs from the signed head: the log was rewritten".into());
        }
        let (Some(kid), Some(sig)) = (head_kid, head_sig) else {
            return bad(last, "the head carries no signature".into());
        };
        if !signature_ok(keys, &kid, &signed_message("head", head_seq, &head_hash), &sig) {
            return bad(last, "the head signature is invalid".into());
        }
    }
    Ok(Ok(Verified { entries: last, checkpoints: checkpoints.len() as i64 }))
}

fn signature_ok(keys: &Keyring, kid: &str, message: &[u8], signature: &[u8]) -> bool {
    keys.by_kid(kid).is_some_and(|k| k.purpose == Purpose::Audit.as_str() && k.verify(message, signature))
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::TestApp;

    /// Rewrite entry 5 and recompute every later hash and link, as an attacker with write
    /// access to the database (but not the audit key) would.
    async fn rewrite_chain(app: &TestApp) {
        let db = app.kernel.db();
        let mut entries = list(db, None, None, 10_000).await.expect("list");
        entries.reverse();
        let mut prev = vec![0u8; 32];
        for mut entry in entries {
            if entry.seq == 5 {
                entry.action = "kernel.nothing.happened".into();
            }
            entry.prev_hash = prev.clone();
            let hash = entry.compute_hash().to_vec();
            on_db!(db, pool => sqlx::query("UPDATE kernel_audit SET action = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
                .bind(&entry.action).bind(&entry.prev_hash).bind(&hash).bind(entry.seq).execute(pool).await.map(|_| ()))
            .expect("rewrite");
            prev = hash;
        }
    }

    async fn append_many(app: &TestApp, n: i64) {
        for i in 0..n {
            let mut tx = app.kernel.db().begin().await.expect("begin");
            app.kernel
                .audit(&mut tx, Event::new(&Actor::system("test"), "test.thing.done", "thing", i))
                .await
                .expect("append");
            tx.commit().await.expect("commit");
        }
    }

    #[tokio::test]
    async fn a_consistently_rewritten_chain_fails_the_signed_head() {
        for app in TestApp::each(&[]).await {
            append_many(&app, 20).await;
            rewrite_chain(&app).await;
            let found = verify(app.kernel.db(), app.kernel.keys()).await.expect("verify").expect_err("tampered");
            assert_eq!(found.seq, 20, "{}", app.backend);
            assert!(found.problem.contains("signed head"), "{found}");
        }
    }

    #[tokio::test]
    async fn a_consistently_rewritten_chain_fails_the_first_checkpoint_after_it() {
        for app in TestApp::each(&[]).await {
            append_many(&app, CHECKPOINT_EVERY + 5).await;
            rewrite_chain(&app).await;
            let found = verify(app.kernel.db(), app.kernel.keys()).await.expect("verify").expect_err("tampered");
            assert_eq!(found.seq, CHECKPOINT_EVERY, "{}", app.backend);
            assert!(found.problem.contains("checkpoint"), "{found}");
        }
    }
}
