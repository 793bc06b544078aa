//! Appending: group commit, one chain across writers, sealed bodies, listing with filters.

use publica_kernel::error::Error;
use publica_kernel::on_db;

use super::super::writer::write_batch;
use super::super::{LogFilter, MessageLog, bodies, get, list, verify};
use super::{CLIENT_A, CLIENT_B, SERVICE, apps, base_time, entry, usage_record};

#[tokio::test]
async fn concurrent_calls_share_batches_and_form_one_signed_chain() {
    for app in apps().await {
        let log = MessageLog::start(app.kernel.clone(), false);
        // A second writer stands for another process: both must extend the same chain.
        let other = MessageLog::start(app.kernel.clone(), false);
        let mut tasks = Vec::new();
        for n in 1..=120 {
            let writer = if n % 2 == 0 { log.clone() } else { other.clone() };
            let mut e = entry(n);
            e.usage.push(usage_record("12345678903", &["name"]));
            tasks.push(tokio::spawn(async move { writer.record(e).await }));
        }
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.push(task.await.expect("join").expect("record"));
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=120).collect::<Vec<_>>(), "{}", app.backend);

        let verified = verify(app.kernel.db(), app.kernel.keys()).await.expect("verify").expect("intact");
        assert_eq!(verified.entries, 120);
        assert_eq!(verified.usage_records, 120);
        assert!(verified.batches >= 1 && verified.batches <= 120, "{verified:?}");
        assert!(verified.batches < 120, "{}: concurrent calls should share batches", app.backend);
        assert_eq!(verified.kids.len(), 1);
    }
}

#[tokio::test]
async fn bodies_are_sealed_when_logged_and_absent_otherwise() {
    for app in apps().await {
        let db = app.kernel.db();
        let sealed = MessageLog::start(app.kernel.clone(), true).record(entry(1)).await.expect("record");
        let plain = MessageLog::start(app.kernel.clone(), false).record(entry(2)).await.expect("record");

        let stored: Option<Vec<u8>> =
            on_db!(db, pool => sqlx::query_scalar("SELECT response_body FROM exchange_log WHERE seq = $1")
            .bind(sealed).fetch_one(pool).await)
            .expect("row");
        let stored = stored.expect("sealed body kept");
        assert!(!stored.windows(5).any(|w| w == b"\"n\":1"), "the body must not be stored in clear");
        let opened = bodies(db, app.kernel.keys(), sealed).await.expect("bodies").expect("entry");
        assert_eq!(opened.response.as_deref(), Some(&b"{\"n\":1}"[..]));
        assert_eq!(opened.request.as_deref(), Some(&b""[..]));
        assert!(get(db, sealed).await.expect("get").expect("entry").has_bodies);

        let opened = bodies(db, app.kernel.keys(), plain).await.expect("bodies").expect("entry");
        assert_eq!(opened.response, None);
        let item = get(db, plain).await.expect("get").expect("entry");
        assert!(!item.has_bodies);
        assert_eq!(item.path, format!("/persons/{:011}", 2));

        // A sealed body moved to another entry no longer opens.
        on_db!(db, pool => sqlx::query("UPDATE exchange_log SET response_body = (SELECT response_body FROM exchange_log WHERE seq = $1) WHERE seq = $2")
            .bind(sealed).bind(plain).execute(pool).await.map(|_| ())).expect("move");
        assert!(bodies(db, app.kernel.keys(), plain).await.is_err());
        verify(db, app.kernel.keys()).await.expect("verify").expect_err("moved body is detected");
    }
}

#[tokio::test]
async fn a_bad_entry_is_refused_alone() {
    for app in apps().await {
        let log = MessageLog::start(app.kernel.clone(), false);
        let mut bad = entry(1);
        bad.path = "/persons/\0".into();
        match log.record(bad).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "path"),
            other => panic!("{other:?}"),
        }
        let mut bad = entry(1);
        bad.usage.push(usage_record("", &["name"]));
        match log.record(bad).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "usage/0/national_id"),
            other => panic!("{other:?}"),
        }
        assert_eq!(log.record(entry(1)).await.expect("a good entry still records"), 1);
    }
}

#[tokio::test]
async fn one_person_named_twice_gets_one_usage_record() {
    for app in apps().await {
        let mut e = entry(1);
        e.usage = vec![usage_record("12345678903", &["name"]), usage_record("12345678903", &["name", "address"])];
        e.usage.push(usage_record("98765432106", &["name"]));
        write_batch(&app.kernel, vec![e], false).await.expect("write");
        let count: i64 = on_db!(app.kernel.db(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM exchange_usage")
            .fetch_one(pool).await)
        .expect("count");
        assert_eq!(count, 2);
        let items: String = on_db!(app.kernel.db(), pool => sqlx::query_scalar(
            "SELECT data_items FROM exchange_usage WHERE national_id = '12345678903'").fetch_one(pool).await)
        .expect("row");
        assert_eq!(items, r#"["name","address"]"#);
    }
}

#[tokio::test]
async fn list_filters_and_pages_newest_first() {
    for app in apps().await {
        let db = app.kernel.db();
        write_batch(&app.kernel, (1..=20).map(entry).collect(), false).await.expect("write");
        let all = LogFilter::default();

        let page = list(db, &all, None, 5).await.expect("list");
        assert_eq!(page.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![20, 19, 18, 17, 16]);
        let next = list(db, &all, Some(16), 5).await.expect("list");
        assert_eq!(next.first().map(|i| i.seq), Some(15));

        let by_client = list(db, &LogFilter { client: Some(CLIENT_B.into()), ..Default::default() }, None, 100)
            .await
            .expect("list");
        assert_eq!(by_client.len(), 10);
        assert!(by_client.iter().all(|i| i.client == CLIENT_B && i.seq % 2 == 1));

        let failed = LogFilter { status: Some(404), client: Some(CLIENT_A.into()), ..Default::default() };
        let failed = list(db, &failed, None, 100).await.expect("list");
        assert_eq!(failed.iter().map(|i| i.seq).collect::<Vec<_>>(), vec![20, 10]);

        let by_id = LogFilter { request_id: Some("req-7".into()), service: Some(SERVICE.into()), ..Default::default() };
        assert_eq!(list(db, &by_id, None, 10).await.expect("list").iter().map(|i| i.seq).collect::<Vec<_>>(), vec![7]);

        let range = LogFilter {
            from: Some(base_time().plus(time::Duration::seconds(3))),
            to: Some(base_time().plus(time::Duration::seconds(6))),
            ..Default::default()
        };
        assert_eq!(
            list(db, &range, None, 10).await.expect("list").iter().map(|i| i.seq).collect::<Vec<_>>(),
            vec![5, 4, 3]
        );

        match list(db, &all, None, 0).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "limit"),
            other => panic!("{other:?}"),
        }
        let reversed = LogFilter { from: range.to, to: range.from, ..Default::default() };
        match list(db, &reversed, None, 10).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "to"),
            other => panic!("{other:?}"),
        }
    }
}
