//! Signing keys: generated per algorithm, rotated with an overlap period, private halves sealed
//! under the master key, public halves published as a JWKS.

use std::sync::{Arc, RwLock};

use sqlx::Row;

use crate::crypto::{self, Alg, MasterKey, PrivateKey};
use crate::db::{Db, Timestamp, Tx, unique_violation};
use crate::error::{Error, Result};
use crate::{on_db, on_tx};

/// What a key is for. Token-signing keys are published; the audit key signs the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Signing,
    Audit,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Signing => "signing",
            Purpose::Audit => "audit",
        }
    }
}

/// A key loaded and unsealed in memory.
pub struct LoadedKey {
    pub kid: String,
    pub alg: Alg,
    pub purpose: String,
    /// Public JWK (with `kid`, `alg`, `use`), derived from the private key, never read from storage.
    pub jwk: serde_json::Value,
    pub private: PrivateKey,
    pub created_at: Timestamp,
    pub retire_at: Option<Timestamp>,
}

impl LoadedKey {
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.private.sign(message).map_err(Error::internal)
    }
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        crypto::verify(&self.jwk, self.alg, message, signature)
    }
    fn published(&self, now: Timestamp) -> bool {
        self.purpose == Purpose::Signing.as_str() && self.retire_at.is_none_or(|t| t > now)
    }
}

/// Every key of this installation, including retired ones (old signatures stay verifiable).
pub struct Keyring {
    master: MasterKey,
    keys: RwLock<Vec<Arc<LoadedKey>>>,
}

impl Keyring {
    /// Load all keys, creating any missing active key (one per signing algorithm, one for audit).
    pub async fn open(db: &Db, master: MasterKey) -> Result<Keyring> {
        let ring = Keyring { master, keys: RwLock::new(Vec::new()) };
        ring.reload(db).await?;
        let mut wanted: Vec<(Purpose, Alg)> = Alg::ALL.iter().map(|a| (Purpose::Signing, *a)).collect();
        wanted.push((Purpose::Audit, Alg::EdDSA));
        let mut created = false;
        for (purpose, alg) in wanted {
            if ring.active(purpose, alg).is_none() {
                let mut tx = db.begin().await?;
                match ring.insert_new(&mut tx, purpose, alg).await {
                    Ok(_) => tx.commit().await?,
                    // Another process created it first: use theirs.
                    Err(InsertError::Duplicate) => {}
                    Err(InsertError::Other(e)) => return Err(e),
                }
                created = true;
            }
        }
        if created {
            ring.reload(db).await?;
        }
        Ok(ring)
    }

    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// Re-read keys from the database (after a rotation by another process).
    pub async fn reload(&self, db: &Db) -> Result<()> {
        let rows = on_db!(db, pool => {
            sqlx::query("SELECT kid, alg, purpose, private_sealed, created_at, retire_at FROM kernel_keys ORDER BY created_at")
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?, r.try_get::<String, _>(2)?,
                    r.try_get::<Vec<u8>, _>(3)?, r.try_get::<Timestamp, _>(4)?, r.try_get::<Option<Timestamp>, _>(5)?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        let mut keys = Vec::with_capacity(rows.len());
        for (kid, alg, purpose, sealed, created_at, retire_at) in rows {
            let alg = Alg::parse(&alg).ok_or_else(|| Error::internal(format!("key {kid}: unknown algorithm {alg}")))?;
            let der = self.master.decrypt(kid.as_bytes(), &sealed).map_err(|e| {
                Error::internal(format!(
                    "key {kid}: {e}; is PUBLICA_MASTER_KEY the one this database was created with?"
                ))
            })?;
            let private = PrivateKey::from_pkcs8(alg, &der).map_err(Error::internal)?;
            let jwk = published_jwk(&private, &kid);
            keys.push(Arc::new(LoadedKey { kid, alg, purpose, jwk, private, created_at, retire_at }));
        }
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        Ok(())
    }

    fn all(&self) -> Vec<Arc<LoadedKey>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key currently used to sign for `purpose` with `alg`.
    pub fn active(&self, purpose: Purpose, alg: Alg) -> Option<Arc<LoadedKey>> {
        self.all().into_iter().rev().find(|k| k.purpose == purpose.as_str() && k.alg == alg && k.retire_at.is_none())
    }

    pub fn by_kid(&self, kid: &str) -> Option<Arc<LoadedKey>> {
        self.all().into_iter().find(|k| k.kid == kid)
    }

    /// Every key, newest last, for `publica keys list`.
    pub fn list(&self) -> Vec<Arc<LoadedKey>> {
        self.all()
    }

    /// The JSON Web Key Set: active signing keys and those still in their overlap period.
    pub fn jwks(&self) -> serde_json::Value {
        let now = Timestamp::now();
        let keys: Vec<_> = self.all().iter().filter(|k| k.published(now)).map(|k| k.jwk.clone()).collect();
        serde_json::json!({ "keys": keys })
    }

    /// Replace the active key for `alg`: the old one stays published for `overlap` then retires.
    /// Returns the new key id. The caller audits and commits.
    pub async fn rotate(&self, tx: &mut Tx, purpose: Purpose, alg: Alg, overlap: time::Duration) -> Result<String> {
        let retire_at = Timestamp::now().plus(overlap);
        on_tx!(tx, c => sqlx::query("UPDATE kernel_keys SET retire_at = $1 WHERE purpose = $2 AND alg = $3 AND retire_at IS NULL")
            .bind(retire_at).bind(purpose.as_str()).bind(alg.as_str()).execute(c).await.map(|_| ()))?;
        match self.insert_new(tx, purpose, alg).await {
            Ok(kid) => Ok(kid),
            Err(InsertError::Duplicate) => Err(Error::Conflict("another rotation is in progress; try again".into())),
            Err(InsertError::Other(e)) => Err(e),
        }
    }

    async fn insert_new(&self, tx: &mut Tx, purpose: Purpose, alg: Alg) -> std::result::Result<String, InsertError> {
        let private = PrivateKey::generate(alg).map_err(|e| InsertError::Other(Error::internal(e)))?;
        let kid = crypto::jwk_thumbprint(&private.public_jwk());
        let der = private.to_pkcs8().map_err(|e| InsertError::Other(Error::internal(e)))?;
        let sealed = self.master.encrypt(kid.as_bytes(), &der);
        let jwk = published_jwk(&private, &kid).to_string();
        let result = on_tx!(tx, c => sqlx::query(
            "INSERT INTO kernel_keys (kid, alg, purpose, public_jwk, private_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&kid).bind(alg.as_str()).bind(purpose.as_str()).bind(jwk).bind(sealed).bind(Timestamp::now())
            .execute(c).await.map(|_| ()));
        match result {
            Ok(()) => Ok(kid),
            Err(e) if unique_violation(&e) => Err(InsertError::Duplicate),
            Err(e) => Err(InsertError::Other(e.into())),
        }
    }
}

enum InsertError {
    Duplicate,
    Other(Error),
}

fn published_jwk(private: &PrivateKey, kid: &str) -> serde_json::Value {
    let mut jwk = private.public_jwk();
    if let Some(obj) = jwk.as_object_mut() {
        obj.insert("kid".into(), kid.into());
        obj.insert("alg".into(), private.alg().as_str().into());
        obj.insert("use".into(), "sig".into());
    }
    jwk
}
