//! Persistence of legal notifications: uploaded files, notifications and their recipients,
//! timeline elements, legal facts, registered addresses and event streams. The same SQL on
//! SQLite and PostgreSQL.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use super::status::{Element, LegalFactId};

/// A file announced by a preload, and its content once uploaded (sealed).
#[derive(Clone, Debug)]
pub struct FileRow {
    pub key: String,
    pub sender_id: Uuid,
    pub content_type: String,
    pub sha256: String,
    pub secret_hash: Vec<u8>,
    pub content: Option<Vec<u8>>,
    pub size: Option<i64>,
    pub version_token: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub uploaded_at: Option<Timestamp>,
}

pub async fn insert_file(tx: &mut Tx, f: &FileRow) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_send_files (key, sender_id, content_type, sha256, secret_hash, content, size, version_token,
            created_at, expires_at, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(&f.key).bind(f.sender_id).bind(&f.content_type).bind(&f.sha256).bind(&f.secret_hash).bind(&f.content)
        .bind(f.size).bind(&f.version_token).bind(f.created_at).bind(f.expires_at).bind(f.uploaded_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn file(db: &Db, key: &str) -> Result<Option<FileRow>> {
    Ok(on_db!(db, pool => match sqlx::query(
        "SELECT key, sender_id, content_type, sha256, secret_hash, content, size, version_token, created_at, expires_at, uploaded_at
         FROM notify_send_files WHERE key = $1").bind(key).fetch_optional(pool).await? {
        Some(r) => Some(FileRow {
            key: r.try_get(0)?, sender_id: r.try_get(1)?, content_type: r.try_get(2)?, sha256: r.try_get(3)?,
            secret_hash: r.try_get(4)?, content: r.try_get(5)?, size: r.try_get(6)?, version_token: r.try_get(7)?,
            created_at: r.try_get(8)?, expires_at: r.try_get(9)?, uploaded_at: r.try_get(10)?,
        }),
        None => None,
    }))
}

pub async fn set_upload(db: &Db, key: &str, sealed: &[u8], size: i64, version: &str, at: Timestamp) -> Result<()> {
    on_db!(db, pool => sqlx::query(
        "UPDATE notify_send_files SET content = $1, size = $2, version_token = $3, uploaded_at = $4 WHERE key = $5")
        .bind(sealed).bind(size).bind(version).bind(at).bind(key).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// A notification as stored.
#[derive(Clone, Debug)]
pub struct NotificationRow {
    pub iun: String,
    pub sender_id: Uuid,
    pub request_id: String,
    pub pa_protocol_number: String,
    pub idempotence_token: String,
    pub request: serde_json::Value,
    pub status: String,
    pub errors: Option<serde_json::Value>,
    pub cancel_requested: bool,
    pub cancelled_by_iun: Option<String>,
    pub sent_at: Timestamp,
    pub updated_at: Timestamp,
}

const NOTIFICATION_COLUMNS: &str = "iun, sender_id, request_id, pa_protocol_number, idempotence_token, request, status, \
    errors, cancel_requested, cancelled_by_iun, sent_at, updated_at";

macro_rules! notification_from {
    ($r:expr) => {{
        let r = $r;
        let request: String = r.try_get(5)?;
        let errors: Option<String> = r.try_get(7)?;
        NotificationRow {
            iun: r.try_get(0)?,
            sender_id: r.try_get(1)?,
            request_id: r.try_get(2)?,
            pa_protocol_number: r.try_get(3)?,
            idempotence_token: r.try_get(4)?,
            request: serde_json::from_str(&request).unwrap_or_default(),
            status: r.try_get(6)?,
            errors: errors.and_then(|e| serde_json::from_str(&e).ok()),
            cancel_requested: r.try_get(8)?,
            cancelled_by_iun: r.try_get(9)?,
            sent_at: r.try_get(10)?,
            updated_at: r.try_get(11)?,
        }
    }};
}

/// A recipient of a notification and where its workflow stands.
#[derive(Clone, Debug)]
pub struct RecipientRow {
    pub iun: String,
    pub rec_index: i32,
    pub tax_id: String,
    pub denomination: String,
    pub viewed_at: Option<Timestamp>,
    pub refined_at: Option<Timestamp>,
    pub refinement_due: Option<Timestamp>,
}

pub async fn insert_notification(
    tx: &mut Tx,
    n: &NotificationRow,
    recipients: &[RecipientRow],
    notices: &[(String, String, i32)],
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_send_notifications (iun, sender_id, request_id, pa_protocol_number, idempotence_token, request,
            status, errors, cancel_requested, cancelled_by_iun, sent_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(&n.iun).bind(n.sender_id).bind(&n.request_id).bind(&n.pa_protocol_number).bind(&n.idempotence_token)
        .bind(n.request.to_string()).bind(&n.status).bind(n.errors.as_ref().map(|e| e.to_string()))
        .bind(n.cancel_requested).bind(&n.cancelled_by_iun).bind(n.sent_at).bind(n.updated_at)
        .execute(c).await.map(|_| ()))?;
    for r in recipients {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO notify_send_recipients (iun, rec_index, tax_id, denomination) VALUES ($1, $2, $3, $4)")
            .bind(&r.iun).bind(r.rec_index).bind(&r.tax_id).bind(&r.denomination).execute(c).await.map(|_| ()))?;
    }
    for (creditor, notice, rec) in notices {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO notify_send_payments (creditor_tax_id, notice_code, iun, rec_index) VALUES ($1, $2, $3, $4)
             ON CONFLICT (creditor_tax_id, notice_code, iun) DO NOTHING")
            .bind(creditor).bind(notice).bind(&n.iun).bind(*rec).execute(c).await.map(|_| ()))?;
    }
    Ok(())
}

pub async fn notification(db: &Db, iun: &str) -> Result<Option<NotificationRow>> {
    let sql =
        sqlx::AssertSqlSafe(format!("SELECT {NOTIFICATION_COLUMNS} FROM notify_send_notifications WHERE iun = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(iun).fetch_optional(pool).await? {
        Some(r) => Some(notification_from!(&r)),
        None => None,
    }))
}

/// The sender's notification with this protocol number and idempotence token that is not
/// cancelled nor refused.
pub async fn by_protocol(db: &Db, sender_id: Uuid, protocol: &str, token: &str) -> Result<Option<NotificationRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notify_send_notifications
         WHERE sender_id = $1 AND pa_protocol_number = $2 AND idempotence_token = $3 ORDER BY sent_at DESC"
    ));
    let rows = on_db!(db, pool => sqlx::query(sql).bind(sender_id).bind(protocol).bind(token).fetch_all(pool).await?
        .iter().map(|r| Ok(notification_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?);
    Ok(rows.into_iter().next())
}

/// Whether a pagoPA notice is already used by a notification that is neither cancelled nor refused.
pub async fn notice_in_use(db: &Db, creditor: &str, notice: &str) -> Result<bool> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notify_send_payments p JOIN notify_send_notifications n ON n.iun = p.iun
         WHERE p.creditor_tax_id = $1 AND p.notice_code = $2 AND n.status NOT IN ('CANCELLED', 'REFUSED') AND NOT n.cancel_requested")
        .bind(creditor).bind(notice).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// The accepted, not cancelled notification that uses a pagoPA notice, with the recipient it
/// belongs to (where a payment of that notice goes).
pub async fn notice_owner(db: &Db, creditor: &str, notice: &str) -> Result<Option<(NotificationRow, i32)>> {
    let columns = NOTIFICATION_COLUMNS.split(", ").map(|c| format!("n.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, p.rec_index FROM notify_send_payments p JOIN notify_send_notifications n ON n.iun = p.iun
         WHERE p.creditor_tax_id = $1 AND p.notice_code = $2
           AND n.status NOT IN ('IN_VALIDATION', 'REFUSED', 'CANCELLED') AND NOT n.cancel_requested
         ORDER BY n.sent_at DESC LIMIT 1"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(creditor).bind(notice).fetch_optional(pool).await? {
        Some(r) => Some((notification_from!(&r), r.try_get::<i32, _>(12)?)),
        None => None,
    }))
}

