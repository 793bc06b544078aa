//! The registry's pages in-process, on SQLite and PostgreSQL, signed in as Demoland's civil
//! servants: who may read and write, search, the history with its corrections, the "as of"
//! reads, and the forms of the organisation that keeps the population register.

use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::testing::{Browser, TestApp, unescape};
use publica_kernel::{Block, Kernel};
use publica_registry::domain::builtin::example_person;
use publica_registry::{AsOf, ChangeKind, NewRecord, POPULATION, national_id};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{apps, registry};

/// A member of the civil registry, which keeps the population register.
const REGISTRAR: &str = "registrar@civil-registry.demoland.example";
/// A member of the chamber of commerce: a civil servant, but not the population's keeper.
const CLERK: &str = "clerk@chamber.demoland.example";
/// A member of a business.
const BAKER: &str = "owner@acme-bakery.example";

/// One app per backend with Demoland's organisations and members.
async fn demo_apps() -> Vec<TestApp> {
    let mut out = Vec::new();
    for app in apps().await {
        publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        out.push(app);
    }
    out
}

async fn civil_registry(kernel: &Kernel) -> Uuid {
    kernel.organisation_by_slug("civil-registry").await.expect("look up").expect("the demo organisation").id
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("timestamp")
}

/// A valid person with the national id built from `body` (10 digits).
fn person(body: &str, family_name: &str, municipality: &str) -> Value {
    let mut p = example_person();
    p["national_id"] = json!(national_id::with_check(body).expect("body"));
    p["family_name"] = json!(family_name);
    p["residence"]["municipality"] = json!(municipality);
    p
}

/// Create a person in the population register, valid from 2020, and return the id.
async fn create(kernel: &Kernel, data: Value) -> String {
    let civil = civil_registry(kernel).await;
    let registry = registry(kernel);
    let clerk = Actor::system("test");
    registry.create(&clerk, civil, POPULATION, data, Some(at("2020-01-01T00:00:00Z"))).await.expect("create").id
}

