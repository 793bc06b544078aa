//! The Basic OP plan (`oidcc-basic-certification-test-plan`): the authorization code flow
//! with `client_secret_basic` (and once `client_secret_post`), each module of the plan as one
//! test named after it, checking what the module checks.

use std::time::Duration;

use publica_identity::oidc::{Manager, NewClient};
use publica_kernel::crypto::b64url;
use serde_json::{Value, json};

use super::{
    Answer, Auth, Browser, How, Landed, Person, Rp, Tokens, World, callback, check_tokens, checked_userinfo, citizen,
    discovery, each, error_callback, happy, long_state, now, pkce, query_of, redeem, rp, settings, sign, sign_in,
    start, token_error, token_request, userinfo, verified_citizen,
};

/// oidcc-server: the happy flow. The state comes back intact with `iss`, the code is long and
/// random, the token response is `Bearer` with `expires_in` and `no-store`, the ID token is
/// signed by a published key named by its `kid` with `iss`, `aud`, `exp`, `iat`, `sub`, the
/// nonce and a correct `at_hash`, every published key has a `kid`, and the access token opens
/// userinfo.
#[tokio::test]
async fn oidcc_server() {
    each(|w| async move {
        let jwks = w.jwks().await;
        let keys = jwks["keys"].as_array().expect("keys");
        assert!(!keys.is_empty() && keys.iter().all(|k| k["kid"].as_str().is_some_and(|kid| !kid.is_empty())));
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let tokens = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[])).await;
        assert!(tokens.id.contains_key("at_hash"));
        checked_userinfo(&w, &tokens, How::Get).await;
    })
    .await;
}

/// oidcc-response-type-missing: a request without `response_type` is refused; the client and
/// its redirect URI are known, so the error goes back to it (`invalid_request`, which the
/// module accepts with `unsupported_response_type`), with the state and `iss`.
#[tokio::test]
async fn oidcc_response_type_missing() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&start(&rp, &[], &["response_type"])).await;
        assert_eq!(page.status, 303);
        let q =
            error_callback(&w, page.location(), &rp, "state-123", &["invalid_request", "unsupported_response_type"]);
        assert!(q["error_description"].contains("response_type"));
    })
    .await;
}

/// oidcc-idtoken-signature: with no algorithm registered the ID token is signed RS256, names
/// its key by `kid`, and verifies with that published RS256 key.
#[tokio::test]
async fn oidcc_idtoken_signature() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let tokens = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[])).await;
        assert_eq!(tokens.header["alg"], "RS256");
        let kid = tokens.header["kid"].as_str().expect("kid");
        let jwks = w.jwks().await;
        let key = jwks["keys"].as_array().expect("keys").iter().find(|k| k["kid"] == kid).expect("the named key");
        assert_eq!((key["kty"].as_str(), key["alg"].as_str()), (Some("RSA"), Some("RS256")));
        let jws = publica_kernel::jose::decode(&tokens.id_token).expect("a JWS");
        assert!(jws.verify(key, &["RS256"]));
    })
    .await;
}

/// oidcc-idtoken-unsigned (not applicable: the module needs dynamic registration and is
/// skipped when `none` is not among `id_token_signing_alg_values_supported`): `none` is not
/// advertised, and a client cannot be registered for unsigned ID tokens.
#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        let algs = d["id_token_signing_alg_values_supported"].as_array().expect("algs");
        assert!(algs.contains(&json!("RS256")) && !algs.iter().any(|a| a == "none"));
        let mut s = settings(Auth::Basic);
        s.id_token_signed_response_alg = Some("none".into());
        let refused = w.identity.register_client(&Manager::operator(), w.org, NewClient::new(s)).await;
        match refused {
            Err(publica_kernel::error::Error::Invalid { field, .. }) => {
                assert_eq!(field, "id_token_signed_response_alg")
            }
            other => panic!("refused with the field named: {other:?}"),
        }
    })
    .await;
}

/// A signed-in flow's tokens, for the userinfo modules.
async fn flow(w: &World, scope: &str) -> Tokens {
    let rp = rp(w, Auth::Basic).await;
    let ana = citizen(w, "ana@example.org", None).await;
    let mut browser = Browser::new(&w.app).await;
    sign_in(w, &mut browser, &rp, &ana, &rp.authorize(&[("scope", scope)])).await
}

