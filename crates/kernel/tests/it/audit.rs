//! The audit log across many entries: checkpoints, and verification after the audit key rotates.

use publica_kernel::audit::{self, Actor, CHECKPOINT_EVERY, Event};
use publica_kernel::crypto::Alg;
use publica_kernel::keys::Purpose;
use publica_kernel::testing::TestApp;

#[tokio::test]
async fn checkpoints_are_signed_and_survive_key_rotation() {
    for app in TestApp::each(&[]).await {
        let kernel = &app.kernel;
        let actor = Actor::system("test");
        for i in 0..(CHECKPOINT_EVERY + 20) {
            let mut tx = kernel.db().begin().await.expect("begin");
            kernel.audit(&mut tx, Event::new(&actor, "test.thing.done", "thing", i)).await.expect("append");
            tx.commit().await.expect("commit");
            if i == 50 {
                // Rotate the audit key halfway: older signatures must still verify.
                let mut tx = kernel.db().begin().await.expect("begin");
                kernel.keys().rotate(&mut tx, Purpose::Audit, Alg::EdDSA, time::Duration::ZERO).await.expect("rotate");
                tx.commit().await.expect("commit");
                kernel.keys().reload(kernel.db()).await.expect("reload");
            }
        }
        let verified = audit::verify(kernel.db(), kernel.keys()).await.expect("verify").expect("intact");
        assert_eq!(verified.entries, CHECKPOINT_EVERY + 20, "{}", app.backend);
        assert_eq!(verified.checkpoints, 1, "{}", app.backend);

        let entries = audit::list(kernel.db(), None, None, 1000).await.expect("list");
        assert_eq!(entries.len() as i64, CHECKPOINT_EVERY + 20);
        assert!(entries.iter().all(|e| e.actor == "system:test"));
    }
}

#[tokio::test]
async fn an_audit_entry_commits_or_rolls_back_with_its_change() {
    for app in TestApp::each(&[]).await {
        let kernel = &app.kernel;
        let mut tx = kernel.db().begin().await.expect("begin");
        kernel
            .audit(&mut tx, Event::new(&Actor::system("test"), "test.rolled.back", "thing", 1))
            .await
            .expect("append");
        drop(tx);
        let entries = audit::list(kernel.db(), None, None, 10).await.expect("list");
        assert!(entries.iter().all(|e| e.action != "test.rolled.back"), "{}", app.backend);
        assert!(audit::verify(kernel.db(), kernel.keys()).await.expect("verify").is_ok());
    }
}
