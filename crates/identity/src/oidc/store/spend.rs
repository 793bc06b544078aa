//! Code exchanges written by the group committer: each batch spends its codes with one
//! statement (`UPDATE … RETURNING` the codes), checks each against its request (client,
//! expiry, redirect URI, PKCE; a code that fails is left unspent), looks up the codes it did
//! not spend with one more, and records the access tokens with one more (a refresh token, for
//! the grants that have one, with a statement each). Each request learns what was found as soon
//! as its code is checked, signs its tokens (with the `jti` recorded) while the transaction
//! commits, and answers once it has. A request therefore makes no database round trip of its
//! own.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use publica_kernel::crypto::{b64url, sha256};
use publica_kernel::db::{BatchWriter, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::on_tx;
use uuid::Uuid;

use super::flow::Code;
use super::tokens::{Access, NewRefresh, insert_access_rows, insert_refresh};
use super::{Grant, from_json};

/// A code exchange for the committer: the code and what the request says of it, and what to
/// record when it is good.
pub struct Exchange {
    pub code_hash: Vec<u8>,
    pub client_id: String,
    pub redirect_uri: String,
    pub verifier: Option<String>,
    pub now: Timestamp,
    /// The access token's `jti`, chosen before.
    pub jti: String,
    pub access_seconds: i64,
    /// The hash of the refresh token to record, and until when, when the client may have one
    /// (it is recorded only if the grant has `offline_access`).
    pub refresh: Option<(Vec<u8>, Timestamp)>,
}

/// An exchange waiting for the committer, and where it tells what it found, before the commit.
pub(super) struct Queued {
    exchange: Exchange,
    found: Mutex<Option<oneshot::Sender<Outcome>>>,
}

impl Queued {
    pub(super) fn new(exchange: Exchange) -> (Queued, oneshot::Receiver<Outcome>) {
        let (found, outcome) = oneshot::channel();
        (Queued { exchange, found: Mutex::new(Some(found)) }, outcome)
    }

    fn answer(&self, outcome: Outcome) {
        if let Some(found) = self.found.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = found.send(outcome);
        }
    }
}

/// What the committer found: the code spent now by this exchange, or why not.
pub type Outcome = std::result::Result<Spent, NotSpent>;

/// A code spent by its exchange, with its access token (and refresh token, when
/// `with_refresh`) recorded.
#[derive(Debug)]
pub struct Spent {
    pub code: Box<Code>,
    pub with_refresh: bool,
}

/// Why an exchange spent nothing.
#[derive(Debug)]
pub enum NotSpent {
    /// Unknown (or expired and purged).
    Unknown,
    /// Spent before (or by another exchange in the same batch): the grant to revoke.
    Replayed { grant_id: Uuid, client_id: String },
    /// Not spent: the request does not match the code (`invalid_grant`, this description).
    Refused(&'static str),
}

/// The checks of RFC 6749 §4.1.3 and RFC 7636 §4.6 of a code against its exchange.
fn check(code: &Code, x: &Exchange) -> std::result::Result<(), &'static str> {
    if code.client_id != x.client_id {
        return Err("the code was issued to another client");
    }
    if code.expires_at <= x.now {
        return Err("the code has expired");
    }
    if code.redirect_uri != x.redirect_uri {
        return Err("redirect_uri differs from the authorization request's");
    }
    match (&code.code_challenge, &x.verifier) {
        (Some(challenge), Some(verifier)) => {
            let ok = (43..=128).contains(&verifier.len())
                && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !ok || b64url(&sha256(verifier.as_bytes())) != *challenge {
                return Err("the code_verifier does not match the code_challenge");
            }
            Ok(())
        }
        (Some(_), None) => Err("the code was issued with PKCE: send code_verifier"),
        (None, Some(_)) => Err("the authorization request had no code_challenge"),
        (None, None) => Ok(()),
    }
}

type SpentRow = (Vec<u8>, Uuid, String, Uuid, String, Option<String>, String, Timestamp);

pub(super) struct ExchangeWriter;