/// oidcc-userinfo-get: userinfo answers an authenticated GET with the ID token's `sub`.
#[tokio::test]
async fn oidcc_userinfo_get() {
    each(|w| async move {
        let tokens = flow(&w, "openid email").await;
        let info = checked_userinfo(&w, &tokens, How::Get).await;
        assert_eq!(info["email"], "ana@example.org");
        assert_eq!(userinfo(&w, "not-a-token", How::Get).await.status, 401);
    })
    .await;
}

/// oidcc-userinfo-post-header: userinfo answers a POST with the token in the header.
#[tokio::test]
async fn oidcc_userinfo_post_header() {
    each(|w| async move {
        let tokens = flow(&w, "openid email").await;
        let info = checked_userinfo(&w, &tokens, How::PostHeader).await;
        assert_eq!(info["email"], "ana@example.org");
    })
    .await;
}

/// oidcc-userinfo-post-body: userinfo answers a POST with the token in the form body
/// (optional in the standards; supported).
#[tokio::test]
async fn oidcc_userinfo_post_body() {
    each(|w| async move {
        let tokens = flow(&w, "openid email").await;
        let info = checked_userinfo(&w, &tokens, How::PostBody).await;
        assert_eq!(info["email"], "ana@example.org");
    })
    .await;
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow: without a nonce the code flow
/// still issues a code (and the ID token then has no nonce).
#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&start(&rp, &[], &["nonce"]), &ana).await;
        let tokens = happy(&w, &rp, Auth::Basic, &location, None).await;
        assert!(tokens.id.get("nonce").is_none());
    })
    .await;
}

/// A scope module: authorize with `scope`, then check userinfo as the suite does; the claims
/// it released.
async fn scope_flow(w: &World, person: &Person, scope: &str) -> serde_json::Map<String, Value> {
    let rp = rp(w, Auth::Basic).await;
    let mut browser = Browser::new(&w.app).await;
    let tokens = sign_in(w, &mut browser, &rp, person, &rp.authorize(&[("scope", scope)])).await;
    let granted: Vec<&str> = tokens.body["scope"].as_str().expect("scope").split(' ').collect();
    for s in scope.split(' ') {
        assert!(granted.contains(&s), "{s} granted: {granted:?}");
    }
    checked_userinfo(w, &tokens, How::Get).await
}

/// oidcc-scope-profile: the profile scope releases the name (and, for a proofed person, the
/// register's names and birth date, checked in `oidcc_scope_all`).
#[tokio::test]
async fn oidcc_scope_profile() {
    each(|w| async move {
        let ana = citizen(&w, "ana@example.org", None).await;
        let info = scope_flow(&w, &ana, "openid profile").await;
        assert_eq!(info["name"], "Ana Lima");
        assert!(info.get("email").is_none() && info.get("given_name").is_none(), "not proofed: {info:?}");
    })
    .await;
}

/// oidcc-scope-email: the email scope releases `email` and `email_verified`.
#[tokio::test]
async fn oidcc_scope_email() {
    each(|w| async move {
        let ana = citizen(&w, "ana@example.org", None).await;
        let info = scope_flow(&w, &ana, "openid email").await;
        assert_eq!((info["email"].as_str(), info["email_verified"].as_bool()), (Some("ana@example.org"), Some(true)));
        assert!(info.get("name").is_none());
    })
    .await;
}

/// oidcc-scope-address: the address scope releases the register's address of a proofed
/// person (never a self-asserted one).
#[tokio::test]
async fn oidcc_scope_address() {
    each(|w| async move {
        let camille = verified_citizen(&w, "camille@example.org", None).await;
        let info = scope_flow(&w, &camille, "openid address").await;
        assert_eq!(info["address"]["locality"], "Demopolis");
        assert!(info["address"]["formatted"].as_str().is_some_and(|f| !f.is_empty()));
        assert!(info.get("email").is_none());
    })
    .await;
}

/// oidcc-scope-phone: the phone scope releases the phone number, not verified.
#[tokio::test]
async fn oidcc_scope_phone() {
    each(|w| async move {
        let ana = citizen(&w, "ana@example.org", Some("+447700900123")).await;
        let info = scope_flow(&w, &ana, "openid phone").await;
        assert_eq!(info["phone_number"], "+447700900123");
        assert_eq!(info["phone_number_verified"], false);
    })
    .await;
}

