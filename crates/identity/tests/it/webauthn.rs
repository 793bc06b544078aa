//! Security keys and passkeys against the real endpoints, with webauthn-authenticator-rs's
//! software authenticators (SoftPasskey, SoftToken) answering as a browser's would: registering
//! from the account page, the second step of a sign-in (reaching `aal3` with a device-bound
//! key), step-up to `aal3`, a sign-in with a discoverable passkey alone, a cloned authenticator
//! caught by its signature counter, answers made for another origin refused, removal, CSRF.
//! Also the client used by `devices.rs`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use publica_identity::accounts::NewAccount;
use publica_identity::domain::{Aal, AccountKind, SignedIn};
use publica_identity::{Identity, IdentityBlock};
use publica_kernel::Block;
use publica_kernel::config::Config;
use publica_kernel::on_db;
use publica_kernel::testing::{Page, TestApp, csrf_token};
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::SoftToken;
use webauthn_authenticator_rs::{AuthenticatorBackend, WebauthnAuthenticator};
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

pub(crate) const PASSWORD: &str = "violet kettle under a bridge";
pub(crate) const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// The public URL of the test servers: the relying party `id.demoland.test`.
pub(crate) const PUBLIC_URL: &str = "https://id.demoland.test";

pub(crate) struct World {
    pub app: TestApp,
    pub identity: Arc<Identity>,
}

pub(crate) async fn worlds_with(adjust: impl Fn(&mut Config)) -> Vec<World> {
    let blocks: Vec<Arc<dyn Block>> = vec![
        Arc::new(publica_notify::NotifyBlock),
        Arc::new(publica_registry::RegistryBlock),
        Arc::new(publica_exchange::ExchangeBlock),
        Arc::new(IdentityBlock),
    ];
    let adjust = |c: &mut Config| {
        c.public_url = Some(PUBLIC_URL.into());
        adjust(c);
    };
    let mut out = Vec::new();
    for app in TestApp::each_with(&blocks, adjust).await {
        publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        let identity = app.kernel.get::<Identity>().expect("identity service");
        out.push(World { app, identity });
    }
    out
}

pub(crate) async fn worlds() -> Vec<World> {
    worlds_with(|_| {}).await
}

impl World {
    /// A citizen account with a verified address and, with `totp`, an authenticator app.
    pub(crate) async fn account(&self, email: &str, totp: bool) -> Uuid {
        let new = NewAccount {
            kind: AccountKind::Citizen,
            email: email.into(),
            email_verified: true,
            password: PASSWORD.into(),
            name: Some("Ana Lima".into()),
            phone: None,
            member_id: None,
        };
        let id = self.identity.create_account(new).await.expect("account");
        if totp {
            self.identity.enrol_totp_secret(id, TOTP_SECRET).await.expect("totp");
        }
        id
    }

    pub(crate) async fn audit_actions(&self) -> Vec<String> {
        let rows: Vec<(String,)> = on_db!(self.app.kernel.db(), pool =>
            sqlx::query_as("SELECT action FROM kernel_audit ORDER BY seq").fetch_all(pool).await)
        .expect("audit");
        rows.into_iter().map(|r| r.0).collect()
    }

    /// Let the authenticator app's current code be used again (each code works once).
    pub(crate) async fn reuse_totp(&self, account: Uuid) {
        on_db!(self.app.kernel.db(), pool => sqlx::query("UPDATE identity_totp SET last_step = NULL WHERE account_id = $1")
            .bind(account).execute(pool).await.map(|_| ()))
        .expect("reset the last step");
    }

    pub(crate) async fn activity_kinds(&self, account: Uuid) -> Vec<String> {
        self.identity.activity(account, None).await.expect("activity").into_iter().map(|a| a.kind).collect()
    }
}

