//! Tampering with the stored log in every way `verify` must catch, naming the first bad entry.

use publica_kernel::on_db;
use publica_kernel::testing::TestApp;

use super::super::store;
use super::super::writer::write_batch;
use super::super::{verify, verify_summary};
use super::{apps, entry, exec, usage_record};

/// Three batches: entries 1–3, 4–6 and 7–10; entries 2 and 8 concern a person.
async fn fixture() -> Vec<TestApp> {
    let apps = apps().await;
    for app in &apps {
        let batches = [1..=3, 4..=6, 7..=10];
        for range in batches {
            let entries = range
                .map(|n| {
                    let mut e = entry(n);
                    if n == 2 || n == 8 {
                        e.usage.push(usage_record("12345678903", &["name", "birth_date"]));
                    }
                    e
                })
                .collect();
            write_batch(&app.kernel, entries, true).await.expect("write");
        }
        let (ok, summary) = verify_summary(app.kernel.db(), app.kernel.keys()).await.expect("verify");
        assert!(ok, "{summary}");
        assert!(summary.contains("10 entries in 3 signed batches, 2 usage records"), "{summary}");
    }
    apps
}

async fn assert_tampered(app: &TestApp, seq: i64, problem: &str) {
    let found = verify(app.kernel.db(), app.kernel.keys()).await.expect("verify").expect_err("tampering detected");
    assert_eq!(found.seq, seq, "{}: {found}", app.backend);
    assert!(found.problem.contains(problem), "{}: {found}", app.backend);
    let (ok, summary) = verify_summary(app.kernel.db(), app.kernel.keys()).await.expect("verify");
    assert!(!ok && summary.contains(&format!("entry {seq}")), "{summary}");
}

#[tokio::test]
async fn a_modified_entry_is_named() {
    for app in fixture().await {
        exec(app.kernel.db(), "UPDATE exchange_log SET status = 500 WHERE seq = $1", &[5]).await;
        assert_tampered(&app, 5, "modified").await;
    }
}

#[tokio::test]
async fn a_deleted_or_altered_usage_record_is_named() {
    for app in fixture().await {
        exec(app.kernel.db(), "DELETE FROM exchange_usage WHERE seq = $1", &[8]).await;
        assert_tampered(&app, 8, "modified").await;
    }
    for app in fixture().await {
        exec(app.kernel.db(), "UPDATE exchange_usage SET data_items = '[\"name\"]' WHERE seq = $1", &[2]).await;
        assert_tampered(&app, 2, "modified").await;
    }
    for app in fixture().await {
        exec(app.kernel.db(), "UPDATE exchange_usage SET data_items = 'name' WHERE seq = $1", &[2]).await;
        assert_tampered(&app, 2, "modified").await;
    }
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    for app in fixture().await {
        exec(app.kernel.db(), "DELETE FROM exchange_log WHERE seq = $1", &[5]).await;
        assert_tampered(&app, 5, "missing").await;
    }
}

#[tokio::test]
async fn reordered_entries_are_named() {
    for app in fixture().await {
        let db = app.kernel.db();
        exec(db, "UPDATE exchange_log SET seq = -1 WHERE seq = $1", &[4]).await;
        exec(db, "UPDATE exchange_log SET seq = $1 WHERE seq = $2", &[4, 5]).await;
        exec(db, "UPDATE exchange_log SET seq = $1 WHERE seq = -1", &[5]).await;
        assert_tampered(&app, 4, "does not link").await;
    }
}

#[tokio::test]
async fn an_entry_appended_outside_the_writer_is_named() {
    for app in fixture().await {
        let db = app.kernel.db();
        // A well-formed entry 11 linked to entry 10, but without a signed batch.
        let mut forged = store::entries(db, 10, 10, 1).await.expect("read").remove(0);
        forged.seq = 11;
        forged.prev_hash = forged.hash.clone();
        forged.hash = forged.compute_hash();
        on_db!(db, pool => sqlx::query(
            "INSERT INTO exchange_log SELECT 11, request_id, at, client, service, eservice_id, agreement_id, purpose_id,
             method, path, user_id, issue, status, request_hash, response_hash, request_body, response_body, $1, $2
             FROM exchange_log WHERE seq = 10")
            .bind(&forged.prev_hash).bind(&forged.hash).execute(pool).await.map(|_| ()))
        .expect("insert");
        assert_tampered(&app, 11, "not covered by a signed batch").await;
    }
}

#[tokio::test]
async fn a_consistently_rewritten_chain_fails_its_batch_signature() {
    for app in fixture().await {
        let db = app.kernel.db();
        // Change entry 2 and recompute every later link, as someone with write access to the
        // database (but not the signing key) would.
        let mut prev = super::super::chain::genesis();
        for mut e in store::entries(db, 1, 100, 100).await.expect("read") {
            if e.seq == 2 {
                e.path = "/persons/00000000000".into();
            }
            e.prev_hash = prev;
            e.hash = e.compute_hash();
            on_db!(db, pool => sqlx::query("UPDATE exchange_log SET path = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
                .bind(&e.path).bind(&e.prev_hash).bind(&e.hash).bind(e.seq).execute(pool).await.map(|_| ()))
            .expect("rewrite");
            prev = e.hash;
        }
        assert_tampered(&app, 3, "signed batch 1").await;
    }
}

#[tokio::test]
async fn a_forged_batch_signature_is_named() {
    for app in fixture().await {
        let db = app.kernel.db();
        let mut seal = store::batches(db, 2, 1).await.expect("read").remove(0);
        seal.signature[0] ^= 1;
        on_db!(db, pool => sqlx::query("UPDATE exchange_log_batches SET signature = $1 WHERE batch = 2")
            .bind(&seal.signature).execute(pool).await.map(|_| ()))
        .expect("forge");
        assert_tampered(&app, 6, "signature of batch 2 is invalid").await;
    }
    for app in fixture().await {
        exec(app.kernel.db(), "DELETE FROM exchange_log_batches WHERE batch = $1", &[2]).await;
        assert_tampered(&app, 4, "batch 2").await;
    }
}

#[tokio::test]
async fn truncation_is_detected_by_the_batch_or_the_head() {
    // The tail of a batch: the batch row still signs up to entry 10.
    for app in fixture().await {
        exec(app.kernel.db(), "DELETE FROM exchange_log WHERE seq >= $1", &[9]).await;
        assert_tampered(&app, 9, "truncated").await;
    }
    // A whole batch and its row: the signed head still records ten entries.
    for app in fixture().await {
        let db = app.kernel.db();
        exec(db, "DELETE FROM exchange_log WHERE seq >= $1", &[7]).await;
        exec(db, "DELETE FROM exchange_usage WHERE seq >= $1", &[7]).await;
        exec(db, "DELETE FROM exchange_log_batches WHERE batch >= $1", &[3]).await;
        assert_tampered(&app, 7, "signed head records 10 entries").await;
    }
}

#[tokio::test]
async fn usage_records_without_an_entry_are_named() {
    for app in fixture().await {
        exec(
            app.kernel.db(),
            "INSERT INTO exchange_usage (seq, ord, id, national_id, at, consumer_org, consumer_name, client, eservice_id,
               eservice_title, purpose_id, purpose_title, legal_basis, data_items, request_id, embargo_until)
             SELECT $1, ord, id, national_id, at, consumer_org, consumer_name, client, eservice_id, eservice_title,
               purpose_id, purpose_title, legal_basis, data_items, request_id, embargo_until
             FROM exchange_usage WHERE seq = $2",
            &[40, 8],
        )
        .await;
        assert_tampered(&app, 40, "usage records were inserted").await;
    }
}
