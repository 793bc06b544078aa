//! Proofing's tables: the exchange consumer configuration (one row), the attempts (for the
//! limits) and each account's verified identity. SQL for SQLite and PostgreSQL alike.

use publica_kernel::db::{Db, Timestamp, Tx, unique_violation};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use crate::domain::{Ial, VerifiedIdentity};

/// How the identity provider reads the register through the exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupRow {
    /// The organisation operating the identity provider.
    pub org_id: Uuid,
    pub subsystem_id: Uuid,
    /// The subsystem's X-Road identifier: the `X-Road-Client` header.
    pub client_header: String,
    pub client_id: Uuid,
    pub key_id: String,
    /// The client's ES256 private key (PKCS#8), sealed under the master key.
    pub key_sealed: Vec<u8>,
    pub eservice_id: Uuid,
    /// The e-service's X-Road identifier, `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
    pub service: String,
    pub agreement_id: Option<Uuid>,
    pub purpose_id: Option<Uuid>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const SETUP_COLUMNS: &str = "org_id, subsystem_id, client_header, client_id, key_id, key_sealed, eservice_id, service, \
     agreement_id, purpose_id, created_at, updated_at";

pub async fn setup(db: &Db) -> Result<Option<SetupRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {SETUP_COLUMNS} FROM identity_proofing_setup WHERE id = 1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).fetch_optional(pool).await? {
        Some(r) => Some(SetupRow {
            org_id: r.try_get(0)?,
            subsystem_id: r.try_get(1)?,
            client_header: r.try_get(2)?,
            client_id: r.try_get(3)?,
            key_id: r.try_get(4)?,
            key_sealed: r.try_get(5)?,
            eservice_id: r.try_get(6)?,
            service: r.try_get(7)?,
            agreement_id: r.try_get(8)?,
            purpose_id: r.try_get(9)?,
            created_at: r.try_get(10)?,
            updated_at: r.try_get(11)?,
        }),
        None => None,
    }))
}

pub async fn save_setup(tx: &mut Tx, row: &SetupRow) -> Result<()> {
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO identity_proofing_setup (id, {SETUP_COLUMNS})
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (id) DO UPDATE SET org_id = $1, subsystem_id = $2, client_header = $3, client_id = $4,
             key_id = $5, key_sealed = $6, eservice_id = $7, service = $8, agreement_id = $9, purpose_id = $10,
             updated_at = $12"
    ));
    on_tx!(tx, c => sqlx::query(sql)
        .bind(row.org_id).bind(row.subsystem_id).bind(&row.client_header).bind(row.client_id).bind(&row.key_id)
        .bind(&row.key_sealed).bind(row.eservice_id).bind(&row.service).bind(row.agreement_id).bind(row.purpose_id)
        .bind(row.created_at).bind(row.updated_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under way (counts as a wrong answer until it ends, so concurrent tries cannot exceed the limit).
    Pending,
    Passed,
    /// A fact did not match, or no such person.
    Mismatch,
    /// Deceased or emigrated.
    NotAlive,
    /// The person's identity is linked to another account.
    AlreadyLinked,
    /// The account is verified as another person already.
    OtherIdentity,
    /// The register could not be consulted.
    Unavailable,
    /// Refused before consulting the register: too many wrong answers.
    Throttled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Passed => "passed",
            Outcome::Mismatch => "mismatch",
            Outcome::NotAlive => "not-alive",
            Outcome::AlreadyLinked => "already-linked",
            Outcome::OtherIdentity => "other-identity",
            Outcome::Unavailable => "unavailable",
            Outcome::Throttled => "throttled",
        }
    }
}

/// The outcomes that count against the limits: wrong answers, and attempts under way.
const COUNTED: &str = "('pending', 'mismatch', 'not-alive', 'already-linked')";

/// Record an attempt under way, committed at once so that concurrent attempts see it.
pub async fn start_attempt(db: &Db, id: Uuid, account_id: Uuid, subject_hash: &[u8], at: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "INSERT INTO identity_proofing_attempts (id, account_id, subject_hash, at, outcome) VALUES ($1, $2, $3, $4, $5)")
        .bind(id).bind(account_id).bind(subject_hash).bind(at).bind(Outcome::Pending.as_str())
        .execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// When the counted attempts since `since` of an account (or of a national id, by its hash),