/// The current code of the test authenticator app.
pub(crate) fn totp_now() -> String {
    let secret = publica_identity::accounts::totp::secret_from_base32(TOTP_SECRET).expect("secret");
    let now = publica_kernel::db::Timestamp::now().unix_seconds() as u64;
    publica_identity::accounts::totp::code_at(secret, now)
}

/// A browser: its cookies, CSRF token and address.
pub(crate) struct Client<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
    ip: IpAddr,
    pub lang: Option<&'static str>,
}

impl<'a> Client<'a> {
    pub(crate) async fn new(app: &'a TestApp) -> Client<'a> {
        let mut client = Client {
            app,
            cookies: BTreeMap::new(),
            csrf: String::new(),
            ip: "198.51.100.7".parse().expect("ip"),
            lang: None,
        };
        let home = client.get("/").await;
        client.csrf = csrf_token(&home.body);
        client
    }

    pub(crate) fn cookie_header(&self) -> String {
        let mut pairs: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(lang) = self.lang {
            pairs.push(format!("publica_lang={lang}"));
        }
        pairs.join("; ")
    }

    pub(crate) async fn send(&mut self, builder: axum::http::request::Builder, body: Body) -> Page {
        let mut request: Request<Body> = builder
            .header(header::COOKIE, self.cookie_header())
            .header(header::USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0")
            .body(body)
            .expect("request");
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(self.ip, 40000)));
        let response = self.app.request(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if value.is_empty() || set.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path).header(header::ACCEPT, "text/html"), Body::empty()).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("_csrf", &csrf));
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&all).finish();
        let builder = Request::post(path)
            .header(header::ACCEPT, "text/html")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(builder, Body::from(body)).await
    }

    /// A call of the WebAuthn script: JSON, the CSRF token in the query string.
    pub(crate) async fn json(&mut self, path: &str, body: Value) -> (u16, Value) {
        let uri = format!("{path}?_csrf={}", self.csrf);
        let page = self.json_to(&uri, body).await;
        (page.status, serde_json::from_slice(&page.bytes).unwrap_or(Value::Null))
    }

    pub(crate) async fn json_to(&mut self, uri: &str, body: Value) -> Page {
        let builder = Request::post(uri)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/json");
        self.send(builder, Body::from(body.to_string())).await
    }

    pub(crate) async fn sign_in(&mut self, email: &str, return_to: &str) -> Page {
        self.post("/identity/sign-in", &[("email", email), ("password", PASSWORD), ("return_to", return_to)]).await
    }

    /// Password and authenticator-app code: a session at aal2.
    pub(crate) async fn sign_in_with_code(&mut self, email: &str) {
        let first = self.sign_in(email, "/identity/account").await;
        assert_eq!(first.location(), "/identity/sign-in/mfa", "{}", first.body);
        let done =
            self.post("/identity/sign-in/mfa", &[("code", &totp_now()), ("return_to", "/identity/account")]).await;
        assert_eq!(done.location(), "/identity/account", "{}", done.body);
    }

    /// Who is signed in in this browser, as the rest of the block sees it.
    pub(crate) async fn signed_in(&self, identity: &Identity) -> Option<SignedIn> {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, self.cookie_header().parse().expect("cookie header"));
        identity.signed_in(&headers).await.expect("signed_in")
    }
}

fn origin() -> Url {
    Url::parse(PUBLIC_URL).expect("origin")
}

/// Register an authenticator from the account page, as the script does; returns the options the
/// server sent (to read the user handle) and the credential id.
async fn register(
    client: &mut Client<'_>,
    authenticator: &mut impl AuthenticatorBackend,
    name: &str,
) -> (Value, Vec<u8>) {
    let (status, begun) = client.json("/identity/webauthn/register/options", json!({ "name": name })).await;
    assert_eq!(status, 200, "{begun}");
    let options: CreationChallengeResponse = serde_json::from_value(begun["options"].clone()).expect("options");
    assert_eq!(options.public_key.rp.id, "id.demoland.test");
    let credential = authenticator.do_registration(origin(), options).expect("the authenticator registers");
    let id = credential.raw_id.to_vec();
    let body = json!({ "ceremony": begun["ceremony"], "credential": credential });
    let (status, done) = client.json("/identity/webauthn/register/finish", body).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redirect"], "/identity/account#keys-heading");
    (begun["options"].clone(), id)
}

