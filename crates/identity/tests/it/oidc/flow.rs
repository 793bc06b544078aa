//! The authorization code flow through the browser (the OIDF Basic OP tests' ground): sign-in,
//! consent remembered and asked again with `prompt=consent`, refused; errors shown as pages
//! before the redirect URI is trusted and sent to the client after; `prompt=none`, `prompt=login`
//! and `max_age`; `ui_locales`; step-up to aal2 and to a verified identity; `acr_values` and
//! `vtr`; signed request objects and pushed requests.

use publica_identity::oidc::ClientSettings;
use publica_kernel::crypto::{Alg, PrivateKey, b64url, sha256};
use serde_json::{Value, json};

use super::support::{Browser, Landed, code_of, exchange, pkce, query_of, sign, worlds};

#[tokio::test]
async fn a_person_signs_in_to_a_client_consents_once_and_the_tokens_verify() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email", "profile"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let (verifier, challenge) = pkce();
        let start = rp.authorize(&[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("scope", "openid email"),
        ]);
        let first = browser.open(&start).await;
        let Landed::Page(path, _) = first else { panic!("sign-in first") };
        assert!(path.starts_with("/identity/sign-in?return_to=%2Fidentity%2Fauthorize%2Fcontinue%2F"), "{path}");
        let landed = browser.sign_in_at(&path, &ana).await;
        let Landed::Page(consent, page) = landed else { panic!("consent next") };
        assert!(consent.starts_with("/identity/consent/"), "{consent}");
        assert!(page.body.contains("Demoland Tax Office") && page.body.contains("your email address"), "{}", page.body);
        assert!(page.header("content-security-policy").contains("form-action 'self' https://tax.example"));
        let location = browser.approve(&consent).await.client();
        let code = code_of(&w, &location, &rp);

        let (status, tokens) = exchange(&w, &rp, &code, Some(&verifier)).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["scope"], "openid email");
        assert!(tokens.get("refresh_token").is_none(), "no offline access asked");
        let id_token = tokens["id_token"].as_str().expect("id_token");
        let (header, claims) = w.verify(id_token).await;
        assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("RS256"), Some("JWT")));
        assert_eq!(claims["iss"], w.issuer().as_str());
        assert_eq!(claims["aud"], rp.client_id.as_str());
        assert_eq!(claims["nonce"], "nonce-456");
        let sub = claims["sub"].as_str().expect("sub").to_string();
        assert_ne!(sub, ana.account_id.to_string(), "pairwise, not the account id");
        assert_eq!(sub.len(), 43);
        assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 300);
        assert!(claims["auth_time"].as_i64().expect("auth_time") <= claims["iat"].as_i64().expect("iat"));
        assert_eq!(claims["acr"], "http://eidas.europa.eu/LoA/low", "the strongest value an aal1 session reaches");
        assert!(claims["amr"].as_array().expect("amr").iter().any(|m| m == "pwd"));
        assert!(claims["sid"].as_str().is_some_and(|s| s.len() == 43));
        let access = tokens["access_token"].as_str().expect("access_token");
        assert_eq!(claims["at_hash"], b64url(&sha256(access.as_bytes())[..16]).as_str());
        let (at_header, at) = w.verify(access).await;
        assert_eq!(at_header["typ"], "at+jwt");
        assert_eq!(at["client_id"], rp.client_id.as_str());
        assert_eq!(at["sub"], sub.as_str());
        assert_eq!(at["aud"], format!("{}/userinfo", w.issuer()).as_str());
        assert_eq!(at["scope"], "openid email");
        assert!(at["jti"].is_string() && at["auth_time"].is_i64());

        // The consent is remembered: the next authorization comes straight back.
        let again = browser.open(&rp.authorize(&[])).await.client();
        let code = code_of(&w, &again, &rp);
        let (status, tokens) = exchange(&w, &rp, &code, None).await;
        assert_eq!(status, 200);
        let (_, claims) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert_eq!(claims["sub"], sub.as_str(), "the same person, the same sub");
        // A form post from the client continues with a GET, which carries the session cookie.
        let fields = [
            ("response_type", "code"),
            ("client_id", rp.client_id.as_str()),
            ("redirect_uri", rp.redirect_uri.as_str()),
            ("scope", "openid email"),
            ("state", "state-123"),
            ("prompt", "none"),
        ];
        let posted = browser.post_raw("/identity/authorize", &fields).await;
        assert_eq!(posted.status, 303);
        assert!(posted.location().starts_with("/identity/authorize/continue/"), "{}", posted.location());
        let location = browser.follow("/identity/authorize".into(), posted).await.client();
        code_of(&w, &location, &rp);
        // …unless asked again, or asked for more.
        let Landed::Page(path, _) = browser.open(&rp.authorize(&[("prompt", "consent")])).await else {
            panic!("consent")
        };
        assert!(path.starts_with("/identity/consent/"));
        let Landed::Page(path, page) = browser.open(&rp.authorize(&[("scope", "openid email profile")])).await else {
            panic!("consent for more")
        };
        assert!(path.starts_with("/identity/consent/") && page.body.contains("your name"));
        let refused = browser.post(&path, &[("decision", "deny")]).await;
        assert_eq!(refused.status, 303);
        let q = query_of(refused.location());
        assert_eq!(q["error"], "access_denied");
        assert_eq!((q["state"].as_str(), q["iss"].as_str()), ("state-123", w.issuer().as_str()));

        // Another sector sees another sub.
        let other = w.client(ClientSettings::new("Health fund", &["https://health.example/cb"])).await;
        let location = browser.authorize(&other.authorize(&[]), &ana).await;
        let code = code_of(&w, &location, &other);
        let (_, tokens) = exchange(&w, &other, &code, None).await;
        let (_, claims) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert_ne!(claims["sub"], sub.as_str());
        assert!(w.audit_actions().await.contains(&"identity.consent.granted".to_string()));
        let activity = w.identity.activity(ana.account_id, Some(50)).await.expect("activity");
        assert!(activity.iter().any(|a| a.kind == "oidc.sign-in"), "the person sees where they signed in");
        let services = w.identity.connected_services(ana.account_id).await.expect("services");
        assert_eq!(services.len(), 2);
    }
}

