//! Database tests of the message log and usage log, on SQLite and (when configured) PostgreSQL.

mod bundle;
mod log;
mod tamper;
mod usage;

use std::sync::Arc;

use publica_kernel::db::{Db, Timestamp};
use publica_kernel::on_db;
use publica_kernel::testing::TestApp;
use uuid::Uuid;

use super::chain::sha512;
use super::{LogEntry, UsageRecord};

pub const CLIENT_A: &str = "DL/GOV/70000003/tax-portal";
pub const CLIENT_B: &str = "DL/GOV/70000004/benefits";
pub const SERVICE: &str = "DL/GOV/70000001/civil-registry/persons";

/// One app per backend with the exchange block (its migrations include the message log's).
pub async fn apps() -> Vec<TestApp> {
    TestApp::each(&[Arc::new(crate::ExchangeBlock)]).await
}

pub fn base_time() -> Timestamp {
    Timestamp::parse("2026-03-01T09:00:00Z").expect("time")
}

/// Exchange `n`: alternating clients, every fifth one answered 404, at `base_time() + n s`.
pub fn entry(n: i64) -> LogEntry {
    let path = format!("/persons/{n:011}");
    LogEntry {
        request_id: format!("req-{n}"),
        at: base_time().plus(time::Duration::seconds(n)),
        client: if n % 2 == 0 { CLIENT_A } else { CLIENT_B }.into(),
        service: SERVICE.into(),
        eservice_id: Uuid::from_u128(1),
        agreement_id: Uuid::from_u128(2),
        purpose_id: Uuid::from_u128(3),
        method: "GET".into(),
        path: path.clone(),
        user_id: (n % 3 == 0).then(|| "EE12345678901".to_string()),
        issue: None,
        status: if n % 5 == 0 { 404 } else { 200 },
        request_hash: sha512(path.as_bytes()),
        response_hash: sha512(format!("{{\"n\":{n}}}").as_bytes()),
        request_body: Some(Vec::new()),
        response_body: Some(format!("{{\"n\":{n}}}").into_bytes()),
        usage: Vec::new(),
    }
}

pub fn usage_record(national_id: &str, items: &[&str]) -> UsageRecord {
    UsageRecord {
        national_id: national_id.into(),
        consumer_org: Uuid::from_u128(10),
        consumer_name: "Demoland Tax Office".into(),
        client: CLIENT_A.into(),
        eservice_id: Uuid::from_u128(1),
        eservice_title: "Person lookup".into(),
        purpose_id: Uuid::from_u128(3),
        purpose_title: "Income tax assessment".into(),
        legal_basis: "Income Tax Act s. 12".into(),
        data_items: items.iter().map(|s| s.to_string()).collect(),
        embargo_until: None,
    }
}

/// Run one statement with integer parameters.
pub async fn exec(db: &Db, sql: &'static str, params: &[i64]) {
    on_db!(db, pool => {
        let mut q = sqlx::query(sql);
        for p in params {
            q = q.bind(*p);
        }
        q.execute(pool).await.map(|_| ())
    })
    .expect(sql);
}
