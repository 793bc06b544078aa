//! Agreements between consumer subsystems and e-services, and every step of their lifecycle.

use publica_kernel::db::{Db, Tx, unique_violation};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use crate::domain::{Agreement, AgreementState, Party};

const AGREEMENT_SELECT: &str = "SELECT a.id, a.eservice_id, a.consumer_subsystem_id, cs.org_id, ps.org_id, a.state, \
     a.suspended_by_provider, a.suspended_by_consumer, a.created_at, a.updated_at \
     FROM exchange_agreements a JOIN exchange_subsystems cs ON cs.id = a.consumer_subsystem_id \
     JOIN exchange_eservices e ON e.id = a.eservice_id JOIN exchange_subsystems ps ON ps.id = e.subsystem_id";

macro_rules! agreement_from {
    ($r:expr) => {{
        let r = $r;
        let state: String = r.try_get(5)?;
        Agreement {
            id: r.try_get(0)?,
            eservice_id: r.try_get(1)?,
            consumer_subsystem_id: r.try_get(2)?,
            consumer_org: r.try_get(3)?,
            provider_org: r.try_get(4)?,
            state: AgreementState::parse(&state).unwrap_or(AgreementState::Archived),
            suspended_by_provider: r.try_get(6)?,
            suspended_by_consumer: r.try_get(7)?,
            created_at: r.try_get(8)?,
            updated_at: r.try_get(9)?,
        }
    }};
}

pub async fn insert(tx: &mut Tx, a: &Agreement) -> Result<()> {
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO exchange_agreements (id, eservice_id, consumer_subsystem_id, state, suspended_by_provider,
            suspended_by_consumer, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(a.id).bind(a.eservice_id).bind(a.consumer_subsystem_id).bind(a.state.as_str())
        .bind(a.suspended_by_provider).bind(a.suspended_by_consumer).bind(a.created_at).bind(a.updated_at)
        .execute(c).await.map(|_| ()));
    match inserted {
        Err(e) if unique_violation(&e) => Err(Error::Conflict(
            "the subsystem already has a pending, active or suspended agreement for this e-service".into(),
        )),
        other => Ok(other?),
    }
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<Agreement>> {
    let sql = sqlx::AssertSqlSafe(format!("{AGREEMENT_SELECT} WHERE a.id = $1"));
    Ok(on_db!(db, pool => match sqlx::query(sql).bind(id).fetch_optional(pool).await? {
        Some(r) => Some(agreement_from!(&r)),
        None => None,
    }))
}

/// The pending, active or suspended agreement of a consumer subsystem for an e-service.
pub async fn live(db: &Db, eservice_id: Uuid, consumer_subsystem_id: Uuid) -> Result<Option<Agreement>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{AGREEMENT_SELECT} WHERE a.eservice_id = $1 AND a.consumer_subsystem_id = $2 \
         AND a.state IN ('pending', 'active', 'suspended')"
    ));
    Ok(
        on_db!(db, pool => match sqlx::query(sql).bind(eservice_id).bind(consumer_subsystem_id).fetch_optional(pool).await? {
            Some(r) => Some(agreement_from!(&r)),
            None => None,
        }),
    )
}

/// An organisation's agreements as provider (its inbox) or as consumer, newest first,
/// optionally in one state.
pub async fn list(db: &Db, org_id: Uuid, party: Party, state: Option<AgreementState>) -> Result<Vec<Agreement>> {
    let side = match party {
        Party::Provider => "ps.org_id",
        Party::Consumer => "cs.org_id",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "{AGREEMENT_SELECT} WHERE {side} = $1 AND ($2 = '' OR a.state = $2) ORDER BY a.created_at DESC"
    ));
    let state = state.map(AgreementState::as_str).unwrap_or("");
    Ok(on_db!(db, pool => sqlx::query(sql).bind(org_id).bind(state).fetch_all(pool).await?.iter()
        .map(|r| Ok(agreement_from!(r))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}
