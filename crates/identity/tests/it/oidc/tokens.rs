//! The token endpoint and what uses its tokens: every client authentication method (and the
//! ways each fails), PKCE, codes used once (a replay revokes what they gave), refresh tokens
//! rotated with reuse detection, client credentials, userinfo by scope (signed when asked),
//! introspection and revocation, and withdrawing consent from the account page.

use publica_identity::oidc::ClientSettings;
use publica_kernel::crypto::{Alg, PrivateKey};
use serde_json::Value;

use super::support::{Browser, Rp, World, code_of, exchange, pkce, sign, worlds};

const ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn userinfo(w: &World, token: &str) -> (u16, Value, axum::http::HeaderMap) {
    let request = axum::http::Request::get("/identity/userinfo")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = w.app.request(request).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let body =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body, headers)
}

/// A code for `rp` after `person` signs in (and consents) in `browser`.
async fn code(
    w: &World,
    browser: &mut Browser<'_>,
    rp: &Rp,
    person: &super::support::Person,
    extra: &[(&str, &str)],
) -> String {
    let location = browser.authorize(&rp.authorize(extra), person).await;
    code_of(w, &location, rp)
}

#[tokio::test]
async fn every_client_authentication_method_and_its_failures() {
    for w in worlds().await {
        // client_secret_basic with a secret that needs form-encoding in the Basic header.
        let mut s = ClientSettings::new("Basic", &["https://basic.example/cb"]);
        s.grant_types = Some(vec!["authorization_code".into(), "client_credentials".into()]);
        let mut new = publica_identity::oidc::NewClient::new(s);
        new.client_secret = Some("s3cr:t%with+odd/chars=0123456789abcdef".into());
        let (client, secret) =
            w.identity.register_client(&publica_identity::oidc::Manager::operator(), w.org, new).await.expect("client");
        let basic = Rp {
            client_id: client.client_id,
            secret,
            redirect_uri: "https://basic.example/cb".into(),
            key: None,
            kid: None,
        };
        let grant = [("grant_type", "client_credentials")];
        let (status, body, _) = w.form("/identity/token", &grant, &[basic.basic()]).await;
        assert_eq!(status, 200, "{body}");
        let raw = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{}:s3cr:t%with+odd/chars=0123456789abcdef", basic.client_id)
            )
        );
        let (status, body, headers) = w.form("/identity/token", &grant, &[("authorization", raw)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "the secret must be form-encoded (RFC 6749 §2.3.1)"
        );
        assert!(headers["www-authenticate"].to_str().expect("header").starts_with("Basic"));
        let wrong = Rp { secret: Some("wrong-secret".into()), ..basic };
        let (status, body, _) = w.form("/identity/token", &grant, &[wrong.basic()]).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
        assert!(body["error_description"].as_str().expect("description").contains("secret"));
        let (status, body, _) = w
            .form(
                "/identity/token",
                &[("grant_type", "client_credentials"), ("client_id", &wrong.client_id), ("client_secret", "x")],
                &[],
            )
            .await;
        assert_eq!(status, 401, "a Basic client may not use client_secret_post: {body}");
        assert!(body["error_description"].as_str().expect("d").contains("client_secret_basic"));

        // client_secret_post.
        let mut s = ClientSettings::new("Post", &["https://post.example/cb"]);
        s.token_endpoint_auth_method = Some("client_secret_post".into());
        s.grant_types = Some(vec!["client_credentials".into()]);
        let post = w.client(s).await;
        let secret = post.secret.clone().expect("secret");
        let fields = [
            ("grant_type", "client_credentials"),
            ("client_id", post.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        assert_eq!(w.form("/identity/token", &fields, &[]).await.0, 200);
        let both = [
            ("grant_type", "client_credentials"),
            ("client_id", post.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ];
        let (status, body, _) = w.form("/identity/token", &both, &[post.basic()]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "two methods at once");

        // private_key_jwt with RS256 and ES256 keys.
        let token_url = format!("{}/token", w.issuer());
        for alg in [Alg::RS256, Alg::ES256] {
            let keyed = w.with_key(alg).await;
            let assertion = keyed.assertion(&token_url, Some("jti-1"));
            let fields = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION),
                ("client_assertion", assertion.as_str()),
            ];
            let (status, body, _) = w.form("/identity/token", &fields, &[]).await;
            assert_eq!(status, 200, "{alg}: {body}");
            let (status, body, _) = w.form("/identity/token", &fields, &[]).await;
            assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{alg}: a replayed jti");
            assert!(body["error_description"].as_str().expect("d").contains("used already"));
            let elsewhere = keyed.assertion("https://another.example/token", None);
            let fields = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION),
                ("client_assertion", elsewhere.as_str()),
            ];
            let (status, body, _) = w.form("/identity/token", &fields, &[]).await;
            assert_eq!(status, 401, "{alg}: wrong audience");
            assert!(body["error_description"].as_str().expect("d").contains("aud"));
            let issuer_aud = keyed.assertion(&w.issuer(), None);
            let fields = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION),
                ("client_assertion", issuer_aud.as_str()),
            ];
            assert_eq!(
                w.form("/identity/token", &fields, &[]).await.0,
                200,
                "{alg}: the issuer is an accepted audience"
            );
            let stranger = PrivateKey::generate(alg).expect("key");
            let now = super::support::now();
            let claims = serde_json::json!({"iss": keyed.client_id, "sub": keyed.client_id, "aud": token_url, "jti": "x1", "exp": now + 60});
            let forged = sign(&stranger, Some("k1"), &claims);
            let fields = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION),
                ("client_assertion", forged.as_str()),
            ];
            assert_eq!(w.form("/identity/token", &fields, &[]).await.0, 401, "{alg}: another key");
            let expired = serde_json::json!({"iss": keyed.client_id, "sub": keyed.client_id, "aud": token_url, "jti": "x2", "exp": now - 5});
            let expired = sign(keyed.key.as_ref().expect("key"), Some("k1"), &expired);
            let fields = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION),
                ("client_assertion", expired.as_str()),
            ];
            assert_eq!(w.form("/identity/token", &fields, &[]).await.0, 401, "{alg}: expired");
        }

        // none: a public client with PKCE only.
        let mut s = ClientSettings::new("Public app", &["http://127.0.0.1:8401/callback"]);
        s.token_endpoint_auth_method = Some("none".into());
        let public = w.client(s).await;
        assert!(public.secret.is_none());
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let (verifier, challenge) = pkce();
        let code =
            code(&w, &mut browser, &public, &ana, &[("code_challenge", &challenge), ("code_challenge_method", "S256")])
                .await;
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", public.redirect_uri.as_str()),
            ("client_id", public.client_id.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, tokens, _) = w.form("/identity/token", &fields, &[]).await;
        assert_eq!(status, 200, "{tokens}");
        w.verify(tokens["id_token"].as_str().expect("id_token")).await;
        let (status, _, _) = w
            .form(
                "/identity/token",
                &[("grant_type", "client_credentials"), ("client_id", public.client_id.as_str())],
                &[],
            )
            .await;
        assert_eq!(status, 400, "no client credentials for a public client");
        let (status, body, _) = w.form("/identity/token", &[("grant_type", "client_credentials")], &[]).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
        let (status, body, _) = w.form("/identity/token", &[("grant_type", "password")], &[post.basic()]).await;
        assert_eq!(status, 401, "a post client authenticating with Basic: {body}");
    }
}