/// oidcc-scope-all: address, email, phone and profile together, for a proofed person.
#[tokio::test]
async fn oidcc_scope_all() {
    each(|w| async move {
        let camille = verified_citizen(&w, "camille@example.org", Some("+447700900123")).await;
        let info = scope_flow(&w, &camille, "openid address email phone profile").await;
        assert_eq!(info["given_name"], "Camille Anne");
        assert_eq!(info["family_name"], "Martin");
        assert_eq!(info["birthdate"], "1985-06-12");
        assert_eq!(info["email"], "camille@example.org");
        assert_eq!(info["phone_number"], "+447700900123");
        assert_eq!(info["address"]["locality"], "Demopolis");
    })
    .await;
}

/// oidcc-ensure-other-scope-order-succeeds: `scope=email openid` (RFC 6749 §3.3: the order
/// does not matter) is the email scope module again.
#[tokio::test]
async fn oidcc_ensure_other_scope_order_succeeds() {
    each(|w| async move {
        let ana = citizen(&w, "ana@example.org", None).await;
        let info = scope_flow(&w, &ana, "email openid").await;
        assert_eq!(info["email"], "ana@example.org");
    })
    .await;
}

/// A `display` module: the value is accepted and the person sees the ordinary sign-in page.
async fn display(w: &World, value: &str) {
    let rp = rp(w, Auth::Basic).await;
    let ana = citizen(w, "ana@example.org", None).await;
    let mut browser = Browser::new(&w.app).await;
    let start = rp.authorize(&[("display", value)]);
    let Landed::Page(path, page) = browser.open(&start).await else { panic!("the sign-in page, not an error") };
    assert!(path.starts_with("/identity/sign-in?") && page.status == 200, "{path}");
    assert!(page.body.contains("name=\"password\""));
    let location = browser.authorize(&start, &ana).await;
    happy(w, &rp, Auth::Basic, &location, Some("nonce-456")).await;
}

/// oidcc-display-page: `display=page` does not cause an error; the sign-in page is shown.
#[tokio::test]
async fn oidcc_display_page() {
    each(|w| async move { display(&w, "page").await }).await;
}

/// oidcc-display-popup: `display=popup` does not cause an error; the sign-in page is shown.
#[tokio::test]
async fn oidcc_display_popup() {
    each(|w| async move { display(&w, "popup").await }).await;
}

/// oidcc-prompt-login: a second authorization with `prompt=login` asks the signed-in person
/// to sign in again, and the new ID token's `auth_time` is the new sign-in's.
#[tokio::test]
async fn oidcc_prompt_login() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let first = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[])).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let again = rp.authorize(&[("prompt", "login")]);
        let Landed::Page(path, page) = browser.open(&again).await else { panic!("a second sign-in page") };
        assert!(path.starts_with("/identity/sign-in?") && path.contains("force=1"), "{path}: {}", page.status);
        let location = browser.sign_in_at(&path, &ana).await.client();
        let second = happy(&w, &rp, Auth::Basic, &location, Some("nonce-456")).await;
        assert!(second.id["auth_time"].as_i64() > first.id["auth_time"].as_i64(), "a new authentication");
        assert_eq!(second.id["sub"], first.id["sub"]);
    })
    .await;
}

/// oidcc-prompt-none-not-logged-in: with no session, `prompt=none` answers the client with an
/// error that needs a user interface (`login_required`), and a 128-character state intact.
#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let state = long_state();
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[("prompt", "none"), ("state", &state)])).await;
        assert_eq!(page.status, 303);
        let errors = ["login_required", "interaction_required", "consent_required", "account_selection_required"];
        let q = error_callback(&w, page.location(), &rp, &state, &errors);
        assert_eq!(q["error"], "login_required");
        assert!(!browser.has_session());
    })
    .await;
}

/// oidcc-prompt-none-logged-in: signed in (and consented), `prompt=none` comes straight back
/// with a code; `sub` and `auth_time` are those of the first authorization.
#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let first = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[])).await;
        let page = browser.get(&rp.authorize(&[("prompt", "none")])).await;
        assert_eq!(page.status, 303, "no page for the person");
        let second = happy(&w, &rp, Auth::Basic, page.location(), Some("nonce-456")).await;
        assert_eq!((&second.id["sub"], &second.id["auth_time"]), (&first.id["sub"], &first.id["auth_time"]));
    })
    .await;
}

