//! The exchange's pages in-process, on SQLite and PostgreSQL, signed in as Demoland's civil
//! servants: every page for a member and none for the signed-out, French, agreements requested
//! and decided through the forms (with the CSRF token, a reason to reject), purposes declared
//! through the form, and who sees which calls of the message log.

use axum::http::StatusCode;
use publica_exchange::domain::{AgreementState, Party, PurposeState};
use publica_kernel::testing::{Browser, unescape};
use publica_kernel::web::form::query;
use uuid::Uuid;

use super::{ADULT, World, call, voucher, worlds};

/// A member of the tax office, which consumes the civil registry's e-services.
const INSPECTOR: &str = "inspector@tax.demoland.example";
/// A member of the civil registry, which provides the person e-services.
const REGISTRAR: &str = "registrar@civil-registry.demoland.example";
/// A member of the chamber of commerce: neither side of the tax office's calls.
const CLERK: &str = "clerk@chamber.demoland.example";
/// A member of the platform operator.
const OPERATOR: &str = "operator@digital.demoland.example";

/// The id of a demo e-service by its service code.
async fn eservice_id(world: &World, code: &str) -> Uuid {
    world.exchange.eservices(None).await.expect("catalogue").into_iter().find(|e| e.code == code).expect("e-service").id
}

/// The tax office's agreement for an e-service.
async fn tax_agreement(world: &World, eservice: Uuid) -> Uuid {
    let tax = world.caller("tax-office").await;
    let list = world.exchange.agreements(&tax, Party::Consumer, None).await.expect("agreements");
    list.into_iter().find(|a| a.eservice_id == eservice).expect("agreement").id
}

