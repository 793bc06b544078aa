//! Persistence of evidence requests (`exchange_evidence_requests`). Every step is one guarded
//! `UPDATE` (`WHERE status = 'pending' AND …`), so two browsers or two consumer calls racing
//! each other cannot both win: deciding, claiming the release.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use super::model::{EvidenceRequest, EvidenceStatus};

const SELECT: &str = "SELECT id, created_at, expires_at, status, national_id, service_path, service, eservice_id, \
     eservice_title, provider_name, agreement_id, purpose_id, purpose_title, legal_basis, consumer_org, consumer_name, \
     client, subsystem_title, requester_title, reason, return_url, snapshot_digest, decided_at, release_until, \
     released_at FROM exchange_evidence_requests";

macro_rules! request_from {
    ($r:expr) => {{
        let r = $r;
        let status: String = r.try_get(3)?;
        EvidenceRequest {
            id: r.try_get(0)?,
            created_at: r.try_get(1)?,
            expires_at: r.try_get(2)?,
            status: EvidenceStatus::parse(&status).unwrap_or(EvidenceStatus::Expired),
            national_id: r.try_get(4)?,
            service_path: r.try_get(5)?,
            service: r.try_get(6)?,
            eservice_id: r.try_get(7)?,
            eservice_title: r.try_get(8)?,
            provider_name: r.try_get(9)?,
            agreement_id: r.try_get(10)?,
            purpose_id: r.try_get(11)?,
            purpose_title: r.try_get(12)?,
            legal_basis: r.try_get(13)?,
            consumer_org: r.try_get(14)?,
            consumer_name: r.try_get(15)?,
            client: r.try_get(16)?,
            subsystem_title: r.try_get(17)?,
            requester_title: r.try_get(18)?,
            reason: r.try_get(19)?,
            return_url: r.try_get(20)?,
            snapshot_digest: r.try_get(21)?,
            decided_at: r.try_get(22)?,
            release_until: r.try_get(23)?,
            released_at: r.try_get(24)?,
        }
    }};
}

/// Store a new pending request.
pub async fn insert(tx: &mut Tx, r: &EvidenceRequest) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_evidence_requests (id, created_at, expires_at, status, national_id, service_path, service,
            eservice_id, eservice_title, provider_name, agreement_id, purpose_id, purpose_title, legal_basis,
            consumer_org, consumer_name, client, subsystem_title, requester_title, reason, return_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
        .bind(r.id).bind(r.created_at).bind(r.expires_at).bind(r.status.as_str()).bind(&r.national_id)
        .bind(&r.service_path).bind(&r.service).bind(r.eservice_id).bind(&r.eservice_title).bind(&r.provider_name)
        .bind(r.agreement_id).bind(r.purpose_id).bind(&r.purpose_title).bind(&r.legal_basis).bind(r.consumer_org)
        .bind(&r.consumer_name).bind(&r.client).bind(&r.subsystem_title).bind(&r.requester_title).bind(&r.reason)
        .bind(&r.return_url)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<EvidenceRequest>> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(request_from!(&r)),
        None => None,
    }))
}

