//! What the provider's tests share: an app with the identity block and Demoland's
//! organisations, people with accounts, a browser that keeps cookies and follows the flow
//! through sign-in and consent, relying parties registered through the service, and checks of
//! tokens against the published JWKS.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use publica_identity::accounts::NewAccount;
use publica_identity::domain::AccountKind;
use publica_identity::oidc::{ClientSettings, Manager, NewClient};
use publica_identity::{Identity, IdentityBlock};
use publica_kernel::Block;
use publica_kernel::crypto::{Alg, PrivateKey, b64url, sha256};
use publica_kernel::testing::{Page, TestApp, csrf_token};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub const PASSWORD: &str = "violet kettle under a bridge";

pub struct World {
    pub app: TestApp,
    pub identity: Arc<Identity>,
    /// The Demoland Tax Office.
    pub org: Uuid,
    /// An `identity` API key of the tax office.
    pub key: String,
}

/// Providers that may call back-channel logout URIs on this machine (the tests' receivers).
pub async fn worlds() -> Vec<World> {
    worlds_where(true).await
}

/// Providers as installed by default: back-channel logout URIs only on public addresses.
pub async fn strict_worlds() -> Vec<World> {
    worlds_where(false).await
}

async fn worlds_where(allow_local_logout_uris: bool) -> Vec<World> {
    let blocks: Vec<Arc<dyn Block>> = vec![
        Arc::new(publica_notify::NotifyBlock),
        Arc::new(publica_registry::RegistryBlock),
        Arc::new(publica_exchange::ExchangeBlock),
        Arc::new(IdentityBlock),
    ];
    let adjust = move |c: &mut publica_kernel::config::Config| {
        c.sections.insert("identity".into(), json!({ "allow_local_logout_uris": allow_local_logout_uris }));
    };
    let mut out = Vec::new();
    for app in TestApp::each_with(&blocks, adjust).await {
        publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        let identity = app.kernel.get::<Identity>().expect("identity service");
        let org = app.kernel.organisation_by_slug("tax-office").await.expect("read").expect("tax office").id;
        let key = publica_kernel::demo::api_key(
            &app.kernel,
            org,
            "identity",
            "Tax office identity key",
            "identity:tax-office",
        )
        .await
        .expect("identity key");
        out.push(World { app, identity, org, key });
    }
    out
}

impl World {
    pub fn issuer(&self) -> String {
        self.identity.issuer().to_string()
    }

    /// A citizen with a verified email address and a password.
    pub async fn person(&self, email: &str) -> Person {
        let new = NewAccount {
            kind: AccountKind::Citizen,
            email: email.into(),
            email_verified: true,
            password: PASSWORD.into(),
            name: Some("Ana Lima".into()),
            phone: None,
            member_id: None,
        };
        let account_id = self.identity.create_account(new).await.expect("account");
        Person { email: email.into(), account_id, totp: None }
    }

    /// Give a person an authenticator app (their next sign-in, or step-up, reaches aal2).
    pub async fn add_totp(&self, person: &mut Person) {
        let secret = publica_identity::accounts::totp::new_secret();
        let base32 = publica_identity::accounts::totp::base32(&secret);
        self.identity.enrol_totp_secret(person.account_id, &base32).await.expect("totp");
        person.totp = Some(secret);
    }

    /// Register a client for the tax office as the operator would.
    pub async fn client(&self, settings: ClientSettings) -> Rp {
        let (client, secret) = self
            .identity
            .register_client(&Manager::operator(), self.org, NewClient::new(settings))
            .await
            .expect("client");
        Rp { client_id: client.client_id, secret, redirect_uri: client.redirect_uris[0].clone(), key: None, kid: None }
    }

    /// A confidential client (Basic) with the given scopes and offline access.
    pub async fn confidential(&self, scopes: &[&str], offline: bool) -> Rp {
        let mut s = ClientSettings::new("Demoland Tax Office", &["https://tax.example/callback"]);
        s.scopes = Some(scopes.iter().map(|s| s.to_string()).collect());
        s.offline_access = offline;
        s.post_logout_redirect_uris = vec!["https://tax.example/signed-out".into()];
        self.client(s).await
    }

