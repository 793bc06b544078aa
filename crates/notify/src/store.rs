//! Persistence of services, templates, notifications, files and received texts: the same SQL
//! on SQLite and PostgreSQL.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

/// A Notify service: who sends, from which organisation, with which limits.
#[derive(Clone, Debug)]
pub struct Service {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub restricted: bool,
    pub active: bool,
    pub email_from: String,
    pub email_reply_to: Option<String>,
    pub sms_sender: String,
    pub sms_prefix: bool,
    pub letter_contact_block: Option<String>,
    pub message_limit: i64,
    pub sms_daily_limit: i64,
    pub letter_daily_limit: i64,
    pub retention_days: i64,
    pub rate_limit: i64,
    pub international_sms: bool,
    pub delivery_callback_url: Option<String>,
    /// Sealed under the master key.
    pub delivery_callback_token: Option<Vec<u8>>,
    pub inbound_callback_url: Option<String>,
    pub inbound_callback_token: Option<Vec<u8>>,
    pub inbound_number: Option<String>,
    pub created_at: Timestamp,
}

const SERVICE_COLUMNS: &str = "id, org_id, name, restricted, active, email_from, email_reply_to, sms_sender, sms_prefix, \
    letter_contact_block, message_limit, sms_daily_limit, letter_daily_limit, retention_days, rate_limit, international_sms, \
    delivery_callback_url, delivery_callback_token, inbound_callback_url, inbound_callback_token, inbound_number, created_at";

macro_rules! service_from {
    ($r:expr) => {{
        let r = $r;
        Service {
            id: r.try_get(0)?,
            org_id: r.try_get(1)?,
            name: r.try_get(2)?,
            restricted: r.try_get(3)?,
            active: r.try_get(4)?,
            email_from: r.try_get(5)?,
            email_reply_to: r.try_get(6)?,
            sms_sender: r.try_get(7)?,
            sms_prefix: r.try_get(8)?,
            letter_contact_block: r.try_get(9)?,
            message_limit: r.try_get(10)?,
            sms_daily_limit: r.try_get(11)?,
            letter_daily_limit: r.try_get(12)?,
            retention_days: r.try_get(13)?,
            rate_limit: r.try_get(14)?,
            international_sms: r.try_get(15)?,
            delivery_callback_url: r.try_get(16)?,
            delivery_callback_token: r.try_get(17)?,
            inbound_callback_url: r.try_get(18)?,
            inbound_callback_token: r.try_get(19)?,
            inbound_number: r.try_get(20)?,
            created_at: r.try_get(21)?,
        }
    }};
}

pub async fn insert_service(tx: &mut Tx, s: &Service) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_services (id, org_id, name, restricted, active, email_from, email_reply_to, sms_sender, sms_prefix,
            letter_contact_block, message_limit, sms_daily_limit, letter_daily_limit, retention_days, rate_limit, international_sms,
            delivery_callback_url, delivery_callback_token, inbound_callback_url, inbound_callback_token, inbound_number, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)")
        .bind(s.id).bind(s.org_id).bind(&s.name).bind(s.restricted).bind(s.active).bind(&s.email_from)
        .bind(&s.email_reply_to).bind(&s.sms_sender).bind(s.sms_prefix).bind(&s.letter_contact_block)
        .bind(s.message_limit).bind(s.sms_daily_limit).bind(s.letter_daily_limit).bind(s.retention_days)
        .bind(s.rate_limit).bind(s.international_sms).bind(&s.delivery_callback_url).bind(&s.delivery_callback_token)
        .bind(&s.inbound_callback_url).bind(&s.inbound_callback_token).bind(&s.inbound_number).bind(s.created_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn service(db: &Db, id: Uuid) -> Result<Option<Service>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {SERVICE_COLUMNS} FROM notify_services WHERE id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(service_from!(&r)),
        None => None,
    }))
}