#[tokio::test]
async fn errors_are_pages_until_the_redirect_uri_is_trusted_then_go_back_to_the_client() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let mut browser = Browser::new(&w.app).await;
        let unknown = browser.get("/identity/authorize?client_id=nobody&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=openid").await;
        assert_eq!(unknown.status, 400);
        assert!(unknown.body.contains("not registered") && unknown.location().is_empty(), "{}", unknown.body);
        let evil = browser.get(&rp.authorize(&[("redirect_uri", "https://evil.example/cb")])).await;
        assert_eq!(evil.status, 400);
        assert!(evil.location().is_empty() && evil.body.contains("has not registered"));
        let slash = browser.get(&rp.authorize(&[("redirect_uri", "https://tax.example/callback/")])).await;
        assert_eq!(slash.status, 400, "matched exactly");
        let french = browser
            .get(&rp.authorize(&[("redirect_uri", "https://evil.example/cb"), ("ui_locales", "fr-CA en")]))
            .await;
        assert!(french.body.contains("lang=\"fr\"") && french.body.contains("n’a pas enregistrée"), "{}", french.body);
        // A POSTed request shows the same page through a redirect.
        let posted = browser
            .post_raw(
                "/identity/authorize",
                &[("client_id", &rp.client_id), ("redirect_uri", "https://evil.example/cb"), ("response_type", "code")],
            )
            .await;
        assert_eq!(posted.status, 303);
        assert!(posted.location().starts_with("/identity/authorize/problem?message=oidc-error-redirect-uri"));
        assert_eq!(browser.get(posted.location()).await.status, 400);

        for (extra, error, words) in [
            (vec![("response_type", "token")], "unsupported_response_type", "code"),
            (vec![("scope", "email")], "invalid_scope", "openid"),
            (vec![("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")], "invalid_request", "plain"),
            (vec![("prompt", "none login")], "invalid_request", "prompt=none"),
            (vec![("max_age", "soon")], "invalid_request", "max_age"),
            (vec![("claims", "{not json")], "invalid_request", "claims"),
            (vec![("vtr", "[\"Zz.Qq\"]")], "invalid_request", "vtr"),
            (vec![("request_uri", "https://rp.example/request.jwt")], "request_uri_not_supported", "PAR"),
        ] {
            let page = browser.get(&rp.authorize(&extra)).await;
            assert_eq!(page.status, 303, "{extra:?}: {}", page.body);
            let q = query_of(page.location());
            assert!(page.location().starts_with("https://tax.example/callback?"), "{}", page.location());
            assert_eq!(q["error"], error, "{extra:?}");
            assert!(q["error_description"].contains(words), "{extra:?}: {}", q["error_description"]);
            assert_eq!((q["state"].as_str(), q["iss"].as_str()), ("state-123", w.issuer().as_str()));
        }
        // A public client must use PKCE.
        let mut public = ClientSettings::new("Public app", &["http://127.0.0.1:8401/callback"]);
        public.token_endpoint_auth_method = Some("none".into());
        let app = w.client(public).await;
        let page = browser.get(&app.authorize(&[])).await;
        assert!(query_of(page.location())["error_description"].contains("PKCE"));
    }
}