/// Lock the notification's row for the rest of the transaction (status is computed from the
/// whole timeline, so appends to one notification must not interleave).
pub async fn lock(tx: &mut Tx, iun: &str, now: Timestamp) -> Result<()> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE notify_send_notifications SET updated_at = $1 WHERE iun = $2")
        .bind(now).bind(iun).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::not_found(format!("notification {iun}")));
    }
    Ok(())
}

pub async fn set_status(tx: &mut Tx, iun: &str, status: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE notify_send_notifications SET status = $1 WHERE iun = $2")
        .bind(status).bind(iun).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn set_errors(tx: &mut Tx, iun: &str, errors: &serde_json::Value) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE notify_send_notifications SET errors = $1 WHERE iun = $2")
        .bind(errors.to_string()).bind(iun).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Mark a cancellation as requested; false when it already was.
pub async fn request_cancel(tx: &mut Tx, iun: &str) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE notify_send_notifications SET cancel_requested = $1 WHERE iun = $2 AND NOT cancel_requested")
        .bind(true).bind(iun).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_cancelled_by(tx: &mut Tx, iun: &str, by: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE notify_send_notifications SET cancelled_by_iun = $1 WHERE iun = $2")
        .bind(by).bind(iun).execute(c).await.map(|_| ()))?;
    Ok(())
}