pub async fn services_of(db: &Db, org_id: Uuid) -> Result<Vec<Service>> {
    let sql =
        sqlx::AssertSqlSafe(format!("SELECT {SERVICE_COLUMNS} FROM notify_services WHERE org_id = $1 ORDER BY name"));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(org_id).fetch_all(pool).await?.iter()
        .map(|r| Ok(service_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

pub async fn service_by_inbound_number(db: &Db, number: &str) -> Result<Option<Service>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {SERVICE_COLUMNS} FROM notify_services WHERE inbound_number = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(number).fetch_optional(pool).await? {
        Some(r) => Some(service_from!(&r)),
        None => None,
    }))
}

pub async fn set_callback(
    tx: &mut Tx,
    service_id: Uuid,
    kind: CallbackKind,
    url: Option<&str>,
    token: Option<&[u8]>,
) -> Result<()> {
    let sql = match kind {
        CallbackKind::Delivery => {
            "UPDATE notify_services SET delivery_callback_url = $1, delivery_callback_token = $2 WHERE id = $3"
        }
        CallbackKind::Inbound => {
            "UPDATE notify_services SET inbound_callback_url = $1, inbound_callback_token = $2 WHERE id = $3"
        }
    };
    on_tx!(tx, c => sqlx::query(sql).bind(url).bind(token).bind(service_id).execute(c).await.map(|_| ()))?;
    Ok(())
}

#[derive(Clone, Copy, Debug)]
pub enum CallbackKind {
    Delivery,
    Inbound,
}

/// Guest list entries: `(recipient_type, recipient)` with `email` or `mobile`.
pub async fn guest_list(db: &Db, service_id: Uuid) -> Result<Vec<(String, String)>> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT recipient_type, recipient FROM notify_guest_list WHERE service_id = $1 ORDER BY recipient_type, recipient")
        .bind(service_id).fetch_all(pool).await)?)
}

pub async fn add_guest(tx: &mut Tx, service_id: Uuid, kind: &str, recipient: &str) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_guest_list (service_id, recipient_type, recipient) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(service_id).bind(kind).bind(recipient).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

pub async fn remove_guest(tx: &mut Tx, service_id: Uuid, kind: &str, recipient: &str) -> Result<bool> {
    let n = on_tx!(tx, c => sqlx::query(
        "DELETE FROM notify_guest_list WHERE service_id = $1 AND recipient_type = $2 AND recipient = $3")
        .bind(service_id).bind(kind).bind(recipient).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// One version of a template, with the template's identity.
#[derive(Clone, Debug)]
pub struct TemplateVersion {
    pub id: Uuid,
    pub service_id: Uuid,
    pub kind: String,
    pub version: i64,
    pub latest_version: i64,
    pub archived: bool,
    pub created_at: Timestamp,
    pub name: String,
    pub subject: Option<String>,
    pub content: String,
    pub postage: Option<String>,
    pub letter_contact_block: Option<String>,
    pub version_created_at: Timestamp,
    pub created_by: String,
}

const TEMPLATE_SELECT: &str = "SELECT t.id, t.service_id, t.type, v.version, t.version, t.archived, t.created_at, v.name, \
    v.subject, v.content, v.postage, v.letter_contact_block, v.created_at, v.created_by \
    FROM notify_templates t JOIN notify_template_versions v ON v.template_id = t.id";

macro_rules! template_from {
    ($r:expr) => {{
        let r = $r;
        TemplateVersion {
            id: r.try_get(0)?,
            service_id: r.try_get(1)?,
            kind: r.try_get(2)?,
            version: r.try_get(3)?,
            latest_version: r.try_get(4)?,
            archived: r.try_get(5)?,
            created_at: r.try_get(6)?,
            name: r.try_get(7)?,
            subject: r.try_get(8)?,
            content: r.try_get(9)?,
            postage: r.try_get(10)?,
            letter_contact_block: r.try_get(11)?,
            version_created_at: r.try_get(12)?,
            created_by: r.try_get(13)?,
        }
    }};
}

/// A template at `version`, or at its latest version.
pub async fn template(db: &Db, service_id: Uuid, id: Uuid, version: Option<i64>) -> Result<Option<TemplateVersion>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{TEMPLATE_SELECT} WHERE t.id = $1 AND t.service_id = $2 AND v.version = COALESCE($3, t.version)"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).bind(service_id).bind(version).fetch_optional(pool).await? {
        Some(r) => Some(template_from!(&r)),
        None => None,
    }))
}

