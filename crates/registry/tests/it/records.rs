//! Records: writes by the owner only, bitemporal reads before and after corrections, history,
//! the change feed, search, validation errors, conflicts and concurrent writers.

use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::Error;
use publica_registry::domain::builtin::{example_business, example_person};
use publica_registry::{AsOf, BUSINESSES, ChangeKind, IdScheme, NewRecord, POPULATION, RegisterInfo, national_id};
use serde_json::{Value, json};

use crate::{apps, org, owners, registry};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("timestamp")
}

fn clerk() -> Actor {
    Actor::system("test-clerk")
}

/// A valid person with the national id built from `body` (10 digits).
fn person(body: &str, family_name: &str, municipality: &str, birth_date: &str) -> Value {
    let mut p = example_person();
    p["national_id"] = json!(national_id::with_check(body).expect("body"));
    p["family_name"] = json!(family_name);
    p["residence"]["municipality"] = json!(municipality);
    p["birth_date"] = json!(birth_date);
    p
}

fn invalid(error: Error) -> (String, String) {
    match error {
        Error::Invalid { field, message } => (field, message),
        other => panic!("expected an invalid-field error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_record_lives_on_two_time_axes() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let data = person("4020171509", "Martin", "Demopolis", "1985-06-12");
        let id = data["national_id"].as_str().expect("id").to_string();

        let created = registry
            .create(&clerk(), civil, POPULATION, data.clone(), Some(at("2020-01-01T00:00:00Z")))
            .await
            .expect("create");
        assert_eq!((created.kind, created.id.as_str(), &created.data), (ChangeKind::Created, id.as_str(), &data));
        let now = registry.get(POPULATION, &id, &AsOf::now()).await.expect("get").expect("present");
        assert_eq!((now.seq, &now.data), (created.seq, &data));
        assert!(registry.exists(POPULATION, &id).await.expect("exists"));
        assert_eq!(
            registry.get(POPULATION, &id, &AsOf::valid_at(at("2019-12-31T23:59:59Z"))).await.expect("get"),
            None
        );
        let known_before_change = Timestamp::now();

        // A move from 1 June 2024.
        let mut moved = data.clone();
        moved["residence"]["municipality"] = json!("Sampleton");
        let changed = registry
            .change(&clerk(), civil, POPULATION, &id, moved.clone(), Some(at("2024-06-01T00:00:00Z")))
            .await
            .expect("change");
        assert_eq!(changed.kind, ChangeKind::Changed);
        let municipality = |r: Option<publica_registry::Record>| {
            r.expect("present").data["residence"]["municipality"].as_str().expect("text").to_string()
        };
        let before_move = AsOf::valid_at(at("2023-01-01T00:00:00Z"));
        let after_move = AsOf::valid_at(at("2024-07-01T00:00:00Z"));
        assert_eq!(municipality(registry.get(POPULATION, &id, &before_move).await.expect("get")), "Demopolis");
        assert_eq!(municipality(registry.get(POPULATION, &id, &after_move).await.expect("get")), "Sampleton");
        assert_eq!(municipality(registry.get(POPULATION, &id, &AsOf::now()).await.expect("get")), "Sampleton");
        // As the register knew it before the change was recorded: no move yet.
        let then = AsOf { valid_at: after_move.valid_at, known_at: Some(known_before_change) };
        assert_eq!(municipality(registry.get(POPULATION, &id, &then).await.expect("get")), "Demopolis");
        let known_before_correction = Timestamp::now();

        // The family name was mistyped: a correction of the latest version.
        let mut corrected = moved.clone();
        corrected["family_name"] = json!("Martinez");
        let fixed = registry
            .correct(&clerk(), civil, POPULATION, &id, corrected.clone(), "typo at registration")
            .await
            .expect("correct");
        assert_eq!((fixed.kind, fixed.reason.as_deref()), (ChangeKind::Corrected, Some("typo at registration")));
        assert_eq!(fixed.valid_from, changed.valid_from);
        let family = |r: Option<publica_registry::Record>| {
            r.expect("present").data["family_name"].as_str().expect("text").to_string()
        };
        // Valid after the move: corrected now, the mistake as known before the correction.
        assert_eq!(family(registry.get(POPULATION, &id, &after_move).await.expect("get")), "Martinez");
        let as_known = AsOf { valid_at: after_move.valid_at, known_at: Some(known_before_correction) };
        assert_eq!(family(registry.get(POPULATION, &id, &as_known).await.expect("get")), "Martin");
        // Valid before the move: that version was not corrected.
        assert_eq!(family(registry.get(POPULATION, &id, &before_move).await.expect("get")), "Martin");
        // Before the record existed in the register's knowledge: nothing.
        let unknown = AsOf { valid_at: after_move.valid_at, known_at: Some(at("2019-01-01T00:00:00Z")) };
        assert_eq!(registry.get(POPULATION, &id, &unknown).await.expect("get"), None);

        let before_deletion = Timestamp::now();
        registry
            .delete(&clerk(), civil, POPULATION, &id, "emigrated and asked for removal", None)
            .await
            .expect("delete");
        assert_eq!(registry.get(POPULATION, &id, &AsOf::now()).await.expect("get"), None);
        assert!(!registry.exists(POPULATION, &id).await.expect("exists"));
        assert_eq!(family(registry.get(POPULATION, &id, &after_move).await.expect("get")), "Martinez");
        let as_known = AsOf { valid_at: None, known_at: Some(before_deletion) };
        assert_eq!(family(registry.get(POPULATION, &id, &as_known).await.expect("get")), "Martinez");

        let history = registry.history(POPULATION, &id).await.expect("history");
        let kinds: Vec<ChangeKind> = history.iter().map(|r| r.kind).collect();
        use ChangeKind::*;
        assert_eq!(kinds, [Created, Created, Changed, Corrected, Corrected, Deleted], "{}", app.backend);
        let open: Vec<bool> = history.iter().map(|r| r.superseded_at.is_none()).collect();
        assert_eq!(open, [false, true, false, false, true, true]);
        assert_eq!(history[1].valid_to, Some(at("2024-06-01T00:00:00Z")));
        assert_eq!(history[5].data, Value::Null);
        assert_eq!(history[5].reason.as_deref(), Some("emigrated and asked for removal"));
        assert!(history.windows(2).all(|w| w[0].seq < w[1].seq));

        // The change feed: new facts only, followed with a cursor.
        let first = registry.changes(POPULATION, 0, 2).await.expect("feed");
        let rest = registry.changes(POPULATION, first[1].seq, 10).await.expect("feed");
        let feed: Vec<ChangeKind> = first.iter().chain(&rest).map(|r| r.kind).collect();
        assert_eq!(feed, [Created, Changed, Corrected, Deleted]);
        assert!(registry.changes(POPULATION, rest[1].seq, 10).await.expect("feed").is_empty());
        assert!(registry.changes(BUSINESSES, 0, 10).await.expect("feed").is_empty());

        // Audited, without personal data beyond the identifier.
        let entries = publica_kernel::audit::list(app.kernel.db(), Some(civil), None, 50).await.expect("audit");
        for action in ["created", "changed", "corrected", "deleted"] {
            let entry = entries
                .iter()
                .find(|e| e.action == format!("registry.record.{action}"))
                .unwrap_or_else(|| panic!("no {action} entry"));
            assert_eq!(entry.object_id, format!("population/{id}"));
            assert!(entry.details.contains(&id));
            for personal in ["Martin", "Demopolis", "Sampleton", "typo", "emigrated"] {
                assert!(!entry.details.contains(personal), "{action}: {}", entry.details);
            }
        }

        // A deleted record stays deleted.
        let error = registry.change(&clerk(), civil, POPULATION, &id, corrected, None).await.expect_err("deleted");
        assert!(matches!(error, Error::Conflict(_)), "{error:?}");
        let error = registry.create(&clerk(), civil, POPULATION, data, None).await.expect_err("taken");
        assert!(matches!(error, Error::Conflict(ref m) if m.contains("deleted")), "{error:?}");
    }
}

#[tokio::test]
async fn search_matches_current_values_of_indexed_fields() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let people = [
            person("1000000001", "Dubois", "Demopolis", "1970-01-01"),
            person("1000000002", "Dubois", "Sampleton", "1970-01-01"),
            person("1000000003", "Dubois", "Demopolis", "1981-05-05"),
            person("1000000004", "Lefèvre", "Demopolis", "1970-01-01"),
        ];
        let ids: Vec<String> = people.iter().map(|p| p["national_id"].as_str().expect("id").to_string()).collect();
        for p in &people {
            registry.create(&clerk(), civil, POPULATION, p.clone(), None).await.expect("create");
        }
        let search = |filters: &[(&str, &str)], after: Option<&str>, limit: i64| {
            let filters: Vec<(String, String)> = filters.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect();
            let registry = registry.clone();
            let after = after.map(str::to_string);
            async move {
                registry
                    .search(POPULATION, &filters, after.as_deref(), limit)
                    .await
                    .expect("search")
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(search(&[("family_name", "Dubois")], None, 10).await, ids[..3].to_vec());
        assert_eq!(
            search(&[("municipality", "Demopolis")], None, 10).await,
            vec![ids[0].clone(), ids[2].clone(), ids[3].clone()]
        );
        assert_eq!(
            search(&[("municipality", "Demopolis"), ("birth_date", "1970-01-01")], None, 10).await,
            vec![ids[0].clone(), ids[3].clone()]
        );
        assert_eq!(
            search(&[("family_name", "Dubois"), ("municipality", "Demopolis"), ("birth_date", "1970-01-01")], None, 10)
                .await,
            vec![ids[0].clone()]
        );
        // Keyset paging by identifier.
        assert_eq!(search(&[("family_name", "Dubois")], None, 2).await, ids[..2].to_vec());
        assert_eq!(search(&[("family_name", "Dubois")], Some(&ids[1]), 2).await, vec![ids[2].clone()]);
        assert_eq!(search(&[], Some(&ids[2]), 10).await, vec![ids[3].clone()]);
        assert!(search(&[("family_name", "dubois")], None, 10).await.is_empty());

        // Search follows changes and deletions.
        let mut moved = people[1].clone();
        moved["residence"]["municipality"] = json!("Demopolis");
        registry.change(&clerk(), civil, POPULATION, &ids[1], moved, None).await.expect("change");
        assert_eq!(search(&[("municipality", "Sampleton")], None, 10).await, Vec::<String>::new());
        assert_eq!(search(&[("municipality", "Demopolis")], None, 10).await, ids.clone());
        registry.delete(&clerk(), civil, POPULATION, &ids[0], "duplicate entry", None).await.expect("delete");
        assert_eq!(search(&[("family_name", "Dubois")], None, 10).await, ids[1..3].to_vec());
        assert_eq!(search(&[], None, 10).await, ids[1..].to_vec());

        let error = registry.search(POPULATION, &[("given_names".into(), "Camille".into())], None, 10).await;
        let (field, message) = invalid(error.expect_err("not indexed"));
        assert_eq!(field, "given_names");
        assert!(message.contains("family_name, birth_date, municipality"), "{message}");
        let error = registry.search("vehicles", &[], None, 10).await.expect_err("no such register");
        assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    }
}

#[tokio::test]
async fn only_the_owner_writes() {
    for app in apps().await {
        let (civil, chamber) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let data = person("5551234567", "Hall", "Mockford", "1990-03-03");
        let id = data["national_id"].as_str().expect("id").to_string();
        let error = registry.create(&clerk(), chamber, POPULATION, data.clone(), None).await.expect_err("not owner");
        assert!(matches!(error, Error::Forbidden(_)), "{error:?}");
        assert!(!registry.exists(POPULATION, &id).await.expect("exists"));

        registry.create(&clerk(), civil, POPULATION, data.clone(), None).await.expect("owner creates");
        let forbidden = [
            registry.change(&clerk(), chamber, POPULATION, &id, data.clone(), None).await.err(),
            registry.correct(&clerk(), chamber, POPULATION, &id, data.clone(), "because").await.err(),
            registry.delete(&clerk(), chamber, POPULATION, &id, "because", None).await.err(),
        ];
        for error in forbidden {
            assert!(matches!(error, Some(Error::Forbidden(_))), "{error:?}");
        }
        let business = example_business();
        let error = registry.create(&clerk(), civil, BUSINESSES, business.clone(), None).await.expect_err("not owner");
        assert!(matches!(error, Error::Forbidden(_)), "{error:?}");
        registry.create(&clerk(), chamber, BUSINESSES, business, None).await.expect("the chamber registers businesses");
        assert_eq!(registry.history(POPULATION, &id).await.expect("history").len(), 1);
    }
}

#[tokio::test]
async fn bad_data_is_refused_naming_the_field() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let mut data = person("7302110042", "Green", "Dummyton", "1990-01-01");
        let id = data["national_id"].as_str().expect("id").to_string();

        data["birth_date"] = json!("31-02-1990");
        let error = registry.create(&clerk(), civil, POPULATION, data.clone(), None).await.expect_err("bad date");
        assert_eq!(error.to_string(), r#"/birth_date: "31-02-1990" is not a "date""#);
        data["birth_date"] = json!("1990-01-01");

        let mut wrong = data.clone();
        let last = id.chars().last().and_then(|c| c.to_digit(10)).expect("digit");
        wrong["national_id"] = json!(format!("{}{}", &id[..10], (last + 1) % 10));
        let (field, message) =
            invalid(registry.create(&clerk(), civil, POPULATION, wrong, None).await.expect_err("check"));
        assert_eq!(field, "/national_id");
        assert!(message.contains("check digit"), "{message}");

        data["family"]["spouse"] = json!("12345678900");
        let (field, _) =
            invalid(registry.create(&clerk(), civil, POPULATION, data.clone(), None).await.expect_err("spouse"));
        assert_eq!(field, "/family/spouse");
        data["family"]["spouse"] = Value::Null;

        let created = registry.create(&clerk(), civil, POPULATION, data.clone(), None).await.expect("create");
        let mut other = person("1985061234", "Green", "Dummyton", "1990-01-01");
        other["family_name"] = json!("Green");
        let (field, _) =
            invalid(registry.change(&clerk(), civil, POPULATION, &id, other, None).await.expect_err("another id"));
        assert_eq!(field, "/national_id");
        let early = Some(created.valid_from.plus(time::Duration::days(-1)));
        let (field, _) =
            invalid(registry.change(&clerk(), civil, POPULATION, &id, data.clone(), early).await.expect_err("early"));
        assert_eq!(field, "valid_from");
        let (field, _) =
            invalid(registry.correct(&clerk(), civil, POPULATION, &id, data.clone(), "  ").await.expect_err("reason"));
        assert_eq!(field, "reason");
        let error = registry.change(&clerk(), civil, POPULATION, "69435151530", data, None).await.expect_err("none");
        assert!(matches!(error, Error::Invalid { .. } | Error::NotFound(_)), "{error:?}");
        let mut stranger = person("6943515153", "Green", "Dummyton", "1990-01-01");
        stranger["given_names"] = json!("Omar");
        let error =
            registry.change(&clerk(), civil, POPULATION, "69435151530", stranger, None).await.expect_err("none");
        assert!(matches!(error, Error::NotFound(_)), "{error:?}");
        assert_eq!(registry.history(POPULATION, &id).await.expect("history").len(), 1);
        let error = registry.get("nope", &id, &AsOf::now()).await.expect_err("no register");
        assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    }
}

