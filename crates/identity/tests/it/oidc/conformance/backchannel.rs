//! The back-channel logout plan (`oidcc-backchannel-rp-initiated-logout-certification-test-plan`):
//! discovery says back-channel logout (with `sid`) is supported, and an RP-initiated logout
//! makes the provider post a logout token to the client's `backchannel_logout_uri`.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use serde_json::Value;

use super::logout::{end_session, logged_out, signed_in};
use super::{Auth, POST_LOGOUT, discovery, each, long_state, now, query_of, settings};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// oidcc-backchannel-logout-discovery-endpoint-verification: `backchannel_logout_supported`
/// and `backchannel_logout_session_supported` are true (certification needs `sid`), there is
/// an `end_session_endpoint`, and every endpoint is https.
#[tokio::test]
async fn oidcc_backchannel_logout_discovery_endpoint_verification() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        assert_eq!(d["backchannel_logout_supported"], true);
        assert_eq!(d["backchannel_logout_session_supported"], true);
        assert!(d["end_session_endpoint"].as_str().is_some_and(|e| e.starts_with("https://")));
        for (name, value) in d.as_object().expect("object").iter().filter(|(k, _)| k.ends_with("_endpoint")) {
            assert!(value.as_str().is_some_and(|v| v.starts_with("https://")), "{name}");
        }
    })
    .await;
}

/// oidcc-backchannel-rp-initiated-logout: after a sign-in, an RP-initiated logout sends the
/// browser to the `post_logout_redirect_uri` with the state alone and posts to the client's
/// back-channel URI a form with only `logout_token`, a JWT signed with a published key whose
/// `iss`, `aud`, `iat`, `jti`, `events` (exactly the back-channel event, an empty object),
/// `sub` and `sid` (those of the ID token) are right and which has no `nonce`; then
/// `prompt=none` fails.
#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout() {
    each(|w| async move {
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<(HeaderMap, Bytes)>();
        let receiver = axum::Router::new().route(
            "/backchannel_logout",
            post(move |headers: HeaderMap, body: Bytes| {
                let sender = sender.clone();
                async move {
                    let _ = sender.send((headers, body));
                    ([(header::CACHE_CONTROL, "no-store")], StatusCode::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move { axum::serve(listener, receiver).await });

        let mut s = settings(Auth::Basic);
        s.backchannel_logout_uri = Some(format!("http://127.0.0.1:{port}/backchannel_logout"));
        let rp = w.client(s).await;
        let (mut browser, tokens) = signed_in(&w, &rp).await;
        let _worker = w.app.worker();
        let state = long_state();
        let page = browser
            .get(&end_session(&[
                ("id_token_hint", &tokens.id_token),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", &state),
            ]))
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        let q = query_of(page.location());
        assert!(page.location().starts_with(&format!("{POST_LOGOUT}?")));
        assert_eq!((q.len(), q.get("state")), (1, Some(&state)), "the state alone");

        let (headers, body) = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .expect("posted in time")
            .expect("a post");
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(content_type.starts_with("application/x-www-form-urlencoded"), "{content_type}");
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        assert_eq!(form.len(), 1, "only logout_token: {form:?}");
        assert_eq!(form[0].0, "logout_token");
        let (header, claims) = w.verify(&form[0].1).await;
        assert_eq!(header["typ"], "logout+jwt");
        assert_ne!(header["alg"], "none");
        assert_eq!(claims["iss"], w.issuer().as_str());
        assert_eq!(claims["aud"], rp.client_id.as_str());
        assert!(claims["iat"].as_i64().is_some_and(|iat| iat <= now() + 5));
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        let events = claims["events"].as_object().expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!(events[EVENT], Value::Object(Default::default()), "an empty object");
        assert_eq!(claims["sub"], tokens.id["sub"]);
        assert_eq!(claims["sid"], tokens.id["sid"]);
        assert!(claims.get("nonce").is_none());
        logged_out(&w, &mut browser, &rp).await;
    })
    .await;
}
