//! Migration 3 on a database that already holds records: the search entries of the old
//! `registry_index` move to `registry_search` under one key per (register, field), and
//! searches and new keys work on them afterwards.

use std::sync::Arc;

use publica_kernel::block::KernelBlock;
use publica_kernel::config::{Config, Secret};
use publica_kernel::db::{BlockMigrations, Db, Timestamp};
use publica_kernel::testing::PgTestDatabase;
use publica_kernel::{Block, Kernel, on_db};
use publica_registry::{MIGRATIONS, RegistryBlock, store};
use serde_json::json;

/// A record as the test writes it: register, identifier, searchable values `(field, value)`.
type OldRecord = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// The records written before migration 3.
const RECORDS: &[OldRecord] = &[
    ("population", "p1", &[("family_name", "Martin"), ("birth_date", "1990-01-01"), ("municipality", "Demopolis")]),
    ("population", "p2", &[("family_name", "Martin"), ("birth_date", "1985-06-12"), ("municipality", "Sampleton")]),
    ("population", "p3", &[("family_name", "Dupont"), ("birth_date", "1990-01-01"), ("municipality", "Demopolis")]),
    ("businesses", "b1", &[("name", "Martin"), ("municipality", "Demopolis")]),
];

/// The registry's migrations before migration 3.
const BEFORE_SEARCH_KEYS: BlockMigrations = BlockMigrations {
    block: "registry",
    sqlite: MIGRATIONS.sqlite.split_at(2).0,
    postgres: MIGRATIONS.postgres.split_at(2).0,
};

/// A database migrated up to migration 2, holding `RECORDS` as heads with their entries in
/// `registry_index`, as the registry wrote them then.
async fn old_database(config: &Config) {
    let db = Db::connect(config).await.expect("connect");
    publica_kernel::block::MIGRATIONS.run(&db).await.expect("kernel migrations");
    BEFORE_SEARCH_KEYS.run(&db).await.expect("registry migrations 1 and 2");
    let at = Timestamp::parse("2024-01-01T00:00:00Z").expect("timestamp");
    for (register, id, values) in RECORDS {
        let data: serde_json::Map<String, serde_json::Value> =
            values.iter().map(|(f, v)| (f.to_string(), json!(v))).collect();
        let data = serde_json::Value::Object(data).to_string();
        on_db!(&db, pool => sqlx::query(
            "INSERT INTO registry_versions (register, record_id, kind, data, valid_from, recorded_at, feed, head) \
             VALUES ($1, $2, 'created', $3, $4, $4, TRUE, TRUE)")
            .bind(*register).bind(*id).bind(data).bind(at).execute(pool).await.map(|_| ()))
        .expect("version");
        for (field, value) in *values {
            on_db!(&db, pool => sqlx::query(
                "INSERT INTO registry_index (register, field, value, record_id) VALUES ($1, $2, $3, $4)")
                .bind(*register).bind(*field).bind(*value).bind(*id).execute(pool).await.map(|_| ()))
            .expect("index entry");
        }
    }
    db.close().await;
}

async fn ids(db: &Db, register: &str, filters: &[(&str, &str)]) -> Vec<String> {
    let filters: Vec<(String, String)> = filters.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect();
    let found = store::search(db, register, &filters, "", 100).await.expect("search");
    found.into_iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn search_entries_move_to_keyed_search_on_a_database_with_records() {
    let mut backends = vec![None];
    if let Some(database) = PgTestDatabase::create().await {
        backends.push(Some(database));
    }
    for database in backends {
        let dir = tempfile::tempdir().expect("temporary data directory");
        let mut config = Config { data: dir.path().to_path_buf(), ..Config::default() };
        config.database_url = database.as_ref().map(|d| Secret::new(d.url.clone()));
        config.jobs.workers = 0;
        old_database(&config).await;

        let blocks: Vec<Arc<dyn Block>> = vec![Arc::new(KernelBlock), Arc::new(RegistryBlock)];
        let refs: Vec<&dyn Block> = blocks.iter().map(|b| b.as_ref()).collect();
        let kernel = Kernel::open(config, &refs).await.expect("open, applying migration 3");
        let db = kernel.db();
        let backend = db.backend();

        // One key per (register, field), all different; every entry moved.
        let fields: Vec<(i64, String, String)> = on_db!(db, pool => sqlx::query_as(
            "SELECT key, register, field FROM registry_fields ORDER BY register, field").fetch_all(pool).await)
        .expect("fields");
        let names: Vec<(&str, &str)> = fields.iter().map(|(_, r, f)| (r.as_str(), f.as_str())).collect();
        assert_eq!(
            names,
            [
                ("businesses", "municipality"),
                ("businesses", "name"),
                ("population", "birth_date"),
                ("population", "family_name"),
                ("population", "municipality"),
            ],
            "{backend}"
        );
        let mut keys: Vec<i64> = fields.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 5, "{backend}: distinct keys");
        let (entries,): (i64,) =
            on_db!(db, pool => sqlx::query_as("SELECT COUNT(*) FROM registry_search").fetch_one(pool).await)
                .expect("count");
        let expected: usize = RECORDS.iter().map(|(_, _, values)| values.len()).sum();
        assert_eq!(entries, expected as i64, "{backend}");
        let old = on_db!(db, pool => sqlx::query("SELECT 1 FROM registry_index").execute(pool).await.map(|_| ()));
        assert!(old.is_err(), "{backend}: registry_index is gone");

        // Searches find the migrated entries, per register and field.
        assert_eq!(ids(db, "population", &[("family_name", "Martin")]).await, ["p1", "p2"], "{backend}");
        assert_eq!(ids(db, "businesses", &[("name", "Martin")]).await, ["b1"], "{backend}");
        assert_eq!(ids(db, "population", &[("municipality", "Demopolis")]).await, ["p1", "p3"], "{backend}");
        assert_eq!(
            ids(db, "population", &[("birth_date", "1990-01-01"), ("municipality", "Demopolis")]).await,
            ["p1", "p3"],
            "{backend}"
        );
        assert_eq!(
            ids(db, "population", &[("family_name", "Martin"), ("birth_date", "1990-01-01")]).await,
            ["p1"],
            "{backend}"
        );
        assert!(ids(db, "population", &[("name", "Martin")]).await.is_empty(), "{backend}: no such field");

        // Known fields keep their keys; a new one gets a key of its own.
        let mut tx = db.begin().await.expect("begin");
        let got = store::write::field_keys(&mut tx, "population", &["family_name", "status"]).await.expect("keys");
        tx.commit().await.expect("commit");
        let family = fields.iter().find(|(_, r, f)| r == "population" && f == "family_name").expect("family_name");
        assert_eq!(got[0], family.0, "{backend}");
        assert!(!keys.contains(&got[1]), "{backend}: a new key, not {:?}", got[1]);
        kernel.db().close().await;
    }
}
