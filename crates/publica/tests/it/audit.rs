//! Audit log tampering: modify, delete, insert, reorder and truncate are each found by
//! `publica audit verify`, which names the first bad entry.

use crate::support::{Backend, Server, backends, create_postgres_database, publica};

/// Each scenario: a name, the SQL that tampers, and what the report must say.
fn scenarios(last: i64) -> Vec<(&'static str, String, String)> {
    vec![
        ("modify", "UPDATE kernel_audit SET action = 'kernel.nothing.happened' WHERE seq = 5".into(), "entry 5:".into()),
        ("delete", "DELETE FROM kernel_audit WHERE seq = 7".into(), "entry 7:".into()),
        (
            "insert",
            // Make room after entry 3 and slip a copy of entry 2 in as entry 4.
            "UPDATE kernel_audit SET seq = seq + 1000 WHERE seq >= 4; UPDATE kernel_audit SET seq = seq - 999 WHERE seq >= 1004;
             INSERT INTO kernel_audit (seq, at, actor, action, object_type, object_id, org_id, request_id, details, prev_hash, hash)
             SELECT 4, at, actor, action, object_type, object_id, org_id, request_id, details, prev_hash, hash FROM kernel_audit WHERE seq = 2"
                .into(),
            "entry 4:".into(),
        ),
        (
            "reorder",
            "UPDATE kernel_audit SET seq = -1 WHERE seq = 3; UPDATE kernel_audit SET seq = 3 WHERE seq = 6; UPDATE kernel_audit SET seq = 6 WHERE seq = -1"
                .into(),
            "entry 3:".into(),
        ),
        ("truncate", format!("DELETE FROM kernel_audit WHERE seq > {}", last - 3), format!("entry {}:", last - 2)),
        ("append", format!(
            "INSERT INTO kernel_audit (seq, at, actor, action, object_type, object_id, org_id, request_id, details, prev_hash, hash)
             SELECT {}, at, actor, action, object_type, object_id, org_id, request_id, details, hash, hash FROM kernel_audit WHERE seq = {last}", last + 1),
            format!("entry {}:", last + 1)),
    ]
}

/// A copy of the seeded installation for one scenario.
async fn clone_of(seeded: &Backend) -> Backend {
    let dir = tempfile::tempdir().expect("tempdir");
    for file in ["master.key", "publica.db", "publica.db-wal"] {
        let from = seeded.data().join(file);
        if from.exists() {
            std::fs::copy(&from, dir.path().join(file)).expect("copy");
        }
    }
    let database_url = match &seeded.database_url {
        Some(url) => {
            let template = url.rsplit('/').next().expect("database name").to_string();
            create_postgres_database(Some(&template)).await
        }
        None => None,
    };
    Backend { name: seeded.name, dir, database_url }
}

#[tokio::test]
async fn every_kind_of_tampering_is_detected_and_named() {
    for seeded in backends().await {
        // Seed an audit log through real use: the demo adds organisations, members and keys.
        Server::start(&seeded, &["--demo"], &[]).stop();
        let db = seeded.connect().await;
        let last = db.scalar("SELECT MAX(seq) FROM kernel_audit").await;
        db.close().await;
        assert!(last > 15, "the demo should audit its changes ({last} entries)");

        let intact = clone_of(&seeded).await;
        let out = publica(&intact, &["audit", "verify"], &[]);
        assert!(out.status.success(), "{}: {}", seeded.name, String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{last} entries")));

        for (scenario, sql, expected) in scenarios(last) {
            let copy = clone_of(&seeded).await;
            let db = copy.connect().await;
            db.execute(&sql).await;
            db.close().await;
            let out = publica(&copy, &["audit", "verify"], &[]);
            let report = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{} {scenario}: tampering not detected", seeded.name);
            assert!(report.contains(&expected), "{} {scenario}: expected `{expected}` in: {report}", seeded.name);
        }
    }
}