/// The rows of the first table body in `html` after `marker`, as the text of their cells.
fn result_ids(html: &str) -> Vec<String> {
    let Some(start) = html.find("<tbody>") else { return Vec::new() };
    let end = html[start..].find("</tbody>").map_or(html.len(), |e| start + e);
    html[start..end]
        .split("<th scope=\"row\"><a href=\"/registry/population/")
        .skip(1)
        .filter_map(|piece| piece.split('"').next().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn pages_are_for_signed_in_civil_servants() {
    for app in demo_apps().await {
        let id = create(&app.kernel, person("4020171509", "Martin", "Demopolis")).await;
        let record = format!("/registry/population/{id}");
        let pages = ["/registry".to_string(), "/registry/population".to_string(), record.clone()];

        let anonymous = Browser::anonymous(&app).await;
        for path in &pages {
            let page = anonymous.get(path).await;
            assert_eq!((page.status, page.location()), (303, "/signin"), "{}: {path} signed out", app.backend);
        }
        let baker = Browser::signed_in(&app, BAKER).await;
        for path in &pages {
            assert_eq!(baker.get(path).await.status, 403, "{}: {path} for a business's staff", app.backend);
        }

        let clerk = Browser::signed_in(&app, CLERK).await;
        let index = clerk.get("/registry").await;
        assert_eq!(index.status, 200, "{}", index.body);
        assert!(index.body.contains("<a href=\"/registry/population\">Population register</a>"), "{}", index.body);
        assert!(index.body.contains("Demoland Civil Registry"));
        assert!(index.body.contains("<a href=\"/registry/businesses\">Business register</a>"));
        let population_row = index.body.split("/registry/population\"").nth(1).expect("the population row");
        let row = population_row.split("</tr>").next().expect("row");
        assert!(row.contains("<td>1.0</td>") && row.contains("<td>1</td>"), "one current record: {row}");

        let register = clerk.get("/registry/population").await;
        assert_eq!(register.status, 200, "{}", register.body);
        for field in ["/residence/municipality", "/family/spouse", "/citizenships/*", "name=\"family_name\""] {
            assert!(register.body.contains(field), "{field} on the register's page");
        }
        assert!(!register.body.contains("/registry/population/new"), "no create link for others");

        let page = clerk.get(&record).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<dt>family_name</dt><dd>Martin</dd>"), "{}", page.body);
        assert!(page.body.contains("<dt>residence</dt><dd><dl>"), "nested objects are nested lists");
        assert!(page.body.contains("Version 1: <span class=\"kind-created\">Created</span> (in force)"));
        assert!(!page.body.contains(&format!("{record}/change")), "no forms for others");
        assert_eq!(clerk.get("/registry/population/40201715090").await.status, 404);
        assert_eq!(clerk.get("/registry/vehicles").await.status, 404);

        let registrar = Browser::signed_in(&app, REGISTRAR).await;
        let page = registrar.get(&record).await;
        for action in ["change", "correct", "delete"] {
            assert!(page.body.contains(&format!("href=\"{record}/{action}\"")), "the keeper may {action}");
        }
        assert!(registrar.get("/registry/population").await.body.contains("href=\"/registry/population/new\""));
    }
}

#[tokio::test]
async fn pages_speak_french() {
    for app in demo_apps().await {
        let id = create(&app.kernel, person("4020171509", "Martin", "Demopolis")).await;
        let clerk = Browser::signed_in(&app, CLERK).await.in_french();
        let index = clerk.get("/registry").await;
        assert!(index.body.contains("<html lang=\"fr\">"), "{}", index.body);
        assert!(index.body.contains("<h1>Registres</h1>") && index.body.contains("Fiches en vigueur"));
        let register = clerk.get("/registry/population").await;
        assert!(register.body.contains("Rechercher dans le registre") && register.body.contains("Obligatoire"));
        let record = clerk.get(&format!("/registry/population/{id}")).await;
        assert!(record.body.contains("Historique") && record.body.contains("Création"), "{}", record.body);
        assert!(record.body.contains("Données en vigueur"));
        assert!(!record.body.contains("Current data"));
    }
}

#[tokio::test]
async fn search_finds_records_by_field_and_identifier() {
    for app in demo_apps().await {
        let martin = create(&app.kernel, person("4020171509", "Martin", "Demopolis")).await;
        let other_martin = create(&app.kernel, person("4020171510", "Martin", "Sampleton")).await;
        let dupont = create(&app.kernel, person("4020171511", "Dupont", "Demopolis")).await;
        let clerk = Browser::signed_in(&app, CLERK).await;

        let page = clerk.get("/registry/population?family_name=Martin").await;
        assert_eq!(page.status, 200);
        assert_eq!(result_ids(&page.body), vec![martin.clone(), other_martin.clone()], "{}", page.body);
        assert!(page.body.contains("value=\"Martin\""), "the form keeps what was searched");
        let page = clerk.get("/registry/population?family_name=Martin&municipality=Demopolis").await;
        assert_eq!(result_ids(&page.body), vec![martin.clone()]);
        let page = clerk.get(&format!("/registry/population?national_id={dupont}")).await;
        assert_eq!(result_ids(&page.body), vec![dupont.clone()]);
        let page = clerk.get(&format!("/registry/population?national_id={dupont}&family_name=Martin")).await;
        assert!(result_ids(&page.body).is_empty() && page.body.contains("No record matches."));
        let page = clerk.get("/registry/population?family_name=martin").await;
        assert!(result_ids(&page.body).is_empty(), "exact match");

        let bad = clerk.get("/registry/population?national_id=12345").await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("aria-invalid=\"true\"") && bad.body.contains("id=\"search-id-error\""));

        // Keyset paging: 55 more people named Durand, 50 to a page.
        let info = registry(&app.kernel).register(POPULATION).await.expect("register");
        let rows: Vec<NewRecord> = (0..55)
            .map(|i| {
                let data = person(&format!("50000000{i:02}"), "Durand", "Demopolis");
                NewRecord {
                    id: data["national_id"].as_str().expect("id").to_string(),
                    data,
                    valid_from: at("2020-01-01T00:00:00Z"),
                }
            })
            .collect();
        let mut tx = app.kernel.db().begin().await.expect("tx");
        registry(&app.kernel).insert_batch(&mut tx, &info, &rows).await.expect("insert");
        tx.commit().await.expect("commit");
        let first = clerk.get("/registry/population?family_name=Durand").await;
        let first_ids = result_ids(&first.body);
        assert_eq!(first_ids.len(), 50);
        let next = first.body.split("<a href=\"").find(|p| p.contains("rel=\"next\"")).expect("a next link");
        let next = unescape(next.split('"').next().expect("href"));
        assert_eq!(next, format!("/registry/population?family_name=Durand&_after={}", first_ids[49]));
        let second = clerk.get(&next).await;
        let second_ids = result_ids(&second.body);
        assert_eq!(second_ids.len(), 5);
        assert!(second_ids.iter().all(|id| id > &first_ids[49]));
        assert!(!second.body.contains("rel=\"next\""));
    }
}

#[tokio::test]
async fn the_history_shows_corrections_and_the_register_as_of_a_time() {
    for app in demo_apps().await {
        let data = person("4020171509", "Martn", "Demopolis");
        let id = create(&app.kernel, data.clone()).await;
        let known_before = Timestamp::now();
        let mut fixed = data.clone();
        fixed["family_name"] = json!("Martin");
        let civil = civil_registry(&app.kernel).await;
        registry(&app.kernel)
            .correct(&Actor::system("test"), civil, POPULATION, &id, fixed, "Misspelt family name at registration")
            .await
            .expect("correct");

        let clerk = Browser::signed_in(&app, CLERK).await;
        let path = format!("/registry/population/{id}");
        let page = clerk.get(&path).await;
        assert_eq!(page.status, 200);
        let history = page.body.split("<ol reversed class=\"timeline\">").nth(1).expect("the timeline");
        let corrected = history.find("kind-corrected").expect("the correction");
        let created = history.find("kind-created").expect("the creation");
        assert!(corrected < created, "newest first");
        assert!(history.contains("<dd>Misspelt family name at registration</dd>"), "{history}");
        assert!(
            history.contains("<th scope=\"row\"><code>/family_name</code></th><td>Martn</td><td>Martin</td>"),
            "the field-level difference: {history}"
        );
        assert!(page.body.contains("<dt>family_name</dt><dd>Martin</dd>"));

        // What the register said before the correction was recorded.
        let then = clerk.get(&format!("{path}?known_at={}", known_before.to_fixed())).await;
        assert_eq!(then.status, 200, "{}", then.body);
        assert!(then.body.contains("<dt>family_name</dt><dd>Martn</dd>"), "{}", then.body);
        assert!(then.body.contains("What the register said"));
        let before = clerk.get(&format!("{path}?valid_at=2019-12-31")).await;
        assert!(before.body.contains("The register held no data for this record at that time."));
        let bad = clerk.get(&format!("{path}?valid_at=31%2F12%2F2019")).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("id=\"asof-valid-error\""));
    }
}

