//! The token endpoint: a voucher for a signed client assertion when the agreement, the
//! e-service and the purpose are all active; OAuth errors naming the problem otherwise.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use publica_kernel::crypto::{Alg, PrivateKey};
use serde_json::{Value, json};

use super::{World, ask, claims, now, sign, token_request, voucher, worlds};

const API: &str = "/api/exchange/v1";

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
}

async fn refused(world: &World, claims: &Value) -> (String, String) {
    let (status, body) = ask(world, &sign(&world.key, &world.kid(), claims)).await;
    assert_eq!(status, 400, "{body}");
    (
        body["error"].as_str().expect("error").to_string(),
        body["error_description"].as_str().expect("description").to_string(),
    )
}

#[tokio::test]
async fn a_valid_assertion_gets_a_purpose_bound_voucher() {
    for world in worlds().await {
        let purpose = world.purpose("person_lookup");
        let token = voucher(&world, &purpose).await;
        let header = decode_part(&token, 0);
        assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("at+jwt"), Some("RS256")));
        let issued = decode_part(&token, 1);
        assert_eq!(issued["purposeId"], purpose.as_str());
        assert_eq!(issued["sub"], world.client_id().as_str());
        assert_eq!(issued["client_id"], world.client_id().as_str());
        assert_eq!(issued["iss"], world.exchange.issuer());
        assert!(issued["aud"].as_str().is_some_and(|a| a.ends_with("/population/persons")), "{issued}");
        assert_eq!(issued["nbf"], issued["iat"]);
        assert_eq!(issued["exp"].as_i64().expect("exp") - issued["iat"].as_i64().expect("iat"), 600);
        for claim in ["agreementId", "eserviceId", "producerId", "consumerId", "jti"] {
            assert!(issued[claim].is_string(), "{claim} in {issued}");
        }
        // The voucher verifies against the published JWKS key.
        let jwks = world.app.kernel.keys().jwks();
        let key = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == header["kid"])
            .expect("published")
            .clone();
        let (input, sig) = token.rsplit_once('.').expect("jws");
        let sig = URL_SAFE_NO_PAD.decode(sig).expect("sig");
        assert!(publica_kernel::crypto::verify(&key, Alg::RS256, input.as_bytes(), &sig));

        // `client_id` may be left out of the form: the assertion names the client.
        let assertion = sign(&world.key, &world.kid(), &claims(&world, &purpose));
        let (status, body) = token_request(
            &world.app,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", &assertion),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(600)));
    }
}

#[tokio::test]
async fn assertions_that_are_not_right_are_refused_naming_the_problem() {
    for world in worlds().await {
        let purpose = world.purpose("person_lookup");

        let mut wrong_aud = claims(&world, &purpose);
        wrong_aud["aud"] = json!("https://elsewhere.example/token");
        let (error, why) = refused(&world, &wrong_aud).await;
        assert_eq!(error, "invalid_client");
        assert!(why.contains("aud"), "{why}");

        let other = PrivateKey::generate(Alg::ES256).expect("key");
        let (status, body) = ask(&world, &sign(&other, &world.kid(), &claims(&world, &purpose))).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")));
        assert!(body["error_description"].as_str().is_some_and(|d| d.contains("signature")), "{body}");

        let mut expired = claims(&world, &purpose);
        expired["iat"] = json!(now() - 900);
        expired["exp"] = json!(now() - 300);
        let (error, why) = refused(&world, &expired).await;
        assert_eq!(error, "invalid_client");
        assert!(why.contains("expired"), "{why}");

        let mut too_long = claims(&world, &purpose);
        too_long["exp"] = json!(now() + 3600);
        let (error, why) = refused(&world, &too_long).await;
        assert_eq!(error, "invalid_client");
        assert!(why.contains("600"), "{why}");

        let mut extra = claims(&world, &purpose);
        extra["nbf"] = json!(now());
        let (error, why) = refused(&world, &extra).await;
        assert_eq!(error, "invalid_client");
        assert!(why.contains("nbf"), "{why}");

        let mut other_sub = claims(&world, &purpose);
        other_sub["sub"] = json!(uuid::Uuid::new_v4().to_string());
        assert_eq!(refused(&world, &other_sub).await.0, "invalid_client");

        let mut no_purpose = claims(&world, &purpose);
        no_purpose.as_object_mut().expect("object").remove("purposeId");
        let (error, why) = refused(&world, &no_purpose).await;
        assert_eq!(error, "invalid_request");
        assert!(why.contains("purposeId"), "{why}");

        let (error, why) = refused(&world, &claims(&world, &uuid::Uuid::new_v4().to_string())).await;
        assert_eq!(error, "invalid_grant");
        assert!(why.contains("purpose"), "{why}");

        let assertion = sign(&world.key, "no-such-kid", &claims(&world, &purpose));
        let (status, body) = ask(&world, &assertion).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")));
        assert!(body["error_description"].as_str().is_some_and(|d| d.contains("no-such-kid")));

        // A jti is good for one voucher only.
        let once = sign(&world.key, &world.kid(), &claims(&world, &purpose));
        assert_eq!(ask(&world, &once).await.0, 200);
        let (status, body) = ask(&world, &once).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "{body}");
        assert!(body["error_description"].as_str().is_some_and(|d| d.contains("used already")), "{body}");

        let (status, body) = token_request(
            &world.app,
            &[
                ("grant_type", "password"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", &once),
            ],
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
        let (status, body) = token_request(
            &world.app,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
                ("client_assertion", &once),
            ],
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
        let (status, body) = token_request(
            &world.app,
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", &once),
            ],
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "duplicated parameter");
        let (status, body) = token_request(
            &world.app,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", "not-a-jwt"),
            ],
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    }
}