#[tokio::test]
async fn codes_are_single_use_pkce_is_checked_and_a_replay_revokes_what_the_code_gave() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let other = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let (verifier, challenge) = pkce();
        let pkce_params = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
        let c = code(&w, &mut browser, &rp, &ana, &pkce_params).await;
        let (status, body) = exchange(&w, &rp, &c, None).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "the verifier is required");
        let (wrong, _) = pkce();
        let (status, _) = exchange(&w, &rp, &c, Some(&wrong)).await;
        assert_eq!(status, 400, "the verifier must match");
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", c.as_str()),
            ("redirect_uri", "https://tax.example/other"),
            ("code_verifier", verifier.as_str()),
        ];
        let (status, body, _) = w.form("/identity/token", &fields, &[rp.basic()]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "redirect_uri must match");
        let (status, _) = exchange(&w, &other, &c, Some(&verifier)).await;
        assert_eq!(status, 400, "another client cannot use the code");
        // The failures above left the code usable by its client.
        let (status, tokens) = exchange(&w, &rp, &c, Some(&verifier)).await;
        assert_eq!(status, 200, "{tokens}");
        let access = tokens["access_token"].as_str().expect("access").to_string();
        assert_eq!(userinfo(&w, &access).await.0, 200);
        let (status, body) = exchange(&w, &rp, &c, Some(&verifier)).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
        let (status, _, headers) = userinfo(&w, &access).await;
        assert_eq!(status, 401, "the replay revoked the first exchange's tokens");
        assert!(headers["www-authenticate"].to_str().expect("h").contains("invalid_token"));
        assert!(w.audit_actions().await.contains(&"identity.code.replayed".to_string()));
        let c = code(&w, &mut browser, &rp, &ana, &[]).await;
        let (status, _) = exchange(&w, &rp, &c, Some(&verifier)).await;
        assert_eq!(status, 400, "a verifier for a code issued without PKCE");
        let (status, _) = exchange(&w, &rp, "no-such-code", None).await;
        assert_eq!(status, 400);
    }
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reusing_one_revokes_the_whole_grant() {
    for w in worlds().await {
        let (rp, ana, mut browser, first) = w.offline_grant().await;
        let r1 = first["refresh_token"].as_str().expect("a refresh token").to_string();
        let (_, id1) = w.verify(first["id_token"].as_str().expect("id")).await;

        let refresh = |token: String, scope: Option<&'static str>| {
            let w = &w;
            let rp = &rp;
            async move {
                let mut fields = vec![("grant_type", "refresh_token"), ("refresh_token", token.as_str())];
                if let Some(scope) = scope {
                    fields.push(("scope", scope));
                }
                let (status, body, _) = w.form("/identity/token", &fields, &[rp.basic()]).await;
                (status, body)
            }
        };
        let (status, second) = refresh(r1.clone(), Some("openid")).await;
        assert_eq!(status, 200, "{second}");
        let r2 = second["refresh_token"].as_str().expect("rotated").to_string();
        assert_ne!(r1, r2);
        assert_eq!(second["scope"], "openid", "a narrower access token when asked");
        let (_, id2) = w.verify(second["id_token"].as_str().expect("id")).await;
        assert_eq!((id2["sub"].clone(), id2["auth_time"].clone()), (id1["sub"].clone(), id1["auth_time"].clone()));
        assert!(id2.get("nonce").is_none(), "no nonce on refresh");
        let (status, third) = refresh(r2.clone(), None).await;
        assert_eq!(status, 200, "the rotated token keeps the grant's scopes: {third}");
        assert_eq!(third["scope"], "openid email offline_access");
        let r3 = third["refresh_token"].as_str().expect("rotated").to_string();
        let access3 = third["access_token"].as_str().expect("access").to_string();
        assert_eq!(userinfo(&w, &access3).await.0, 200);
        let (status, body) = refresh(r1.clone(), None).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "reuse of an old refresh token");
        let (status, _) = refresh(r3, None).await;
        assert_eq!(status, 400, "the whole family is revoked");
        assert_eq!(userinfo(&w, &access3).await.0, 401, "with its access tokens");
        let (status, body) = refresh(r2, Some("openid phone")).await;
        assert_eq!(status, 400, "{body}");
        assert!(w.audit_actions().await.contains(&"identity.refresh_token.reused".to_string()));

        // No refresh token for a client without offline access, whatever the request says.
        let plain = w.confidential(&["openid", "email"], false).await;
        let location = browser.authorize(&plain.authorize(&[("scope", "openid email offline_access")]), &ana).await;
        let (_, tokens) = exchange(&w, &plain, &code_of(&w, &location, &plain), None).await;
        assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    }
}