/// Keep the sealed data just previewed (replacing an earlier preview) while still pending.
pub async fn save_snapshot(db: &Db, id: Uuid, sealed: &[u8], digest: &str, now: Timestamp) -> Result<bool> {
    let changed = on_db!(db, pool => sqlx::query(
        "UPDATE exchange_evidence_requests SET snapshot = $1, snapshot_digest = $2, previewed_at = $3
         WHERE id = $4 AND status = 'pending' AND expires_at > $3")
        .bind(sealed).bind(digest).bind(now).bind(id)
        .execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// The sealed snapshot, if one is kept.
pub async fn snapshot(db: &Db, id: Uuid) -> Result<Option<Vec<u8>>> {
    let found: Option<Option<Vec<u8>>> = on_db!(db, pool => sqlx::query_scalar(
        "SELECT snapshot FROM exchange_evidence_requests WHERE id = $1")
        .bind(id).fetch_optional(pool).await?);
    Ok(found.flatten())
}

/// Approve a pending request whose preview has `digest`: the snapshot is kept for release.
pub async fn approve(tx: &mut Tx, id: Uuid, digest: &str, now: Timestamp, release_until: Timestamp) -> Result<bool> {
    let changed = on_tx!(tx, c => sqlx::query(
        "UPDATE exchange_evidence_requests SET status = 'approved', decided_at = $1, release_until = $2
         WHERE id = $3 AND status = 'pending' AND expires_at > $1 AND snapshot IS NOT NULL AND snapshot_digest = $4")
        .bind(now).bind(release_until).bind(id).bind(digest)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Refuse a pending request: whatever was previewed is deleted.
pub async fn refuse(tx: &mut Tx, id: Uuid, now: Timestamp) -> Result<bool> {
    let changed = on_tx!(tx, c => sqlx::query(
        "UPDATE exchange_evidence_requests SET status = 'refused', decided_at = $1, snapshot = NULL,
            snapshot_digest = NULL
         WHERE id = $2 AND status = 'pending' AND expires_at > $1")
        .bind(now).bind(id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Claim the one release of an approved request: the sealed snapshot, or `None` when it was
/// released already, or is past its release deadline.
pub async fn claim_release(db: &Db, id: Uuid, now: Timestamp) -> Result<Option<Vec<u8>>> {
    let found: Option<Option<Vec<u8>>> = on_db!(db, pool => sqlx::query_scalar(
        "UPDATE exchange_evidence_requests SET released_at = $1
         WHERE id = $2 AND status = 'approved' AND released_at IS NULL AND release_until > $1
           AND snapshot IS NOT NULL
         RETURNING snapshot")
        .bind(now).bind(id).fetch_optional(pool).await?);
    Ok(found.flatten())
}

/// The release is in the message log: the data is deleted.
pub async fn released(db: &Db, id: Uuid, log_seq: i64) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "UPDATE exchange_evidence_requests SET snapshot = NULL, snapshot_digest = NULL, log_seq = $1 WHERE id = $2")
        .bind(log_seq).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The release could not be logged, so it did not happen: the consumer may try again.
pub async fn unclaim(db: &Db, id: Uuid) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "UPDATE exchange_evidence_requests SET released_at = NULL WHERE id = $1 AND log_seq IS NULL")
        .bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Expire what is past its deadline and delete the data it held; delete the data of releases
/// interrupted before `stale` (their claim never completed); forget requests that expired
/// before `forget_before`. Returns the number of rows touched.
pub async fn purge(db: &Db, now: Timestamp, stale: Timestamp, forget_before: Timestamp) -> Result<u64> {
    let mut tx = db.begin().await?;
    let mut touched = 0;
    for (sql, at) in [
        (
            "UPDATE exchange_evidence_requests SET status = 'expired', snapshot = NULL, snapshot_digest = NULL
             WHERE status = 'pending' AND expires_at <= $1",
            now,
        ),
        (
            "UPDATE exchange_evidence_requests SET status = 'expired', snapshot = NULL, snapshot_digest = NULL
             WHERE status = 'approved' AND released_at IS NULL AND release_until <= $1",
            now,
        ),
        (
            "UPDATE exchange_evidence_requests SET snapshot = NULL, snapshot_digest = NULL
             WHERE released_at IS NOT NULL AND released_at <= $1 AND snapshot IS NOT NULL",
            stale,
        ),
        ("DELETE FROM exchange_evidence_requests WHERE expires_at <= $1", forget_before),
    ] {
        touched += on_tx!(&mut tx, c => sqlx::query(sql).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(touched)
}

/// Expire one request now (its deadline passed) and delete its data.
pub async fn expire(db: &Db, id: Uuid, now: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "UPDATE exchange_evidence_requests SET status = 'expired', snapshot = NULL, snapshot_digest = NULL
         WHERE id = $1 AND ((status = 'pending' AND expires_at <= $2)
            OR (status = 'approved' AND released_at IS NULL AND release_until <= $2))")
        .bind(id).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}
