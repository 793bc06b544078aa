//! The GovStack Digital Registries data API: every endpoint, its errors, the owner-only rule,
//! the bitemporal extensions, and the OpenAPI document locked by a snapshot.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use publica_kernel::Block;
use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::testing::{TestApp, assert_openapi_snapshot};
use publica_registry::domain::builtin::example_person;
use publica_registry::usage::{PersonalDataUsage, UsagePage, UsageProvider};
use publica_registry::{RegistryBlock, national_id};
use serde_json::{Value, json};

use super::{apps, owners, registry};

const CLIENT: &str = "DL/GOV/70000001/civil-registry";

/// A response: status, content type, `Link` header and body (JSON, or the text as a string).
struct Answer {
    status: u16,
    content_type: String,
    link: Option<String>,
    body: Value,
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    client: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(client) = client {
        builder = builder.header("Information-Mediator-Client", client);
    }
    let body = match body {
        Some(b) => {
            builder = builder.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = app.request(builder.body(body).expect("request")).await;
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type").unwrap_or_default();
    let link = header("link");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Answer { status, content_type, link, body }
}

/// The civil registry's and the chamber of commerce's `registry` API keys.
async fn keys(app: &TestApp) -> (String, String) {
    let (civil, chamber) = owners(&app.kernel).await;
    registry(&app.kernel).register("population").await.expect("population is defined");
    let key = |org| async move {
        app.kernel.create_api_key(&Actor::operator(), org, "registry", "test").await.expect("key").1
    };
    (key(civil).await, key(chamber).await)
}

fn person(body: &str, family_name: &str, municipality: &str) -> Value {
    let mut p = example_person();
    p["national_id"] = json!(national_id::with_check(body).expect("id"));
    p["family_name"] = json!(family_name);
    p["residence"]["municipality"] = json!(municipality);
    p
}

/// A valid national id no test creates.
fn absent() -> String {
    national_id::with_check("1234567890").expect("id")
}

struct Api<'a> {
    app: &'a TestApp,
    token: &'a str,
}

impl Api<'_> {
    async fn post(&self, path: &str, body: Value) -> Answer {
        call(self.app, "POST", path, Some(self.token), Some(CLIENT), Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> Answer {
        call(self.app, "PUT", path, Some(self.token), Some(CLIENT), Some(body)).await
    }
    async fn get(&self, path: &str) -> Answer {
        call(self.app, "GET", path, Some(self.token), Some(CLIENT), None).await
    }
    async fn delete(&self, path: &str) -> Answer {
        call(self.app, "DELETE", path, Some(self.token), Some(CLIENT), None).await
    }
    async fn create(&self, data: &Value) -> Answer {
        self.post("/data/population/1.0/create", json!({"write": {"content": data}})).await
    }
}

#[tokio::test]
async fn records_are_created_read_updated_and_deleted() {
    for app in apps().await {
        let (civil, _) = keys(&app).await;
        let api = Api { app: &app, token: &civil };
        let ana = person("1985061234", "Martin", "Demopolis");
        let id = ana["national_id"].as_str().expect("id").to_string();

        let created = api.create(&ana).await;
        assert_eq!(created.status, 200, "{}: {}", app.backend, created.body);
        assert_eq!(created.body["content"], ana);
        assert!(created.content_type.starts_with("application/json"));
        let again = api.create(&ana).await;
        assert_eq!(again.status, 409, "{}", again.body);

        // read: by identifier, by a searchable field plus another field, and not at all
        let read = api.post("/data/population/1.0/read", json!({"query": {"content": {"national_id": id}}})).await;
        assert_eq!((read.status, &read.body["content"]), (200, &ana));
        let by_name = api
            .post(
                "/data/population/1.0/read",
                json!({"query": {"content": {"family_name": "Martin", "given_names": "Camille Anne", "residence": {"municipality": "Demopolis"}}}}),
            )
            .await;
        assert_eq!(by_name.status, 200, "{}", by_name.body);
        assert_eq!(by_name.body["content"]["national_id"], json!(id));
        let missing = api
            .post(
                "/data/population/1.0/read",
                json!({"query": {"content": {"family_name": "Martin", "given_names": "Zed"}}}),
            )
            .await;
        assert_eq!((missing.status, &missing.body), (404, &json!({"detail": "no record found"})));
        assert!(missing.content_type.starts_with("application/json"), "{}", missing.content_type);
        let unsearchable =
            api.post("/data/population/1.0/read", json!({"query": {"content": {"given_names": "Camille Anne"}}})).await;
        assert_eq!(unsearchable.status, 400);
        assert_eq!(unsearchable.body["errors"][0]["field"], "query.content");
        assert!(unsearchable.body["detail"].as_str().expect("detail").contains("family_name"), "{}", unsearchable.body);

        // exists
        let yes = api.post("/data/population/1.0/exists", json!({"query": {"content": {"national_id": id}}})).await;
        assert_eq!(yes.body, json!({"answer": {"status": true, "message": "Object found from database"}}));
        let no =
            api.post("/data/population/1.0/exists", json!({"query": {"content": {"family_name": "Nobody"}}})).await;
        assert_eq!((no.status, &no.body["answer"]["status"]), (200, &json!(false)));

        // update: merge into the record found by the query, or by the identifier in write
        let before_update = Timestamp::now();
        let updated = api
            .put(
                "/data/population/1.0/update",
                json!({"query": {"content": {"national_id": id}}, "write": {"content": {"family_name": "Dupont"}}}),
            )
            .await;
        assert_eq!(updated.status, 200, "{}", updated.body);
        assert_eq!(updated.body["content"]["family_name"], "Dupont");
        assert_eq!(updated.body["content"]["given_names"], "Camille Anne");
        let corrected = api
            .put(
                "/data/population/1.0/update?correction=misspelt%20at%20registration",
                json!({"write": {"content": {"national_id": id, "given_names": "Camille Anna"}}}),
            )
            .await;
        assert_eq!(corrected.status, 200, "{}", corrected.body);
        let renumbered = api
            .put(
                "/data/population/1.0/update",
                json!({"query": {"content": {"national_id": id}}, "write": {"content": {"national_id": absent()}}}),
            )
            .await;
        assert_eq!(renumbered.status, 400);
        assert_eq!(renumbered.body["errors"][0]["field"], "write.content/national_id");
        let invalid = api
            .put(
                "/data/population/1.0/update",
                json!({"query": {"content": {"national_id": id}}, "write": {"content": {"birth_date": "1985-13-45"}}}),
            )
            .await;
        assert_eq!(invalid.status, 400, "{}", invalid.body);
        assert_eq!(invalid.body["errors"][0]["field"], "write.content/birth_date");
        let nobody = api
            .put(
                "/data/population/1.0/update",
                json!({"query": {"content": {"family_name": "Nobody"}}, "write": {"content": {}}}),
            )
            .await;
        assert_eq!(nobody.status, 404);

        // bitemporal reads: as known before the update, and before the person existed
        let known = api
            .post(
                &format!("/data/population/1.0/read?knownAt={}", before_update.to_fixed()),
                json!({"query": {"content": {"national_id": id}}}),
            )
            .await;
        assert_eq!(known.body["content"]["family_name"], "Martin", "{}", known.body);
        let long_ago = api
            .post("/data/population/1.0/read?asOf=2000-01-01", json!({"query": {"content": {"national_id": id}}}))
            .await;
        assert_eq!(long_ago.status, 404);
        let bad_time = api
            .post("/data/population/1.0/read?asOf=yesterday", json!({"query": {"content": {"national_id": id}}}))
            .await;
        assert_eq!((bad_time.status, &bad_time.body["errors"][0]["field"]), (400, &json!("asOf")));

        // read-value
        let value = api.get(&format!("/data/population/1.0/{id}/read-value/given_names.json")).await;
        assert_eq!((value.status, &value.body), (200, &json!({"value": "Camille Anna"})));
        let nested = api.get(&format!("/data/population/1.0/{id}/read-value/residence.municipality.json")).await;
        assert_eq!(nested.body, json!({"value": "Demopolis"}));
        let text = api.get(&format!("/data/population/1.0/{id}/readValue/family_name.txt")).await;
        assert_eq!((text.status, text.body.as_str()), (200, Some("Dupont")));
        assert!(text.content_type.starts_with("text/plain"));
        let old = api
            .get(&format!("/data/population/1.0/{id}/read-value/family_name.json?knownAt={}", before_update.to_fixed()))
            .await;
        assert_eq!(old.body, json!({"value": "Martin"}));
        assert_eq!(api.get(&format!("/data/population/1.0/{id}/read-value/nickname.json")).await.status, 404);
        assert_eq!(api.get(&format!("/data/population/1.0/{id}/read-value/given_names.xml")).await.status, 400);

        // update-or-create: creates from query + write, then updates
        let bo = person("1990020300", "Okafor", "Riverside");
        let bo_id = bo["national_id"].as_str().expect("id").to_string();
        let mut write = bo.clone();
        write.as_object_mut().expect("object").remove("national_id");
        let made = api
            .post(
                "/data/population/1.0/update-or-create",
                json!({"query": {"content": {"national_id": bo_id}}, "write": {"content": write}}),
            )
            .await;
        assert_eq!((made.status, &made.body["content"]), (200, &bo), "{}", made.body);
        let changed = api
            .post(
                "/data/population/1.0/updateOrCreate",
                json!({"query": {"content": {"national_id": bo_id}}, "write": {"content": {"birth_place": "Harbourtown"}}}),
            )
            .await;
        assert_eq!(changed.body["content"]["birth_place"], "Harbourtown");
        assert_eq!(changed.body["content"]["family_name"], "Okafor");

        // history (extension): created, changed (closing copy + new fact), corrected
        let history = api.get(&format!("/data/population/1.0/{id}/history")).await;
        assert_eq!(history.status, 200);
        let kinds: Vec<&str> =
            history.body["versions"].as_array().expect("versions").iter().filter_map(|v| v["kind"].as_str()).collect();
        assert!(kinds.contains(&"created") && kinds.contains(&"changed") && kinds.contains(&"corrected"), "{kinds:?}");
        assert!(history.body["versions"][0]["validFrom"].is_string());

        // delete: logical, with the history kept
        let deleted =
            api.delete(&format!("/data/population/1.0/{id}/delete?reason=emigrated%20records%20merged")).await;
        assert_eq!(deleted.status, 204, "{}", deleted.body);
        let gone = api.post("/data/population/1.0/read", json!({"query": {"content": {"national_id": id}}})).await;
        assert_eq!(gone.status, 404);
        let exists = api.post("/data/population/1.0/exists", json!({"query": {"content": {"national_id": id}}})).await;
        assert_eq!(exists.body["answer"]["status"], false);
        let history = api.get(&format!("/data/population/1.0/{id}/history")).await;
        assert_eq!(history.body["versions"].as_array().expect("versions").last().expect("last")["kind"], "deleted");
        assert_eq!(api.delete(&format!("/data/population/1.0/{}/delete", absent())).await.status, 404);
        assert_eq!(api.get(&format!("/data/population/1.0/{}/history", absent())).await.status, 404);
    }
}

#[tokio::test]
async fn callers_are_authenticated_identified_and_limited_to_the_owner() {
    for app in apps().await {
        let (civil, chamber) = keys(&app).await;
        let (civil_org, _) = owners(&app.kernel).await;
        let kernel_key = app.kernel.create_api_key(&Actor::operator(), civil_org, "kernel", "k").await.expect("key").1;
        let read = json!({"query": {"content": {"national_id": "19850612344"}}});
        let path = "/data/population/1.0/read";

        let anonymous = call(&app, "POST", path, None, Some(CLIENT), Some(read.clone())).await;
        assert_eq!(anonymous.status, 401);
        assert!(anonymous.content_type.starts_with("application/problem+json"));
        assert_eq!(call(&app, "POST", path, Some(&kernel_key), Some(CLIENT), Some(read.clone())).await.status, 403);

        let headerless = call(&app, "POST", path, Some(&civil), None, Some(read.clone())).await;
        assert_eq!(headerless.status, 400);
        assert_eq!(headerless.body["errors"][0]["field"], "Information-Mediator-Client");
        let malformed = call(&app, "POST", path, Some(&civil), Some("DL/GOV/70000001"), Some(read.clone())).await;
        assert_eq!(malformed.status, 400);

        let other_reads = call(&app, "POST", path, Some(&chamber), Some(CLIENT), Some(read.clone())).await;
        assert_eq!(other_reads.status, 403);
        assert!(
            other_reads.body["detail"].as_str().expect("detail").contains("through the exchange"),
            "{}",
            other_reads.body
        );
        let other = Api { app: &app, token: &chamber };
        let other_writes = other.create(&person("1970010100", "Intruder", "Demopolis")).await;
        assert_eq!(other_writes.status, 403);
        assert!(other_writes.body["detail"].as_str().expect("detail").contains("owns"), "{}", other_writes.body);
        assert_eq!(other.delete("/data/population/1.0/19850612344/delete").await.status, 403);
        assert_eq!(other.get("/data/population/1.0").await.status, 403);
        // The chamber owns the business register, and reads it here.
        assert_eq!(other.get("/data/businesses/1.0").await.status, 200);

        let api = Api { app: &app, token: &civil };
        assert_eq!(api.post("/data/population/2.0/read", read.clone()).await.status, 404);
        assert_eq!(api.post("/data/vehicles/1.0/read", read.clone()).await.status, 404);
        let bad_id = api
            .create(&{
                let mut p = example_person();
                p["national_id"] = json!("19850612345");
                p
            })
            .await;
        assert_eq!(bad_id.status, 400);
        assert_eq!(bad_id.body["errors"][0]["field"], "write.content/national_id");
        assert!(bad_id.content_type.starts_with("application/problem+json"));
        let not_json = call(&app, "POST", "/data/population/1.0/create", Some(&civil), Some(CLIENT), None).await;
        assert_eq!(not_json.status, 400);
        let unwrapped = api.post("/data/population/1.0/create", example_person()).await;
        assert_eq!(unwrapped.status, 400);
        assert_eq!(unwrapped.body["errors"][0]["field"], "body", "{}", unwrapped.body);
        // Nothing was written by the refused calls.
        let intruder = national_id::with_check("1970010100").expect("id");
        assert!(!registry(&app.kernel).exists("population", &intruder).await.expect("exists"));
    }
}

#[tokio::test]
async fn lists_filter_by_searchable_fields_and_page_by_identifier() {
    for app in apps().await {
        let (civil, _) = keys(&app).await;
        let api = Api { app: &app, token: &civil };
        for i in 0..5u32 {
            let p =
                person(&format!("19700101{i:02}"), "Lee", if i.is_multiple_of(2) { "Hilltop" } else { "Riverside" });
            assert_eq!(api.create(&p).await.status, 200);
        }
        assert_eq!(api.create(&person("1971010100", "Park", "Hilltop")).await.status, 200);

        let first = api.get("/data/population/1.0?query.family_name=Lee&page_size=2").await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(first.body["count"], 2);
        assert_eq!(first.body["results"].as_array().expect("results").len(), 2);
        assert!(first.body["previous"].is_null());
        let next = first.body["next"].as_str().expect("next").to_string();
        assert!(next.starts_with("http://") && next.contains("page=2") && next.contains("after="), "{next}");
        let path = &next[next.find("/data/").expect("path")..];
        let second = api.get(path).await;
        assert_eq!(second.body["count"], 2);
        assert_ne!(second.body["results"][0], first.body["results"][0]);
        assert!(second.body["previous"].as_str().expect("previous").contains("page=1"));
        let third = api.get("/data/population/1.0?query.family_name=Lee&page_size=2&page=3").await;
        assert_eq!(third.body["count"], 1, "{}", third.body);
        assert!(third.body["next"].is_null());

        let searched = api.get("/data/population/1.0?filter=family_name&search=Lee").await;
        assert_eq!(searched.body["count"], 5);
        let both = api.get("/data/population/1.0?query.family_name=Lee&query.residence.municipality=Hilltop").await;
        assert_eq!(both.body["count"], 3, "{}", both.body);
        let short = api.get("/data/population/1.0?query.municipality=Hilltop").await;
        assert_eq!(short.body["count"], 4);
        let by_id = api
            .get(&format!(
                "/data/population/1.0?query.national_id={}",
                national_id::with_check("1971010100").expect("id")
            ))
            .await;
        assert_eq!(by_id.body["count"], 1);
        assert_eq!(api.get("/data/population/1.0").await.body["count"], 6);
        let empty = api.get("/data/population/1.0?query.family_name=Nobody").await;
        assert_eq!((empty.status, &empty.body["count"], &empty.body["results"]), (200, &json!(0), &json!([])));

        let unsearchable = api.get("/data/population/1.0?query.given_names=Camille").await;
        assert_eq!((unsearchable.status, &unsearchable.body["errors"][0]["field"]), (400, &json!("query.given_names")));
        assert_eq!(api.get("/data/population/1.0?search=Lee").await.status, 400);
        assert_eq!(api.get("/data/population/1.0?page_size=0").await.status, 400);
        assert_eq!(api.get("/data/population/1.0?ordering=descending").await.status, 400);
        assert_eq!(api.get("/data/population/1.0?colour=red").await.status, 400);
    }
}

#[tokio::test]
async fn the_change_feed_reads_on_from_a_cursor() {
    for app in apps().await {
        let (civil, _) = keys(&app).await;
        let api = Api { app: &app, token: &civil };
        for i in 0..3 {
            assert_eq!(api.create(&person(&format!("19800101{i:02}"), "Feed", "Hilltop")).await.status, 200);
        }
        let page = api.get("/data/population/1.0/changes?after=0&limit=2").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.body["changes"].as_array().expect("changes").len(), 2);
        assert_eq!(page.body["changes"][0]["kind"], "created");
        let next = page.body["next"].as_i64().expect("next");
        assert_eq!(next, page.body["changes"][1]["seq"].as_i64().expect("seq"));
        let rest = api.get(&format!("/data/population/1.0/changes?after={next}")).await;
        assert_eq!(rest.body["changes"].as_array().expect("changes").len(), 1);
        let end = rest.body["next"].as_i64().expect("next");
        let none = api.get(&format!("/data/population/1.0/changes?after={end}")).await;
        assert_eq!((none.body["changes"].as_array().map(Vec::len), none.body["next"].as_i64()), (Some(0), Some(end)));
        assert_eq!(api.get("/data/population/1.0/changes?limit=0").await.status, 400);
        assert_eq!(api.get("/data/population/1.0/changes?after=-1").await.status, 400);
    }
}

/// A usage log standing in for the exchange's: two entries, the first page of one.
struct FakeUsage;

#[async_trait::async_trait]
impl PersonalDataUsage for FakeUsage {
    async fn usage(
        &self,
        national_id: &str,
        cursor: Option<&str>,
        limit: i64,
    ) -> publica_kernel::error::Result<UsagePage> {
        let entry = |n: u32| {
            json!({"id": format!("entry-{n}"), "at": "2026-01-02T03:04:05Z",
                "organisation": {"id": "00000000-0000-0000-0000-000000000001", "name": "Tax Office"},
                "client": "DL/GOV/70000002/tax", "eservice": {"id": "e", "title": "Person lookup"},
                "purpose": {"id": "p", "title": "Tax assessment", "legal_basis": "Tax Act §12"},
                "data_items": ["family_name"], "request_id": format!("req-{n}-{national_id}")})
        };
        Ok(match (cursor, limit) {
            (None, 1) => UsagePage { entries: vec![entry(1)], next_cursor: Some("c1".into()) },
            (Some("c1"), _) => UsagePage { entries: vec![entry(2)], next_cursor: None },
            _ => UsagePage { entries: vec![entry(1), entry(2)], next_cursor: None },
        })
    }
}

#[tokio::test]
async fn my_personal_data_usage_answers_from_the_usage_log() {
    for app in apps().await {
        let (civil, chamber) = keys(&app).await;
        let api = Api { app: &app, token: &civil };
        let path = "/data/MyPersonalDataUsage/1.0?userID=19850612344&DatabaseID=population";
        let empty = api.get(path).await;
        assert_eq!((empty.status, &empty.body), (200, &json!([])), "{}", empty.body);

        app.kernel.provide(UsageProvider(Arc::new(FakeUsage)));
        let all = api.get(path).await;
        assert_eq!(all.status, 200);
        let entries = all.body.as_array().expect("entries");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["ID"], "entry-1");
        assert_eq!(entries[0]["ReaderInstitutionName"], "Tax Office");
        assert_eq!(entries[0]["ReaderApplicationName"], "DL/GOV/70000002/tax");
        assert_eq!(entries[0]["SearchDateTime"], "2026-01-02T03:04:05Z");
        assert_eq!(entries[0]["Refrences"][0]["ReferenceID"], "req-1-19850612344");
        assert_eq!(entries[0]["purpose"]["legal_basis"], "Tax Act §12");
        assert!(all.link.is_none());
        let first = api.get(&format!("{path}&limit=1")).await;
        assert_eq!(first.body.as_array().map(Vec::len), Some(1));
        let link = first.link.expect("a Link header to the next page");
        assert!(link.contains("cursor=c1") && link.ends_with("rel=\"next\""), "{link}");

        let bad_user = api.get("/data/MyPersonalDataUsage/1.0?userID=19850612345&DatabaseID=population").await;
        assert_eq!((bad_user.status, &bad_user.body["errors"][0]["field"]), (400, &json!("userID")));
        assert_eq!(api.get("/data/MyPersonalDataUsage/1.0?DatabaseID=population").await.status, 400);
        let bad_db = api.get("/data/MyPersonalDataUsage/1.0?userID=19850612344&DatabaseID=vehicles").await;
        assert_eq!((bad_db.status, &bad_db.body["errors"][0]["field"]), (400, &json!("DatabaseID")));
        let other = Api { app: &app, token: &chamber };
        assert_eq!(other.get(path).await.status, 403);
    }
}

#[test]
fn the_registry_openapi_document_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/registry.openapi.json");
    let documented = [
        "/data/{registry}/{version}",
        "/data/{registry}/{version}/create",
        "/data/{registry}/{version}/read",
        "/data/{registry}/{version}/exists",
        "/data/{registry}/{version}/update",
        "/data/{registry}/{version}/update-or-create",
        "/data/{registry}/{version}/{id}/delete",
        "/data/{registry}/{version}/{id}/read-value/{file}",
        "/data/MyPersonalDataUsage/1.0",
        "/data/{registry}/{version}/{id}/history",
        "/data/{registry}/{version}/changes",
    ];
    let doc = assert_openapi_snapshot(&RegistryBlock.openapi(), &path, &documented).to_string();
    assert!(doc.contains("Information-Mediator-Client") && doc.contains("asOf") && doc.contains("knownAt"));
}
