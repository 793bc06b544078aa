//! The relying-party sandbox: a client's simulator setting breaks its ID tokens in exactly
//! the way it names, and nothing else, so that a service team can check that its client
//! refuses each.

use publica_identity::oidc::ClientSettings;

use super::support::{Browser, code_of, decode, exchange, jws_verifies, now, worlds};

const LOW: &str = "http://eidas.europa.eu/LoA/low";

#[tokio::test]
async fn each_simulator_setting_breaks_what_it_says_and_only_that() {
    for w in worlds().await {
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let jwks = w.jwks().await;
        for mode in ["none", "wrong_issuer", "wrong_audience", "bad_signature", "expired", "wrong_nonce", "wrong_level"]
        {
            let mut s = ClientSettings::new(&format!("Sandbox {mode}"), &["https://sandbox.example/cb"]);
            s.simulate = Some(mode.into());
            let rp = w.client(s).await;
            let location = browser.authorize(&rp.authorize(&[("acr_values", LOW)]), &ana).await;
            let (status, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
            assert_eq!(status, 200, "{mode}: {tokens}");
            let token = tokens["id_token"].as_str().expect("id_token");
            let (_, c) = decode(token);
            let verifies = jws_verifies(&jwks, token);
            let issuer_ok = c["iss"] == w.issuer().as_str();
            let audience_ok = c["aud"] == rp.client_id.as_str();
            let fresh = c["exp"].as_i64().expect("exp") > now();
            let nonce_ok = c["nonce"] == "nonce-456";
            let level_ok = c["acr"] == LOW;
            let checks = [
                ("signature", verifies),
                ("iss", issuer_ok),
                ("aud", audience_ok),
                ("exp", fresh),
                ("nonce", nonce_ok),
                ("acr", level_ok),
            ];
            let broken: Vec<&str> = checks.iter().filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
            let expected: Vec<&str> = match mode {
                "none" => vec![],
                "wrong_issuer" => vec!["iss"],
                "wrong_audience" => vec!["aud"],
                "bad_signature" => vec!["signature"],
                "expired" => vec!["exp"],
                "wrong_nonce" => vec!["nonce"],
                "wrong_level" => vec!["acr"],
                _ => unreachable!(),
            };
            assert_eq!(broken, expected, "{mode}: {c:?}");
            // The access token is never broken: only the ID token is the exercise.
            let access = tokens["access_token"].as_str().expect("access");
            assert!(jws_verifies(&jwks, access), "{mode}");
        }
    }
}