/// oidcc-max-age-1: two seconds after a first authorization, `max_age=1` makes the person
/// sign in again; the second ID token carries an `auth_time` later than the first and recent.
#[tokio::test]
async fn oidcc_max_age_1() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let first = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[])).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let Landed::Page(path, _) = browser.open(&rp.authorize(&[("max_age", "1")])).await else {
            panic!("a second sign-in page")
        };
        assert!(path.starts_with("/identity/sign-in?") && path.contains("force=1"), "{path}");
        let location = browser.sign_in_at(&path, &ana).await.client();
        let second = happy(&w, &rp, Auth::Basic, &location, Some("nonce-456")).await;
        let auth_time = second.id["auth_time"].as_i64().expect("auth_time, as max_age was sent");
        assert!(auth_time > first.id["auth_time"].as_i64().expect("first auth_time"));
        assert!(now() - auth_time < 60, "recent");
    })
    .await;
}

/// oidcc-max-age-10000: after an authorization with `max_age=15000`, one with `max_age=10000`
/// needs no sign-in; both ID tokens carry the same `auth_time` and `sub`.
#[tokio::test]
async fn oidcc_max_age_10000() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let first = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[("max_age", "15000")])).await;
        assert!(first.id["auth_time"].is_i64());
        let page = browser.get(&rp.authorize(&[("max_age", "10000")])).await;
        assert_eq!(page.status, 303);
        let second = happy(&w, &rp, Auth::Basic, page.location(), Some("nonce-456")).await;
        assert!(second.id["auth_time"].is_i64());
        assert_eq!((&second.id["sub"], &second.id["auth_time"]), (&first.id["sub"], &first.id["auth_time"]));
    })
    .await;
}

/// oidcc-ensure-request-with-unknown-parameter-succeeds: `extra=foobar` is ignored (RFC 6749
/// §3.1).
#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[("extra", "foobar")])).await;
    })
    .await;
}

/// oidcc-id-token-hint: `prompt=none` with the first ID token as `id_token_hint` comes straight
/// back for the same person (same `sub` and `auth_time`); a hint naming someone else is
/// `login_required` rather than a silent sign-in as the wrong person, and a forged hint or
/// another kind of token is `invalid_request`.
#[tokio::test]
async fn oidcc_id_token_hint() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let first = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[])).await;
        let page = browser.get(&rp.authorize(&[("prompt", "none"), ("id_token_hint", &first.id_token)])).await;
        assert_eq!(page.status, 303);
        let second = happy(&w, &rp, Auth::Basic, page.location(), Some("nonce-456")).await;
        assert_eq!((&second.id["sub"], &second.id["auth_time"]), (&first.id["sub"], &first.id["auth_time"]));

        let bea = citizen(&w, "bea@example.org", None).await;
        let mut other = Browser::new(&w.app).await;
        let beas = sign_in(&w, &mut other, &rp, &bea, &rp.authorize(&[])).await;
        let page = browser.get(&rp.authorize(&[("prompt", "none"), ("id_token_hint", &beas.id_token)])).await;
        error_callback(&w, page.location(), &rp, "state-123", &["login_required"]);
        let forged = format!("{}x", &first.id_token[..first.id_token.len() - 1]);
        let page = browser.get(&rp.authorize(&[("prompt", "none"), ("id_token_hint", &forged)])).await;
        error_callback(&w, page.location(), &rp, "state-123", &["invalid_request"]);
        let page = browser.get(&rp.authorize(&[("prompt", "none"), ("id_token_hint", &first.access)])).await;
        error_callback(&w, page.location(), &rp, "state-123", &["invalid_request"]);
    })
    .await;
}

/// oidcc-login-hint: a `login_hint` does not cause an error; the sign-in page has the address
/// filled in.
#[tokio::test]
async fn oidcc_login_hint() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let start = rp.authorize(&[("login_hint", "ana@example.org")]);
        let Landed::Page(path, page) = browser.open(&start).await else { panic!("the sign-in page") };
        assert!(path.starts_with("/identity/sign-in?"), "{path}");
        assert!(page.body.contains("value=\"ana@example.org\""), "{}", page.body);
        let location = browser.sign_in_at(&path, &ana).await;
        let Landed::Page(consent, _) = location else { panic!("consent") };
        let location = browser.approve(&consent).await.client();
        happy(&w, &rp, Auth::Basic, &location, Some("nonce-456")).await;
    })
    .await;
}