/// The latest version of every template of a service that is not archived.
pub async fn templates(db: &Db, service_id: Uuid, kind: Option<&str>) -> Result<Vec<TemplateVersion>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{TEMPLATE_SELECT} WHERE t.service_id = $1 AND v.version = t.version AND NOT t.archived
         AND ($2 IS NULL OR t.type = $2) ORDER BY v.name, t.id"
    ));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(service_id).bind(kind).fetch_all(pool).await?.iter()
        .map(|r| Ok(template_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

pub async fn template_versions(db: &Db, service_id: Uuid, id: Uuid) -> Result<Vec<TemplateVersion>> {
    let sql =
        sqlx::AssertSqlSafe(format!("{TEMPLATE_SELECT} WHERE t.id = $1 AND t.service_id = $2 ORDER BY v.version DESC"));
    Ok(on_db!(db, pool => sqlx::query(sql).bind(id).bind(service_id).fetch_all(pool).await?.iter()
        .map(|r| Ok(template_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// A template's new content; the first save creates version 1, each later save the next one.
pub struct TemplateContent<'a> {
    pub name: &'a str,
    pub subject: Option<&'a str>,
    pub content: &'a str,
    pub postage: Option<&'a str>,
    pub letter_contact_block: Option<&'a str>,
    pub created_by: &'a str,
}

pub async fn create_template(
    tx: &mut Tx,
    id: Uuid,
    service_id: Uuid,
    kind: &str,
    body: &TemplateContent<'_>,
) -> Result<()> {
    let now = Timestamp::now();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_templates (id, service_id, type, version, archived, created_at) VALUES ($1, $2, $3, 1, $4, $5)")
        .bind(id).bind(service_id).bind(kind).bind(false).bind(now).execute(c).await.map(|_| ()))?;
    insert_version(tx, id, 1, body, now).await
}

/// Hide a template from lists and sending (Notify's "deleted").
pub async fn archive_template(tx: &mut Tx, id: Uuid) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE notify_templates SET archived = $1 WHERE id = $2")
        .bind(true).bind(id).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// Save a new version; returns its number.
pub async fn update_template(tx: &mut Tx, id: Uuid, body: &TemplateContent<'_>) -> Result<i64> {
    let version: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE notify_templates SET version = version + 1 WHERE id = $1 RETURNING version")
        .bind(id).fetch_one(c).await)?;
    insert_version(tx, id, version, body, Timestamp::now()).await?;
    Ok(version)
}

async fn insert_version(tx: &mut Tx, id: Uuid, version: i64, b: &TemplateContent<'_>, now: Timestamp) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_template_versions (template_id, version, name, subject, content, postage, letter_contact_block, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(version).bind(b.name).bind(b.subject).bind(b.content).bind(b.postage).bind(b.letter_contact_block)
        .bind(now).bind(b.created_by).execute(c).await.map(|_| ()))?;
    Ok(())
}

/// A stored notification. `content` is sealed JSON (see `service::Content`); `None` once purged.
#[derive(Clone, Debug)]
pub struct NotificationRow {
    pub id: Uuid,
    pub service_id: Uuid,
    pub api_key_id: Option<Uuid>,
    pub key_type: String,
    pub kind: String,
    pub template_id: Uuid,
    pub template_version: i64,
    pub status: String,
    pub recipient: Option<String>,
    pub normalised_to: Option<String>,
    pub client_reference: Option<String>,
    pub content: Option<Vec<u8>>,
    pub postage: Option<String>,
    pub billable_units: i64,
    pub provider_reference: Option<String>,
    pub status_reason: Option<String>,
    pub job_id: Option<Uuid>,
    pub job_row: Option<i64>,
    pub created_by_name: Option<String>,
    pub created_at: Timestamp,
    pub scheduled_for: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

const NOTIFICATION_COLUMNS: &str = "id, service_id, api_key_id, key_type, type, template_id, template_version, status, \
    recipient, normalised_to, client_reference, content, postage, billable_units, provider_reference, status_reason, \
    job_id, job_row, created_by_name, created_at, scheduled_for, sent_at, completed_at, updated_at";

macro_rules! notification_from {
    ($r:expr) => {{
        let r = $r;
        NotificationRow {
            id: r.try_get(0)?,
            service_id: r.try_get(1)?,
            api_key_id: r.try_get(2)?,
            key_type: r.try_get(3)?,
            kind: r.try_get(4)?,
            template_id: r.try_get(5)?,
            template_version: r.try_get(6)?,
            status: r.try_get(7)?,
            recipient: r.try_get(8)?,
            normalised_to: r.try_get(9)?,
            client_reference: r.try_get(10)?,
            content: r.try_get(11)?,
            postage: r.try_get(12)?,
            billable_units: r.try_get(13)?,
            provider_reference: r.try_get(14)?,
            status_reason: r.try_get(15)?,
            job_id: r.try_get(16)?,
            job_row: r.try_get(17)?,
            created_by_name: r.try_get(18)?,
            created_at: r.try_get(19)?,
            scheduled_for: r.try_get(20)?,
            sent_at: r.try_get(21)?,
            completed_at: r.try_get(22)?,
            updated_at: r.try_get(23)?,
        }
    }};
}

/// Insert notifications with multi-row statements (a group commit brings hundreds at once).
pub async fn insert_notifications(tx: &mut Tx, rows: &[&NotificationRow]) -> Result<()> {
    const COLUMNS: usize = 24;
    for chunk in rows.chunks(100) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let marks: Vec<String> = (1..=COLUMNS).map(|c| format!("${}", r * COLUMNS + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO notify_notifications ({NOTIFICATION_COLUMNS}) VALUES {}",
            tuples.join(", ")
        ));
        on_tx!(tx, c => {
            let mut q = sqlx::query(sql);
            for n in chunk {
                q = q.bind(n.id).bind(n.service_id).bind(n.api_key_id).bind(&n.key_type).bind(&n.kind)
                    .bind(n.template_id).bind(n.template_version).bind(&n.status).bind(&n.recipient)
                    .bind(&n.normalised_to).bind(&n.client_reference).bind(&n.content).bind(&n.postage)
                    .bind(n.billable_units).bind(&n.provider_reference).bind(&n.status_reason).bind(n.job_id)
                    .bind(n.job_row).bind(&n.created_by_name).bind(n.created_at).bind(n.scheduled_for)
                    .bind(n.sent_at).bind(n.completed_at).bind(n.updated_at);
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

pub async fn notification(db: &Db, service_id: Option<Uuid>, id: Uuid) -> Result<Option<NotificationRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notify_notifications
         WHERE id = $1 AND ($2 IS NULL OR service_id = $2) AND purged_at IS NULL"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).bind(service_id).fetch_optional(pool).await? {
        Some(r) => Some(notification_from!(&r)),
        None => None,
    }))
}

pub async fn notifications_by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<NotificationRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notify_notifications WHERE id IN ({}) AND purged_at IS NULL",
            marks.join(", ")
        ));
        let rows: Vec<NotificationRow> = on_db!(db, pool => {
            let mut q = sqlx::query(sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(pool).await?.iter().map(|r| Ok(notification_from!(r)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Filters of `GET /v2/notifications`.
#[derive(Default)]
pub struct ListFilter<'a> {
    pub kind: Option<&'a str>,
    pub statuses: Vec<&'a str>,
    pub reference: Option<&'a str>,
    pub key_type: Option<&'a str>,
    pub include_jobs: bool,
    /// Only notifications older than this one.
    pub older_than: Option<Uuid>,
    pub limit: i64,
}

/// Newest first; `older_than` that names no notification of the service gives an empty page.
pub async fn list_notifications(db: &Db, service_id: Uuid, f: &ListFilter<'_>) -> Result<Vec<NotificationRow>> {
    let mut sql = format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notify_notifications n WHERE service_id = $1 AND purged_at IS NULL
         AND ($2 IS NULL OR type = $2) AND ($3 IS NULL OR client_reference = $3) AND ($4 IS NULL OR key_type = $4)"
    );
    if !f.include_jobs {
        sql.push_str(" AND job_id IS NULL");
    }
    sql.push_str(
        " AND ($5 IS NULL OR (EXISTS (SELECT 1 FROM notify_notifications o WHERE o.id = $5 AND o.service_id = $1)
          AND (n.created_at, n.id) < (SELECT o.created_at, o.id FROM notify_notifications o WHERE o.id = $5)))",
    );
    if !f.statuses.is_empty() {
        let marks: Vec<String> = (0..f.statuses.len()).map(|i| format!("${}", i + 7)).collect();
        sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
    }
    sql.push_str(" ORDER BY created_at DESC, id DESC LIMIT $6");
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(on_db!(db, pool => {
        let mut q = sqlx::query(sql).bind(service_id).bind(f.kind).bind(f.reference).bind(f.key_type)
            .bind(f.older_than).bind(f.limit);
        for s in &f.statuses {
            q = q.bind(*s);
        }
        q.fetch_all(pool).await?.iter().map(|r| Ok(notification_from!(r)))
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
    }))
}

/// Move a notification to `status` unless it is already final; returns whether it moved.
pub async fn set_status(db: &Db, update: &StatusUpdate) -> Result<bool> {
    let mut tx = db.begin().await?;
    let moved = set_status_in(&mut tx, update).await?;
    tx.commit().await?;
    Ok(moved)
}

/// A status change and what comes with it.
#[derive(Clone, Debug)]
pub struct StatusUpdate {
    pub id: Uuid,
    pub status: String,
    pub reason: Option<String>,
    pub provider_reference: Option<String>,
    pub sent: bool,
    pub at: Timestamp,
}

pub async fn set_status_in(tx: &mut Tx, u: &StatusUpdate) -> Result<bool> {
    let completed = crate::domain::kinds::is_final(&u.status).then_some(u.at);
    let sent_at = u.sent.then_some(u.at);
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE notify_notifications SET status = $1, status_reason = COALESCE($2, status_reason),
            provider_reference = COALESCE($3, provider_reference), sent_at = COALESCE(sent_at, $4),
            completed_at = COALESCE($5, completed_at), updated_at = $6
         WHERE id = $7 AND status NOT IN ('delivered', 'sent', 'permanent-failure', 'temporary-failure', 'technical-failure',
            'virus-scan-failed', 'validation-failed', 'received', 'cancelled', 'returned-letter')")
        .bind(&u.status).bind(&u.reason).bind(&u.provider_reference).bind(sent_at).bind(completed)
        .bind(u.at).bind(u.id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// A notification found by its provider's reference (for delivery receipts).
pub async fn notification_by_provider_reference(db: &Db, reference: &str) -> Result<Option<NotificationRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notify_notifications WHERE provider_reference = $1"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(reference).fetch_optional(pool).await? {
        Some(r) => Some(notification_from!(&r)),
        None => None,
    }))
}

/// Notifications of a service created since `since` (for daily limits), test keys excluded.
pub async fn count_since(db: &Db, service_id: Uuid, kind: &str, since: Timestamp) -> Result<i64> {
    Ok(on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notify_notifications WHERE service_id = $1 AND type = $2 AND created_at >= $3 AND key_type <> 'test'")
        .bind(service_id).bind(kind).bind(since).fetch_one(pool).await)?)
}