    /// An offline grant: a confidential client allowed refresh tokens, ana, who consented in
    /// the browser returned, and the token endpoint's first answer for it.
    pub async fn offline_grant(&self) -> (Rp, Person, Browser<'_>, Value) {
        let rp = self.confidential(&["openid", "email", "offline_access"], true).await;
        let ana = self.person("ana@example.org").await;
        let mut browser = Browser::new(&self.app).await;
        let start = rp.authorize(&[("scope", "openid email offline_access"), ("prompt", "consent")]);
        let location = browser.authorize(&start, &ana).await;
        let (status, first) = exchange(self, &rp, &code_of(self, &location, &rp), None).await;
        assert_eq!(status, 200, "{first}");
        (rp, ana, browser, first)
    }

    /// A client authenticating with `private_key_jwt`, with a fresh key of `alg`.
    pub async fn with_key(&self, alg: Alg) -> Rp {
        let key = PrivateKey::generate(alg).expect("key");
        let mut jwk = key.public_jwk();
        jwk["kid"] = json!("k1");
        let mut s = ClientSettings::new("Keyed service", &["https://keyed.example/cb"]);
        s.token_endpoint_auth_method = Some("private_key_jwt".into());
        s.jwks = Some(json!({ "keys": [jwk] }));
        s.grant_types = Some(vec!["authorization_code".into(), "client_credentials".into()]);
        s.scopes = Some(vec!["openid".into(), "email".into()]);
        let mut rp = self.client(s).await;
        rp.key = Some(key);
        rp.kid = Some("k1".into());
        rp
    }

    /// The published JWKS.
    pub async fn jwks(&self) -> Value {
        let response = self.app.get("/.well-known/jwks.json").await;
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        serde_json::from_slice(&bytes).expect("jwks")
    }

    /// Check a JWT's signature with the published JWKS (never with a private key) and return
    /// its header and claims.
    pub async fn verify(&self, token: &str) -> (Value, Map<String, Value>) {
        let jwks = self.jwks().await;
        assert!(jws_verifies(&jwks, token), "the signature verifies with the published JWKS: {token}");
        decode(token)
    }

    /// Post a form to a back-channel endpoint, with extra headers.
    pub async fn form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, String)],
    ) -> (u16, Value, axum::http::HeaderMap) {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut builder = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        let response = self.app.request(builder.body(Body::from(body)).expect("request")).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers)
    }

    /// The audit actions recorded, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        let rows: Vec<(String,)> = publica_kernel::on_db!(self.app.kernel.db(), pool =>
            sqlx::query_as("SELECT action FROM kernel_audit ORDER BY seq").fetch_all(pool).await)
        .expect("audit");
        rows.into_iter().map(|r| r.0).collect()
    }
}

/// Whether `token` verifies with one of the keys of `jwks` (by `kid`).
pub fn jws_verifies(jwks: &Value, token: &str) -> bool {
    let Ok(jws) = publica_kernel::jose::decode(token) else { return false };
    let kid = jws.header.kid.clone().unwrap_or_default();
    jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["kid"] == kid.as_str())
        .any(|k| jws.verify(k, &[k["alg"].as_str().unwrap_or_default()]))
}

/// The header and claims of a JWT, unchecked.
pub fn decode(token: &str) -> (Value, Map<String, Value>) {
    let mut parts = token.split('.');
    let part = |p: Option<&str>| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p.expect("part")).expect("base64url")).expect("json")
    };
    let header = part(parts.next());
    let claims = part(parts.next()).as_object().expect("claims").clone();
    (header, claims)
}

pub struct Person {
    pub email: String,
    pub account_id: Uuid,
    pub totp: Option<[u8; 20]>,
}

