//! API keys whose secret the server reads back, for APIs that authenticate with a signature
//! made with a shared secret (GOV.UK Notify's HS256 tokens) rather than a bearer token. They are
//! ordinary kernel API keys (listed, revoked and audited like the others) whose secret is
//! additionally sealed under the master key; `subject` narrows the key to something inside its
//! block (a Notify service) and `kind` is the block's type of key.

use uuid::Uuid;

use crate::Kernel;
use crate::audit::{Actor, Event};
use crate::crypto::sha256;
use crate::db::{Timestamp, unique_violation};
use crate::error::{Error, Result};
use crate::orgs::{ApiKey, KEY_COLUMNS, key_from};
use crate::{on_db, on_tx};

/// A sealed key with its secret opened.
#[derive(Clone, Debug)]
pub struct SealedApiKey {
    pub key: ApiKey,
    pub secret: Vec<u8>,
}

/// What a new sealed key is for.
pub struct SealedKeySpec<'a> {
    pub org_id: Uuid,
    pub block: &'a str,
    pub subject: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
}

impl Kernel {
    /// Store a key with a secret the caller generated (and shows once); only the sealed secret
    /// and its hash are kept.
    pub async fn insert_sealed_api_key(&self, actor: &Actor, spec: SealedKeySpec<'_>, secret: &str) -> Result<ApiKey> {
        let key = ApiKey {
            id: Uuid::now_v7(),
            org_id: spec.org_id,
            block: spec.block.into(),
            name: spec.name.into(),
            token_prefix: secret.chars().take(8).collect(),
            subject: Some(spec.subject.into()),
            kind: Some(spec.kind.into()),
            created_at: Timestamp::now(),
            revoked_at: None,
            last_used_at: None,
        };
        let sealed = self.keys().master().encrypt(&aad(key.id), secret.as_bytes());
        let mut tx = self.db().begin().await?;
        let inserted = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO kernel_api_keys (id, org_id, block, name, token_hash, token_prefix, created_by, created_at, subject, kind, secret_sealed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(key.id).bind(spec.org_id).bind(spec.block).bind(&key.name).bind(sha256(secret.as_bytes()).to_vec())
            .bind(&key.token_prefix).bind(&actor.0).bind(key.created_at).bind(spec.subject).bind(spec.kind).bind(&sealed)
            .execute(c).await.map(|_| ()));
        match inserted {
            Err(e) if unique_violation(&e) => return Err(Error::Conflict("this API key exists already".into())),
            other => other?,
        }
        self.audit(
            &mut tx,
            Event::new(actor, &format!("{}.api_key.created", spec.block), "api_key", key.id).org(spec.org_id).details(
                serde_json::json!({ "name": key.name, "subject": spec.subject, "kind": spec.kind, "prefix": key.token_prefix }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    /// Every key of `block` for `subject`, revoked ones included (so a caller can say "revoked"
    /// rather than "not found"), with secrets opened.
    pub async fn sealed_api_keys(&self, block: &str, subject: &str) -> Result<Vec<SealedApiKey>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS}, secret_sealed FROM kernel_api_keys
             WHERE block = $1 AND subject = $2 AND secret_sealed IS NOT NULL ORDER BY created_at"
        ));
        let rows: Vec<(ApiKey, Vec<u8>)> = on_db!(self.db(), pool => sqlx::query(sql).bind(block).bind(subject)
            .fetch_all(pool).await?.iter()
            .map(|r| { use sqlx::Row; Ok((key_from!(r), r.try_get::<Vec<u8>, _>(10)?)) })
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?);
        rows.into_iter()
            .map(|(key, sealed)| {
                let secret = self.keys().master().decrypt(&aad(key.id), &sealed).map_err(|_| {
                    Error::internal(format!("API key {} cannot be opened with this master key", key.id))
                })?;
                Ok(SealedApiKey { key, secret })
            })
            .collect()
    }
}

fn aad(id: Uuid) -> Vec<u8> {
    [b"publica-api-key-v1:".as_slice(), id.as_bytes()].concat()
}