#[tokio::test]
async fn no_voucher_while_the_agreement_or_the_purpose_is_not_active() {
    for world in worlds().await {
        let app = &world.app;
        let purpose = world.purpose("person_checks");
        let (tax, registrar) = (world.api_key("tax-office"), world.api_key("civil-registry"));
        let (_, list) = app.json("GET", &format!("{API}/agreements?state=active"), &tax, None).await;
        let (_, detail) = app.json("GET", &format!("{API}/purposes/{purpose}"), &tax, None).await;
        let eservice_id = detail["purpose"]["eservice_id"].as_str().expect("eservice_id").to_string();
        let agreement = list["agreements"]
            .as_array()
            .expect("list")
            .iter()
            .find(|a| a["eservice_id"] == eservice_id.as_str())
            .expect("agreement")["id"]
            .as_str()
            .expect("id")
            .to_string();

        let (status, _) = app.json("POST", &format!("{API}/agreements/{agreement}/suspend"), &registrar, None).await;
        assert_eq!(status, 200);
        let (error, why) = refused(&world, &claims(&world, &purpose)).await;
        assert_eq!(error, "unauthorized_client");
        assert!(why.contains("agreement") && why.contains("suspended"), "{why}");
        let (status, _) = app.json("POST", &format!("{API}/agreements/{agreement}/reactivate"), &registrar, None).await;
        assert_eq!(status, 200);
        assert_eq!(ask(&world, &sign(&world.key, &world.kid(), &claims(&world, &purpose))).await.0, 200);

        let (status, _) = app.json("POST", &format!("{API}/purposes/{purpose}/suspend"), &tax, None).await;
        assert_eq!(status, 200);
        let (error, why) = refused(&world, &claims(&world, &purpose)).await;
        assert_eq!(error, "unauthorized_client");
        assert!(why.contains("purpose") && why.contains("suspended"), "{why}");
        let (status, _) = app.json("POST", &format!("{API}/purposes/{purpose}/activate"), &tax, None).await;
        assert_eq!(status, 200);

        let (status, _) = app.json("POST", &format!("{API}/eservices/{eservice_id}/suspend"), &registrar, None).await;
        assert_eq!(status, 200);
        let (error, why) = refused(&world, &claims(&world, &purpose)).await;
        assert_eq!(error, "unauthorized_client");
        assert!(why.contains("e-service") && why.contains("suspended"), "{why}");
    }
}

#[tokio::test]
async fn an_rsa_key_registered_as_pem_signs_assertions() {
    for world in worlds().await {
        let app = &world.app;
        let tax = world.api_key("tax-office");
        let rsa = PrivateKey::generate(Alg::RS256).expect("rsa");
        let der = match &rsa {
            PrivateKey::Rsa(k) => {
                use aws_lc_rs::encoding::AsDer;
                use aws_lc_rs::signature::KeyPair;
                k.public_key().as_der().expect("spki").as_ref().to_vec()
            }
            _ => unreachable!("generated RSA"),
        };
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der)
        );
        let client = world.client_id();
        let (status, body) = app
            .json("POST", &format!("{API}/clients/{client}/keys"), &tax, Some(json!({"pem": pem, "kid": "rsa-2026"})))
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["key"]["alg"], "RS256");
        let assertion = sign(&rsa, "rsa-2026", &claims(&world, &world.purpose("person_lookup")));
        let (status, body) = ask(&world, &assertion).await;
        assert_eq!(status, 200, "{body}");

        let (status, _) = app.json("DELETE", &format!("{API}/clients/{client}/keys/rsa-2026"), &tax, None).await;
        assert_eq!(status, 204);
        let assertion = sign(&rsa, "rsa-2026", &claims(&world, &world.purpose("person_lookup")));
        let (status, body) = ask(&world, &assertion).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_client")), "a removed key signs nothing");
    }
}
