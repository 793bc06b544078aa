//! Persistence of each account's activity log: sign-ins (successful or not, with the reason),
//! second factors, changes to the account, and what the other parts of the block record.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::Result;
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

/// One entry.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ActivityRow {
    pub id: Uuid,
    pub at: Timestamp,
    pub kind: String,
    pub detail: serde_json::Value,
    /// Where from: the address the request came from (no GeoIP database is shipped, so the
    /// place shown is the address itself).
    pub ip: Option<String>,
    /// The device: the browser's User-Agent.
    pub user_agent: Option<String>,
}

pub struct NewActivity<'a> {
    pub account_id: Uuid,
    pub kind: &'a str,
    pub detail: &'a serde_json::Value,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

const INSERT: &str = "INSERT INTO identity_activity (id, account_id, at, kind, detail, ip, user_agent)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub async fn insert(db: &Db, a: NewActivity<'_>) -> Result<()> {
    on_db!(db, pool => sqlx::query(INSERT)
        .bind(Uuid::now_v7()).bind(a.account_id).bind(Timestamp::now()).bind(a.kind).bind(a.detail.to_string())
        .bind(a.ip).bind(a.user_agent).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn insert_in(tx: &mut Tx, a: NewActivity<'_>) -> Result<()> {
    insert_all_in(tx, &[a]).await
}

/// Several entries in one statement, in this order.
pub async fn insert_all_in(tx: &mut Tx, entries: &[NewActivity<'_>]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO identity_activity (id, account_id, at, kind, detail, ip, user_agent) VALUES {}",
        tx.value_rows(1, entries.len(), 7)
    );
    on_tx!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for a in entries {
            q = q.bind(Uuid::now_v7()).bind(a.account_id).bind(Timestamp::now()).bind(a.kind).bind(a.detail.to_string())
                .bind(a.ip).bind(a.user_agent);
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The latest entries, newest first (`limit` of them; all with `None`).
pub async fn of_account(db: &Db, account_id: Uuid, limit: Option<i64>) -> Result<Vec<ActivityRow>> {
    type Row = (Uuid, Timestamp, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = on_db!(db, pool => sqlx::query_as(
        "SELECT id, at, kind, detail, ip, user_agent FROM identity_activity WHERE account_id = $1
         ORDER BY at DESC, id DESC LIMIT $2")
        .bind(account_id).bind(limit.unwrap_or(i64::MAX)).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, at, kind, detail, ip, user_agent)| ActivityRow {
            id,
            at,
            kind,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            ip,
            user_agent,
        })
        .collect())
}
