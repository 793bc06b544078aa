//! Purposes: why a consumer calls an e-service, on which legal basis and how often, and every
//! step of their lifecycle.

use publica_kernel::db::{Db, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use crate::domain::{Party, Purpose, PurposeState};

const PURPOSE_SELECT: &str = "SELECT p.id, p.eservice_id, p.consumer_subsystem_id, cs.org_id, ps.org_id, p.title, \
     p.description, p.legal_basis, p.daily_calls, p.confidential_days, p.state, p.suspended_by_provider, \
     p.suspended_by_consumer, p.created_at, p.updated_at \
     FROM exchange_purposes p JOIN exchange_subsystems cs ON cs.id = p.consumer_subsystem_id \
     JOIN exchange_eservices e ON e.id = p.eservice_id JOIN exchange_subsystems ps ON ps.id = e.subsystem_id";

macro_rules! purpose_from {
    ($r:expr) => {{
        let r = $r;
        let state: String = r.try_get(10)?;
        Purpose {
            id: r.try_get(0)?,
            eservice_id: r.try_get(1)?,
            consumer_subsystem_id: r.try_get(2)?,
            consumer_org: r.try_get(3)?,
            provider_org: r.try_get(4)?,
            title: r.try_get(5)?,
            description: r.try_get(6)?,
            legal_basis: r.try_get(7)?,
            daily_calls: r.try_get(8)?,
            confidential_days: r.try_get(9)?,
            state: PurposeState::parse(&state).unwrap_or(PurposeState::Archived),
            suspended_by_provider: r.try_get(11)?,
            suspended_by_consumer: r.try_get(12)?,
            created_at: r.try_get(13)?,
            updated_at: r.try_get(14)?,
        }
    }};
}

pub async fn insert(tx: &mut Tx, p: &Purpose) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_purposes (id, eservice_id, consumer_subsystem_id, title, description, legal_basis,
            daily_calls, confidential_days, state, suspended_by_provider, suspended_by_consumer, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(p.id).bind(p.eservice_id).bind(p.consumer_subsystem_id).bind(&p.title).bind(&p.description)
        .bind(&p.legal_basis).bind(p.daily_calls).bind(p.confidential_days).bind(p.state.as_str())
        .bind(p.suspended_by_provider).bind(p.suspended_by_consumer).bind(p.created_at).bind(p.updated_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<Purpose>> {
    let sql = sqlx::AssertSqlSafe(format!("{PURPOSE_SELECT} WHERE p.id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(purpose_from!(&r)),
        None => None,
    }))
}

/// An organisation's purposes as provider or as consumer, newest first, optionally in one state.
pub async fn list(db: &Db, org_id: Uuid, party: Party, state: Option<PurposeState>) -> Result<Vec<Purpose>> {
    let side = match party {
        Party::Provider => "ps.org_id",
        Party::Consumer => "cs.org_id",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "{PURPOSE_SELECT} WHERE {side} = $1 AND ($2 = '' OR p.state = $2) ORDER BY p.created_at DESC"
    ));
    let state = state.map(PurposeState::as_str).unwrap_or("");
    Ok(on_db!(db, pool => sqlx::query(sql).bind(org_id).bind(state).fetch_all(pool).await?.iter()
        .map(|r| Ok(purpose_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}

/// Daily calls already granted to active purposes of an e-service: `(all consumers, this one)`.
pub async fn granted_calls(
    db: &Db,
    eservice_id: Uuid,
    consumer_subsystem_id: Uuid,
    except: Uuid,
) -> Result<(i64, i64)> {
    let row = on_db!(db, pool => {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(daily_calls), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN consumer_subsystem_id = $2 THEN daily_calls ELSE 0 END), 0) AS BIGINT)
             FROM exchange_purposes WHERE eservice_id = $1 AND state IN ('active', 'suspended') AND id <> $3")
            .bind(eservice_id).bind(consumer_subsystem_id).bind(except).fetch_one(pool).await?;
        (r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?)
    });
    Ok(row)
}