#[tokio::test]
async fn the_keeper_changes_corrects_creates_and_deletes_through_the_forms() {
    for app in demo_apps().await {
        let data = person("4020171509", "Martin", "Demopolis");
        let id = create(&app.kernel, data.clone()).await;
        let path = format!("/registry/population/{id}");
        let registrar = Browser::signed_in(&app, REGISTRAR).await;
        let registry = registry(&app.kernel);

        let form = registrar.get(&format!("{path}/change")).await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(unescape(&form.body).contains("\"family_name\": \"Martin\""), "prefilled: {}", form.body);
        let mut moved = data.clone();
        moved["residence"]["municipality"] = json!("Sampleton");
        let json = serde_json::to_string_pretty(&moved).expect("json");
        let done = registrar.post(&format!("{path}/change"), &[("data", &json), ("valid_from", "2024-06-01")]).await;
        assert_eq!((done.status, done.location()), (303, format!("{path}?done=changed").as_str()), "{}", done.body);
        let now = registry.get(POPULATION, &id, &AsOf::now()).await.expect("get").expect("present");
        assert_eq!((now.kind, now.valid_from), (ChangeKind::Changed, at("2024-06-01T00:00:00Z")));
        assert_eq!(now.data["residence"]["municipality"], "Sampleton");
        let page = registrar.get(&format!("{path}?done=changed")).await;
        assert!(page.body.contains("The change was recorded."));
        assert!(page.body.contains("<td>Demopolis</td><td>Sampleton</td>"));

        // Problems are shown next to the field, naming the record's field.
        let mut wrong = moved.clone();
        wrong["birth_date"] = json!("1985-02-31");
        let json = serde_json::to_string(&wrong).expect("json");
        let refused = registrar.post(&format!("{path}/change"), &[("data", &json), ("valid_from", "2025-01-01")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("<code>/birth_date</code>"), "{}", refused.body);
        assert!(refused.body.contains("href=\"#record-data\"") && refused.body.contains("id=\"record-data-error\""));
        let refused =
            registrar.post(&format!("{path}/change"), &[("data", "{\"national_id\": "), ("valid_from", "")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("This is not valid JSON: check line 1, column"), "{}", refused.body);
        let refused = registrar.post(&format!("{path}/change"), &[("data", &json), ("valid_from", "soon")]).await;
        assert!(refused.body.contains("id=\"record-valid-from-error\""));
        let refused = registrar.post(&format!("{path}/correct"), &[("data", &json), ("reason", " ")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("id=\"record-reason-error\""));
        assert_eq!(registry.history(POPULATION, &id).await.expect("history").len(), 3, "nothing more was written");

        // A correction with its reason.
        let mut fixed = moved.clone();
        fixed["given_names"] = json!("Camille Annie");
        let json = serde_json::to_string(&fixed).expect("json");
        let done = registrar.post(&format!("{path}/correct"), &[("data", &json), ("reason", "Typo")]).await;
        assert_eq!((done.status, done.location()), (303, format!("{path}?done=corrected").as_str()));
        let now = registry.get(POPULATION, &id, &AsOf::now()).await.expect("get").expect("present");
        assert_eq!((now.kind, now.reason.as_deref()), (ChangeKind::Corrected, Some("Typo")));

        // A new record, then its deletion.
        let created = registrar.get("/registry/population/new").await;
        assert_eq!(created.status, 200);
        assert!(unescape(&created.body).contains("\"national_id\": \"\""), "a skeleton to fill in");
        let newcomer = person("4020171510", "Nouveau", "Demopolis");
        let new_id = newcomer["national_id"].as_str().expect("id").to_string();
        let json = serde_json::to_string(&newcomer).expect("json");
        let done = registrar.post("/registry/population/new", &[("data", &json), ("valid_from", "")]).await;
        assert_eq!(
            (done.status, done.location()),
            (303, format!("/registry/population/{new_id}?done=created").as_str())
        );
        let again = registrar.post("/registry/population/new", &[("data", &json), ("valid_from", "")]).await;
        assert_eq!(again.status, 422, "the identifier is taken");
        let done = registrar
            .post(
                &format!("/registry/population/{new_id}/delete"),
                &[("reason", "Registered twice"), ("valid_from", "")],
            )
            .await;
        assert_eq!(done.status, 303);
        assert!(!registry.exists(POPULATION, &new_id).await.expect("exists"));
        let page = registrar.get(&format!("/registry/population/{new_id}")).await;
        assert!(page.body.contains("kind-deleted") && page.body.contains("<dd>Registered twice</dd>"));
        assert!(!page.body.contains("/delete\""), "a deleted record has no forms");
        assert_eq!(registrar.get(&format!("/registry/population/{new_id}/change")).await.status, 409);
    }
}

#[tokio::test]
async fn others_may_not_write_and_forms_need_the_csrf_token() {
    for app in demo_apps().await {
        let data = person("4020171509", "Martin", "Demopolis");
        let id = create(&app.kernel, data.clone()).await;
        let path = format!("/registry/population/{id}");
        let json = serde_json::to_string(&data).expect("json");

        let clerk = Browser::signed_in(&app, CLERK).await;
        for action in ["change", "correct", "delete"] {
            assert_eq!(clerk.get(&format!("{path}/{action}")).await.status, 403, "{action} form");
        }
        assert_eq!(clerk.get("/registry/population/new").await.status, 403);
        let denied = [
            (format!("{path}/change"), vec![("data", json.as_str()), ("valid_from", "2024-06-01")]),
            (format!("{path}/correct"), vec![("data", json.as_str()), ("reason", "Mine now")]),
            (format!("{path}/delete"), vec![("reason", "Mine now"), ("valid_from", "")]),
            ("/registry/population/new".to_string(), vec![("data", json.as_str()), ("valid_from", "")]),
        ];
        for (target, form) in &denied {
            assert_eq!(clerk.post(target, form).await.status, 403, "{target}");
        }

        let registrar = Browser::signed_in(&app, REGISTRAR).await;
        let forged =
            registrar.post_raw(&format!("{path}/change"), &[("data", &json), ("valid_from", "2024-06-01")]).await;
        assert_eq!(forged.status, 403, "no CSRF token");
        let history = registry(&app.kernel).history(POPULATION, &id).await.expect("history");
        assert_eq!(history.len(), 1, "nothing was written");
    }
}