/// oidcc-ui-locales: `ui_locales` does not cause an error; a language Publica does not speak
/// (`se`) is passed over for the next one it does (`fr`).
#[tokio::test]
async fn oidcc_ui_locales() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let start = rp.authorize(&[("ui_locales", "se fr")]);
        let Landed::Page(path, page) = browser.open(&start).await else { panic!("the sign-in page") };
        assert_eq!(page.status, 200, "{path}");
        assert!(page.body.contains("<html lang=\"fr\""), "{}", page.body);
        let location = browser.authorize(&start, &ana).await;
        happy(&w, &rp, Auth::Basic, &location, Some("nonce-456")).await;
    })
    .await;
}

/// oidcc-claims-locales: `claims_locales=se` does not cause an error.
#[tokio::test]
async fn oidcc_claims_locales() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let tokens = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[("claims_locales", "se")])).await;
        checked_userinfo(&w, &tokens, How::Get).await;
    })
    .await;
}

/// oidcc-ensure-request-with-acr-values-succeeds: `acr_values` with every advertised value, in
/// the advertised order, succeeds with a password sign-in, and the ID token's `acr` is one of
/// them.
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        let advertised: Vec<&str> =
            d["acr_values_supported"].as_array().expect("acr values").iter().filter_map(Value::as_str).collect();
        let acr_values = advertised.join(" ");
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let tokens = sign_in(&w, &mut browser, &rp, &ana, &rp.authorize(&[("acr_values", &acr_values)])).await;
        let acr = tokens.id["acr"].as_str().expect("acr");
        assert!(advertised.contains(&acr), "{acr} is one of {advertised:?}");
    })
    .await;
}

/// A code and the tokens it gave.
async fn code_and_tokens(w: &World, rp: &Rp) -> (String, Tokens) {
    let ana = citizen(w, "ana@example.org", None).await;
    let mut browser = Browser::new(&w.app).await;
    let location = browser.authorize(&rp.authorize(&[]), &ana).await;
    let code = callback(w, &location, rp, "state-123");
    let answer = redeem(w, rp, Auth::Basic, &code, None).await;
    let tokens = check_tokens(w, rp, &answer, Some("nonce-456")).await;
    (code, tokens)
}

/// oidcc-codereuse: a code used a second time is `invalid_grant` (400, JSON, an RFC 6749
/// description).
#[tokio::test]
async fn oidcc_codereuse() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (code, _) = code_and_tokens(&w, &rp).await;
        token_error(&redeem(&w, &rp, Auth::Basic, &code, None).await, "invalid_grant");
    })
    .await;
}

/// oidcc-codereuse-30seconds: a code used again 30 seconds after its exchange is
/// `invalid_grant`, and the access token it gave is revoked (RFC 6749 §4.1.2). The 30 seconds
/// pass in the store (the exchange's times moved back) rather than on the clock.
#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (code, tokens) = code_and_tokens(&w, &rp).await;
        let past = |s: i64| publica_kernel::db::Timestamp::now().plus(time::Duration::seconds(-s));
        let (issued, used, expires) = (past(31), past(30), past(-29));
        publica_kernel::on_db!(w.app.kernel.db(), pool => sqlx::query(
            "UPDATE identity_oidc_codes SET created_at = $1, used_at = $2, expires_at = $3 WHERE client_id = $4")
            .bind(issued).bind(used).bind(expires).bind(&rp.client_id).execute(pool).await.map(|r| r.rows_affected()))
        .map(|n| assert_eq!(n, 1))
        .expect("move the code's times back");
        assert_eq!(userinfo(&w, &tokens.access, How::Get).await.status, 200, "the access token works until then");
        token_error(&redeem(&w, &rp, Auth::Basic, &code, None).await, "invalid_grant");
        let after = userinfo(&w, &tokens.access, How::Get).await;
        assert_eq!(after.status, 401, "revoked: {}", after.body);
        assert_eq!(after.body["error"], "invalid_token");
    })
    .await;
}

/// oidcc-ensure-registered-redirect-uri: an unregistered redirect URI is refused on an error
/// page; the browser is not sent to it.
#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let bad = format!("https://rp.example/callback/{}", b64url(&publica_kernel::crypto::random_bytes::<8>()));
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[("redirect_uri", &bad)])).await;
        assert_eq!(page.status, 400);
        assert!(page.location().is_empty(), "no redirect");
        assert!(page.body.contains("has not registered") && page.body.contains(&bad), "{}", page.body);
    })
    .await;
}