/// A relying party registered with the provider.
pub struct Rp {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
    pub key: Option<PrivateKey>,
    pub kid: Option<String>,
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = b64url(&publica_kernel::crypto::random_bytes::<32>());
    let challenge = b64url(&sha256(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn now() -> i64 {
    publica_kernel::db::Timestamp::now().unix_seconds()
}

impl Rp {
    /// The relying party of a client registered through the API (`created` is its answer).
    pub fn from_created(created: &Value, redirect_uri: &str) -> Rp {
        Rp {
            client_id: created["client"]["client_id"].as_str().expect("client_id").into(),
            secret: created["client_secret"].as_str().map(str::to_string),
            redirect_uri: redirect_uri.into(),
            key: None,
            kid: None,
        }
    }

    /// `/identity/authorize?…` with the usual parameters and `extra` (which replace them).
    pub fn authorize(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", "openid email"),
            ("state", "state-123"),
            ("nonce", "nonce-456"),
        ];
        for (k, v) in extra {
            pairs.retain(|(n, _)| n != k);
            pairs.push((k, v));
        }
        format!(
            "/identity/authorize?{}",
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
        )
    }

    /// `Authorization: Basic` with the form-encoded id and secret.
    pub fn basic(&self) -> (&'static str, String) {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let secret = self.secret.as_deref().expect("a secret");
        ("authorization", format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(&self.client_id), enc(secret)))))
    }

    /// A client assertion for `aud`, with a fresh `jti` unless given.
    pub fn assertion(&self, aud: &str, jti: Option<&str>) -> String {
        let key = self.key.as_ref().expect("a key");
        let now = now();
        let claims = json!({
            "iss": self.client_id, "sub": self.client_id, "aud": aud,
            "jti": jti.map(str::to_string).unwrap_or_else(|| Uuid::new_v4().to_string()),
            "iat": now, "exp": now + 120,
        });
        sign(key, self.kid.as_deref(), &claims)
    }
}

/// A compact JWS of `claims` with a client's key.
pub fn sign(key: &PrivateKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = json!({ "alg": key.alg().as_str(), "typ": "JWT" });
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = key.sign(input.as_bytes()).expect("sign");
    format!("{input}.{}", b64url(&signature))
}

/// The query parameters of a URL (absolute or a path).
pub fn query_of(location: &str) -> BTreeMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// A browser: cookies, the CSRF token, following the provider's redirects.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

/// Where a flow ended: back at the client (the redirect's URL) or on a page of the provider.
pub enum Landed {
    Client(String),
    Page(String, Page),
}

impl Landed {
    pub fn client(self) -> String {
        match self {
            Landed::Client(url) => url,
            Landed::Page(path, page) => {
                panic!("expected a redirect to the client, got {path} ({}): {}", page.status, page.body)
            }
        }
    }
}

