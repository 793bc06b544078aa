//! A person's data-usage log: newest first, paged with a cursor, embargoed entries hidden.

use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_registry::usage::PersonalDataUsage;

use super::super::writer::write_batch;
use super::super::{UsageLog, usage};
use super::{CLIENT_A, apps, base_time, entry, usage_record};

const PERSON: &str = "12345678903";
const OTHER: &str = "98765432106";

#[tokio::test]
async fn newest_first_paged_and_embargo_hidden_until_it_ends() {
    for app in apps().await {
        let db = app.kernel.db();
        let embargo = base_time().plus(time::Duration::days(30));
        // Entries 1..=7 concern PERSON (entry 4 under embargo), entry 5 also OTHER; 8 nobody.
        let entries = (1..=8)
            .map(|n| {
                let mut e = entry(n);
                if n <= 7 {
                    let mut record = usage_record(PERSON, &["name", "birth_date"]);
                    if n == 4 {
                        record.embargo_until = Some(embargo);
                    }
                    e.usage.push(record);
                }
                if n == 5 {
                    e.usage.push(usage_record(OTHER, &["name"]));
                }
                e
            })
            .collect();
        // Two entries in one batch with the same instant are ordered by their sequence.
        let mut same_time = entry(9);
        same_time.at = base_time().plus(time::Duration::seconds(7));
        same_time.usage.push(usage_record(PERSON, &["over-18"]));
        write_batch(&app.kernel, entries, false).await.expect("write");
        write_batch(&app.kernel, vec![same_time], false).await.expect("write");

        let now = base_time().plus(time::Duration::days(1));
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = usage(db, PERSON, cursor.as_deref(), 3, now).await.expect("usage");
            assert!(page.entries.len() <= 3);
            seen.extend(page.entries);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let ids: Vec<&str> = seen.iter().map(|e| e["request_id"].as_str().expect("request id")).collect();
        assert_eq!(ids, ["req-9", "req-7", "req-6", "req-5", "req-3", "req-2", "req-1"], "{}", app.backend);

        let first = &seen[0];
        assert_eq!(first["client"], CLIENT_A);
        assert_eq!(first["organisation"]["name"], "Demoland Tax Office");
        assert_eq!(first["eservice"]["title"], "Person lookup");
        assert_eq!(first["purpose"]["legal_basis"], "Income Tax Act s. 12");
        assert_eq!(first["data_items"], serde_json::json!(["over-18"]));
        assert!(first["id"].as_str().is_some_and(|s| s.len() == 36));
        assert_eq!(
            Timestamp::parse(first["at"].as_str().expect("at")).expect("RFC 3339"),
            base_time().plus(time::Duration::seconds(7))
        );

        // After the embargo the entry appears in its place.
        let later = usage(db, PERSON, None, 100, embargo).await.expect("usage");
        let ids: Vec<&str> = later.entries.iter().map(|e| e["request_id"].as_str().unwrap_or_default()).collect();
        assert_eq!(ids, ["req-9", "req-7", "req-6", "req-5", "req-4", "req-3", "req-2", "req-1"]);
        assert_eq!(later.next_cursor, None);

        let other = usage(db, OTHER, None, 10, now).await.expect("usage");
        assert_eq!(other.entries.len(), 1);
        assert_eq!(other.entries[0]["data_items"], serde_json::json!(["name"]));
        assert!(usage(db, "11111111116", None, 10, now).await.expect("usage").entries.is_empty());

        // Through the registry's trait, as its `myPersonalDataUsage` calls it.
        let via_trait = UsageLog(db.clone()).usage(PERSON, None, 2).await.expect("usage");
        assert_eq!(via_trait.entries.len(), 2);
        assert!(via_trait.next_cursor.is_some());

        for (cursor, limit, field) in [(Some("garbage"), 10, "cursor"), (None, 0, "limit"), (None, 5000, "limit")] {
            match usage(db, PERSON, cursor, limit, now).await {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{cursor:?} {limit}: {other:?}"),
            }
        }
    }
}