#[tokio::test]
async fn prompt_none_prompt_login_and_max_age() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[("prompt", "none")])).await;
        assert_eq!(query_of(page.location())["error"], "login_required");

        // Signed in, but no consent yet: consent_required.
        let Landed::Page(path, _) = browser.open(&rp.authorize(&[])).await else { panic!("sign-in") };
        let Landed::Page(consent, _) = browser.sign_in_at(&path, &ana).await else { panic!("consent") };
        assert!(consent.starts_with("/identity/consent/"));
        let page = browser.get(&rp.authorize(&[("prompt", "none")])).await;
        assert_eq!(query_of(page.location())["error"], "consent_required");
        browser.approve(&consent).await.client();
        let silent = browser.get(&rp.authorize(&[("prompt", "none")])).await;
        assert!(query_of(silent.location()).contains_key("code"), "silent authentication works now");

        // prompt=login: the session is not enough, a fresh sign-in is.
        let Landed::Page(path, _) = browser.open(&rp.authorize(&[("prompt", "login")])).await else {
            panic!("sign-in")
        };
        assert!(path.contains("force=1"), "{path}");
        let location = browser.sign_in_at(&path, &ana).await.client();
        let code = code_of(&w, &location, &rp);
        let (_, tokens) = exchange(&w, &rp, &code, None).await;
        let (_, first) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;

        // max_age: a sign-in older than that is asked again.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let Landed::Page(path, _) = browser.open(&rp.authorize(&[("max_age", "1")])).await else { panic!("sign-in") };
        assert!(path.contains("force=1"));
        let silent = browser.get(&rp.authorize(&[("max_age", "1"), ("prompt", "none")])).await;
        assert_eq!(query_of(silent.location())["error"], "login_required");
        let location = browser.sign_in_at(&path, &ana).await.client();
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let (_, second) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64(), "a new authentication");
        let location = browser.open(&rp.authorize(&[("max_age", "600")])).await.client();
        assert!(query_of(&location).contains_key("code"), "within max_age the session is enough");
    }
}

#[tokio::test]
async fn ui_locales_choose_the_language_of_the_interaction() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[("ui_locales", "de fr")])).await;
        assert!(page.location().contains("ui_locales=de+fr"), "the sign-in page hears it: {}", page.location());
        assert_eq!(browser.cookies.get("publica_lang").map(String::as_str), Some("fr"));
        let signin = page.location().to_string();
        let Landed::Page(consent, page) = browser.sign_in_at(&signin, &ana).await else { panic!("consent") };
        assert!(
            page.body.contains("<html lang=\"fr\"") && page.body.contains("votre adresse électronique"),
            "{}",
            page.body
        );
        browser.approve(&consent).await.client();
    }
}

