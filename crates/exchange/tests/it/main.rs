//! The exchange block's integration tests, on SQLite and (with `PUBLICA_TEST_POSTGRES`)
//! PostgreSQL: agreement and purpose lifecycles, the token endpoint, the gateway, and the
//! management API with its OpenAPI snapshot.

mod api;
mod evidence;
mod gateway;
mod lifecycle;
mod pages;
mod token;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_exchange::service::Caller;
use publica_exchange::{Exchange, ExchangeBlock};
use publica_kernel::Block;
use publica_kernel::audit::Actor;
use publica_kernel::citizen::testing::TestSignIn;
use publica_kernel::crypto::{Alg, PrivateKey, b64url};
use publica_kernel::testing::TestApp;
use publica_registry::{Registry, RegistryBlock};
use serde_json::{Value, json};
use uuid::Uuid;

/// A living adult of Demopolis (the registry's example person).
pub const ADULT: &str = "19850612344";
/// The registry's example business, represented by [`ADULT`].
pub const BUSINESS: &str = "DL1234567831";

/// One app with the demo seeded: Demoland's organisations, a few register records and the
/// exchange's demo (services, agreements, purposes, a client with its key).
pub struct World {
    pub app: TestApp,
    pub exchange: Arc<Exchange>,
    pub demo: Value,
    /// The demo client's private key.
    pub key: PrivateKey,
    /// A person under 18 today.
    pub minor: String,
    /// A second adult, living in Northport, director of [`BUSINESS`] with [`ADULT`].
    pub other: String,
    /// The stand-in identity provider persons sign in with (none: no identity provider runs).
    pub sign_in: Option<TestSignIn>,
}

impl World {
    pub fn client_id(&self) -> String {
        self.demo["client_id"].as_str().expect("client_id").to_string()
    }
    pub fn kid(&self) -> String {
        self.demo["key_id"].as_str().expect("key_id").to_string()
    }
    pub fn client_header(&self) -> String {
        self.demo["client_header"].as_str().expect("client_header").to_string()
    }
    pub fn purpose(&self, service: &str) -> String {
        self.demo["purposes"][service].as_str().expect("purpose").to_string()
    }
    /// The gateway path of a demo service with `{id}` (and `{municipality}`) filled in.
    pub fn path(&self, service: &str, id: &str) -> String {
        self.demo["services"][service].as_str().expect("service").replace("{id}", id)
    }
    pub fn api_key(&self, slug: &str) -> String {
        self.demo["api_keys"][slug].as_str().expect("api key").to_string()
    }
    pub async fn caller(&self, slug: &str) -> Caller {
        let org = self.app.kernel.organisation_by_slug(slug).await.expect("read").expect("organisation");
        Caller::new(org.id, org.kind, Actor::system("test"))
    }
    pub async fn org_id(&self, slug: &str) -> Uuid {
        self.app.kernel.organisation_by_slug(slug).await.expect("read").expect("organisation").id
    }
}

/// The demo worlds, with an identity provider persons sign in with.
pub async fn worlds() -> Vec<World> {
    let mut out = worlds_without_sign_in().await;
    for world in &mut out {
        world.sign_in = Some(TestSignIn::install(&world.app.kernel));
    }
    out
}

/// The demo worlds of a deployment without an identity provider.
pub async fn worlds_without_sign_in() -> Vec<World> {
    let mut out = Vec::new();
    for app in TestApp::each(&[Arc::new(RegistryBlock), Arc::new(ExchangeBlock)]).await {
        publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        let (minor, other) = people(&app).await;
        let demo = ExchangeBlock.seed_demo(&app.kernel).await.expect("exchange demo");
        let pem = demo["private_key_pem"].as_str().expect("pem");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(body).expect("base64");
        let key = PrivateKey::from_pkcs8(Alg::ES256, &der).expect("PKCS#8 P-256 key");
        let exchange = app.kernel.get::<Exchange>().expect("exchange service");
        out.push(World { app, exchange, demo, key, minor, other, sign_in: None });
    }
    out
}