#[tokio::test]
async fn conflicts_and_concurrent_writers() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let data = person("1234567890", "Baker", "Testbourg", "1975-07-07");
        let id = data["national_id"].as_str().expect("id").to_string();

        // Two creates of the same record at once: one wins, the other is told.
        let actor = clerk();
        let (a, b) = tokio::join!(
            registry.create(&actor, civil, POPULATION, data.clone(), None),
            registry.create(&actor, civil, POPULATION, data.clone(), None),
        );
        assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
        assert!(matches!(a.err().or(b.err()), Some(Error::Conflict(_))));

        // Concurrent changes of one record are applied one after the other.
        let writers = (0..6).map(|i| {
            let registry = registry.clone();
            let mut data = data.clone();
            data["residence"]["street"] = json!(format!("{i} Mill Road"));
            let id = id.clone();
            tokio::spawn(async move { registry.change(&clerk(), civil, POPULATION, &id, data, None).await })
        });
        for writer in writers.collect::<Vec<_>>() {
            writer.await.expect("task").expect("change");
        }
        let history = registry.history(POPULATION, &id).await.expect("history");
        assert_eq!(history.len(), 1 + 6 * 2, "{}", app.backend);
        let heads: Vec<_> = history.iter().filter(|r| r.superseded_at.is_none() && r.valid_to.is_none()).collect();
        assert_eq!(heads.len(), 1);
        // The open versions tile valid time without gaps or overlaps.
        let mut open: Vec<_> = history.iter().filter(|r| r.superseded_at.is_none()).collect();
        open.sort_by_key(|r| r.valid_from);
        assert!(open.windows(2).all(|w| w[0].valid_to == Some(w[1].valid_from)), "{open:#?}");
        let feed = registry.changes(POPULATION, 0, 100).await.expect("feed");
        assert_eq!(feed.len(), 7);
        assert!(feed.windows(2).all(|w| w[0].seq < w[1].seq));

        // Bulk insertion refuses existing and repeated identifiers, naming them.
        let info = registry.register(POPULATION).await.expect("register");
        let fresh = person("4801231234", "Turner", "Testbourg", "1980-01-01");
        let fresh_id = registry.validate(&info, &fresh).expect("valid");
        let row = |data: &Value| NewRecord {
            id: data["national_id"].as_str().expect("id").into(),
            data: data.clone(),
            valid_from: Timestamp::now(),
        };
        let mut tx = app.kernel.db().begin().await.expect("begin");
        let error = registry.insert_batch(&mut tx, &info, &[row(&fresh), row(&data)]).await.expect_err("exists");
        assert!(matches!(error, Error::Conflict(ref m) if m.contains(&id)), "{error:?}");
        drop(tx);
        let mut tx = app.kernel.db().begin().await.expect("begin");
        let error = registry.insert_batch(&mut tx, &info, &[row(&fresh), row(&fresh)]).await.expect_err("twice");
        assert!(matches!(error, Error::Conflict(ref m) if m.contains(&fresh_id)), "{error:?}");
        drop(tx);
        let mut tx = app.kernel.db().begin().await.expect("begin");
        registry.insert_batch(&mut tx, &info, &[row(&fresh)]).await.expect("insert");
        tx.commit().await.expect("commit");
        let found = registry.search(POPULATION, &[("family_name".into(), "Turner".into())], None, 10).await;
        assert_eq!(found.expect("search").into_iter().map(|r| r.id).collect::<Vec<_>>(), vec![fresh_id]);
    }
}

