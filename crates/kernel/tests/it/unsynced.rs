//! The unsynced handle (`Db::unsynced`): its commits are seen at once through the ordinary pool,
//! and only its own connection skips waiting for the disk.

use publica_kernel::db::Db;
use publica_kernel::on_db;
use publica_kernel::testing::TestApp;

#[tokio::test]
async fn unsynced_commits_are_seen_at_once_and_only_they_skip_the_sync() {
    for app in TestApp::each(&[]).await {
        let db = app.kernel.db();
        let unsynced = db.unsynced();
        on_db!(db, pool => sqlx::query("CREATE TABLE test_unsynced_rows (id BIGINT PRIMARY KEY)").execute(pool).await.map(|_| ()))
            .expect("create table");
        on_db!(&unsynced, pool => sqlx::query("INSERT INTO test_unsynced_rows (id) VALUES (7)").execute(pool).await.map(|_| ()))
            .expect("insert through the unsynced handle");
        let seen: Vec<i64> =
            on_db!(db, pool => sqlx::query_scalar("SELECT id FROM test_unsynced_rows").fetch_all(pool).await)
                .expect("read through the ordinary pool");
        assert_eq!(seen, vec![7], "{}", db.backend());
        match (db, &unsynced) {
            (Db::Sqlite(ordinary), Db::Sqlite(side)) => {
                // 1 is NORMAL (in WAL mode: no sync at commit), 2 is FULL.
                let mode = |pool| async move {
                    sqlx::query_scalar::<_, i64>("PRAGMA synchronous").fetch_one(pool).await.expect("synchronous")
                };
                assert_eq!(mode(side).await, 1);
                assert_eq!(mode(ordinary).await, 2);
            }
            (Db::Postgres(ordinary), Db::Postgres(side)) => {
                let mode = |pool| async move {
                    sqlx::query_scalar::<_, String>("SHOW synchronous_commit").fetch_one(pool).await.expect("setting")
                };
                assert_eq!(mode(side).await, "off");
                assert_eq!(mode(ordinary).await, "on");
            }
            _ => panic!("the unsynced handle is on another engine than its pool"),
        }
    }
}
