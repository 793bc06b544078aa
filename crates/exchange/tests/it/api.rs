//! The management API: authentication by exchange API keys, problem+json errors naming the
//! field, keys as PEM or JWK, the catalogue with OpenAPI descriptions, and the OpenAPI
//! document of the block locked by a snapshot (`UPDATE_SNAPSHOTS=1` accepts a change).

use publica_exchange::ExchangeBlock;
use publica_kernel::Block;
use publica_kernel::crypto::{Alg, PrivateKey};
use publica_kernel::testing::assert_openapi_snapshot;
use serde_json::json;

use super::worlds;

const API: &str = "/api/exchange/v1";

#[test]
fn the_exchange_openapi_document_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/exchange.openapi.json");
    let documented = [
        "/api/exchange/v1/eservices",
        "/api/exchange/v1/agreements/{id}/approve",
        "/api/exchange/v1/purposes",
        "/exchange/token.oauth2",
    ];
    assert_openapi_snapshot(&ExchangeBlock.openapi(), &path, &documented);
}

#[tokio::test]
async fn the_api_wants_an_exchange_key_and_names_bad_fields() {
    for world in worlds().await {
        let app = &world.app;
        let (status, body) = app.json("GET", &format!("{API}/subsystems"), "", None).await;
        assert_eq!(status, 401, "{body}");
        let kernel_key = publica_kernel::demo::api_key(
            &app.kernel,
            world.org_id("tax-office").await,
            "kernel",
            "k",
            "kernel:tax-office",
        )
        .await
        .expect("kernel key");
        let (status, _) = app.json("GET", &format!("{API}/subsystems"), &kernel_key, None).await;
        assert!(matches!(status, 401 | 403), "a kernel key does not open the exchange API: {status}");

        let tax = world.api_key("tax-office");
        let (status, body) = app
            .json("POST", &format!("{API}/subsystems"), &tax, Some(json!({"code": "has space", "title": "x"})))
            .await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "code");
        let (status, body) = app
            .json("POST", &format!("{API}/subsystems"), &tax, Some(json!({"code": "tax-assessment", "title": "again"})))
            .await;
        assert_eq!(status, 409, "{body}");
        let (status, body) = app
            .json("POST", &format!("{API}/subsystems"), &tax, Some(json!({"code": "ok", "title": "x", "extra": 1})))
            .await;
        assert_eq!(status, 422, "{body}");

        let (status, body) = app.json("GET", &format!("{API}/member"), &tax, None).await;
        assert_eq!(status, 200);
        let member = &body["member"];
        assert_eq!(member["member_class"], "GOV");
        assert!(member["member_code"].as_str().is_some_and(|c| c.len() == 8 && c.bytes().all(|b| b.is_ascii_digit())));
        assert_eq!(member["xroad_id"], format!("DL/GOV/{}", member["member_code"].as_str().expect("code")).as_str());
        assert!(world.client_header().starts_with(member["xroad_id"].as_str().expect("xroad_id")));
        let acme = publica_kernel::demo::api_key(
            &app.kernel,
            world.org_id("acme-bakery").await,
            "exchange",
            "k",
            "exchange:acme",
        )
        .await
        .expect("key");
        let (_, body) = app.json("GET", &format!("{API}/member"), &acme, None).await;
        assert_eq!(body["member"]["member_class"], "COM", "a business is a COM member");

        // Keys: a JWK and a PEM are accepted, a private or short key is refused naming the field.
        let client = world.client_id();
        let ec = PrivateKey::generate(Alg::ES256).expect("key");
        let (status, body) = app
            .json("POST", &format!("{API}/clients/{client}/keys"), &tax, Some(json!({"jwk": ec.public_jwk()})))
            .await;
        assert_eq!((status, body["key"]["alg"].as_str()), (201, Some("ES256")), "{body}");
        let (status, _) = app
            .json("POST", &format!("{API}/clients/{client}/keys"), &tax, Some(json!({"jwk": ec.public_jwk()})))
            .await;
        assert_eq!(status, 409, "the same kid twice");
        let mut private = ec.public_jwk();
        private["d"] = json!("c2VjcmV0");
        let (status, body) =
            app.json("POST", &format!("{API}/clients/{client}/keys"), &tax, Some(json!({"jwk": private}))).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "jwk");
        let (status, body) = app
            .json(
                "POST",
                &format!("{API}/clients/{client}/keys"),
                &tax,
                Some(json!({"pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"})),
            )
            .await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("pem")), "{body}");
        let (status, body) = app.json("GET", &format!("{API}/clients/{client}"), &tax, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["keys"].as_array().expect("keys").len(), 2);
        let (status, _) =
            app.json("GET", &format!("{API}/clients/{client}"), &world.api_key("civil-registry"), None).await;
        assert_eq!(status, 404, "another organisation's client is not found");
    }
}