/// Counts by status of a service's notifications since `since`, for the dashboard.
pub async fn status_counts(db: &Db, service_id: Uuid, since: Timestamp) -> Result<Vec<(String, String, i64)>> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT type, status, COUNT(*) FROM notify_notifications WHERE service_id = $1 AND created_at >= $2
         GROUP BY type, status ORDER BY type, status")
        .bind(service_id).bind(since).fetch_all(pool).await)?)
}

/// Forget the contents of notifications older than each service's retention; counts stay.
pub async fn purge_contents(db: &Db, now: Timestamp) -> Result<u64> {
    let services: Vec<(Uuid, i64)> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, retention_days FROM notify_services").fetch_all(pool).await)?;
    let mut purged = 0;
    for (id, days) in services {
        let before = now.plus(time::Duration::days(-days));
        purged += on_db!(db, pool => sqlx::query(
            "UPDATE notify_notifications SET recipient = NULL, normalised_to = NULL, content = NULL, client_reference = NULL,
                purged_at = $1 WHERE service_id = $2 AND created_at < $3 AND purged_at IS NULL")
            .bind(now).bind(id).bind(before).execute(pool).await.map(|r| r.rows_affected()))?;
        on_db!(db, pool => sqlx::query("DELETE FROM notify_received_texts WHERE service_id = $1 AND created_at < $2")
            .bind(id).bind(before).execute(pool).await.map(|_| ()))?;
    }
    on_db!(db, pool => sqlx::query("DELETE FROM notify_files WHERE expires_at < $1")
        .bind(now).execute(pool).await.map(|_| ()))?;
    Ok(purged)
}

/// A sealed file: a precompiled letter or a file sent by email.
#[derive(Clone, Debug)]
pub struct FileRow {
    pub id: Uuid,
    pub service_id: Uuid,
    pub notification_id: Option<Uuid>,
    pub purpose: String,
    pub filename: Option<String>,
    pub mime_type: String,
    pub confirm_email: bool,
    pub recipient_hash: Option<Vec<u8>>,
    pub sealed: Vec<u8>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert_file(tx: &mut Tx, f: &FileRow) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_files (id, service_id, notification_id, purpose, filename, mime_type, confirm_email, recipient_hash,
            sealed, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(f.id).bind(f.service_id).bind(f.notification_id).bind(&f.purpose).bind(&f.filename).bind(&f.mime_type)
        .bind(f.confirm_email).bind(&f.recipient_hash).bind(&f.sealed).bind(f.created_at).bind(f.expires_at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}

const FILE_COLUMNS: &str = "id, service_id, notification_id, purpose, filename, mime_type, confirm_email, recipient_hash, \
    sealed, created_at, expires_at";

macro_rules! file_from {
    ($r:expr) => {{
        let r = $r;
        FileRow {
            id: r.try_get(0)?,
            service_id: r.try_get(1)?,
            notification_id: r.try_get(2)?,
            purpose: r.try_get(3)?,
            filename: r.try_get(4)?,
            mime_type: r.try_get(5)?,
            confirm_email: r.try_get(6)?,
            recipient_hash: r.try_get(7)?,
            sealed: r.try_get(8)?,
            created_at: r.try_get(9)?,
            expires_at: r.try_get(10)?,
        }
    }};
}

pub async fn file(db: &Db, id: Uuid) -> Result<Option<FileRow>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {FILE_COLUMNS} FROM notify_files WHERE id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(file_from!(&r)),
        None => None,
    }))
}