const RECIPIENT_COLUMNS: &str = "iun, rec_index, tax_id, denomination, viewed_at, refined_at, refinement_due";

macro_rules! recipient_from {
    ($r:expr) => {{
        let r = $r;
        RecipientRow {
            iun: r.try_get(0)?,
            rec_index: r.try_get(1)?,
            tax_id: r.try_get(2)?,
            denomination: r.try_get(3)?,
            viewed_at: r.try_get(4)?,
            refined_at: r.try_get(5)?,
            refinement_due: r.try_get(6)?,
        }
    }};
}

pub async fn recipients(db: &Db, iun: &str) -> Result<Vec<RecipientRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {RECIPIENT_COLUMNS} FROM notify_send_recipients WHERE iun = $1 ORDER BY rec_index"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(iun).fetch_all(pool).await?.iter()
        .map(|r| Ok(recipient_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

pub async fn set_refinement_due(tx: &mut Tx, iun: &str, rec: i32, due: Option<Timestamp>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE notify_send_recipients SET refinement_due = $1 WHERE iun = $2 AND rec_index = $3")
        .bind(due).bind(iun).bind(rec).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn set_refined(tx: &mut Tx, iun: &str, rec: i32, at: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE notify_send_recipients SET refined_at = $1, refinement_due = NULL WHERE iun = $2 AND rec_index = $3 AND refined_at IS NULL")
        .bind(at).bind(iun).bind(rec).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn set_viewed(tx: &mut Tx, iun: &str, rec: i32, at: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE notify_send_recipients SET viewed_at = $1 WHERE iun = $2 AND rec_index = $3 AND viewed_at IS NULL")
        .bind(at).bind(iun).bind(rec).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Recipients whose refinement by lapse of time is due at `now`, oldest first.
pub async fn due_refinements(db: &Db, now: Timestamp, limit: i64) -> Result<Vec<RecipientRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {RECIPIENT_COLUMNS} FROM notify_send_recipients
         WHERE refinement_due IS NOT NULL AND refinement_due <= $1 AND refined_at IS NULL ORDER BY refinement_due LIMIT $2"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(now).bind(limit).fetch_all(pool).await?.iter()
        .map(|r| Ok(recipient_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// The earliest refinement still to come.
pub async fn next_refinement(db: &Db) -> Result<Option<Timestamp>> {
    Ok(on_db!(db, pool => sqlx::query_scalar(
        "SELECT MIN(refinement_due) FROM notify_send_recipients WHERE refinement_due IS NOT NULL AND refined_at IS NULL")
        .fetch_one(pool).await)?)
}

/// Filters of the recipient's search.
pub struct ReceivedFilter<'a> {
    pub tax_id: &'a str,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: Option<&'a str>,
    pub iun: Option<&'a str>,
    pub sender_id: Option<Uuid>,
    /// Continue after this `(sent_at, iun)`.
    pub after: Option<(Timestamp, String)>,
    pub limit: i64,
}

/// The notifications of one person, newest first (accepted ones only).
pub async fn received(db: &Db, f: &ReceivedFilter<'_>) -> Result<Vec<(NotificationRow, i32)>> {
    let columns = NOTIFICATION_COLUMNS.split(", ").map(|c| format!("n.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, r.rec_index FROM notify_send_notifications n JOIN notify_send_recipients r ON r.iun = n.iun
         WHERE r.tax_id = $1 AND n.sent_at >= $2 AND n.sent_at < $3 AND n.status NOT IN ('IN_VALIDATION', 'REFUSED')
           AND ($4 IS NULL OR n.status = $4) AND ($5 IS NULL OR n.iun = $5) AND ($6 IS NULL OR n.sender_id = $6)
           AND ($7 IS NULL OR n.sent_at < $7 OR (n.sent_at = $7 AND n.iun < $8))
         ORDER BY n.sent_at DESC, n.iun DESC LIMIT $9"
    ));
    let (after_at, after_iun) = match &f.after {
        Some((at, iun)) => (Some(*at), Some(iun.clone())),
        None => (None, None),
    };
    Ok(on_db!(db, pool => sqlx::query(sql).bind(f.tax_id).bind(f.start).bind(f.end).bind(f.status).bind(f.iun)
        .bind(f.sender_id).bind(after_at).bind(after_iun).bind(f.limit).fetch_all(pool).await?.iter()
        .map(|r| Ok((notification_from!(r), r.try_get::<i32, _>(12)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

const ELEMENT_COLUMNS: &str =
    "seq, element_id, iun, category, rec_index, at, ingested_at, details, legal_facts, new_status";

macro_rules! element_from {
    ($r:expr) => {{
        let r = $r;
        let details: String = r.try_get(7)?;
        let facts: String = r.try_get(8)?;
        Element {
            seq: r.try_get(0)?,
            element_id: r.try_get(1)?,
            iun: r.try_get(2)?,
            category: r.try_get(3)?,
            rec_index: r.try_get(4)?,
            at: r.try_get(5)?,
            ingested_at: r.try_get(6)?,
            details: serde_json::from_str(&details).unwrap_or_default(),
            legal_facts: serde_json::from_str::<Vec<LegalFactId>>(&facts).unwrap_or_default(),
            new_status: r.try_get(9)?,
        }
    }};
}

/// Insert an element; `None` when an element with its id exists (appending is idempotent).
pub async fn insert_element(tx: &mut Tx, e: &Element) -> Result<Option<i64>> {
    let facts = serde_json::to_string(&e.legal_facts).map_err(Error::internal)?;
    let seq: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO notify_send_timeline (element_id, iun, category, rec_index, at, ingested_at, details, legal_facts, new_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (element_id) DO NOTHING RETURNING seq")
        .bind(&e.element_id).bind(&e.iun).bind(&e.category).bind(e.rec_index).bind(e.at).bind(e.ingested_at)
        .bind(e.details.to_string()).bind(facts).bind(&e.new_status).fetch_optional(c).await)?;
    Ok(seq)
}

pub async fn timeline(db: &Db, iun: &str) -> Result<Vec<Element>> {
    let sql =
        sqlx::AssertSqlSafe(format!("SELECT {ELEMENT_COLUMNS} FROM notify_send_timeline WHERE iun = $1 ORDER BY seq"));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(iun).fetch_all(pool).await?.iter()
        .map(|r| Ok(element_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// `(category, rec_index)` of every element so far, inside the caller's transaction.
pub async fn categories_in(tx: &mut Tx, iun: &str) -> Result<Vec<(String, Option<i32>)>> {
    Ok(
        on_tx!(tx, c => sqlx::query_as("SELECT category, rec_index FROM notify_send_timeline WHERE iun = $1 ORDER BY seq")
        .bind(iun).fetch_all(c).await)?,
    )
}

/// A signed legal fact.
#[derive(Clone, Debug)]
pub struct LegalFactRow {
    pub key: String,
    pub iun: String,
    pub category: String,
    pub rec_index: Option<i32>,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub created_at: Timestamp,
}

pub async fn insert_legal_fact(tx: &mut Tx, l: &LegalFactRow) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_send_legal_facts (key, iun, category, rec_index, pdf, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&l.key).bind(&l.iun).bind(&l.category).bind(l.rec_index).bind(&l.pdf).bind(&l.sha256).bind(l.created_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn legal_fact(db: &Db, key: &str) -> Result<Option<LegalFactRow>> {
    Ok(on_db!(db, pool => match sqlx::query(
        "SELECT key, iun, category, rec_index, pdf, sha256, created_at FROM notify_send_legal_facts WHERE key = $1")
        .bind(key).fetch_optional(pool).await? {
        Some(r) => Some(LegalFactRow { key: r.try_get(0)?, iun: r.try_get(1)?, category: r.try_get(2)?, rec_index: r.try_get(3)?,
            pdf: r.try_get(4)?, sha256: r.try_get(5)?, created_at: r.try_get(6)? }),
        None => None,
    }))
}

/// `(key, category, rec_index, size)` of a notification's legal facts, oldest first.
pub async fn legal_facts_of(db: &Db, iun: &str) -> Result<Vec<(String, String, Option<i32>)>> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT key, category, rec_index FROM notify_send_legal_facts WHERE iun = $1 ORDER BY created_at, key")
        .bind(iun).fetch_all(pool).await)?)
}

/// A person's registered addresses: `(channel, address)`.
pub async fn addresses(db: &Db, tax_id: &str) -> Result<Vec<(String, String)>> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT channel, address FROM notify_send_addresses WHERE tax_id = $1 ORDER BY channel")
        .bind(tax_id).fetch_all(pool).await)?)
}

pub async fn set_address(tx: &mut Tx, tax_id: &str, channel: &str, address: &str, at: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM notify_send_addresses WHERE tax_id = $1 AND channel = $2")
        .bind(tax_id).bind(channel).execute(c).await.map(|_| ()))?;
    on_tx!(tx, c => sqlx::query("INSERT INTO notify_send_addresses (tax_id, channel, address, created_at) VALUES ($1, $2, $3, $4)")
        .bind(tax_id).bind(channel).bind(address).bind(at).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn remove_address(tx: &mut Tx, tax_id: &str, channel: &str) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query("DELETE FROM notify_send_addresses WHERE tax_id = $1 AND channel = $2")
        .bind(tax_id).bind(channel).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// An event stream of a sender.
#[derive(Clone, Debug)]
pub struct StreamRow {
    pub id: Uuid,
    pub sender_id: Uuid,
    pub title: String,
    pub event_type: String,
    pub groups: Vec<String>,
    pub filter_values: Vec<String>,
    pub wait_for_accepted: bool,
    pub version: String,
    pub activated_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

const STREAM_COLUMNS: &str =
    "id, sender_id, title, event_type, groups, filter_values, wait_for_accepted, version, activated_at, disabled_at";

macro_rules! stream_from {
    ($r:expr) => {{
        let r = $r;
        let groups: String = r.try_get(4)?;
        let filters: String = r.try_get(5)?;
        StreamRow {
            id: r.try_get(0)?,
            sender_id: r.try_get(1)?,
            title: r.try_get(2)?,
            event_type: r.try_get(3)?,
            groups: serde_json::from_str(&groups).unwrap_or_default(),
            filter_values: serde_json::from_str(&filters).unwrap_or_default(),
            wait_for_accepted: r.try_get(6)?,
            version: r.try_get(7)?,
            activated_at: r.try_get(8)?,
            disabled_at: r.try_get(9)?,
        }
    }};
}

pub async fn insert_stream(tx: &mut Tx, s: &StreamRow) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_send_streams (id, sender_id, title, event_type, groups, filter_values, wait_for_accepted, version,
            activated_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(s.id).bind(s.sender_id).bind(&s.title).bind(&s.event_type).bind(serde_json::json!(s.groups).to_string())
        .bind(serde_json::json!(s.filter_values).to_string()).bind(s.wait_for_accepted).bind(&s.version)
        .bind(s.activated_at).bind(s.disabled_at).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn update_stream(tx: &mut Tx, s: &StreamRow) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE notify_send_streams SET title = $1, event_type = $2, groups = $3, filter_values = $4, disabled_at = $5 WHERE id = $6")
        .bind(&s.title).bind(&s.event_type).bind(serde_json::json!(s.groups).to_string())
        .bind(serde_json::json!(s.filter_values).to_string()).bind(s.disabled_at).bind(s.id).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn delete_stream(tx: &mut Tx, id: Uuid) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM notify_send_stream_events WHERE stream_id = $1").bind(id).execute(c).await.map(|_| ()))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM notify_send_streams WHERE id = $1").bind(id).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn streams_of(db: &Db, sender_id: Uuid) -> Result<Vec<StreamRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {STREAM_COLUMNS} FROM notify_send_streams WHERE sender_id = $1 ORDER BY activated_at"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(sender_id).fetch_all(pool).await?.iter()
        .map(|r| Ok(stream_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// The sender's active streams, inside the caller's transaction.
pub async fn active_streams_in(tx: &mut Tx, sender_id: Uuid) -> Result<Vec<StreamRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {STREAM_COLUMNS} FROM notify_send_streams WHERE sender_id = $1 AND disabled_at IS NULL"
    ));
    Ok(on_tx!(tx, c => sqlx::query(sql).bind(sender_id).fetch_all(c).await?.iter()
        .map(|r| Ok(stream_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

pub async fn add_stream_event(tx: &mut Tx, stream_id: Uuid, seq: i64, new_status: Option<&str>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("INSERT INTO notify_send_stream_events (stream_id, seq, new_status) VALUES ($1, $2, $3)")
        .bind(stream_id).bind(seq).bind(new_status).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Forget the events a consumer acknowledged (those up to `seq`).
pub async fn ack_stream_events(db: &Db, stream_id: Uuid, seq: i64) -> Result<()> {
    on_db!(db, pool => sqlx::query("DELETE FROM notify_send_stream_events WHERE stream_id = $1 AND seq <= $2")
        .bind(stream_id).bind(seq).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Up to `limit` events after `after`, with their elements and request ids, oldest first.
pub async fn stream_events(
    db: &Db,
    stream_id: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<(Option<String>, Element, String, Timestamp)>> {
    let columns = ELEMENT_COLUMNS.split(", ").map(|c| format!("t.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {columns}, e.new_status, n.request_id, n.sent_at FROM notify_send_stream_events e
         JOIN notify_send_timeline t ON t.seq = e.seq JOIN notify_send_notifications n ON n.iun = t.iun
         WHERE e.stream_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(stream_id).bind(after).bind(limit).fetch_all(pool).await?.iter()
        .map(|r| Ok((r.try_get(10)?, element_from!(r), r.try_get(11)?, r.try_get(12)?)))
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}