/// oidcc-ensure-post-request-succeeds: the authorization request sent as a form POST leads
/// through sign-in back to the client's redirect URI.
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let fields: Vec<(String, String)> = query_of(&rp.authorize(&[])).into_iter().collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let posted = browser.post_raw("/identity/authorize", &fields).await;
        assert_eq!(posted.status, 303, "{}", posted.body);
        let mut landed = browser.follow("/identity/authorize".into(), posted).await;
        for _ in 0..3 {
            landed = match landed {
                Landed::Page(path, _) if path.starts_with("/identity/sign-in") => browser.sign_in_at(&path, &ana).await,
                Landed::Page(path, _) if path.starts_with("/identity/consent/") => browser.approve(&path).await,
                other => other,
            };
        }
        happy(&w, &rp, Auth::Basic, &landed.client(), Some("nonce-456")).await;
    })
    .await;
}

/// oidcc-server-client-secret-post: the happy flow with a client authenticating by
/// `client_secret_post`.
#[tokio::test]
async fn oidcc_server_client_secret_post() {
    each(|w| async move {
        let rp = rp(&w, Auth::Post).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        let tokens = happy(&w, &rp, Auth::Post, &location, Some("nonce-456")).await;
        checked_userinfo(&w, &tokens, How::Get).await;
    })
    .await;
}

/// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported (not applicable:
/// the module needs dynamic registration and `none` request objects): `request_uri` is
/// advertised as unsupported, and one not from the PAR endpoint is answered
/// `request_uri_not_supported`, the error the module accepts.
#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        assert_eq!(d["request_uri_parameter_supported"], false);
        let rp = rp(&w, Auth::Basic).await;
        let mut browser = Browser::new(&w.app).await;
        let page = browser.get(&rp.authorize(&[("request_uri", "https://rp.example/requests/1.jwt")])).await;
        assert_eq!(page.status, 303);
        error_callback(&w, page.location(), &rp, "state-123", &["request_uri_not_supported"]);
    })
    .await;
}

/// An unsigned request object (`alg` `none`) of the suite's making: the authorization
/// request's parameters with `iss` and `aud`.
fn unsigned_object(w: &World, rp: &Rp, redirect_uri: &str) -> String {
    let claims = json!({
        "iss": rp.client_id, "aud": w.issuer(), "client_id": rp.client_id, "response_type": "code",
        "redirect_uri": redirect_uri, "scope": "openid email", "state": "state-123", "nonce": "nonce-456",
    });
    format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(claims.to_string().as_bytes()))
}

/// oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported (not
/// applicable: the suite skips it when `none` is not among
/// `request_object_signing_alg_values_supported`): `none` is not advertised, and an unsigned
/// request object is refused (`invalid_request_object`), never obeyed.
#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        assert_eq!(d["request_parameter_supported"], true);
        let algs = d["request_object_signing_alg_values_supported"].as_array().expect("algs");
        assert!(algs.contains(&json!("RS256")) && !algs.iter().any(|a| a == "none"));
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        browser.authorize(&rp.authorize(&[]), &ana).await;
        let object = unsigned_object(&w, &rp, &rp.redirect_uri);
        let page = browser.get(&rp.authorize(&[("request", &object)])).await;
        assert_eq!(page.status, 303);
        error_callback(&w, page.location(), &rp, "state-123", &["invalid_request_object"]);
    })
    .await;
}

/// oidcc-claims-essential: `name` asked as an essential userinfo claim is released at
/// userinfo (after the consent page lists it), and not put in the ID token.
#[tokio::test]
async fn oidcc_claims_essential() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let claims = json!({"userinfo": {"name": {"essential": true}}}).to_string();
        let start = rp.authorize(&[("scope", "openid"), ("claims", &claims)]);
        let Landed::Page(signin, _) = browser.open(&start).await else { panic!("sign-in") };
        let Landed::Page(consent, page) = browser.sign_in_at(&signin, &ana).await else { panic!("consent") };
        assert!(page.body.contains("your name"), "{}", page.body);
        let location = browser.approve(&consent).await.client();
        let tokens = happy(&w, &rp, Auth::Basic, &location, Some("nonce-456")).await;
        let info = checked_userinfo(&w, &tokens, How::Get).await;
        assert_eq!(info["name"], "Ana Lima");
        assert!(info.get("email").is_none());
    })
    .await;
}