pub async fn letter_file(db: &Db, notification_id: Uuid) -> Result<Option<FileRow>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {FILE_COLUMNS} FROM notify_files WHERE notification_id = $1 AND purpose = 'letter'"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(notification_id).fetch_optional(pool).await? {
        Some(r) => Some(file_from!(&r)),
        None => None,
    }))
}

/// A text message received on a service's number.
#[derive(Clone, Debug)]
pub struct ReceivedText {
    pub id: Uuid,
    pub service_id: Uuid,
    pub notify_number: String,
    pub user_number: String,
    pub content: String,
    pub created_at: Timestamp,
}

pub async fn insert_received_text(tx: &mut Tx, t: &ReceivedText, provider_reference: Option<&str>) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notify_received_texts (id, service_id, notify_number, user_number, content, provider_reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(t.id).bind(t.service_id).bind(&t.notify_number).bind(&t.user_number).bind(&t.content)
        .bind(provider_reference).bind(t.created_at).execute(c).await.map(|_| ()))?;
    Ok(())
}

pub async fn received_texts(
    db: &Db,
    service_id: Uuid,
    older_than: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ReceivedText>> {
    let rows: Vec<(Uuid, Uuid, String, String, String, Timestamp)> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, service_id, notify_number, user_number, content, created_at FROM notify_received_texts r
         WHERE service_id = $1 AND ($2 IS NULL OR (
            EXISTS (SELECT 1 FROM notify_received_texts o WHERE o.id = $2 AND o.service_id = $1)
            AND (r.created_at, r.id) < (SELECT o.created_at, o.id FROM notify_received_texts o WHERE o.id = $2)))
         ORDER BY created_at DESC, id DESC LIMIT $3")
        .bind(service_id).bind(older_than).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, service_id, notify_number, user_number, content, created_at)| ReceivedText {
            id,
            service_id,
            notify_number,
            user_number,
            content,
            created_at,
        })
        .collect())
}

