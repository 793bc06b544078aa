//! The provider's answers to attacks on the authorization side: claims asked beyond the
//! client's scopes, query parameters slipped beside a signed request object, request objects
//! without expiry, audience or a single-use `jti`, shared pairwise sectors through a private
//! scheme, back-channel logout URIs into the provider's own network, an `id_token_hint` in a
//! URL, and interactions completed in another browser.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use publica_identity::oidc::{ClientSettings, Manager, NewClient};
use publica_kernel::crypto::Alg;
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{Browser, Landed, Rp, World, code_of, exchange, now, query_of, sign, strict_worlds, worlds};

fn cookie_headers(browser: &Browser<'_>) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    let cookie = browser.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    headers.insert("cookie", cookie.parse().expect("cookie"));
    headers
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn userinfo(w: &World, access_token: &str) -> Value {
    let request = axum::http::Request::get("/identity/userinfo")
        .header("authorization", format!("Bearer {access_token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = w.app.request(request).await;
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test]
async fn claims_beyond_the_clients_scopes_are_neither_asked_nor_released() {
    for w in worlds().await {
        // The client may have `email` only; the person has a name (a `profile` claim).
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let claims = json!({
            "id_token": { "name": { "essential": true }, "email": null, "birthdate": null },
            "userinfo": { "name": null, "phone_number": null, "national_id": null },
        });
        let start = rp.authorize(&[("claims", &claims.to_string())]);
        let Landed::Page(signin, _) = browser.open(&start).await else { panic!("sign-in") };
        let Landed::Page(consent, page) = browser.sign_in_at(&signin, &ana).await else { panic!("consent") };
        assert!(consent.starts_with("/identity/consent/"), "{consent}");
        assert!(page.body.contains("your email address"), "{}", page.body);
        assert!(!page.body.contains("your name"), "not asked: the client may not have profile");
        assert!(!page.body.contains("national identification number"));
        let location = browser.approve(&consent).await.client();
        let (status, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        assert_eq!(status, 200, "{tokens}");
        let (_, id) = w.verify(tokens["id_token"].as_str().expect("id")).await;
        assert_eq!(id["email"], "ana@example.org");
        assert!(id.get("name").is_none(), "name is not released: {id:?}");
        let info = userinfo(&w, tokens["access_token"].as_str().expect("access")).await;
        assert_eq!(info["email"], "ana@example.org");
        assert!(info.get("name").is_none() && info.get("phone_number").is_none(), "{info}");
        let data = w.identity.oidc_data_of(ana.account_id).await.expect("data");
        let consented = data["consents"][0]["claims"].as_array().expect("claims").clone();
        assert!(!consented.iter().any(|c| c == "name"), "{consented:?}");
    }
}

/// A request object for `rp`, valid for five minutes, with a fresh `jti`, and `extra` claims
/// (a `null` removes one).
fn object(w: &World, rp: &Rp, extra: Value) -> Value {
    let mut claims = json!({
        "iss": rp.client_id, "aud": w.issuer(), "client_id": rp.client_id, "response_type": "code",
        "redirect_uri": rp.redirect_uri, "scope": "openid email", "state": "state-123", "nonce": "inner",
        "exp": now() + 300, "jti": Uuid::new_v4().to_string(),
    });
    for (k, v) in extra.as_object().expect("object") {
        if v.is_null() {
            claims.as_object_mut().expect("object").remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn with_object(rp: &Rp, request: &str, query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("client_id", &rp.client_id), ("request", request)];
    pairs.extend_from_slice(query);
    format!("/identity/authorize?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
}

const AAL2: &str = "http://idmanagement.gov/ns/assurance/aal/2";

#[tokio::test]
async fn with_a_signed_request_object_only_its_parameters_count() {
    for w in worlds().await {
        let rp = w.with_key(Alg::ES256).await;
        let key = rp.key.as_ref().expect("key");
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        // An essential acr slipped into the query beside the signed object is not honoured.
        let injected = json!({ "id_token": { "acr": { "essential": true, "values": [AAL2] } } }).to_string();
        let request = sign(key, Some("k1"), &object(&w, &rp, json!({})));
        let start = with_object(
            &rp,
            &request,
            &[("response_type", "code"), ("claims", &injected), ("acr_values", AAL2), ("nonce", "outer")],
        );
        let first = browser.get(&start).await;
        assert_eq!(first.status, 303, "{}", first.body);
        assert!(first.location().starts_with("/identity/sign-in?"), "{}", first.location());
        assert!(!first.location().contains("aal="), "the query's acr is ignored: {}", first.location());
        let landed = browser.follow(start.clone(), first).await;
        let Landed::Page(signin, _) = landed else { panic!("sign-in") };
        let location = match browser.sign_in_at(&signin, &ana).await {
            Landed::Page(consent, _) => browser.approve(&consent).await.client(),
            Landed::Client(location) => location,
        };
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
        assert_eq!(claims["nonce"], "inner");
        assert_ne!(claims["acr"], AAL2);

        // The query's client_id and response_type, when sent, must be the object's.
        let request = sign(key, Some("k1"), &object(&w, &rp, json!({})));
        let page = browser.get(&with_object(&rp, &request, &[("response_type", "token")])).await;
        assert_eq!(page.status, 400, "{}", page.location());
        assert!(page.body.contains("response_type differs"), "{}", page.body);
    }
}

#[tokio::test]
async fn request_objects_must_expire_name_the_issuer_and_be_used_once() {
    for w in worlds().await {
        let rp = w.with_key(Alg::ES256).await;
        let key = rp.key.as_ref().expect("key");
        let mut browser = Browser::new(&w.app).await;
        let refused = |page: &publica_kernel::testing::Page| {
            let q = query_of(page.location());
            (q.get("error").cloned().unwrap_or_default(), q.get("error_description").cloned().unwrap_or_default())
        };
        let issuer = w.issuer();
        for (extra, why) in [
            (json!({ "exp": null }), "exp"),
            (json!({ "exp": now() + 2 * 3600 }), "minutes ahead"),
            (json!({ "exp": now() - 10 }), "expired"),
            (json!({ "aud": null }), "aud"),
            (json!({ "aud": "https://other.example" }), "aud"),
            (json!({ "aud": [issuer, "https://other.example"] }), "aud"),
            (json!({ "iss": null }), "iss"),
            (json!({ "jti": null }), "jti"),
        ] {
            let request = sign(key, Some("k1"), &object(&w, &rp, extra.clone()));
            let query = [("redirect_uri", rp.redirect_uri.as_str()), ("state", "outer")];
            let page = browser.get(&with_object(&rp, &request, &query)).await;
            let (error, description) = refused(&page);
            assert_eq!(error, "invalid_request_object", "{extra}: {}", page.location());
            assert!(description.contains(why), "{extra}: {description}");
        }
        // An audience of the issuer alone, as an array, is accepted.
        let request = sign(key, Some("k1"), &object(&w, &rp, json!({ "aud": [w.issuer()] })));
        let page = browser.get(&with_object(&rp, &request, &[])).await;
        assert!(page.location().starts_with("/identity/sign-in"), "{}", page.location());
        // Used once: the same object again is refused.
        let again = browser.get(&with_object(&rp, &request, &[("redirect_uri", &rp.redirect_uri)])).await;
        let (error, description) = refused(&again);
        assert_eq!(error, "invalid_request_object");
        assert!(description.contains("used already"), "{description}");

        // Pushed: the same rules, and only the object's parameters are kept.
        let push = |request: String| push(&w, &rp, request);
        let (status, body) = push(sign(key, Some("k1"), &object(&w, &rp, json!({ "jti": null })))).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request_object")), "{body}");
        let (status, body) = push(sign(key, Some("k1"), &object(&w, &rp, json!({ "exp": null })))).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request_object")), "{body}");
        let request = sign(key, Some("k1"), &object(&w, &rp, json!({})));
        let (status, pushed) = push(request.clone()).await;
        assert_eq!(status, 201, "{pushed}");
        let (status, body) = push(request).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request_object")), "replayed: {body}");
        let uri = pushed["request_uri"].as_str().expect("request_uri");
        let start = format!("/identity/authorize?client_id={}&request_uri={}", rp.client_id, enc(uri));
        let page = browser.get(&start).await;
        assert!(page.location().starts_with("/identity/sign-in"), "{}", page.location());
        let stored: Vec<(String,)> = publica_kernel::on_db!(w.app.kernel.db(), pool =>
            sqlx::query_as("SELECT request FROM identity_oidc_interactions").fetch_all(pool).await)
        .expect("interactions");
        assert!(stored.iter().all(|(r,)| !r.contains("outer")), "the form's nonce beside the object is ignored");
    }
}

/// Push a request object with a form parameter beside it: the status and answer.
async fn push(w: &World, rp: &Rp, request: String) -> (u16, Value) {
    let assertion = rp.assertion(&format!("{}/par", w.issuer()), None);
    let fields = [
        ("client_id", rp.client_id.as_str()),
        ("request", request.as_str()),
        ("nonce", "outer"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion.as_str()),
    ];
    let (status, body, _) = w.form("/identity/par", &fields, &[]).await;
    (status, body)
}

/// Register a pairwise client of `org` with `redirect_uris`.
async fn client_of(w: &World, org: Uuid, name: &str, redirect_uris: &[&str]) -> publica_identity::oidc::Client {
    let mut s = ClientSettings::new(name, redirect_uris);
    s.token_endpoint_auth_method = Some("none".into());
    w.identity.register_client(&Manager::operator(), org, NewClient::new(s)).await.expect("client").0
}

#[tokio::test]
async fn a_private_scheme_is_no_sector_shared_between_clients() {
    for w in worlds().await {
        let other = w.app.kernel.organisation_by_slug("civil-registry").await.expect("read").expect("org").id;
        let ours = client_of(&w, w.org, "Tax app", &["com.example.app:/cb"]).await;
        let theirs = client_of(&w, other, "Lookalike app", &["com.example.app:/callback"]).await;
        assert_ne!(ours.pairwise_sector(), theirs.pairwise_sector());
        assert_eq!(ours.pairwise_sector(), format!("client:{}", ours.client_id));
        // Host sectors are as before: the demo's two clients on 127.0.0.1 share theirs.
        let web = client_of(&w, w.org, "Web", &["http://127.0.0.1:8400/callback"]).await;
        let spa = client_of(&w, w.org, "SPA", &["http://127.0.0.1:8401/callback"]).await;
        assert_eq!((web.pairwise_sector(), spa.pairwise_sector()), ("127.0.0.1".into(), "127.0.0.1".into()));
        let person = w.person("ana@example.org").await;
        assert_eq!(w.identity.subject_for(&web, person.account_id), w.identity.subject_for(&spa, person.account_id));
        // Two apps with the same private scheme never see the same subject.
        assert_ne!(
            w.identity.subject_for(&ours, person.account_id),
            w.identity.subject_for(&theirs, person.account_id)
        );
        // A pairwise client's redirect URIs share one sector.
        let mut mixed = ClientSettings::new("Mixed", &["https://a.example/cb", "https://b.example/cb"]);
        mixed.token_endpoint_auth_method = Some("none".into());
        match w.identity.register_client(&Manager::operator(), w.org, NewClient::new(mixed)).await {
            Err(publica_kernel::error::Error::Invalid { field, .. }) => assert_eq!(field, "redirect_uris"),
            other => panic!("refused: {other:?}"),
        }
    }
}

/// A receiver of back-channel logout posts on this machine, and how many it got.
async fn receiver() -> (u16, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/backchannel",
        post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, calls)
}

#[tokio::test]
async fn back_channel_logout_uris_into_local_networks_are_refused_and_never_called() {
    for w in strict_worlds().await {
        let checked = |uri: &str| {
            let mut s = ClientSettings::new("RP", &["https://rp.example/cb"]);
            s.backchannel_logout_uri = Some(uri.into());
            publica_identity::oidc::client::check(&s, &w.identity.config().acr, false).expect("well-formed")
        };
        for bad in [
            "http://127.0.0.1:9/backchannel",
            "https://127.0.0.1/backchannel",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://localhost/x",
            "https://10.0.0.8/x",
        ] {
            match w.identity.check_client_urls(&checked(bad)).await {
                Err(publica_kernel::error::Error::Invalid { field, .. }) => {
                    assert_eq!(field, "backchannel_logout_uri", "{bad}")
                }
                other => panic!("{bad} refused: {other:?}"),
            }
        }
        w.identity.check_client_urls(&checked("https://93.184.215.14/backchannel")).await.expect("a public address");

        // A client whose URI leads here (registered before the rule, or while local URIs were
        // allowed): the logout token is not sent, and the job gives up at once.
        let (port, calls) = receiver().await;
        let mut s = ClientSettings::new("Back-channel RP", &["https://rp.example/cb"]);
        s.backchannel_logout_uri = Some("https://93.184.215.14/backchannel".into());
        let rp = w.client(s).await;
        let local = format!("http://127.0.0.1:{port}/backchannel");
        let db = w.app.kernel.db();
        let (settings,): (String,) = publica_kernel::on_db!(db, pool =>
            sqlx::query_as("SELECT settings FROM identity_oidc_clients WHERE client_id = $1")
                .bind(&rp.client_id).fetch_one(pool).await)
        .expect("settings");
        let mut settings: Value = serde_json::from_str(&settings).expect("json");
        settings["backchannel_logout_uri"] = json!(local);
        publica_kernel::on_db!(db, pool =>
            sqlx::query("UPDATE identity_oidc_clients SET settings = $1 WHERE client_id = $2")
                .bind(settings.to_string()).bind(&rp.client_id).execute(pool).await.map(|_| ()))
        .expect("update");
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        code_of(&w, &location, &rp);
        browser.post("/identity/sign-out", &[]).await;
        let _worker = w.app.worker();
        let mut state = String::new();
        for _ in 0..200 {
            let jobs = publica_kernel::jobs::list(db, None, 50).await.expect("jobs");
            if let Some(job) = jobs.iter().find(|j| j.kind == "identity.backchannel_logout") {
                state = job.state.clone();
                if state == "dead" {
                    assert!(job.last_error.as_deref().is_some_and(|e| e.contains("is not called")), "{job:?}");
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(state, "dead", "the job gives up");
        assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing was posted to this machine");
    }
}

#[tokio::test]
async fn a_posted_logout_request_keeps_the_id_token_hint_out_of_urls() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let hint = tokens["id_token"].as_str().expect("id").to_string();
        let fields = [
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", "https://tax.example/signed-out"),
            ("state", "s9"),
        ];
        // The client's form post arrives without the browser's cookies.
        let posted = w.form("/identity/logout", &fields, &[]).await;
        assert_eq!(posted.0, 303);
        let next = posted.2["location"].to_str().expect("location").to_string();
        assert!(next.starts_with("/identity/logout?logout_request="), "{next}");
        let payload = hint.split('.').nth(1).expect("payload");
        assert!(!next.contains(payload) && !next.contains("tax.example"), "{next}");
        assert_eq!(query_of(&next).into_keys().collect::<Vec<_>>(), vec!["logout_request"], "{next}");
        let done = browser.get(&next).await;
        assert_eq!(done.location(), "https://tax.example/signed-out?state=s9", "{}", done.body);
        assert!(w.identity.signed_in(&cookie_headers(&browser)).await.expect("read").is_none(), "signed out");

        // A forged or altered sealed request is refused.
        let mut altered = next.clone();
        altered.insert(altered.len() - 3, 'A');
        let page = browser.get(&altered).await;
        assert_eq!(page.status, 400);
        assert!(page.body.contains("sign-out request has expired"), "{}", page.body);
    }
}

#[tokio::test]
async fn an_interaction_is_finished_only_in_the_browser_that_started_it() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let eve = w.person("eve@example.org").await;
        let mut started = Browser::new(&w.app).await;
        let first = started.get(&rp.authorize(&[])).await;
        let return_to = query_of(first.location())["return_to"].clone();
        assert!(return_to.starts_with("/identity/authorize/continue/"), "{return_to}");
        let cookie = first
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("publica_oidc_browser="));
        let cookie = cookie.expect("the binding cookie").to_ascii_lowercase();
        assert!(cookie.contains("httponly") && cookie.contains("samesite=lax") && cookie.contains("path=/identity"));
        assert!(cookie.contains("max-age=1800"), "{cookie}");

        // Another browser, signed in or not, cannot continue it.
        let mut other = Browser::new(&w.app).await;
        let page = other.get(&return_to).await;
        assert_eq!(page.status, 403);
        assert!(page.body.contains("started in another browser"), "{}", page.body);
        let Landed::Page(signin, _) = other.open("/identity/sign-in").await else { panic!("sign-in") };
        other.sign_in_at(&signin, &eve).await;
        assert!(other.has_session());
        assert_eq!(other.get(&return_to).await.status, 403);

        // The browser that started it goes on to the consent page, which the other cannot use.
        let Landed::Page(signin, _) = started.follow(return_to.clone(), first).await else { panic!("sign-in") };
        let Landed::Page(consent, _) = started.sign_in_at(&signin, &ana).await else { panic!("consent") };
        assert!(consent.starts_with("/identity/consent/"), "{consent}");
        let shown = other.get(&consent).await;
        assert_eq!(shown.status, 403, "{}", shown.body);
        let answered = other.post(&consent, &[("decision", "allow")]).await;
        assert_eq!(answered.status, 403, "{}", answered.body);
        assert!(answered.body.contains("started in another browser"));
        let location = started.approve(&consent).await.client();
        code_of(&w, &location, &rp);
    }
}

#[tokio::test]
async fn where_local_uris_are_allowed_a_named_host_is_called_at_the_address_checked() {
    for w in worlds().await {
        let (port, calls) = receiver().await;
        let mut s = ClientSettings::new("Back-channel RP", &["https://rp.example/cb"]);
        s.backchannel_logout_uri = Some(format!("http://localhost:{port}/backchannel"));
        let rp = w.client(s).await;
        let (_, pinned) = w
            .identity
            .resolve_outbound(&format!("http://localhost:{port}/backchannel"))
            .await
            .expect("allowed in development");
        let (host, addrs) = pinned.expect("a name is resolved once, then pinned");
        assert_eq!(host, "localhost");
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == port), "{addrs:?}");
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        code_of(&w, &location, &rp);
        browser.post("/identity/sign-out", &[]).await;
        let _worker = w.app.worker();
        for _ in 0..200 {
            if calls.load(Ordering::SeqCst) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "delivered once");
    }
}