#[tokio::test]
async fn client_credentials_give_the_client_a_jwt_access_token_for_itself() {
    for w in worlds().await {
        let keyed = w.with_key(Alg::ES256).await;
        let assertion = keyed.assertion(&format!("{}/token", w.issuer()), None);
        let fields = [
            ("grant_type", "client_credentials"),
            ("scope", "email"),
            ("client_assertion_type", ASSERTION),
            ("client_assertion", assertion.as_str()),
        ];
        let (status, tokens, _) = w.form("/identity/token", &fields, &[]).await;
        assert_eq!(status, 200, "{tokens}");
        assert!(tokens.get("id_token").is_none() && tokens.get("refresh_token").is_none());
        let (header, claims) = w.verify(tokens["access_token"].as_str().expect("access")).await;
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(claims["sub"], keyed.client_id.as_str());
        assert_eq!(claims["client_id"], keyed.client_id.as_str());
        assert_eq!(claims["aud"], w.issuer().as_str());
        assert_eq!(claims["scope"], "email");
        assert_eq!(userinfo(&w, tokens["access_token"].as_str().expect("a")).await.0, 403, "not a token for userinfo");
        let assertion = keyed.assertion(&format!("{}/token", w.issuer()), None);
        let fields = [
            ("grant_type", "client_credentials"),
            ("scope", "openid"),
            ("client_assertion_type", ASSERTION),
            ("client_assertion", assertion.as_str()),
        ];
        let (status, body, _) = w.form("/identity/token", &fields, &[]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
        let rp = w.confidential(&["openid"], false).await;
        let (status, body, _) = w.form("/identity/token", &[("grant_type", "client_credentials")], &[rp.basic()]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
        let (status, body, _) = w.form("/identity/token", &[("grant_type", "password")], &[rp.basic()]).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
        let request = axum::http::Request::post("/identity/token")
            .header("content-type", "application/json")
            .header("authorization", rp.basic().1)
            .body(axum::body::Body::from("{}"))
            .expect("request");
        assert_eq!(w.app.request(request).await.status(), 400, "a form is required");
    }
}

#[tokio::test]
async fn userinfo_answers_by_scope_and_signs_when_the_client_asks() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email", "profile", "phone", "address", "national_id"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let claims = serde_json::json!({"userinfo": {"national_id": null}, "id_token": {"email": {"essential": true}}})
            .to_string();
        let c = code(&w, &mut browser, &rp, &ana, &[("scope", "openid email profile"), ("claims", &claims)]).await;
        let (_, tokens) = exchange(&w, &rp, &c, None).await;
        let (_, id) = w.verify(tokens["id_token"].as_str().expect("id")).await;
        assert_eq!(id["email"], "ana@example.org", "asked for in the ID token");
        let (status, info, headers) = userinfo(&w, tokens["access_token"].as_str().expect("a")).await;
        assert_eq!(status, 200, "{info}");
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(info["sub"], id["sub"]);
        assert_eq!(info["email"], "ana@example.org");
        assert_eq!(info["email_verified"], true);
        assert_eq!(info["name"], "Ana Lima");
        for absent in ["given_name", "family_name", "birthdate", "national_id", "address", "phone_number"] {
            assert!(info.get(absent).is_none(), "{absent}: register claims need a verified identity");
        }
        let c = code(&w, &mut browser, &rp, &ana, &[("scope", "openid")]).await;
        let (_, tokens) = exchange(&w, &rp, &c, None).await;
        let (_, info, _) = userinfo(&w, tokens["access_token"].as_str().expect("a")).await;
        assert_eq!(info.as_object().expect("object").keys().collect::<Vec<_>>(), vec!["sub"], "openid alone: sub only");

        let mut s = ClientSettings::new("Signed", &["https://signed.example/cb"]);
        s.userinfo_signed_response_alg = Some("ES256".into());
        s.id_token_signed_response_alg = Some("EdDSA".into());
        let signed = w.client(s).await;
        let c = code(&w, &mut browser, &signed, &ana, &[]).await;
        let (_, tokens) = exchange(&w, &signed, &c, None).await;
        let (header, id) = w.verify(tokens["id_token"].as_str().expect("id")).await;
        assert_eq!(header["alg"], "EdDSA");
        assert!(id.get("at_hash").is_none(), "no at_hash for EdDSA (optional in the code flow)");
        let (status, jwt, headers) = userinfo(&w, tokens["access_token"].as_str().expect("a")).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "application/jwt");
        let (header, info) = w.verify(jwt.as_str().expect("a JWT")).await;
        assert_eq!(header["alg"], "ES256");
        assert_eq!(
            (info["aud"].as_str(), info["iss"].as_str()),
            (Some(signed.client_id.as_str()), Some(w.issuer().as_str()))
        );
        assert_eq!(info["email"], "ana@example.org");

        let request = axum::http::Request::get("/identity/userinfo").body(axum::body::Body::empty()).expect("request");
        let response = w.app.request(request).await;
        assert_eq!(response.status(), 401);
        assert!(response.headers()["www-authenticate"].to_str().expect("h").starts_with("Bearer"));
        assert_eq!(userinfo(&w, "not.a.token").await.0, 401);
        let request = axum::http::Request::post("/identity/userinfo")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("access_token={}", tokens["access_token"].as_str().expect("a"))))
            .expect("request");
        assert_eq!(w.app.request(request).await.status(), 200, "the token in a form body (RFC 6750 §2.2)");
    }
}