/// oidcc-ensure-request-object-with-redirect-uri (not applicable as the suite sends it: it
/// uses an unsigned object and is skipped without `none`): with a signed request object, the
/// object's `redirect_uri` takes precedence over a different one among the query parameters,
/// and the response goes to the object's.
#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    each(|w| async move {
        let rp = w.with_key(publica_kernel::crypto::Alg::RS256).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let object = json!({
            "iss": rp.client_id, "aud": w.issuer(), "client_id": rp.client_id, "response_type": "code",
            "redirect_uri": rp.redirect_uri, "scope": "openid email", "state": "state-123", "nonce": "nonce-456",
            "exp": now() + 300, "jti": "conformance-object",
        });
        let request = sign(rp.key.as_ref().expect("key"), rp.kid.as_deref(), &object);
        let start = rp.authorize(&[("redirect_uri", "https://rp.example/not-registered"), ("request", &request)]);
        let mut browser = Browser::new(&w.app).await;
        let location = browser.authorize(&start, &ana).await;
        let code = callback(&w, &location, &rp, "state-123");
        let assertion = rp.assertion(&format!("{}/token", w.issuer()), None);
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", rp.redirect_uri.as_str()),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
        ];
        let (status, body, headers) = w.form("/identity/token", &fields, &[]).await;
        let answer = Answer { status, body, headers };
        check_tokens(&w, &rp, &answer, Some("nonce-456")).await;
    })
    .await;
}

/// oidcc-refresh-token: with offline access (asked with `prompt=consent`), the refresh token
/// (printable, long, random) gives a new access token and an ID token with the same `iss`,
/// `sub`, `aud` and `auth_time` and a new `iat` (OpenID Connect Core §12.2); a refresh token
/// of another client is `invalid_grant`.
#[tokio::test]
async fn oidcc_refresh_token() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        assert!(d["grant_types_supported"].as_array().expect("grants").contains(&json!("refresh_token")));
        let offline = |name: &str| {
            let mut s = settings(Auth::Basic);
            s.name = name.into();
            s.offline_access = true;
            s
        };
        let first_client = w.client(offline("Conformance RP")).await;
        let second_client = w.client(offline("Conformance RP 2")).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let scope = "openid email offline_access";
        let asked = [("scope", scope), ("prompt", "consent")];
        let first = sign_in(&w, &mut browser, &first_client, &ana, &first_client.authorize(&asked)).await;
        let refresh = first.refresh.clone().expect("a refresh token");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let fields = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("scope", scope)];
        let answer = token_request(&w, &first_client, Auth::Basic, &fields).await;
        let renewed = check_tokens(&w, &first_client, &answer, None).await;
        assert_ne!(renewed.access, first.access);
        for claim in ["iss", "sub", "aud", "auth_time"] {
            assert_eq!(renewed.id[claim], first.id[claim], "{claim}");
        }
        assert_ne!(renewed.id["iat"], first.id["iat"], "the new ID token's own iat");
        assert!(renewed.id.get("azp").is_none() && first.id.get("azp").is_none());
        checked_userinfo(&w, &renewed, How::Get).await;

        let seconds = sign_in(&w, &mut browser, &second_client, &ana, &second_client.authorize(&asked)).await;
        let theirs = seconds.refresh.expect("the second client's refresh token");
        let fields = [("grant_type", "refresh_token"), ("refresh_token", theirs.as_str()), ("scope", scope)];
        token_error(&token_request(&w, &first_client, Auth::Basic, &fields).await, "invalid_grant");
    })
    .await;
}

/// oidcc-ensure-request-with-valid-pkce-succeeds: a confidential client using PKCE (S256)
/// succeeds with its verifier.
#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let ana = citizen(&w, "ana@example.org", None).await;
        let mut browser = Browser::new(&w.app).await;
        let (verifier, challenge) = pkce();
        let start = rp.authorize(&[("code_challenge", &challenge), ("code_challenge_method", "S256")]);
        let location = browser.authorize(&start, &ana).await;
        let code = callback(&w, &location, &rp, "state-123");
        let answer = redeem(&w, &rp, Auth::Basic, &code, Some(&verifier)).await;
        let tokens = check_tokens(&w, &rp, &answer, Some("nonce-456")).await;
        checked_userinfo(&w, &tokens, How::Get).await;
    })
    .await;
}