/// The second step with an authenticator: options, the authenticator's answer, finish.
async fn answer_step(
    client: &mut Client<'_>,
    authenticator: &mut impl AuthenticatorBackend,
    return_to: &str,
    aal: &str,
) -> (u16, Value) {
    let (status, begun) =
        client.json("/identity/webauthn/authenticate/options", json!({ "return_to": return_to, "aal": aal })).await;
    if status != 200 {
        return (status, begun);
    }
    let options: RequestChallengeResponse = serde_json::from_value(begun["options"].clone()).expect("options");
    let credential = authenticator.do_authentication(origin(), options).expect("the authenticator answers");
    let body = json!({ "ceremony": begun["ceremony"], "credential": credential, "return_to": return_to, "aal": aal });
    client.json("/identity/webauthn/authenticate/finish", body).await
}

#[tokio::test]
async fn register_a_passkey_then_sign_in_with_it_as_the_second_step_at_aal3() {
    for w in worlds().await {
        let account = w.account("ana@example.org", false).await;
        let mut browser = Client::new(&w.app).await;
        assert_eq!(browser.sign_in("ana@example.org", "/identity/account").await.location(), "/identity/account");
        let page = browser.get("/identity/account").await;
        assert!(page.body.contains("data-webauthn=\"register\""), "the add form is there for the script");
        assert!(page.body.contains("<script src=\"/identity/static/webauthn.js\" defer></script>"));
        let csp = page.header("content-security-policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));

        let mut key = SoftPasskey::new(true);
        register(&mut browser, &mut key, "Blue key").await;
        let page = browser.get("/identity/account").await;
        assert!(page.body.contains("Blue key") && page.body.contains("Stays on one device"), "{}", page.body);
        assert!(w.audit_actions().await.contains(&"identity.account.webauthn_registered".to_string()));

        // The key is a second factor now: the password leads to the second step.
        browser.post("/identity/sign-out", &[]).await;
        assert_eq!(browser.sign_in("ana@example.org", "/identity/account").await.location(), "/identity/sign-in/mfa");
        let mfa = browser.get("/identity/sign-in/mfa").await;
        assert!(mfa.body.contains("data-webauthn=\"authenticate\"") && mfa.body.contains("name=\"code\""));
        assert!(browser.signed_in(&w.identity).await.is_none());
        let (status, done) = answer_step(&mut browser, &mut key, "/identity/account", "").await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["redirect"], "/identity/account");
        let session = browser.signed_in(&w.identity).await.expect("signed in");
        assert_eq!(session.account_id, account);
        assert_eq!(session.aal, Aal::Aal3, "a device-bound key with user verification reaches aal3");
        assert_eq!(session.amr, vec!["pwd", "hwk", "mfa"]);
        assert!(!browser.cookies.contains_key("publica_id_flow"), "the sign-in flow ended");

        // The ceremony answered once: replaying the same answer is refused.
        browser.post("/identity/sign-out", &[]).await;
        browser.sign_in("ana@example.org", "/identity/account").await;
        let (status, begun) =
            browser.json("/identity/webauthn/authenticate/options", json!({ "return_to": "/identity/account" })).await;
        assert_eq!(status, 200);
        let options: RequestChallengeResponse = serde_json::from_value(begun["options"].clone()).expect("options");
        let credential = key.do_authentication(origin(), options).expect("answer");
        let body = json!({ "ceremony": begun["ceremony"], "credential": credential });
        assert_eq!(browser.json("/identity/webauthn/authenticate/finish", body.clone()).await.0, 200);
        browser.post("/identity/sign-out", &[]).await;
        browser.sign_in("ana@example.org", "/identity/account").await;
        let (status, replay) = browser.json("/identity/webauthn/authenticate/finish", body).await;
        assert_eq!(status, 422, "{replay}");
        assert_eq!(replay["errors"][0]["field"], "ceremony");
        assert!(replay["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn a_session_steps_up_to_aal3_with_a_device_bound_key_and_codes_do_not_reach_it() {
    for w in worlds().await {
        w.account("ben@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        browser.sign_in_with_code("ben@example.org").await;
        assert_eq!(browser.signed_in(&w.identity).await.expect("session").aal, Aal::Aal2);

        // No key yet: aal3 cannot be reached, and the page says how to get there.
        let refused = browser.get("/identity/sign-in?aal=aal3&return_to=/identity/account").await;
        assert_eq!(refused.status, 403);
        assert!(refused.body.contains("A security key is needed") && refused.body.contains("#keys-heading"));

        let mut key = SoftPasskey::new(true);
        register(&mut browser, &mut key, "Laptop").await;
        let to_step = browser.get("/identity/sign-in?aal=aal3&return_to=/identity/account").await;
        assert!(to_step.location().starts_with("/identity/sign-in/mfa?"), "{}", to_step.location());
        let step = browser.get(to_step.location()).await;
        assert!(step.body.contains("data-webauthn=\"authenticate\""));
        assert!(!step.body.contains("name=\"code\""), "a code reaches aal2 at most: no code form at aal3");
        assert!(!step.body.contains("id=\"remember\""), "devices are not remembered for aal3");
        let code = browser
            .post(
                "/identity/sign-in/mfa",
                &[("code", &totp_now()), ("return_to", "/identity/account"), ("aal", "aal3")],
            )
            .await;
        assert_eq!(code.status, 422, "a code posted anyway is refused at aal3");

        let (status, done) = answer_step(&mut browser, &mut key, "/identity/account", "aal3").await;
        assert_eq!(status, 200, "{done}");
        let session = browser.signed_in(&w.identity).await.expect("session");
        assert_eq!(session.aal, Aal::Aal3);
        assert!(session.amr.contains(&"hwk".to_string()));
        assert_eq!(
            browser.get("/identity/sign-in?aal=aal3&return_to=/identity/account").await.location(),
            "/identity/account"
        );
    }
}

/// A sign-in with a passkey alone. The browser lets the person pick a passkey of this site;
/// SoftPasskey keeps no resident credentials, so the test names the one it holds and adds the
/// user handle a resident credential returns (it is not signed: the server must check it).
async fn passkey_sign_in(
    client: &mut Client<'_>,
    key: &mut SoftPasskey,
    credential_id: &[u8],
    handle: &str,
) -> (u16, Value) {
    let (status, begun) =
        client.json("/identity/webauthn/passkey/options", json!({ "return_to": "/identity/account" })).await;
    assert_eq!(status, 200, "{begun}");
    assert!(begun["options"]["publicKey"]["allowCredentials"].as_array().is_none_or(|a| a.is_empty()));
    assert!(begun["options"].get("mediation").is_none(), "a button starts it, not autofill");
    let mut options = begun["options"].clone();
    options["publicKey"]["allowCredentials"] =
        json!([{ "type": "public-key", "id": URL_SAFE_NO_PAD.encode(credential_id) }]);
    let options: RequestChallengeResponse = serde_json::from_value(options).expect("options");
    let answer = key.do_authentication(origin(), options).expect("answer");
    let mut credential = serde_json::to_value(answer).expect("json");
    credential["response"]["userHandle"] = handle.into();
    let body = json!({ "ceremony": begun["ceremony"], "credential": credential, "return_to": "/identity/account" });
    client.json("/identity/webauthn/passkey/finish", body).await
}

#[tokio::test]
async fn a_discoverable_passkey_signs_in_without_the_password() {
    for w in worlds().await {
        let account = w.account("cleo@example.org", false).await;
        let mut browser = Client::new(&w.app).await;
        browser.sign_in("cleo@example.org", "/identity/account").await;
        let mut key = SoftPasskey::new(true);
        let (options, credential_id) = register(&mut browser, &mut key, "Phone").await;
        let handle = options["publicKey"]["user"]["id"].as_str().expect("user handle").to_string();
        browser.post("/identity/sign-out", &[]).await;

        let page = browser.get("/identity/sign-in").await;
        assert!(page.body.contains("data-webauthn=\"passkey\""));

        // A user handle that is not the account's is refused.
        let stranger = URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
        let (status, refused) = passkey_sign_in(&mut browser, &mut key, &credential_id, &stranger).await;
        assert_eq!(status, 422, "{refused}");
        assert!(browser.signed_in(&w.identity).await.is_none());

        let (status, done) = passkey_sign_in(&mut browser, &mut key, &credential_id, &handle).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["redirect"], "/identity/account");
        let session = browser.signed_in(&w.identity).await.expect("signed in");
        assert_eq!(session.account_id, account);
        assert_eq!(session.aal, Aal::Aal3);
        assert_eq!(session.amr, vec!["hwk", "mfa"]);
        assert!(w.activity_kinds(account).await.contains(&"sign-in.second-factor".to_string()));
    }
}

#[tokio::test]
async fn a_cloned_authenticator_is_caught_by_its_counter_and_blocked() {
    for w in worlds().await {
        w.account("dan@example.org", false).await;
        let mut browser = Client::new(&w.app).await;
        browser.sign_in("dan@example.org", "/identity/account").await;
        let (mut token, _ca) = SoftToken::new(true).expect("soft token");
        register(&mut browser, &mut token, "Hardware key").await;
        let copy = token.to_cbor().expect("the key's state");

        browser.post("/identity/sign-out", &[]).await;
        browser.sign_in("dan@example.org", "/identity/account").await;
        let (status, done) = answer_step(&mut browser, &mut token, "/identity/account", "").await;
        assert_eq!(status, 200, "the genuine key: {done}");

        // A copy made before that sign-in signs with the same counter value.
        let mut clone = SoftToken::from_cbor(&copy).expect("clone");
        browser.post("/identity/sign-out", &[]).await;
        browser.sign_in("dan@example.org", "/identity/account").await;
        let (status, refused) = answer_step(&mut browser, &mut clone, "/identity/account", "").await;
        assert_eq!(status, 403, "{refused}");
        assert!(refused["message"].as_str().is_some_and(|m| m.contains("copy")), "{refused}");
        assert!(browser.signed_in(&w.identity).await.is_none());
        assert!(w.audit_actions().await.contains(&"identity.account.webauthn_disabled".to_string()));

        // Blocked from now on, even for the genuine key.
        let (status, none) = answer_step(&mut browser, &mut token, "/identity/account", "").await;
        assert_eq!(status, 409, "{none}");
        let page = browser.get("/identity/account").await;
        assert_eq!(page.status, 303, "not signed in: {}", page.body);
    }
}

#[tokio::test]
async fn answers_made_for_another_origin_are_refused() {
    for w in worlds().await {
        let account = w.account("eve@example.org", false).await;
        let mut browser = Client::new(&w.app).await;
        browser.sign_in("eve@example.org", "/identity/account").await;
        let evil = Url::parse("https://id.demoland.test.evil.example").expect("url");

        // A phishing site relays the server's options: the client data names its origin.
        let mut key = SoftPasskey::new(true);
        let (_, begun) = browser.json("/identity/webauthn/register/options", json!({ "name": "Key" })).await;
        let options: CreationChallengeResponse = serde_json::from_value(begun["options"].clone()).expect("options");
        let credential = key.perform_register(evil.clone(), options.public_key, 60_000).expect("registers");
        let (status, refused) = browser
            .json(
                "/identity/webauthn/register/finish",
                json!({ "ceremony": begun["ceremony"], "credential": credential }),
            )
            .await;
        assert_eq!(status, 422, "{refused}");
        assert!(w.identity.webauthn_keys(account).await.expect("keys").is_empty());

        register(&mut browser, &mut key, "Key").await;
        browser.post("/identity/sign-out", &[]).await;
        browser.sign_in("eve@example.org", "/identity/account").await;
        let (_, begun) =
            browser.json("/identity/webauthn/authenticate/options", json!({ "return_to": "/identity/account" })).await;
        let options: RequestChallengeResponse = serde_json::from_value(begun["options"].clone()).expect("options");
        let credential = key.perform_auth(evil, options.public_key, 60_000).expect("answers");
        let (status, refused) = browser
            .json(
                "/identity/webauthn/authenticate/finish",
                json!({ "ceremony": begun["ceremony"], "credential": credential }),
            )
            .await;
        assert_eq!(status, 422, "{refused}");
        assert!(browser.signed_in(&w.identity).await.is_none());
    }
}

#[tokio::test]
async fn keys_are_removed_from_the_account_page_and_the_endpoints_need_the_csrf_token() {
    for w in worlds().await {
        let account = w.account("finn@example.org", false).await;
        let mut browser = Client::new(&w.app).await;

        // Signed out: the script's calls are refused in JSON.
        let (status, body) = browser.json("/identity/webauthn/register/options", json!({ "name": "Key" })).await;
        assert_eq!(status, 401, "{body}");

        browser.sign_in("finn@example.org", "/identity/account").await;
        let no_token = browser.json_to("/identity/webauthn/register/options", json!({ "name": "Key" })).await;
        assert_eq!(no_token.status, 403, "no CSRF token, no ceremony");
        let (status, body) = browser.json("/identity/webauthn/register/options", json!({ "name": "" })).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "name");
        let (status, body) = browser.json("/identity/webauthn/register/options", json!({ "name": 7 })).await;
        assert_eq!(status, 422, "a name that is not text: {body}");

        let mut key = SoftPasskey::new(true);
        register(&mut browser, &mut key, "Old key").await;
        let keys = w.identity.webauthn_keys(account).await.expect("keys");
        assert_eq!(keys.len(), 1);
        let removed = browser.post(&format!("/identity/account/keys/{}/remove", keys[0].id), &[]).await;
        assert_eq!(removed.location(), "/identity/account#keys-heading");
        assert!(w.identity.webauthn_keys(account).await.expect("keys").is_empty());
        assert!(w.audit_actions().await.contains(&"identity.account.mfa_removed".to_string()));
        let missing = browser.post(&format!("/identity/account/keys/{}/remove", Uuid::new_v4()), &[]).await;
        assert_eq!(missing.status, 404);

        // French pages carry the French texts.
        browser.lang = Some("fr");
        let page = browser.get("/identity/account").await;
        assert!(page.body.contains("Clés de sécurité et clés d’accès"));
    }
}

#[tokio::test]
async fn an_account_with_a_second_factor_adds_keys_only_after_using_it() {
    for w in worlds().await {
        w.account("gus@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        let first = browser.sign_in("gus@example.org", "/identity/account").await;
        assert_eq!(first.location(), "/identity/sign-in/mfa");
        // Halfway through the sign-in there is no session to add a key to.
        let (status, body) = browser.json("/identity/webauthn/register/options", json!({ "name": "Key" })).await;
        assert_eq!(status, 401, "a sign-in flow is not a session: {body}");
        browser.post("/identity/sign-in/mfa", &[("code", &totp_now()), ("return_to", "/identity/account")]).await;
        let (status, body) = browser.json("/identity/webauthn/register/options", json!({ "name": "Key" })).await;
        assert_eq!(status, 200, "{body}");
    }
}