#[tokio::test]
async fn introspection_and_revocation_for_the_tokens_client_only() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email", "offline_access"], true).await;
        let other = w.confidential(&["openid"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let c = code(&w, &mut browser, &rp, &ana, &[("scope", "openid email offline_access")]).await;
        let (_, tokens) = exchange(&w, &rp, &c, None).await;
        let access = tokens["access_token"].as_str().expect("a").to_string();
        let refresh = tokens["refresh_token"].as_str().expect("r").to_string();
        let introspect = |token: String, rp: &Rp| {
            let auth = rp.basic();
            let w = &w;
            async move {
                let (status, body, _) = w.form("/identity/introspect", &[("token", token.as_str())], &[auth]).await;
                assert_eq!(status, 200, "{body}");
                body
            }
        };
        let active = introspect(access.clone(), &rp).await;
        assert_eq!(active["active"], true);
        assert_eq!(active["client_id"], rp.client_id.as_str());
        assert_eq!(active["scope"], "openid email offline_access");
        assert!(active["sub"].is_string() && active["exp"].is_i64());
        let r = introspect(refresh.clone(), &rp).await;
        assert_eq!((r["active"].as_bool(), r["token_type"].as_str()), (Some(true), Some("refresh_token")));
        assert_eq!(
            introspect(access.clone(), &other).await,
            serde_json::json!({"active": false}),
            "another client's token"
        );
        assert_eq!(introspect("unknown".into(), &rp).await["active"], false);
        let (status, _, _) = w.form("/identity/introspect", &[("token", access.as_str())], &[]).await;
        assert_eq!(status, 401, "introspection needs client authentication");

        // Revocation: always 200; a client cannot revoke another's token.
        assert_eq!(w.form("/identity/revoke", &[("token", access.as_str())], &[other.basic()]).await.0, 200);
        assert_eq!(introspect(access.clone(), &rp).await["active"], true);
        assert_eq!(w.form("/identity/revoke", &[("token", "nothing-known")], &[rp.basic()]).await.0, 200);
        assert_eq!(
            w.form(
                "/identity/revoke",
                &[("token", access.as_str()), ("token_type_hint", "access_token")],
                &[rp.basic()]
            )
            .await
            .0,
            200
        );
        assert_eq!(introspect(access.clone(), &rp).await["active"], false);
        assert_eq!(userinfo(&w, &access).await.0, 401);
        assert_eq!(w.form("/identity/revoke", &[("token", refresh.as_str())], &[rp.basic()]).await.0, 200);
        assert_eq!(introspect(refresh.clone(), &rp).await["active"], false);
        let (status, _, _) = w
            .form(
                "/identity/token",
                &[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())],
                &[rp.basic()],
            )
            .await;
        assert_eq!(status, 400);
    }
}

