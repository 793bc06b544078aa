//! The whole step-up: a client asks for eIDAS substantial (a verified identity at aal2); the
//! person signs in with their password, then their authenticator app, then proves who they are
//! against the population register (through the exchange, as proofing does), consents, and
//! the client receives `acr` substantial and the register's claims at userinfo.

use publica_exchange::ExchangeBlock;
use publica_exchange::service::Caller;
use publica_exchange::service::agreements::AgreementStep;
use publica_identity::proofing::ProofingSetupSpec;
use publica_kernel::Block;
use publica_kernel::audit::Actor;
use publica_registry::Registry;
use serde_json::Value;

use super::support::{Browser, Landed, World, code_of, exchange, query_of, worlds};

const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
/// The registry's example person: Camille Anne Martin, born 1985-06-12, in Demopolis.
const CAMILLE: &str = "19850612344";

/// Camille in the population register and proofing set up as the exchange's consumer.
async fn enable_proofing(w: &World) {
    ExchangeBlock.seed_demo(&w.app.kernel).await.expect("exchange demo");
    let registry = w.app.kernel.get::<Registry>().expect("registry");
    let kernel = &w.app.kernel;
    let registrar = kernel.organisation_by_slug("civil-registry").await.expect("read").expect("registrar");
    let actor = Actor::system("test");
    let camille = publica_registry::domain::builtin::example_person();
    registry.create(&actor, registrar.id, publica_registry::POPULATION, camille, None).await.expect("camille");
    let exchange = kernel.get::<publica_exchange::Exchange>().expect("exchange");
    let persons =
        exchange.eservices(None).await.expect("catalogue").into_iter().find(|e| e.code == "persons").expect("persons");
    let operator = kernel.organisation_by_slug("demoland-digital").await.expect("read").expect("operator");
    let spec =
        ProofingSetupSpec::national_sign_in(operator.id, &persons.xroad_id, "Demoland Digital Identity Act, s. 7");
    let pending = w.identity.setup_proofing(&actor, &spec).await.expect("setup");
    let by = Caller::new(registrar.id, registrar.kind, actor.clone());
    exchange
        .agreement_step(&by, pending.agreement_id, AgreementStep::Approve, Some("national sign-in"))
        .await
        .expect("approve");
    assert!(w.identity.setup_proofing(&actor, &spec).await.expect("setup").ready());
}

#[tokio::test]
async fn stepping_up_to_a_verified_identity_releases_the_registers_claims() {
    for w in worlds().await {
        enable_proofing(&w).await;
        let rp = w.confidential(&["openid", "profile", "address", "national_id"], false).await;
        let mut camille = w.person("camille@example.org").await;
        w.add_totp(&mut camille).await;
        let mut browser = Browser::new(&w.app).await;
        let start = rp.authorize(&[("acr_values", SUBSTANTIAL), ("scope", "openid profile address national_id")]);
        let Landed::Page(signin, _) = browser.open(&start).await else { panic!("sign-in") };
        assert!(signin.contains("aal=aal2"), "{signin}");
        let Landed::Page(proofing, page) = browser.sign_in_at(&signin, &camille).await else { panic!("proofing") };
        assert!(proofing.starts_with("/identity/proofing?"), "{proofing}: {}", page.body);
        let return_to = query_of(&proofing)["return_to"].clone();
        let proved = browser
            .post(
                "/identity/proofing",
                &[
                    ("national_id", CAMILLE),
                    ("given_name", "Camille"),
                    ("family_name", "Martin"),
                    ("birthdate", "1985-06-12"),
                    ("return_to", &return_to),
                ],
            )
            .await;
        assert_eq!(proved.status, 303, "{}", proved.body);
        let Landed::Page(consent, page) = browser.follow("/identity/proofing".into(), proved).await else {
            panic!("consent")
        };
        assert!(consent.starts_with("/identity/consent/"), "{consent}");
        assert!(page.body.contains("your national identification number") && page.body.contains("population register"));
        let location = browser.approve(&consent).await.client();
        let (status, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        assert_eq!(status, 200, "{tokens}");
        let (_, id) = w.verify(tokens["id_token"].as_str().expect("id")).await;
        assert_eq!(id["acr"], SUBSTANTIAL);

        let request = axum::http::Request::get("/identity/userinfo")
            .header("authorization", format!("Bearer {}", tokens["access_token"].as_str().expect("a")))
            .body(axum::body::Body::empty())
            .expect("request");
        let response = w.app.request(request).await;
        assert_eq!(response.status(), 200);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let info: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(info["national_id"], CAMILLE);
        assert_eq!(info["given_name"], "Camille Anne", "the register's names");
        assert_eq!(info["family_name"], "Martin");
        assert_eq!(info["birthdate"], "1985-06-12");
        assert_eq!(info["address"]["locality"], "Demopolis");
        assert_eq!(info["sub"], id["sub"]);
    }
}
