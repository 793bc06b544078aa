//! Logout, as the OIDF RP-initiated and back-channel logout plans test it: with an
//! `id_token_hint` the session ends at once and the browser returns to a registered
//! `post_logout_redirect_uri` with `state`; without one the person confirms (a CSRF-checked
//! form); unregistered addresses and foreign hints are refused on a page; and a client with a
//! back-channel logout URI receives a logout token that verifies with the published JWKS,
//! retried when it fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use publica_identity::oidc::ClientSettings;

use super::support::{Browser, Landed, code_of, exchange, worlds};

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn rp_initiated_logout_with_and_without_an_id_token_hint() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let hint = tokens["id_token"].as_str().expect("id").to_string();
        assert!(browser.has_session());

        // Refused on a page: an unregistered address, a forged hint.
        let bad = browser
            .get(&format!(
                "/identity/logout?id_token_hint={hint}&post_logout_redirect_uri={}",
                enc("https://evil.example/")
            ))
            .await;
        assert_eq!(bad.status, 400);
        assert!(bad.location().is_empty() && bad.body.contains("has not registered"));
        let forged = format!("{}x", &hint[..hint.len() - 1]);
        assert_eq!(browser.get(&format!("/identity/logout?id_token_hint={forged}")).await.status, 400);
        let orphan = browser
            .get(&format!("/identity/logout?post_logout_redirect_uri={}", enc("https://tax.example/signed-out")))
            .await;
        assert_eq!(orphan.status, 400, "an address without a client to check it against");
        assert!(browser.has_session());

        // Without a hint: a confirmation, which needs the CSRF token.
        let confirm = browser
            .get(&format!(
                "/identity/logout?client_id={}&post_logout_redirect_uri={}&state=s1",
                rp.client_id,
                enc("https://tax.example/signed-out")
            ))
            .await;
        assert_eq!(confirm.status, 200, "{}", confirm.body);
        assert!(
            confirm.body.contains("action=\"/identity/logout/confirm\"")
                && confirm.body.contains("Demoland Tax Office")
        );
        assert!(confirm.header("content-security-policy").contains("https://tax.example"));
        let fields = [
            ("client_id", rp.client_id.as_str()),
            ("post_logout_redirect_uri", "https://tax.example/signed-out"),
            ("state", "s1"),
        ];
        assert_eq!(browser.post_raw("/identity/logout/confirm", &fields).await.status, 403);
        assert!(
            browser.has_session() && w.identity.signed_in(&cookie_headers(&browser)).await.expect("session").is_some()
        );
        let done = browser.post("/identity/logout/confirm", &fields).await;
        assert_eq!(done.status, 303);
        assert_eq!(done.location(), "https://tax.example/signed-out?state=s1");
        assert!(w.identity.signed_in(&cookie_headers(&browser)).await.expect("read").is_none(), "the session ended");

        // With a hint for this session: at once, and a client's POST works too.
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let hint = tokens["id_token"].as_str().expect("id").to_string();
        let posted = browser
            .post_raw(
                "/identity/logout",
                &[
                    ("id_token_hint", &hint),
                    ("post_logout_redirect_uri", "https://tax.example/signed-out"),
                    ("state", "s2"),
                ],
            )
            .await;
        assert_eq!(posted.status, 303);
        assert!(posted.location().starts_with("/identity/logout?"));
        let page = browser.get(posted.location()).await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location(), "https://tax.example/signed-out?state=s2");
        assert!(w.identity.signed_in(&cookie_headers(&browser)).await.expect("read").is_none());
        // Signed out already: the hint still brings the browser back.
        let again = browser.get(&format!("/identity/logout?id_token_hint={hint}")).await;
        assert_eq!(again.status, 200);
        assert!(again.body.contains("You are signed out"));

        // A hint from another browser's session is not enough: the person confirms.
        let mut other = Browser::new(&w.app).await;
        let location = other.authorize(&rp.authorize(&[]), &ana).await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let foreign = tokens["id_token"].as_str().expect("id").to_string();
        browser.authorize(&rp.authorize(&[]), &ana).await;
        let page = browser.get(&format!("/identity/logout?id_token_hint={foreign}")).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("/identity/logout/confirm"));
        assert!(
            w.identity.signed_in(&cookie_headers(&other)).await.expect("read").is_some(),
            "the other session lives on"
        );
    }
}

fn cookie_headers(browser: &Browser<'_>) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    let cookie = browser.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    headers.insert("cookie", cookie.parse().expect("cookie"));
    headers
}

#[tokio::test]
async fn back_channel_logout_posts_a_logout_token_that_verifies_and_is_retried() {
    for w in worlds().await {
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<String>();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let receiver = axum::Router::new().route(
            "/backchannel",
            post(move |body: Bytes| {
                let sender = sender.clone();
                let counter = counter.clone();
                async move {
                    // The first delivery fails: the job queue retries it.
                    if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let _ = sender.send(String::from_utf8_lossy(&body).into_owned());
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move { axum::serve(listener, receiver).await });

        let mut s = ClientSettings::new("Back-channel RP", &["https://rp.example/cb"]);
        s.backchannel_logout_uri = Some(format!("http://127.0.0.1:{port}/backchannel"));
        let rp = w.client(s).await;
        let quiet = w.confidential(&["openid"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        let (_, tokens) = exchange(&w, &rp, &code_of(&w, &location, &rp), None).await;
        let (_, id) = w.verify(tokens["id_token"].as_str().expect("id")).await;
        browser.authorize(&quiet.authorize(&[]), &ana).await;

        let page =
            browser.get(&format!("/identity/logout?id_token_hint={}", tokens["id_token"].as_str().expect("id"))).await;
        assert_eq!(page.status, 200, "signed out");
        let jobs = publica_kernel::jobs::list(w.app.kernel.db(), None, 50).await.expect("jobs");
        assert_eq!(
            jobs.iter().filter(|j| j.kind == "identity.backchannel_logout").count(),
            1,
            "only the client with a URI"
        );

        let _worker = w.app.worker();
        let body = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .expect("delivered in time")
            .expect("a body");
        assert!(calls.load(Ordering::SeqCst) >= 2, "retried after the failure");
        let form: std::collections::BTreeMap<String, String> =
            url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        let token = form.get("logout_token").expect("logout_token");
        let (header, claims) = w.verify(token).await;
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!(claims["iss"], w.issuer().as_str());
        assert_eq!(claims["aud"], rp.client_id.as_str());
        assert_eq!(claims["sub"], id["sub"]);
        assert_eq!(claims["sid"], id["sid"], "the sid of the ID token");
        assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
        assert!(claims.get("nonce").is_none());
        assert!(claims["jti"].is_string() && claims["iat"].is_i64());
        assert!(claims["exp"].as_i64() > claims["iat"].as_i64());
        assert!(w.audit_actions().await.contains(&"identity.session.logged_out".to_string()));
        let Landed::Page(path, _) = browser.open(&rp.authorize(&[])).await else { panic!("sign in again") };
        assert!(path.starts_with("/identity/sign-in"), "{path}");
    }
}