#[tokio::test]
async fn withdrawing_consent_revokes_the_clients_tokens_and_asks_again() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email", "offline_access"], true).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let c = code(&w, &mut browser, &rp, &ana, &[("scope", "openid email offline_access")]).await;
        let (_, tokens) = exchange(&w, &rp, &c, None).await;
        let services = w.identity.connected_services(ana.account_id).await.expect("services");
        assert_eq!(services.len(), 1);
        assert_eq!(services[0].client_name, "Demoland Tax Office");
        assert!(services[0].scopes.contains(&"offline_access".to_string()));
        let data = w.identity.oidc_data_of(ana.account_id).await.expect("data");
        assert_eq!(data["consents"][0]["client_id"], rp.client_id.as_str());
        assert_eq!(data["refresh_tokens"].as_array().expect("tokens").len(), 1);
        assert!(!data.to_string().contains(tokens["refresh_token"].as_str().expect("r")), "never the token itself");
        let (_, id) = w.verify(tokens["id_token"].as_str().expect("id")).await;
        assert_eq!(data["consents"][0]["subject"], id["sub"], "the identifier the client knows them by");

        w.identity.revoke_connected_service(ana.account_id, &rp.client_id).await.expect("revoked");
        assert!(w.identity.connected_services(ana.account_id).await.expect("services").is_empty());
        assert_eq!(userinfo(&w, tokens["access_token"].as_str().expect("a")).await.0, 401);
        let (status, _, _) = w
            .form(
                "/identity/token",
                &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("r"))],
                &[rp.basic()],
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            w.identity.revoke_connected_service(ana.account_id, &rp.client_id).await.is_err(),
            "nothing left to withdraw"
        );
        let super::support::Landed::Page(path, _) = browser.open(&rp.authorize(&[])).await else {
            panic!("consent again")
        };
        assert!(path.starts_with("/identity/consent/"));
        assert!(w.audit_actions().await.contains(&"identity.consent.revoked".to_string()));
    }
}
