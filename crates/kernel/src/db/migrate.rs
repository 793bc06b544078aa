//! Per-block migrations: each block owns its SQL files for each engine and its own
//! `{block}_migrations` table, so blocks never collide on version numbers.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use super::{Db, DbError};
use crate::on_db;

/// One block's migrations, embedded in the binary: `(version, description, sql)`.
#[derive(Clone, Copy, Debug)]
pub struct BlockMigrations {
    pub block: &'static str,
    pub sqlite: &'static [(i64, &'static str, &'static str)],
    pub postgres: &'static [(i64, &'static str, &'static str)],
}

/// Whether a block's migrations are all applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStatus {
    Current,
    Pending { block: &'static str, missing: Vec<i64> },
}

impl MigrationStatus {
    /// The first block with pending migrations, or `Current`.
    pub async fn of_all(db: &Db, migrations: &[BlockMigrations]) -> Result<MigrationStatus, DbError> {
        for m in migrations {
            let status = m.status(db).await?;
            if status != MigrationStatus::Current {
                return Ok(status);
            }
        }
        Ok(MigrationStatus::Current)
    }

    /// What is missing and the fix, for error messages; `None` when current.
    pub fn problem(&self) -> Option<String> {
        match self {
            MigrationStatus::Current => None,
            MigrationStatus::Pending { block, missing } => {
                Some(format!("the database lacks {block} migrations {missing:?}: run `publica migrate`"))
            }
        }
    }
}

impl BlockMigrations {
    fn table(&self) -> String {
        format!("{}_migrations", self.block)
    }

    fn migrator(&self, backend: &str) -> Migrator {
        let list = if backend == "sqlite" { self.sqlite } else { self.postgres };
        let migrations = list
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    AssertSqlSafe(*sql).into_sql_str(),
                    false,
                )
            })
            .collect();
        let mut migrator = Migrator::with_migrations(migrations);
        migrator.dangerous_set_table_name(self.table());
        migrator
    }

    /// Apply whatever is pending. Safe to run from several processes at once on PostgreSQL:
    /// the migrator holds an advisory lock.
    pub async fn run(&self, db: &Db) -> Result<(), DbError> {
        let migrator = self.migrator(db.backend());
        on_db!(db, pool => migrator.run(pool).await)?;
        Ok(())
    }

    /// Compare what is applied with what this binary carries.
    pub async fn status(&self, db: &Db) -> Result<MigrationStatus, DbError> {
        let sql = AssertSqlSafe(format!("SELECT version FROM {} WHERE success", self.table()));
        let applied: Vec<i64> = match on_db!(db, pool => sqlx::query_scalar(sql).fetch_all(pool).await) {
            Ok(rows) => rows,
            // No table yet: nothing applied.
            Err(e) if !super::is_unavailable(&e) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let list = if db.backend() == "sqlite" { self.sqlite } else { self.postgres };
        let missing: Vec<i64> = list.iter().map(|m| m.0).filter(|v| !applied.contains(v)).collect();
        Ok(if missing.is_empty() {
            MigrationStatus::Current
        } else {
            MigrationStatus::Pending { block: self.block, missing }
        })
    }
}
