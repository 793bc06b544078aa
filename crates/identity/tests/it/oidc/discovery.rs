//! Discovery (OpenID Connect Discovery 1.0, the OIDF Config OP tests): the issuer byte for
//! byte, every endpoint, what is supported; the JWKS the tokens verify with; the trustmark of
//! vectors of trust; and the OpenAPI document locked by its snapshot.

use publica_identity::IdentityBlock;
use publica_kernel::Block;
use publica_kernel::testing::assert_openapi_snapshot;
use serde_json::Value;

use super::support::worlds;

#[test]
fn the_identity_openapi_document_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/identity.openapi.json");
    let documented = [
        "/api/identity/v1/clients",
        "/api/identity/v1/clients/{client_id}",
        "/api/identity/v1/clients/{client_id}/secret",
        "/identity/token",
        "/identity/.well-known/openid-configuration",
    ];
    assert_openapi_snapshot(&IdentityBlock.openapi(), &path, &documented);
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().expect("array").iter().filter_map(Value::as_str).collect()
}

#[tokio::test]
async fn discovery_names_the_issuer_byte_for_byte_and_everything_supported() {
    for w in worlds().await {
        let response = w.app.get("/identity/.well-known/openid-configuration").await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().expect("type").starts_with("application/json"));
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let d: Value = serde_json::from_slice(&bytes).expect("json");
        let base = w.app.kernel.config().public_base();
        let issuer = format!("{base}/identity");
        assert_eq!(d["issuer"], issuer.as_str());
        assert_eq!(w.issuer(), issuer);
        for (name, path) in [
            ("authorization_endpoint", "/authorize"),
            ("token_endpoint", "/token"),
            ("userinfo_endpoint", "/userinfo"),
            ("introspection_endpoint", "/introspect"),
            ("revocation_endpoint", "/revoke"),
            ("end_session_endpoint", "/logout"),
            ("pushed_authorization_request_endpoint", "/par"),
        ] {
            assert_eq!(d[name], format!("{issuer}{path}").as_str(), "{name}");
        }
        assert_eq!(d["jwks_uri"], format!("{base}/.well-known/jwks.json").as_str());
        assert_eq!(strings(&d["response_types_supported"]), vec!["code"]);
        assert_eq!(strings(&d["response_modes_supported"]), vec!["query"]);
        assert_eq!(strings(&d["subject_types_supported"]), vec!["pairwise", "public"]);
        assert_eq!(strings(&d["id_token_signing_alg_values_supported"]), vec!["RS256", "ES256", "EdDSA"]);
        assert_eq!(strings(&d["token_endpoint_auth_signing_alg_values_supported"]), vec!["RS256", "PS256", "ES256"]);
        assert_eq!(strings(&d["code_challenge_methods_supported"]), vec!["S256"]);
        assert_eq!(strings(&d["ui_locales_supported"]), vec!["en", "fr"]);
        let methods = strings(&d["token_endpoint_auth_methods_supported"]);
        for m in ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"] {
            assert!(methods.contains(&m), "{m}");
        }
        let grants = strings(&d["grant_types_supported"]);
        assert_eq!(grants, vec!["authorization_code", "refresh_token", "client_credentials"]);
        let acr = strings(&d["acr_values_supported"]);
        assert!(acr.contains(&"http://eidas.europa.eu/LoA/substantial") && acr.contains(&"urn:acr.login.gov:verified"));
        assert!(!acr.contains(&"Cl") && !acr.contains(&"P2"), "vector components are not acr values");
        assert!(strings(&d["vtr_values_supported"]).contains(&"Cl.Cm.P2"));
        for claim in
            ["sub", "acr", "amr", "auth_time", "email", "given_name", "birthdate", "address", "national_id", "vot"]
        {
            assert!(strings(&d["claims_supported"]).contains(&claim), "{claim}");
        }
        assert!(strings(&d["scopes_supported"]).contains(&"offline_access"));
        for flag in [
            "claims_parameter_supported",
            "request_parameter_supported",
            "authorization_response_iss_parameter_supported",
            "backchannel_logout_supported",
            "backchannel_logout_session_supported",
        ] {
            assert_eq!(d[flag], true, "{flag}");
        }
        for flag in ["request_uri_parameter_supported", "frontchannel_logout_supported"] {
            assert_eq!(d[flag], false, "{flag}");
        }

        // The JWKS has a published key for each signing algorithm, public halves only.
        let jwks = w.jwks().await;
        let keys = jwks["keys"].as_array().expect("keys");
        for alg in ["RS256", "ES256", "EdDSA"] {
            assert!(keys.iter().any(|k| k["alg"] == alg && k["use"] == "sig" && k.get("d").is_none()), "{alg}");
        }

        let response = w.app.get("/identity/trustmark").await;
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let trustmark: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(trustmark["idp"], issuer.as_str());
        assert_eq!(strings(&trustmark["C"]), vec!["Cl", "Cm"]);
        assert_eq!(strings(&trustmark["P"]), vec!["P0", "P2"]);
        assert_eq!(d["trustmark_uri"], format!("{issuer}/trustmark").as_str());
    }
}