#[tokio::test]
async fn the_catalogue_shows_services_with_their_openapi_and_guards_the_registers() {
    for world in worlds().await {
        let app = &world.app;
        let tax = world.api_key("tax-office");
        let (status, body) = app.json("GET", &format!("{API}/eservices"), &tax, None).await;
        assert_eq!(status, 200);
        let services = body["eservices"].as_array().expect("catalogue");
        let codes: Vec<&str> = services.iter().filter_map(|s| s["code"].as_str()).collect();
        for code in ["persons", "person-checks", "businesses"] {
            assert!(codes.contains(&code), "{code} in {codes:?}");
        }
        let persons = services.iter().find(|s| s["code"] == "persons").expect("persons");
        let id = persons["id"].as_str().expect("id");
        let (status, body) = app.json("GET", &format!("{API}/eservices/{id}"), &tax, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["eservice"]["backend"], json!({"kind": "registry-person"}));
        assert!(body["eservice"]["openapi"]["paths"]["/{national_id}"]["get"].is_object(), "{body}");
        let (status, doc) = app.json("GET", &format!("{API}/eservices/{id}/openapi"), &tax, None).await;
        assert_eq!(status, 200);
        assert_eq!(doc["openapi"], "3.1.0");

        let provider = world.org_id("chamber-of-commerce").await;
        let (_, body) = app.json("GET", &format!("{API}/eservices?provider={provider}"), &tax, None).await;
        assert!(
            body["eservices"]
                .as_array()
                .expect("list")
                .iter()
                .all(|s| s["provider_org"] == provider.to_string().as_str())
        );

        // Only the population register's keeper may publish it.
        let (status, body) =
            app.json("POST", &format!("{API}/subsystems"), &tax, Some(json!({"code": "leak", "title": "Leak"}))).await;
        assert_eq!(status, 201);
        let subsystem = body["subsystem"]["id"].clone();
        let (status, body) = app.json("POST", &format!("{API}/eservices"), &tax, Some(json!({
            "subsystem_id": subsystem, "code": "persons", "title": "Persons again", "backend": {"kind": "registry-person"},
        }))).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "backend/kind");
        let (status, body) = app.json("POST", &format!("{API}/eservices"), &tax, Some(json!({
            "subsystem_id": subsystem, "code": "x", "title": "X", "backend": {"kind": "http", "base_url": "ftp://files.example"},
        }))).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("backend/base_url")));
        let (status, body) = app.json("POST", &format!("{API}/eservices"), &tax, Some(json!({
            "subsystem_id": subsystem, "code": "x", "title": "X", "backend": {"kind": "http", "base_url": "https://svc.example"},
            "openapi": {"swagger": "2.0"},
        }))).await;
        assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("openapi/openapi")));
    }
}

#[tokio::test]
async fn the_demo_is_stable_across_re_seeds() {
    for world in worlds().await {
        let again = ExchangeBlock.seed_demo(&world.app.kernel).await.expect("re-seed");
        assert_eq!(again, world.demo, "the same ids, key and purposes on every seed");
        assert!(world.demo["private_key_pem"].as_str().is_some_and(|p| p.starts_with("-----BEGIN PRIVATE KEY-----")));
        assert_eq!(world.demo["sample_person_id"], super::ADULT, "a living adult of the population register");
        assert!(world.demo["token_url"].as_str().is_some_and(|u| u.ends_with("/exchange/token.oauth2")));
        for service in ["person_lookup", "person_over_18", "person_resident", "business_lookup"] {
            assert!(
                world.demo["services"][service].as_str().is_some_and(|p| p.starts_with("/r1/DL/GOV/")),
                "{service}"
            );
        }
        ExchangeBlock.housekeeping(&world.app.kernel).await.expect("housekeeping");
    }
}