/// other than `except`, were made, oldest first.
pub async fn counted_attempts(
    db: &Db,
    account_id: Option<Uuid>,
    subject_hash: Option<&[u8]>,
    since: Timestamp,
    except: Uuid,
) -> Result<Vec<Timestamp>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT at FROM identity_proofing_attempts
         WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR subject_hash = $2)
           AND at > $3 AND id <> $4 AND outcome IN {COUNTED} ORDER BY at"
    ));
    Ok(on_db!(db, pool => sqlx::query_scalar(sql)
        .bind(account_id).bind(subject_hash).bind(since).bind(except).fetch_all(pool).await?))
}

pub async fn finish_attempt(tx: &mut Tx, id: Uuid, outcome: Outcome, request_id: Option<&str>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE identity_proofing_attempts SET outcome = $1, request_id = $2 WHERE id = $3")
        .bind(outcome.as_str()).bind(request_id).bind(id).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Forget attempts older than `before` (they no longer count; the activity log keeps its own).
pub async fn purge_attempts(db: &Db, before: Timestamp) -> Result<u64> {
    Ok(on_db!(db, pool => sqlx::query("DELETE FROM identity_proofing_attempts WHERE at < $1")
        .bind(before).execute(pool).await?.rows_affected()))
}

const VERIFIED_COLUMNS: &str = "national_id, given_name, family_name, birthdate, address, ial, verified_at";

macro_rules! verified_from {
    ($r:expr) => {{
        let r = $r;
        let address: Option<String> = r.try_get(4)?;
        let ial: String = r.try_get(5)?;
        VerifiedIdentity {
            national_id: r.try_get(0)?,
            given_name: r.try_get(1)?,
            family_name: r.try_get(2)?,
            birthdate: r.try_get(3)?,
            address: address.as_deref().map(serde_json::from_str).transpose().map_err(Error::internal)?,
            ial: Ial::parse(&ial)
                .ok_or_else(|| Error::internal(format!("identity_verified: unknown level `{ial}`")))?,
            verified_at: r.try_get(6)?,
        }
    }};
}

pub async fn verified(db: &Db, account_id: Uuid) -> Result<Option<VerifiedIdentity>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {VERIFIED_COLUMNS} FROM identity_verified WHERE account_id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(account_id).fetch_optional(pool).await? {
        Some(r) => Some(verified_from!(&r)),
        None => None,
    }))
}

/// The account a national id is linked to, if any.
pub async fn account_of(tx: &mut Tx, national_id: &str) -> Result<Option<Uuid>> {
    Ok(on_tx!(tx, c => sqlx::query_scalar("SELECT account_id FROM identity_verified WHERE national_id = $1")
        .bind(national_id).fetch_optional(c).await)?)
}

/// Link a proofed identity to an account (replacing an earlier proofing of the same person);
/// `Ok(false)` when the national id is linked to another account meanwhile.
pub async fn link(
    tx: &mut Tx,
    account_id: Uuid,
    identity: &VerifiedIdentity,
    attempt_id: Uuid,
    request_id: &str,
) -> Result<bool> {
    let address = identity.address.as_ref().map(|a| a.to_string());
    let written = on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_verified (account_id, national_id, given_name, family_name, birthdate, address, ial,
             verified_at, attempt_id, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (account_id) DO UPDATE SET national_id = $2, given_name = $3, family_name = $4, birthdate = $5,
             address = $6, ial = $7, verified_at = $8, attempt_id = $9, request_id = $10")
        .bind(account_id).bind(&identity.national_id).bind(&identity.given_name).bind(&identity.family_name)
        .bind(&identity.birthdate).bind(address).bind(identity.ial.as_str()).bind(identity.verified_at)
        .bind(attempt_id).bind(request_id)
        .execute(c).await.map(|_| ()));
    match written {
        Ok(()) => Ok(true),
        Err(e) if unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
