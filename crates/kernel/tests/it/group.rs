//! The group committer: items submitted together share one transaction, each caller is answered
//! once that transaction is committed, and a failed transaction fails every item in it.

use std::sync::{Arc, Mutex};

use publica_kernel::db::{BatchWriter, Db, GroupCommit, Tx};
use publica_kernel::error::Result;
use publica_kernel::on_db;
use publica_kernel::on_tx;
use publica_kernel::testing::TestApp;

/// Inserts each item as a row, and notes the size of each batch.
struct Rows {
    batches: Mutex<Vec<usize>>,
}

#[async_trait::async_trait]
impl BatchWriter<i64> for Rows {
    async fn write(&self, tx: &mut Tx, items: &[i64]) -> Result<()> {
        self.batches.lock().expect("batches").push(items.len());
        let sql = format!("INSERT INTO test_group_rows (id) VALUES {}", tx.value_rows(1, items.len(), 1));
        on_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for id in items {
                q = q.bind(id);
            }
            q.execute(c).await.map(|_| ())
        })?;
        Ok(())
    }
}

async fn rows(db: &Db) -> Vec<i64> {
    on_db!(db, pool => sqlx::query_scalar("SELECT id FROM test_group_rows ORDER BY id").fetch_all(pool).await)
        .expect("read rows")
}

async fn setup(app: &TestApp) -> (GroupCommit<i64>, Arc<Rows>) {
    let db = app.kernel.db();
    on_db!(db, pool => sqlx::query("CREATE TABLE test_group_rows (id BIGINT PRIMARY KEY)").execute(pool).await.map(|_| ()))
        .expect("create table");
    let writer = Arc::new(Rows { batches: Mutex::new(Vec::new()) });
    (GroupCommit::spawn(db.clone(), 256, writer.clone()), writer)
}

#[tokio::test]
async fn items_submitted_together_share_a_commit_and_are_answered_after_it() {
    for app in TestApp::each(&[]).await {
        let (committer, writer) = setup(&app).await;
        let db = app.kernel.db().clone();
        let tasks: Vec<_> = (0..64_i64)
            .map(|id| {
                let (committer, db) = (committer.clone(), db.clone());
                tokio::spawn(async move {
                    committer.submit(id).await.expect("submit");
                    // Answered only once committed: another connection sees the row.
                    assert!(rows(&db).await.contains(&id), "row {id} not visible after its answer");
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(rows(&db).await, (0..64).collect::<Vec<_>>(), "{}", app.backend);
        let batches = writer.batches.lock().expect("batches").clone();
        assert_eq!(batches.iter().sum::<usize>(), 64, "{}", app.backend);
        assert!(batches.len() < 64, "{}: 64 items submitted at once took {} commits", app.backend, batches.len());
    }
}

#[tokio::test]
async fn an_enqueued_item_is_written_while_its_caller_goes_on() {
    for app in TestApp::each(&[]).await {
        let (committer, _) = setup(&app).await;
        let committed = committer.enqueue(7).await.expect("enqueue");
        committed.wait().await.expect("committed");
        assert_eq!(rows(app.kernel.db()).await, vec![7], "{}", app.backend);
    }
}

#[tokio::test]
async fn a_failed_transaction_fails_every_item_in_it_and_writes_none() {
    for app in TestApp::each(&[]).await {
        let (committer, _) = setup(&app).await;
        committer.submit(1).await.expect("first");
        // Handed over together (the committer runs only once the test waits), so one batch with
        // the same id twice: its insert fails, and with it both items.
        let enqueued = [committer.enqueue(2).await.expect("enqueue"), committer.enqueue(1).await.expect("enqueue")];
        for committed in enqueued {
            assert!(committed.wait().await.is_err(), "{}", app.backend);
        }
        assert_eq!(rows(app.kernel.db()).await, vec![1], "{}", app.backend);
        // The committer goes on after a failed batch.
        committer.submit(3).await.expect("after the failure");
        assert_eq!(rows(app.kernel.db()).await, vec![1, 3], "{}", app.backend);
    }
}