fn vehicles(owner: uuid::Uuid, version: &str, indexed: &[&str]) -> RegisterInfo {
    RegisterInfo {
        name: "vehicles".into(),
        version: version.into(),
        title: "Vehicle register".into(),
        owner_org: owner,
        schema: json!({
            "type": "object",
            "required": ["vehicle_id", "plate"],
            "properties": {
                "vehicle_id": {"type": "string"},
                "plate": {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3}-[A-Z]{2}$"},
                "colour": {"type": "string"},
                "keeper": {"type": "string", "format": "national-id"}
            }
        }),
        id_field: "vehicle_id".into(),
        id_scheme: IdScheme::Uuid,
        indexed: indexed.iter().map(|s| s.to_string()).collect(),
        person_fields: vec!["/keeper".into()],
    }
}

#[tokio::test]
async fn registers_are_defined_once_per_version() {
    for app in apps().await {
        let (civil, chamber) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let agency = org(&app.kernel, "transport", OrgKind::Agency).await;
        let names: Vec<String> = registry.registers().await.expect("list").into_iter().map(|r| r.name).collect();
        assert_eq!(names, [BUSINESSES, POPULATION]);
        assert_eq!(registry.register(POPULATION).await.expect("population").owner_org, civil);
        assert_eq!(registry.register(BUSINESSES).await.expect("businesses").owner_org, chamber);

        let operator = Actor::operator();
        registry.define(&operator, vehicles(agency, "1.0", &["plate"])).await.expect("define");
        registry.define(&operator, vehicles(agency, "1.0", &["plate"])).await.expect("idempotent");
        let error = registry.define(&operator, vehicles(agency, "1.0", &["colour"])).await.expect_err("same version");
        assert!(matches!(error, Error::Conflict(_)), "{error:?}");
        let error = registry.define(&operator, vehicles(uuid::Uuid::now_v7(), "1.1", &[])).await.expect_err("owner");
        assert_eq!(invalid(error).0, "owner_org");
        let mut bad = vehicles(agency, "1.1", &[]);
        bad.schema["properties"]["plate"]["type"] = json!(12);
        assert_eq!(invalid(registry.define(&operator, bad).await.expect_err("schema")).0, "schema");

        let vehicle_id = uuid::Uuid::now_v7().to_string();
        let keeper = national_id::with_check("4020171509").expect("id");
        let car = json!({"vehicle_id": vehicle_id, "plate": "AB-123-CD", "colour": "red", "keeper": keeper});
        registry.create(&clerk(), agency, "vehicles", car.clone(), None).await.expect("create");
        let info = registry.register("vehicles").await.expect("register");
        assert_eq!(info.person_ids(&car), vec![keeper]);
        let mut bad_car = car.clone();
        bad_car["vehicle_id"] = json!("car-1");
        assert_eq!(invalid(registry.validate(&info, &bad_car).expect_err("uuid")).0, "/vehicle_id");
        bad_car["vehicle_id"] = json!(vehicle_id);
        bad_car["plate"] = json!("AB123CD");
        assert_eq!(invalid(registry.validate(&info, &bad_car).expect_err("plate")).0, "/plate");

        // A new version searching by colour indexes the existing record too.
        let by_colour = vec![("colour".to_string(), "red".to_string())];
        assert!(registry.search("vehicles", &by_colour, None, 10).await.is_err());
        registry.define(&operator, vehicles(agency, "1.1", &["plate", "colour"])).await.expect("new version");
        assert_eq!(registry.register("vehicles").await.expect("register").version, "1.1");
        let found = registry.search("vehicles", &by_colour, None, 10).await.expect("search");
        assert_eq!(found.into_iter().map(|r| r.id).collect::<Vec<_>>(), vec![vehicle_id]);
        let entries = publica_kernel::audit::list(app.kernel.db(), Some(agency), None, 20).await.expect("audit");
        assert_eq!(entries.iter().filter(|e| e.action == "registry.register.defined").count(), 2);

        let names: Vec<String> = registry.registers().await.expect("list").into_iter().map(|r| r.name).collect();
        assert_eq!(names, [BUSINESSES, POPULATION, "vehicles"]);
    }
}
