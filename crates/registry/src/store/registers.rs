//! Register definitions as stored: one row per register, holding its current version.

use publica_kernel::db::{Db, Timestamp, Tx};
use publica_kernel::error::{Error, Result};
use publica_kernel::{on_db, on_tx};
use uuid::Uuid;

use crate::domain::{IdScheme, RegisterInfo};

const COLUMNS: &str = "name, version, title, owner_org, schema, id_field, id_scheme, indexed, person_fields";

type RegisterRow = (String, String, String, Uuid, String, String, String, String, String);

fn info_from(row: RegisterRow) -> Result<RegisterInfo> {
    let (name, version, title, owner_org, schema, id_field, id_scheme, indexed, person_fields) = row;
    let bad = |what: &str, e: &dyn std::fmt::Display| Error::internal(format!("register {name}: stored {what}: {e}"));
    Ok(RegisterInfo {
        schema: serde_json::from_str(&schema).map_err(|e| bad("schema", &e))?,
        id_scheme: IdScheme::parse(&id_scheme).ok_or_else(|| bad("id scheme", &id_scheme))?,
        indexed: serde_json::from_str(&indexed).map_err(|e| bad("indexed", &e))?,
        person_fields: serde_json::from_str(&person_fields).map_err(|e| bad("person fields", &e))?,
        name,
        version,
        title,
        owner_org,
        id_field,
    })
}

/// Every register, by name.
pub async fn all(db: &Db) -> Result<Vec<RegisterInfo>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM registry_registers ORDER BY name"));
    let rows: Vec<RegisterRow> = on_db!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
    rows.into_iter().map(info_from).collect()
}

pub async fn get(db: &Db, name: &str) -> Result<Option<RegisterInfo>> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM registry_registers WHERE name = $1"));
    let row: Option<RegisterRow> = on_db!(db, pool => sqlx::query_as(sql).bind(name).fetch_optional(pool).await)?;
    row.map(info_from).transpose()
}

/// A definition read inside a transaction; locked on PostgreSQL until it ends.
pub async fn get_for_update(tx: &mut Tx, name: &str) -> Result<Option<RegisterInfo>> {
    let base = format!("SELECT {COLUMNS} FROM registry_registers WHERE name = $1");
    let sql = match tx {
        Tx::Postgres(_) => format!("{base} FOR UPDATE"),
        Tx::Sqlite(_) => base,
    };
    let row: Option<RegisterRow> =
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(c).await)?;
    row.map(info_from).transpose()
}

/// Insert a definition or replace the stored one (a new version).
pub async fn upsert(tx: &mut Tx, info: &RegisterInfo, at: Timestamp) -> Result<()> {
    let schema = info.schema.to_string();
    let indexed = serde_json::Value::from(info.indexed.clone()).to_string();
    let person_fields = serde_json::Value::from(info.person_fields.clone()).to_string();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO registry_registers (name, version, title, owner_org, schema, id_field, id_scheme, indexed, \
         person_fields, defined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, title = excluded.title, \
         owner_org = excluded.owner_org, schema = excluded.schema, id_field = excluded.id_field, \
         id_scheme = excluded.id_scheme, indexed = excluded.indexed, person_fields = excluded.person_fields, \
         defined_at = excluded.defined_at")
        .bind(&info.name).bind(&info.version).bind(&info.title).bind(info.owner_org).bind(&schema)
        .bind(&info.id_field).bind(info.id_scheme.as_str()).bind(&indexed).bind(&person_fields).bind(at)
        .execute(c).await.map(|_| ()))?;
    Ok(())
}