#[async_trait::async_trait]
impl BatchWriter<Queued> for ExchangeWriter {
    async fn write(&self, tx: &mut Tx, items: &[Queued]) -> Result<()> {
        let now = Timestamp::now();
        let sql = format!(
            "UPDATE identity_oidc_codes SET used_at = {} WHERE used_at IS NULL AND code_hash IN ({})
             RETURNING code_hash, grant_id, client_id, account_id, redirect_uri, code_challenge, grant_details, expires_at",
            tx.placeholders(1, 1),
            tx.placeholders(2, items.len())
        );
        let rows: Vec<SpentRow> = on_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(now);
            for item in items {
                q = q.bind(&item.exchange.code_hash);
            }
            q.fetch_all(c).await
        })?;
        let mut spent: HashMap<Vec<u8>, Code> = HashMap::with_capacity(rows.len());
        for (hash, grant_id, client_id, account_id, redirect_uri, code_challenge, grant, expires_at) in rows {
            let grant: Grant = from_json(&grant)?;
            spent.insert(
                hash,
                Code { grant_id, client_id, account_id, redirect_uri, code_challenge, grant, expires_at },
            );
        }
        let mut unspend: Vec<&[u8]> = Vec::new();
        let mut missing: Vec<&Queued> = Vec::new();
        let mut access: Vec<Access> = Vec::new();
        let mut refresh: Vec<NewRefresh> = Vec::new();
        // Codes met earlier in this batch: the grant and client when that exchange spent it.
        let mut seen: HashMap<&[u8], Option<(Uuid, String)>> = HashMap::new();
        for queued in items {
            let item = &queued.exchange;
            if let Some(earlier) = seen.get(item.code_hash.as_slice()) {
                queued.answer(Err(match earlier {
                    Some((grant_id, client_id)) => {
                        NotSpent::Replayed { grant_id: *grant_id, client_id: client_id.clone() }
                    }
                    None => NotSpent::Refused("the code is being exchanged by another request"),
                }));
                continue;
            }
            let Some(code) = spent.remove(&item.code_hash) else {
                missing.push(queued);
                continue;
            };
            if let Err(why) = check(&code, item) {
                unspend.push(&item.code_hash);
                seen.insert(&item.code_hash, None);
                queued.answer(Err(NotSpent::Refused(why)));
                continue;
            }
            seen.insert(&item.code_hash, Some((code.grant_id, code.client_id.clone())));
            access.push(Access::of_grant(
                item.jti.clone(),
                code.grant_id,
                code.client_id.clone(),
                code.account_id,
                &code.grant,
                item.now,
                item.access_seconds,
            ));
            let with_refresh = match &item.refresh {
                Some((hash, expires_at)) if code.grant.has_scope("offline_access") => {
                    refresh.push(NewRefresh {
                        hash: hash.clone(),
                        grant_id: code.grant_id,
                        client_id: code.client_id.clone(),
                        account_id: code.account_id,
                        grant: code.grant.clone(),
                        created_at: item.now,
                        expires_at: *expires_at,
                    });
                    true
                }
                _ => false,
            };
            queued.answer(Ok(Spent { code: Box::new(code), with_refresh }));
        }
        if !unspend.is_empty() {
            let sql = format!(
                "UPDATE identity_oidc_codes SET used_at = NULL WHERE code_hash IN ({})",
                tx.placeholders(1, unspend.len())
            );
            on_tx!(tx, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for hash in &unspend {
                    q = q.bind(*hash);
                }
                q.execute(c).await.map(|_| ())
            })?;
        }
        if !missing.is_empty() {
            // Spent before, or unknown: one query for all of them, since the batch waits on it.
            let sql = format!(
                "SELECT code_hash, grant_id, client_id FROM identity_oidc_codes WHERE code_hash IN ({})",
                tx.placeholders(1, missing.len())
            );
            let found: Vec<(Vec<u8>, Uuid, String)> = on_tx!(tx, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for item in &missing {
                    q = q.bind(&item.exchange.code_hash);
                }
                q.fetch_all(c).await
            })?;
            let found: HashMap<Vec<u8>, (Uuid, String)> = found.into_iter().map(|(h, g, c)| (h, (g, c))).collect();
            for item in missing {
                item.answer(Err(match found.get(&item.exchange.code_hash) {
                    Some((grant_id, client_id)) => {
                        NotSpent::Replayed { grant_id: *grant_id, client_id: client_id.clone() }
                    }
                    None => NotSpent::Unknown,
                }));
            }
        }
        insert_access_rows(tx, access.iter()).await?;
        for r in &refresh {
            insert_refresh(tx, r).await?;
        }
        Ok(())
    }
}