impl<'a> Browser<'a> {
    pub async fn new(app: &'a TestApp) -> Browser<'a> {
        let mut browser = Browser { app, cookies: BTreeMap::new(), csrf: String::new() };
        let home = browser.get("/").await;
        browser.csrf = csrf_token(&home.body);
        browser
    }

    pub fn has_session(&self) -> bool {
        self.cookies.contains_key("publica_id")
    }

    async fn send(&mut self, builder: axum::http::request::Builder, body: Body) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let request = builder
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT, "text/html")
            .header(header::USER_AGENT, "OidcTestBrowser/1.0")
            .body(body)
            .expect("request");
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

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("_csrf", &csrf));
        self.post_raw(path, &all).await
    }

    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let builder = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(builder, Body::from(body)).await
    }

    /// Follow local redirects from `page` (reached at `path`) until a page or the client.
    pub async fn follow(&mut self, mut path: String, mut page: Page) -> Landed {
        for _ in 0..20 {
            if !matches!(page.status, 302 | 303) {
                return Landed::Page(path, page);
            }
            let location = page.location().to_string();
            if !location.starts_with('/') {
                return Landed::Client(location);
            }
            page = self.get(&location).await;
            path = location;
        }
        panic!("too many redirects");
    }

    /// Open `path` and follow redirects.
    pub async fn open(&mut self, path: &str) -> Landed {
        let page = self.get(path).await;
        self.follow(path.to_string(), page).await
    }

    /// Sign in (and answer the second step) on the sign-in page reached at `path`.
    pub async fn sign_in_at(&mut self, path: &str, person: &Person) -> Landed {
        let q = query_of(path);
        let mut fields: Vec<(&str, &str)> = vec![("email", &person.email), ("password", PASSWORD)];
        for name in ["return_to", "aal", "force"] {
            if let Some(v) = q.get(name) {
                fields.push((name, v));
            }
        }
        let page = self.post("/identity/sign-in", &fields).await;
        assert_eq!(page.status, 303, "sign-in: {}", page.body);
        let landed = self.follow("/identity/sign-in".into(), page).await;
        match landed {
            Landed::Page(p, _) if p.starts_with("/identity/sign-in/mfa") => self.second_factor(&p, person).await,
            other => other,
        }
    }

    /// Answer the second step with the person's authenticator app.
    pub async fn second_factor(&mut self, path: &str, person: &Person) -> Landed {
        let secret = person.totp.expect("the person has an authenticator app");
        let code = publica_identity::accounts::totp::code_at(secret, now() as u64);
        let q = query_of(path);
        let mut fields: Vec<(&str, &str)> = vec![("code", &code)];
        for name in ["return_to", "aal"] {
            if let Some(v) = q.get(name) {
                fields.push((name, v));
            }
        }
        let page = self.post("/identity/sign-in/mfa", &fields).await;
        assert_eq!(page.status, 303, "second factor: {}", page.body);
        self.follow("/identity/sign-in/mfa".into(), page).await
    }

    /// Approve the consent page reached at `path`.
    pub async fn approve(&mut self, path: &str) -> Landed {
        let page = self.post(path, &[("decision", "allow")]).await;
        assert_eq!(page.status, 303, "consent: {}", page.body);
        self.follow(path.to_string(), page).await
    }

    /// Drive an authorization from `start` to the client: sign in as `person` and approve
    /// the consent page when they come.
    pub async fn authorize(&mut self, start: &str, person: &Person) -> String {
        let mut landed = self.open(start).await;
        for _ in 0..6 {
            landed = match landed {
                Landed::Client(url) => return url,
                Landed::Page(path, _) if path.starts_with("/identity/sign-in/mfa") => {
                    self.second_factor(&path, person).await
                }
                Landed::Page(path, _) if path.starts_with("/identity/sign-in") => self.sign_in_at(&path, person).await,
                Landed::Page(path, _) if path.starts_with("/identity/consent/") => self.approve(&path).await,
                Landed::Page(path, page) => panic!("unexpected page {path} ({}): {}", page.status, page.body),
            };
        }
        panic!("the flow did not end at the client");
    }
}

/// The code of a successful authorization response, after checking `state` and `iss`.
pub fn code_of(world: &World, location: &str, rp: &Rp) -> String {
    assert!(location.starts_with(&rp.redirect_uri), "back at the client: {location}");
    let q = query_of(location);
    assert_eq!(q.get("iss").map(String::as_str), Some(world.issuer().as_str()), "RFC 9207 iss: {location}");
    assert_eq!(q.get("state").map(String::as_str), Some("state-123"), "state: {location}");
    q.get("code").unwrap_or_else(|| panic!("a code: {location}")).clone()
}

/// Exchange a code with Basic authentication.
pub async fn exchange(world: &World, rp: &Rp, code: &str, verifier: Option<&str>) -> (u16, Value) {
    let mut fields =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", rp.redirect_uri.as_str())];
    if let Some(v) = verifier {
        fields.push(("code_verifier", v));
    }
    let (status, body, headers) = world.form("/identity/token", &fields, &[(rp.basic().0, rp.basic().1)]).await;
    assert_eq!(headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    (status, body)
}