/// Ids of notifications still waiting for delivery (for a job run after a crash).
pub async fn pending_of(db: &Db, ids: &[Uuid]) -> Result<Vec<NotificationRow>> {
    Ok(notifications_by_ids(db, ids).await?.into_iter().filter(|n| n.status == "created").collect())
}

// --- pages ---

/// Every template of a service with its type and latest name, archived ones included (a
/// notification names its template even after the template is archived).
pub async fn template_names(db: &Db, service_id: Uuid) -> Result<Vec<(Uuid, String, String)>> {
    Ok(on_db!(db, pool => sqlx::query_as(
        "SELECT t.id, t.type, v.name FROM notify_templates t
         JOIN notify_template_versions v ON v.template_id = t.id AND v.version = t.version
         WHERE t.service_id = $1")
        .bind(service_id).fetch_all(pool).await)?)
}

/// Notifications of a service per day and type, for the dashboard's chart. `starts` are the
/// first instants of consecutive days, oldest first; counts run from `starts[0]` to `end`.
/// Returns `(index of the day in starts, type, count)`.
pub async fn daily_counts(
    db: &Db,
    service_id: Uuid,
    starts: &[Timestamp],
    end: Timestamp,
) -> Result<Vec<(i64, String, i64)>> {
    let Some(first) = starts.first() else {
        return Ok(Vec::new());
    };
    // The day of a row, by comparison with each later day's start: the same SQL on both engines.
    let mut day = String::from("CASE");
    for i in 1..starts.len() {
        day.push_str(&format!(" WHEN created_at < ${} THEN {}", i + 3, i - 1));
    }
    day.push_str(&format!(" ELSE {} END", starts.len() - 1));
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT CAST({day} AS BIGINT) AS day, type, COUNT(*) FROM notify_notifications
         WHERE service_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1, 2 ORDER BY 1, 2"
    ));
    Ok(on_db!(db, pool => {
        let mut q = sqlx::query_as(sql).bind(service_id).bind(*first).bind(end);
        for start in &starts[1..] {
            q = q.bind(*start);
        }
        q.fetch_all(pool).await?
    }))
}
