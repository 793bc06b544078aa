//! E-services: what providers publish, with their back ends, quotas and approval policies.

use publica_kernel::db::{Db, Timestamp, Tx, unique_violation};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use crate::domain::{Approval, EService, EServiceState};

const ESERVICE_SELECT: &str = "SELECT e.id, e.subsystem_id, s.org_id, e.code, m.member_class, m.member_code, s.code, \
     e.title, e.description, e.openapi, e.audience, e.voucher_lifetime_seconds, e.daily_quota_per_consumer, \
     e.daily_quota_total, e.approval, e.required_attributes, e.backend, e.state, e.created_at, e.updated_at \
     FROM exchange_eservices e JOIN exchange_subsystems s ON s.id = e.subsystem_id \
     JOIN exchange_members m ON m.org_id = s.org_id";

macro_rules! eservice_from {
    ($r:expr, $instance:expr) => {{
        let r = $r;
        let code: String = r.try_get(3)?;
        let class: String = r.try_get(4)?;
        let member: String = r.try_get(5)?;
        let subsystem: String = r.try_get(6)?;
        let openapi: String = r.try_get(9)?;
        let approval: String = r.try_get(14)?;
        let attributes: String = r.try_get(15)?;
        let backend: String = r.try_get(16)?;
        let state: String = r.try_get(17)?;
        EService {
            id: r.try_get(0)?,
            subsystem_id: r.try_get(1)?,
            provider_org: r.try_get(2)?,
            xroad_id: format!("{}/{class}/{member}/{subsystem}/{code}", $instance),
            code,
            title: r.try_get(7)?,
            description: r.try_get(8)?,
            openapi: super::json_column(&openapi)?,
            audience: r.try_get(10)?,
            voucher_lifetime_seconds: r.try_get(11)?,
            daily_quota_per_consumer: r.try_get(12)?,
            daily_quota_total: r.try_get(13)?,
            approval: Approval::parse(&approval).unwrap_or(Approval::Manual),
            required_attributes: super::json_column(&attributes)?,
            backend: super::json_column(&backend)?,
            state: EServiceState::parse(&state),
            created_at: r.try_get(18)?,
            updated_at: r.try_get(19)?,
        }
    }};
}

pub async fn insert(tx: &mut Tx, e: &EService) -> Result<()> {
    let attributes = serde_json::to_string(&e.required_attributes).map_err(Error::internal)?;
    let backend = serde_json::to_string(&e.backend).map_err(Error::internal)?;
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_eservices (id, subsystem_id, code, title, description, openapi, audience,
            voucher_lifetime_seconds, daily_quota_per_consumer, daily_quota_total, approval, required_attributes,
            backend, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
        .bind(e.id).bind(e.subsystem_id).bind(&e.code).bind(&e.title).bind(&e.description).bind(e.openapi.to_string())
        .bind(&e.audience).bind(e.voucher_lifetime_seconds).bind(e.daily_quota_per_consumer).bind(e.daily_quota_total)
        .bind(e.approval.as_str()).bind(attributes).bind(backend).bind(e.state.as_str()).bind(e.created_at)
        .bind(e.updated_at).execute(c).await.map(|_| ()));
    match inserted {
        Err(err) if unique_violation(&err) => {
            Err(Error::Conflict(format!("the subsystem already publishes an e-service `{}`", e.code)))
        }
        other => Ok(other?),
    }
}

pub async fn get(db: &Db, instance: &str, id: Uuid) -> Result<Option<EService>> {
    let sql = sqlx::AssertSqlSafe(format!("{ESERVICE_SELECT} WHERE e.id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(eservice_from!(&r, instance)),
        None => None,
    }))
}

/// The e-service a gateway path names: member class and code, subsystem code, service code.
pub async fn by_path(
    db: &Db,
    instance: &str,
    class: &str,
    member: &str,
    subsystem: &str,
    code: &str,
) -> Result<Option<EService>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{ESERVICE_SELECT} WHERE m.member_class = $1 AND m.member_code = $2 AND s.code = $3 AND e.code = $4"
    ));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(class).bind(member).bind(subsystem).bind(code)
        .fetch_optional(pool).await? {
        Some(r) => Some(eservice_from!(&r, instance)),
        None => None,
    }))
}

/// The catalogue: every e-service, or only one organisation's, by provider and code.
pub async fn list(db: &Db, instance: &str, provider_org: Option<Uuid>) -> Result<Vec<EService>> {
    let order = "ORDER BY m.member_code, s.code, e.code";
    let sql = match provider_org {
        Some(_) => sqlx::AssertSqlSafe(format!("{ESERVICE_SELECT} WHERE s.org_id = $1 {order}")),
        None => sqlx::AssertSqlSafe(format!("{ESERVICE_SELECT} {order}")),
    };
    Ok(on_db!(db, pool => {
        let mut query = sqlx::query(sql);
        if let Some(org) = provider_org {
            query = query.bind(org);
        }
        query.fetch_all(pool).await?.iter()
            .map(|r| Ok(eservice_from!(r, instance))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
    }))
}

/// Move an e-service between active and suspended; `false` when it was not in `from`.
pub async fn set_state(tx: &mut Tx, id: Uuid, from: EServiceState, to: EServiceState, now: Timestamp) -> Result<bool> {
    let result = on_tx!(tx, c => sqlx::query(
        "UPDATE exchange_eservices SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str()).bind(now).bind(id).bind(from.as_str()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}