#[tokio::test]
async fn stepping_up_to_aal2_then_to_a_verified_identity_and_vectors_of_trust() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let mut ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        // An aal1 session first; then the person sets up an authenticator app.
        let location = browser
            .authorize(&rp.authorize(&[("acr_values", "http://idmanagement.gov/ns/assurance/aal/1")]), &ana)
            .await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let (_, claims) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert_eq!(claims["acr"], "http://idmanagement.gov/ns/assurance/aal/1");
        w.add_totp(&mut ana).await;

        // aal2 asked: step-up through the second factor, with aal=aal2 on the way.
        let asked = rp.authorize(&[("acr_values", "urn:unknown http://idmanagement.gov/ns/assurance/aal/2")]);
        let page = browser.get(&asked).await;
        assert!(
            page.location().starts_with("/identity/sign-in?") && page.location().contains("aal=aal2"),
            "{}",
            page.location()
        );
        let silent = browser
            .get(&rp.authorize(&[("acr_values", "http://idmanagement.gov/ns/assurance/aal/2"), ("prompt", "none")]))
            .await;
        assert_eq!(query_of(silent.location())["error"], "interaction_required");
        let location = browser.authorize(&asked, &ana).await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let (_, claims) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert_eq!(claims["acr"], "http://idmanagement.gov/ns/assurance/aal/2");
        let amr: Vec<&str> = claims["amr"].as_array().expect("amr").iter().filter_map(Value::as_str).collect();
        assert!(amr.contains(&"pwd") && amr.len() >= 2, "{amr:?}");

        // A verified identity asked for (an essential acr claim): off to proofing.
        let claims_param =
            json!({"id_token": {"acr": {"essential": true, "values": ["http://eidas.europa.eu/LoA/substantial"]}}})
                .to_string();
        let page = browser.get(&rp.authorize(&[("claims", &claims_param)])).await;
        assert!(
            page.location().starts_with("/identity/proofing?return_to=%2Fidentity%2Fauthorize%2Fcontinue%2F"),
            "{}",
            page.location()
        );
        let unknown = json!({"id_token": {"acr": {"essential": true, "values": ["urn:nobody"]}}}).to_string();
        let page = browser.get(&rp.authorize(&[("claims", &unknown)])).await;
        assert_eq!(query_of(page.location())["error"], "invalid_request");

        // Vectors of trust are answered with vot (and the trustmark), not acr.
        let location = browser.open(&rp.authorize(&[("vtr", "[\"Cl.Cm\"]")])).await.client();
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let (_, claims) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert_eq!(claims["vot"], "Cl.Cm");
        assert_eq!(claims["vtm"], format!("{}/trustmark", w.issuer()).as_str());
        assert!(claims.get("acr").is_none());
        let page = browser.get(&rp.authorize(&[("vtr", "[\"Cl.Cm.P2\"]")])).await;
        assert!(page.location().starts_with("/identity/proofing?"), "P2 needs a verified identity");
        let both =
            browser.get(&rp.authorize(&[("vtr", "[\"Cl\"]"), ("acr_values", "http://eidas.europa.eu/LoA/low")])).await;
        assert_eq!(query_of(both.location())["error"], "invalid_request");
    }
}

#[tokio::test]
async fn a_client_default_level_is_a_floor() {
    for w in worlds().await {
        let mut s = ClientSettings::new("Strict", &["https://strict.example/cb"]);
        s.default_acr = Some("http://idmanagement.gov/ns/assurance/aal/2".into());
        let rp = w.client(s).await;
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[("acr_values", "http://eidas.europa.eu/LoA/low")])).await;
        assert!(page.location().contains("aal=aal2"), "{}", page.location());
    }
}

