//! Archive bundles: exported from the database, verified offline, tampering named.

use publica_kernel::crypto::Alg;
use publica_kernel::error::Error;
use publica_kernel::keys::Purpose;

use super::super::writer::write_batch;
use super::super::{export_bundle, verify_bundle};
use super::{apps, entry, usage_record};

/// Batches 1–4, 5–7 and 8–12, with bodies and a usage record on entry 6.
async fn seed(app: &publica_kernel::testing::TestApp) {
    for range in [1..=4, 5..=7, 8..=12] {
        let entries = range
            .map(|n| {
                let mut e = entry(n);
                if n == 6 {
                    e.usage.push(usage_record("12345678903", &["name"]));
                }
                e
            })
            .collect();
        write_batch(&app.kernel, entries, true).await.expect("write");
    }
}

#[tokio::test]
async fn a_bundle_verifies_offline_and_names_a_modified_entry() {
    for app in apps().await {
        seed(&app).await;
        let keys = app.kernel.keys();
        let bytes = export_bundle(app.kernel.db(), keys, 1, None).await.expect("export");
        let report = verify_bundle(&bytes).expect("a good bundle verifies");
        assert_eq!((report.from_seq, report.to_seq, report.entries, report.batches), (1, 12, 12, 3));
        assert_eq!(report.usage_records, 1);
        let kid = keys.active(Purpose::Signing, Alg::EdDSA).expect("key").kid.clone();
        assert_eq!(report.keys.len(), 1);
        assert_eq!(report.keys[0].thumbprint, kid, "the thumbprint is the published key id");
        assert!(report.to_string().contains(&kid));

        // Flip one byte inside entry 6's path (JSON stays valid).
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let needle = format!("\"path\":\"/persons/{:011}\"", 6);
        let at = text.find(&needle).expect("entry 6") + needle.len() - 2;
        let mut tampered = bytes.clone();
        tampered[at] ^= 1;
        let problem = verify_bundle(&tampered).expect_err("tampered");
        assert!(problem.starts_with("entry 6:") && problem.contains("modified"), "{problem}");

        // A flipped byte in a sealed body is caught the same way.
        let line = text.lines().find(|l| l.contains("\"seq\":9,")).expect("entry 9");
        let body_at = text.find(line).expect("line") + line.find("\"response_body\":\"").expect("body") + 18;
        let mut tampered = bytes.clone();
        tampered[body_at] = if tampered[body_at] == b'A' { b'B' } else { b'A' };
        let problem = verify_bundle(&tampered).expect_err("tampered");
        assert!(problem.starts_with("entry 9:"), "{problem}");

        // A line removed: the entries no longer follow each other.
        let without: String = text.lines().filter(|l| !l.contains("\"seq\":3,")).map(|l| format!("{l}\n")).collect();
        let problem = verify_bundle(without.as_bytes()).expect_err("missing entry");
        assert!(problem.starts_with("entry 4:"), "{problem}");

        // The last batch line dropped: its entries are unsigned.
        let lines: Vec<&str> = text.lines().collect();
        let cut: String = lines[..lines.len() - 1].iter().map(|l| format!("{l}\n")).collect();
        let problem = verify_bundle(cut.as_bytes()).expect_err("unsigned tail");
        assert!(problem.starts_with("entry 8:"), "{problem}");

        // A key swapped for another one: its id no longer matches, or the signature fails.
        let other = keys.active(Purpose::Signing, Alg::ES256).expect("key");
        let swapped = text.replacen(&kid, &other.kid, 1);
        assert!(verify_bundle(swapped.as_bytes()).is_err());
    }
}

#[tokio::test]
async fn bundles_widen_to_whole_batches_and_chain_together() {
    for app in apps().await {
        seed(&app).await;
        let db = app.kernel.db();
        let keys = app.kernel.keys();
        let first = verify_bundle(&export_bundle(db, keys, 2, Some(6)).await.expect("export")).expect("verifies");
        assert_eq!((first.from_seq, first.to_seq, first.batches), (1, 7, 2));
        let second = verify_bundle(&export_bundle(db, keys, 8, None).await.expect("export")).expect("verifies");
        assert_eq!((second.from_seq, second.to_seq), (8, 12));
        assert_eq!(second.prev_hash, first.last_hash, "consecutive bundles link");

        for (from, to, field) in [(0, None, "from_seq"), (13, None, "from_seq"), (5, Some(4), "to_seq")] {
            match export_bundle(db, keys, from, to).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{from}..{to:?}: {:?}", other.map(|b| b.len())),
            }
        }
        assert!(verify_bundle(b"").is_err());
        assert!(verify_bundle(b"{\"type\":\"entry\"}").expect_err("no header").starts_with("line 1"));
    }
}