/// One call of the tax office to the civil registry's person lookup, logged.
async fn one_call(world: &World) {
    let voucher = voucher(world, &world.purpose("person_lookup")).await;
    let path = world.path("person_lookup", ADULT);
    let client = world.client_header();
    let extra = [("x-road-id", "page-test-0001")];
    let (status, _, body) = call(&world.app, "GET", &path, Some(&client), Some(&voucher), &extra).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn every_page_renders_for_a_signed_in_member_in_english_and_french_and_none_signed_out() {
    for world in worlds().await {
        let app = &world.app;
        one_call(&world).await;
        let persons = eservice_id(&world, "persons").await;
        let agreement = tax_agreement(&world, persons).await;
        let purpose = world.purpose("person_lookup");
        let pages = [
            ("/exchange".to_string(), "DL/GOV/", "Vue d’ensemble"),
            ("/exchange/catalogue".to_string(), "Person lookup", "services électroniques actifs"),
            (format!("/exchange/catalogue/{persons}"), "/{national_id}", "Demander un accord"),
            ("/exchange/agreements".to_string(), "Person lookup", "Les accords de votre organisation"),
            (format!("/exchange/agreements/{agreement}"), "Publica, automatically", "Historique"),
            ("/exchange/purposes".to_string(), "Income tax assessment", "Déclarer une finalité"),
            (format!("/exchange/purposes/{purpose}"), "Demoland Income Tax Act, s. 12", "Base légale"),
            ("/exchange/log".to_string(), "page-test-0001", "Journal des messages"),
            ("/exchange/log/1".to_string(), "page-test-0001", "Empreintes"),
        ];
        let anonymous = Browser::anonymous(app).await;
        for (path, _, _) in &pages {
            let page = anonymous.get(path).await;
            assert_eq!((page.status, page.location()), (303, "/signin"), "{}: {path} signed out", app.backend);
        }
        let inspector = Browser::signed_in(app, INSPECTOR).await;
        for (path, english, _) in &pages {
            let page = inspector.get(path).await;
            assert_eq!(page.status, 200, "{}: {path}: {}", app.backend, page.body);
            assert!(page.body.contains("<html lang=\"en\">"), "{path}");
            assert!(unescape(&page.body).contains(english), "{}: {path} shows {english}: {}", app.backend, page.body);
        }
        let overview = inspector.get("/exchange").await;
        assert!(overview.body.contains("<code>DL/GOV/"), "the member identifier: {}", overview.body);
        assert!(overview.body.contains("tax-assessment"), "the subsystem");
        assert!(overview.body.contains("<code>public-authority</code>"), "the attribute");

        let french = Browser::signed_in(app, INSPECTOR).await.in_french();
        for (path, _, words) in &pages {
            let page = french.get(path).await;
            assert_eq!(page.status, 200, "{}: {path} in French", app.backend);
            assert!(page.body.contains("<html lang=\"fr\">"), "{path}");
            assert!(
                unescape(&page.body).contains(words),
                "{}: {path} in French shows {words}: {}",
                app.backend,
                page.body
            );
        }
        let catalogue = unescape(&french.get("/exchange/catalogue").await.body);
        assert!(catalogue.contains("Automatique") && catalogue.contains("10\u{202f}000\u{202f}000 appels par jour"));

        assert_eq!(inspector.get("/exchange/agreements/not-an-id").await.status, 404);
        assert_eq!(inspector.get(&format!("/exchange/purposes/{}", Uuid::now_v7())).await.status, 404);
        assert_eq!(inspector.get("/exchange/log/999").await.status, 404);
    }
}

#[tokio::test]
async fn a_consumer_requests_and_the_provider_approves_through_the_forms() {
    for world in worlds().await {
        let app = &world.app;
        let persons = eservice_id(&world, "persons").await;
        let chamber = world.org_id("chamber-of-commerce").await;
        let companies = world.exchange.subsystem_by_code(chamber, "companies").await.expect("read").expect("subsystem");

        // The chamber lacks the required attribute: its request waits for the provider.
        let clerk = Browser::signed_in(app, CLERK).await;
        let form = clerk.get(&format!("/exchange/catalogue/{persons}")).await;
        assert!(form.body.contains(&format!("<option value=\"{}\"", companies.id)), "{}", form.body);
        let target = format!("/exchange/catalogue/{persons}/agreements");
        let bad = clerk.post(&target, &[("subsystem_id", "nonsense")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("id=\"request-subsystem-error\""), "{}", bad.body);
        let sent = clerk.post(&target, &[("subsystem_id", &companies.id.to_string())]).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        let id = sent.location().strip_prefix("/exchange/agreements/").expect("to the agreement").to_string();
        let id = id.split('?').next().expect("id").to_string();
        let requested = clerk.get(sent.location()).await;
        assert!(requested.body.contains("The agreement was requested.") && requested.body.contains("Pending"));
        assert!(unescape(&requested.body).contains("the consumer lacks public-authority"), "{}", requested.body);
        let again = clerk.post(&target, &[("subsystem_id", &companies.id.to_string())]).await;
        assert_eq!(again.status, 422, "a second live agreement is refused next to the field");
        assert!(again.body.contains("already has a pending"), "{}", again.body);

        // The provider's inbox lists it first, with its steps.
        let registrar = Browser::signed_in(app, REGISTRAR).await;
        let inbox = registrar.get("/exchange/agreements").await;
        let first = inbox.body.find("<tbody>").expect("a table");
        let row = inbox.body[first..].find(&format!("/exchange/agreements/{id}\"")).expect("the request is listed");
        let tax = tax_agreement(&world, persons).await;
        let other = inbox.body[first..].find(&format!("/exchange/agreements/{tax}\"")).expect("the tax office's");
        assert!(row < other, "pending requests first");
        assert!(inbox.body.contains(&format!("action=\"/exchange/agreements/{id}/approve\"")), "{}", inbox.body);
        assert!(inbox.body.contains(&format!("href=\"/exchange/agreements/{id}#reject-heading\"")));

        // The consumer may not approve, and nobody may without the CSRF token.
        let approve = format!("/exchange/agreements/{id}/approve");
        assert_eq!(clerk.post(&approve, &[]).await.status, 403, "the consumer does not decide");
        let forged = registrar.post_raw(&approve, &[]).await;
        assert_eq!(forged.status, 403, "no CSRF token");
        let caller = world.caller("civil-registry").await;
        let id_uuid = Uuid::try_parse(&id).expect("uuid");
        let (still, _) = world.exchange.agreement(&caller, id_uuid).await.expect("read");
        assert_eq!(still.state, AgreementState::Pending);

        let done = registrar.post(&approve, &[]).await;
        assert_eq!((done.status, done.location()), (303, format!("/exchange/agreements/{id}?done=approve").as_str()));
        let page = registrar.get(done.location()).await;
        assert!(page.body.contains("Approved."), "{}", page.body);
        let history = &page.body[page.body.find("history-heading").expect("history")..];
        assert!(history.contains("Rosa Registrar (Demoland Civil Registry)"), "{history}");
        assert!(history.contains("<td>Pending</td>") && history.contains("<td>Active</td>"), "{history}");
        let (now, transitions) = world.exchange.agreement(&caller, id_uuid).await.expect("read");
        assert_eq!(now.state, AgreementState::Active);
        assert_eq!(transitions.len(), 2);
        assert!(
            page.body.contains(&format!("action=\"/exchange/agreements/{id}/suspend\"")),
            "now it can be suspended"
        );
        assert!(!page.body.contains(&format!("action=\"/exchange/agreements/{id}/approve\"")));
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_shown_next_to_the_field() {
    for world in worlds().await {
        let app = &world.app;
        let persons = eservice_id(&world, "persons").await;
        let chamber = world.caller("chamber-of-commerce").await;
        let companies =
            world.exchange.subsystem_by_code(chamber.org_id, "companies").await.expect("read").expect("subsystem");
        let pending = world.exchange.request_agreement(&chamber, persons, companies.id).await.expect("request");
        assert_eq!(pending.state, AgreementState::Pending);

        let registrar = Browser::signed_in(app, REGISTRAR).await;
        let reject = format!("/exchange/agreements/{}/reject", pending.id);
        let page = registrar.post(&reject, &[("reason", "  ")]).await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("<a href=\"#reject-reason\">"), "the summary links to the field: {}", page.body);
        let field = &page.body[page.body.find("<label for=\"reject-reason\">").expect("the field")..];
        let error = field.find("id=\"reject-reason-error\"").expect("the error next to the field");
        assert!(error < field.find("<textarea").expect("textarea"), "the error comes before the input");
        assert!(field.contains("aria-invalid=\"true\"") && field.contains("reject-hint reject-reason-error"));
        assert!(page.body.contains("Say why: a rejection needs a reason."));
        let french = Browser::signed_in(app, REGISTRAR).await.in_french();
        let page = french.post(&reject, &[]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("un refus doit être motivé"), "{}", page.body);
        let (still, _) = world.exchange.agreement(&chamber, pending.id).await.expect("read");
        assert_eq!(still.state, AgreementState::Pending);

        let done = registrar.post(&reject, &[("reason", "The chamber holds no public-authority attribute.")]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let clerk = Browser::signed_in(app, CLERK).await;
        let seen = clerk.get(&format!("/exchange/agreements/{}", pending.id)).await;
        assert!(
            seen.body.contains("Rejected") && seen.body.contains("The chamber holds no public-authority attribute.")
        );
        assert!(seen.body.contains("Your organisation cannot take any step on this now."), "{}", seen.body);
        // A step the agreement no longer allows is explained, not an error page.
        let late = registrar.post(&format!("/exchange/agreements/{}/approve", pending.id), &[]).await;
        assert_eq!(late.status, 409, "{}", late.body);
        assert!(late.body.contains("<a href=\"#actions-heading\">") && late.body.contains("only pending agreements"));
    }
}

#[tokio::test]
async fn purposes_are_declared_through_the_form_and_approved_by_the_provider() {
    for world in worlds().await {
        let app = &world.app;
        let persons = eservice_id(&world, "persons").await;
        let agreement = tax_agreement(&world, persons).await.to_string();
        let inspector = Browser::signed_in(app, INSPECTOR).await;
        let list = inspector.get("/exchange/purposes").await;
        assert!(list.body.contains(&format!("<option value=\"{agreement}\"")), "{}", list.body);

        let missing = inspector.post("/exchange/purposes", &[("agreement", &agreement), ("title", "Audit")]).await;
        assert_eq!(missing.status, 422);
        assert!(missing.body.contains("id=\"purpose-legal-basis-error\""), "{}", missing.body);
        assert!(missing.body.contains("id=\"purpose-daily-calls-error\""));
        assert!(missing.body.contains("value=\"Audit\""), "what was typed is kept");

        // More calls than the e-service's per-consumer quota has left: the provider decides.
        let form = [
            ("agreement", agreement.as_str()),
            ("title", "Fraud audit"),
            ("description", "Checking declared residences."),
            ("legal_basis", "Demoland Tax Procedure Act, s. 7"),
            ("daily_calls", "6,000,000"),
            ("confidential_days", "30"),
        ];
        let created = inspector.post("/exchange/purposes", &form).await;
        assert_eq!(created.status, 303, "{}", created.body);
        let page = inspector.get(created.location()).await;
        assert!(page.body.contains("The purpose was declared.") && page.body.contains("Waiting for approval"));
        assert!(page.body.contains("6,000,000") && page.body.contains("30 days"), "{}", page.body);
        let id = created.location().split('/').nth(3).and_then(|s| s.split('?').next()).expect("id").to_string();

        let registrar = Browser::signed_in(app, REGISTRAR).await;
        let provided = registrar.get("/exchange/purposes").await;
        let section = &provided.body[provided.body.find("provided-heading").expect("section")..];
        let first_row = section.find("<tbody>").map(|t| &section[t..]).expect("rows");
        assert!(first_row.find(&id).expect("listed") < first_row.find("Income tax assessment").expect("the demo's"));
        let done = registrar.post(&format!("/exchange/purposes/{id}/approve"), &[]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let tax = world.caller("tax-office").await;
        let (purpose, history) = world.exchange.purpose(&tax, Uuid::try_parse(&id).expect("uuid")).await.expect("read");
        assert_eq!(purpose.state, PurposeState::Active);
        assert_eq!(history.len(), 2);
        let suspended =
            inspector.post(&format!("/exchange/purposes/{id}/suspend"), &[("reason", "Audit paused")]).await;
        assert_eq!(suspended.status, 303);
        let page = inspector.get(suspended.location()).await;
        assert!(page.body.contains("Suspended by the consumer") && page.body.contains("Audit paused"));
    }
}

#[tokio::test]
async fn the_log_shows_each_organisation_its_own_calls_and_the_operator_all() {
    for world in worlds().await {
        let app = &world.app;
        one_call(&world).await;
        let client = world.client_header();
        for email in [INSPECTOR, REGISTRAR] {
            let browser = Browser::signed_in(app, email).await;
            let list = browser.get("/exchange/log").await;
            assert!(list.body.contains("href=\"/exchange/log/1\""), "{email} sees the call: {}", list.body);
            let entry = browser.get("/exchange/log/1").await;
            assert_eq!(entry.status, 200, "{email}");
            assert!(entry.body.contains("page-test-0001") && entry.body.contains(&client));
            assert!(entry.body.contains("href=\"/exchange/agreements/"), "a party opens the agreement");
            assert!(list.body.contains("You see the calls your organisation made or answered."));
        }
        let clerk = Browser::signed_in(app, CLERK).await;
        let list = clerk.get("/exchange/log").await;
        assert_eq!(list.status, 200);
        assert!(!list.body.contains("/exchange/log/1\"") && list.body.contains("No entry matches."), "{}", list.body);
        assert_eq!(clerk.get("/exchange/log/1").await.status, 404, "another organisation does not see the call");
        assert!(!list.body.contains("verify-heading"), "only the operator verifies the log");

        let operator = Browser::signed_in(app, OPERATOR).await;
        let list = operator.get("/exchange/log").await;
        assert!(list.body.contains("href=\"/exchange/log/1\"") && list.body.contains("Verify the message log"));
        let verified = operator.get("/exchange/log?verify=1").await;
        assert!(
            verified.body.contains("The log is intact.") && verified.body.contains("message log intact: 1 entries")
        );
        let entry = operator.get("/exchange/log/1").await;
        assert_eq!(entry.status, 200);
        assert!(!entry.body.contains("href=\"/exchange/agreements/"), "the operator is no party");
        assert!(entry.body.contains("The bodies of this call were not kept"));

        // Filters: by client, by status, and a problem shown next to its field.
        let inspector = Browser::signed_in(app, INSPECTOR).await;
        let by_client = inspector.get(&format!("/exchange/log?{}", query([("client", &client)]))).await;
        assert!(by_client.body.contains("href=\"/exchange/log/1\""), "{}", by_client.body);
        let by_status = inspector.get("/exchange/log?status=404").await;
        assert!(!by_status.body.contains("href=\"/exchange/log/1\"") && by_status.body.contains("No entry matches."));
        let bad = inspector.get("/exchange/log?status=abc&from=2025-13-01").await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("id=\"log-status-error\"") && bad.body.contains("id=\"log-from-error\""));
        let order = inspector.get("/exchange/log?from=2025-02-01&to=2025-01-01").await;
        assert!(order.body.contains("id=\"log-to-error\""), "{}", order.body);
        let day = time::OffsetDateTime::now_utc().date().to_string();
        let today = inspector.get(&format!("/exchange/log?from={day}&to={day}")).await;
        assert!(today.body.contains("href=\"/exchange/log/1\""), "a day's range includes the day: {}", today.body);
        let older = inspector.get("/exchange/log?before=1").await;
        assert!(!older.body.contains("href=\"/exchange/log/1\"") && older.body.contains("Newest entries"));
    }
}