/// Records in the population and business registers: the example person, a minor, another
/// adult elsewhere, and the example business.
async fn people(app: &TestApp) -> (String, String) {
    let registry = app.kernel.get::<Registry>().expect("registry");
    registry.ensure_builtin().await.expect("built-in registers");
    let registrar = app.kernel.organisation_by_slug("civil-registry").await.expect("read").expect("civil registry").id;
    let chamber = app.kernel.organisation_by_slug("chamber-of-commerce").await.expect("read").expect("chamber").id;
    let actor = Actor::system("test");
    let adult = publica_registry::domain::builtin::example_person();
    registry.create(&actor, registrar, publica_registry::POPULATION, adult.clone(), None).await.expect("adult");
    let year = time::OffsetDateTime::now_utc().year() - 10;
    let minor_id = publica_registry::national_id::with_check("2015031400").expect("id");
    let mut minor = adult.clone();
    minor["national_id"] = json!(minor_id);
    minor["given_names"] = json!("Léo");
    minor["birth_date"] = json!(format!("{year}-03-14"));
    minor["digital_domicile"] = Value::Null;
    minor.as_object_mut().expect("object").remove("digital_domicile");
    registry.create(&actor, registrar, publica_registry::POPULATION, minor, None).await.expect("minor");
    let other_id = publica_registry::national_id::with_check("1970010100").expect("id");
    let mut other = adult.clone();
    other["national_id"] = json!(other_id);
    other["given_names"] = json!("Paul");
    other["birth_date"] = json!("1970-01-01");
    other["residence"]["municipality"] = json!("Northport");
    registry.create(&actor, registrar, publica_registry::POPULATION, other, None).await.expect("other");
    let mut business = publica_registry::domain::builtin::example_business();
    business["representatives"] =
        json!([{"national_id": ADULT, "role": "director"}, {"national_id": other_id, "role": "secretary"}]);
    registry.create(&actor, chamber, publica_registry::BUSINESSES, business, None).await.expect("business");
    (minor_id, other_id)
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The claims of a valid client assertion of the demo client for `purpose`.
pub fn claims(world: &World, purpose: &str) -> Value {
    let now = now();
    json!({
        "iss": world.client_id(),
        "sub": world.client_id(),
        "aud": world.exchange.token_url(),
        "jti": Uuid::new_v4().to_string(),
        "iat": now,
        "exp": now + 300,
        "purposeId": purpose,
    })
}

/// A compact JWS of `claims` signed with `key`.
pub fn sign(key: &PrivateKey, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": key.alg().as_str(), "kid": kid, "typ": "JWT"});
    let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = key.sign(input.as_bytes()).expect("sign");
    format!("{input}.{}", b64url(&signature))
}

/// POST a form to the token endpoint.
pub async fn token_request(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = Request::post("/exchange/token.oauth2")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .expect("request");
    let response = app.request(request).await;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Ask for a voucher with a signed assertion; the status and answer.
pub async fn ask(world: &World, assertion: &str) -> (u16, Value) {
    let client_id = world.client_id();
    token_request(
        &world.app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
        ],
    )
    .await
}

/// A voucher of the demo client for `purpose`.
pub async fn voucher(world: &World, purpose: &str) -> String {
    let (status, body) = ask(world, &sign(&world.key, &world.kid(), &claims(world, purpose))).await;
    assert_eq!(status, 200, "voucher: {body}");
    body["access_token"].as_str().expect("access_token").to_string()
}

/// A gateway call; the status, headers and body.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    client: Option<&str>,
    voucher: Option<&str>,
    extra: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Bytes) {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(client) = client {
        builder = builder.header("x-road-client", client);
    }
    if let Some(voucher) = voucher {
        builder = builder.header("authorization", format!("Bearer {voucher}"));
    }
    for (name, value) in extra {
        builder = builder.header(*name, *value);
    }
    let response = app.request(builder.body(Body::empty()).expect("request")).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, headers, body)
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

pub fn json_of(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// The audit actions recorded, oldest first.
pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    use publica_kernel::on_db;
    on_db!(app.kernel.db(), pool => sqlx::query_scalar::<_, String>("SELECT action FROM kernel_audit ORDER BY seq")
        .fetch_all(pool).await.expect("audit"))
}