#[tokio::test]
async fn signed_request_objects_and_pushed_requests() {
    for w in worlds().await {
        let rp = w.with_key(Alg::ES256).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let key = rp.key.as_ref().expect("key");
        let object = json!({
            "iss": rp.client_id, "aud": w.issuer(), "client_id": rp.client_id, "response_type": "code",
            "redirect_uri": rp.redirect_uri, "scope": "openid email", "state": "state-123", "nonce": "from-the-object",
            "exp": super::support::now() + 300, "jti": "object-1",
        });
        let request = sign(key, Some("k1"), &object);
        let start = format!(
            "/identity/authorize?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("client_id", rp.client_id.as_str()),
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("nonce", "outer"),
                    ("request", &request)
                ])
                .finish()
        );
        let location = browser.authorize(&start, &ana).await;
        let code = code_of(&w, &location, &rp);
        let assertion = rp.assertion(&format!("{}/token", w.issuer()), None);
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", rp.redirect_uri.as_str()),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
        ];
        let (status, tokens, _) = w.form("/identity/token", &fields, &[]).await;
        assert_eq!(status, 200, "{tokens}");
        let (_, claims) = w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        assert_eq!(claims["nonce"], "from-the-object", "the request object's parameters win");

        // Signed by another key, or not at all: refused to the client.
        let stranger = PrivateKey::generate(Alg::ES256).expect("key");
        let forged = sign(&stranger, Some("k1"), &object);
        let page = browser
            .get(&format!(
                "/identity/authorize?client_id={}&redirect_uri={}&request={forged}",
                rp.client_id,
                url::form_urlencoded::byte_serialize(rp.redirect_uri.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(query_of(page.location())["error"], "invalid_request_object");
        let unsigned = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(object.to_string().as_bytes()));
        let page = browser
            .get(&format!(
                "/identity/authorize?client_id={}&redirect_uri={}&request={unsigned}",
                rp.client_id,
                url::form_urlencoded::byte_serialize(rp.redirect_uri.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(query_of(page.location())["error"], "invalid_request_object");

        // A pushed request: checked at once, used once by reference.
        let par = |assertion: String, extra: Vec<(&'static str, String)>| {
            let mut fields: Vec<(String, String)> = vec![
                ("client_id".into(), rp.client_id.clone()),
                ("response_type".into(), "code".into()),
                ("redirect_uri".into(), rp.redirect_uri.clone()),
                ("scope".into(), "openid email".into()),
                ("state".into(), "state-123".into()),
                ("nonce".into(), "pushed".into()),
                ("client_assertion_type".into(), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()),
                ("client_assertion".into(), assertion),
            ];
            for (k, v) in extra {
                fields.retain(|(n, _)| n != k);
                fields.push((k.into(), v));
            }
            fields
        };
        let par_url = format!("{}/par", w.issuer());
        let fields = par(rp.assertion(&par_url, None), vec![]);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, pushed, headers) = w.form("/identity/par", &refs, &[]).await;
        assert_eq!(status, 201, "{pushed}");
        assert_eq!(pushed["expires_in"], 60);
        assert_eq!(headers["cache-control"], "no-store");
        let uri = pushed["request_uri"].as_str().expect("request_uri");
        assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
        let start = format!(
            "/identity/authorize?client_id={}&request_uri={}",
            rp.client_id,
            url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
        );
        let location = browser.open(&start).await.client();
        assert!(query_of(&location).contains_key("code"), "{location}");
        let reused = browser.get(&start).await;
        assert_eq!(reused.status, 400, "single use");
        assert!(reused.body.contains("expired or was already used"));
        // …and for 60 seconds only.
        let fields = par(rp.assertion(&par_url, None), vec![]);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (_, pushed, _) = w.form("/identity/par", &refs, &[]).await;
        let uri = pushed["request_uri"].as_str().expect("request_uri");
        let past = publica_kernel::db::Timestamp::now().plus(time::Duration::seconds(-1));
        publica_kernel::on_db!(w.app.kernel.db(), pool => sqlx::query("UPDATE identity_oidc_pushed_requests SET expires_at = $1")
            .bind(past).execute(pool).await.map(|_| ())).expect("update");
        let late = browser
            .get(&format!(
                "/identity/authorize?client_id={}&request_uri={}",
                rp.client_id,
                url::form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(late.status, 400, "expired");
        let fields = par(rp.assertion(&par_url, None), vec![("redirect_uri", "https://evil.example/cb".into())]);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, body, _) = w.form("/identity/par", &refs, &[]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
        let fields = par("not-a-jwt".into(), vec![]);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, body, _) = w.form("/identity/par", &refs, &[]).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    }
}

#[tokio::test]
async fn expired_interactions_are_purged_by_housekeeping() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[])).await;
        let return_to = query_of(page.location())["return_to"].clone();
        let past = publica_kernel::db::Timestamp::now().plus(time::Duration::minutes(-1));
        publica_kernel::on_db!(w.app.kernel.db(), pool => sqlx::query("UPDATE identity_oidc_interactions SET expires_at = $1")
            .bind(past).execute(pool).await.map(|_| ())).expect("update");
        let expired = browser.get(&return_to).await;
        assert_eq!(expired.status, 400);
        assert!(expired.body.contains("expired"));
        publica_identity::oidc::housekeeping(&w.identity).await.expect("housekeeping");
        let left: i64 = publica_kernel::on_db!(w.app.kernel.db(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM identity_oidc_interactions")
            .fetch_one(pool).await).expect("count");
        assert_eq!(left, 0);
    }
}
