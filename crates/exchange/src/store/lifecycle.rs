//! What agreements and purposes share in the store: the optimistic change of state and
//! suspension flags, and the history of their steps.

use publica_kernel::db::{Db, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use sqlx::Row;
use uuid::Uuid;

use crate::domain::{Lifecycle, Transition};

/// Write `after`'s state and suspension flags if the row still holds `before`'s; `false`
/// otherwise.
pub async fn update<T: Lifecycle>(tx: &mut Tx, before: &T, after: &T) -> Result<bool> {
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE exchange_{}s SET state = $1, suspended_by_provider = $2, suspended_by_consumer = $3, updated_at = $4
         WHERE id = $5 AND state = $6 AND suspended_by_provider = $7 AND suspended_by_consumer = $8",
        T::KIND
    ));
    let (after_provider, after_consumer) = after.suspended();
    let (before_provider, before_consumer) = before.suspended();
    let result = on_tx!(tx, c => sqlx::query(sql)
        .bind(after.state_name()).bind(after_provider).bind(after_consumer).bind(after.updated_at())
        .bind(before.id()).bind(before.state_name()).bind(before_provider).bind(before_consumer)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

/// Keep a step that brought `row` to its state (at its `updated_at`), from `from` (none for
/// its creation).
pub async fn add_history<T: Lifecycle>(
    tx: &mut Tx,
    row: &T,
    actor: &str,
    from: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    let sql = sqlx::AssertSqlSafe(format!(
        "INSERT INTO exchange_{kind}_history ({kind}_id, at, actor, from_state, to_state, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
        kind = T::KIND
    ));
    on_tx!(tx, c => sqlx::query(sql)
        .bind(row.id()).bind(row.updated_at()).bind(actor).bind(from).bind(row.state_name()).bind(reason)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The steps of the agreement or purpose `id`, oldest first.
pub async fn history<T: Lifecycle>(db: &Db, id: Uuid) -> Result<Vec<Transition>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT at, actor, from_state, to_state, reason FROM exchange_{kind}_history WHERE {kind}_id = $1 ORDER BY seq",
        kind = T::KIND
    ));
    Ok(on_db!(db, pool => sqlx::query(sql)
        .bind(id).fetch_all(pool).await?.iter()
        .map(|r| Ok(Transition { at: r.try_get(0)?, actor: r.try_get(1)?, from: r.try_get(2)?, to: r.try_get(3)?, reason: r.try_get(4)? }))
        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()?))
}
