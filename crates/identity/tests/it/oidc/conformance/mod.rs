//! Mirrors of the OpenID Foundation conformance suite's test modules for an OpenID Provider,
//! one test per module, named after it (`oidcc-prompt-none-not-logged-in` is
//! `oidcc_prompt_none_not_logged_in`), split by certification plan: Basic OP (`basic`),
//! Config OP (`config`), RP-initiated logout (`logout`) and back-channel logout
//! (`backchannel`). Each drives the real endpoints in process, as the suite would from
//! outside, against a provider whose issuer is `https` (as certification requires), on SQLite
//! and PostgreSQL; the two backends run side by side, so the waits some modules need (a
//! `max_age` to pass, a new `iat`) are paid once. docs/identity-conformance.md maps every
//! module to its test.
//!
//! What the suite's modules share is here: the static client it is configured with, the checks
//! of an authorization response, of a token response and its ID token, of OAuth error answers
//! and of userinfo.

mod backchannel;
mod basic;
mod config;
mod logout;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, header};
use publica_exchange::ExchangeBlock;
use publica_exchange::service::Caller;
use publica_exchange::service::agreements::AgreementStep;
use publica_identity::IdentityBlock;
use publica_identity::accounts::{NewAccount, Origin};
use publica_identity::domain::AccountKind;
use publica_identity::oidc::ClientSettings;
use publica_identity::proofing::{FactsInput, ProofingOutcome, ProofingSetupSpec};
use publica_kernel::Block;
use publica_kernel::audit::Actor;
use publica_kernel::crypto::{b64url, sha256};
use publica_kernel::domain::{OrgKind, Slug};
use publica_kernel::testing::TestApp;
use publica_registry::Registry;
use serde_json::{Map, Value};

pub use super::support::{Browser, Landed, PASSWORD, Person, Rp, World, now, pkce, query_of, sign};

/// The provider's public address in these tests: certification needs `https` endpoints.
pub const PUBLIC_URL: &str = "https://id.demoland.example";
/// The redirect URI the suite's client registers (its `callback`).
pub const REDIRECT: &str = "https://rp.example/callback";
/// The post-logout redirect URI the suite asks static clients to register.
pub const POST_LOGOUT: &str = "https://rp.example/post_logout_redirect";
/// The registry's example person, who can be proofed: Camille Anne Martin, born 1985-06-12.
pub const CAMILLE: &str = "19850612344";

/// One provider per backend (SQLite, and PostgreSQL with `PUBLICA_TEST_POSTGRES`), at
/// [`PUBLIC_URL`], with the organisation that registers the clients (the tax office) and its
/// `identity` API key. Demoland's other organisations come with [`verified_citizen`].
pub async fn ops() -> Vec<World> {
    let blocks: Vec<Arc<dyn Block>> = vec![
        Arc::new(publica_notify::NotifyBlock),
        Arc::new(publica_registry::RegistryBlock),
        Arc::new(ExchangeBlock),
        Arc::new(IdentityBlock),
    ];
    let mut out = Vec::new();
    let adjust = |c: &mut publica_kernel::config::Config| {
        c.public_url = Some(PUBLIC_URL.into());
        // The back-channel plan's client listens on this machine.
        c.sections.insert("identity".into(), serde_json::json!({ "allow_local_logout_uris": true }));
    };
    for app in TestApp::each_with(&blocks, adjust).await {
        let identity = app.kernel.get::<publica_identity::Identity>().expect("identity service");
        let slug = Slug::parse("slug", "tax-office").expect("slug");
        let org = app
            .kernel
            .create_organisation(&Actor::system("test"), &slug, "Demoland Tax Office", OrgKind::Agency)
            .await
            .expect("the tax office")
            .id;
        let key = publica_kernel::demo::api_key(&app.kernel, org, "identity", "Conformance key", "identity:rp")
            .await
            .expect("identity key");
        out.push(World { app, identity, org, key });
    }
    out
}

/// Run a module's checks against every provider of [`ops`], side by side; a failure on either
/// fails the test with its own message.
pub async fn each<F, Fut>(check: F)
where
    F: Fn(World) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runs: Vec<_> = ops().await.into_iter().map(|w| tokio::spawn(check(w))).collect();
    for run in runs {
        if let Err(e) = run.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    Basic,
    Post,
}

/// The suite's static client: confidential, every scope of the Basic profile, the suite's
/// redirect and post-logout redirect URIs.
pub fn settings(auth: Auth) -> ClientSettings {
    let mut s = ClientSettings::new("Conformance RP", &[REDIRECT]);
    s.post_logout_redirect_uris = vec![POST_LOGOUT.into()];
    s.scopes = Some(["openid", "profile", "email", "phone", "address"].iter().map(|s| s.to_string()).collect());
    if auth == Auth::Post {
        s.token_endpoint_auth_method = Some("client_secret_post".into());
    }
    s
}

pub async fn rp(w: &World, auth: Auth) -> Rp {
    w.client(settings(auth)).await
}

/// `/identity/authorize?…` with the usual parameters and `extra`, leaving out `omit`.
pub fn start(rp: &Rp, extra: &[(&str, &str)], omit: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = query_of(&rp.authorize(extra)).into_iter().collect();
    pairs.retain(|(k, _)| !omit.contains(&k.as_str()));
    format!("/identity/authorize?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish())
}

/// A state of 128 characters, as the suite sends to see that it comes back intact.
pub fn long_state() -> String {
    let mut state = String::new();
    while state.len() < 128 {
        state.push_str(&b64url(&publica_kernel::crypto::random_bytes::<32>()));
    }
    state.truncate(128);
    state
}

/// A citizen with a password, a name and, when given, a phone number (not verified).
pub async fn citizen(w: &World, email: &str, phone: Option<&str>) -> Person {
    let new = NewAccount {
        kind: AccountKind::Citizen,
        email: email.into(),
        email_verified: true,
        password: PASSWORD.into(),
        name: Some("Ana Lima".into()),
        phone: phone.map(str::to_string),
        member_id: None,
    };
    let account_id = w.identity.create_account(new).await.expect("account");
    Person { email: email.into(), account_id, totp: None }
}

/// Camille, proofed against the population register through the exchange (as the proofing
/// page does), so that the register's claims (`given_name`, `address` …) are released.
pub async fn verified_citizen(w: &World, email: &str, phone: Option<&str>) -> Person {
    publica_kernel::block::KernelBlock.seed_demo(&w.app.kernel).await.expect("kernel demo");
    ExchangeBlock.seed_demo(&w.app.kernel).await.expect("exchange demo");
    let kernel = &w.app.kernel;
    let registry = kernel.get::<Registry>().expect("registry");
    let registrar = kernel.organisation_by_slug("civil-registry").await.expect("read").expect("registrar");
    let actor = Actor::system("test");
    let camille = publica_registry::domain::builtin::example_person();
    registry.create(&actor, registrar.id, publica_registry::POPULATION, camille, None).await.expect("camille");
    let exchange = kernel.get::<publica_exchange::Exchange>().expect("exchange");
    let persons =
        exchange.eservices(None).await.expect("catalogue").into_iter().find(|e| e.code == "persons").expect("persons");
    let operator = kernel.organisation_by_slug("demoland-digital").await.expect("read").expect("operator");
    let spec =
        ProofingSetupSpec::national_sign_in(operator.id, &persons.xroad_id, "Demoland Digital Identity Act, s. 7");
    let pending = w.identity.setup_proofing(&actor, &spec).await.expect("setup");
    let by = Caller::new(registrar.id, registrar.kind, actor.clone());
    exchange.agreement_step(&by, pending.agreement_id, AgreementStep::Approve, Some("sign-in")).await.expect("approve");
    assert!(w.identity.setup_proofing(&actor, &spec).await.expect("setup").ready(), "a purpose once approved");

    let person = citizen(w, email, phone).await;
    let input = FactsInput {
        national_id: CAMILLE.into(),
        given_name: "Camille".into(),
        family_name: "Martin".into(),
        birthdate: "1985-06-12".into(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let facts = publica_identity::proofing::facts::check(&input, today).expect("well-formed facts");
    let outcome = w.identity.proof(person.account_id, &facts, &Origin::default()).await.expect("proofing");
    assert!(matches!(outcome, ProofingOutcome::Verified(_)), "proofed: {outcome:?}");
    person
}

/// An answer of a back-channel endpoint.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A token request with the client's authentication.
pub async fn token_request(w: &World, rp: &Rp, auth: Auth, fields: &[(&str, &str)]) -> Answer {
    let secret = rp.secret.clone().expect("a confidential client");
    let mut all = fields.to_vec();
    let mut headers = Vec::new();
    match auth {
        Auth::Basic => headers.push(rp.basic()),
        Auth::Post => all.extend([("client_id", rp.client_id.as_str()), ("client_secret", secret.as_str())]),
    }
    let (status, body, headers) = w.form("/identity/token", &all, &headers).await;
    Answer { status, body, headers }
}

/// Exchange a code as the suite does.
pub async fn redeem(w: &World, rp: &Rp, auth: Auth, code: &str, verifier: Option<&str>) -> Answer {
    let mut fields = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &rp.redirect_uri)];
    if let Some(v) = verifier {
        fields.push(("code_verifier", v));
    }
    token_request(w, rp, auth, &fields).await
}

/// The characters RFC 6749 allows in `error` and `error_description` (§5.2, §4.1.2.1).
pub fn oauth_text(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// A rough Shannon estimate of a token's entropy in bits, as the suite's
/// `EnsureMinimum…Entropy` conditions make it (they ask for 96 bits, 128 with slack).
pub fn entropy_bits(text: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = text.chars().count() as f64;
    counts.values().map(|&k| k as f64 / n).map(|p| -p * p.log2()).sum::<f64>() * n
}

/// Check a successful authorization response (`CheckMatchingCallbackParameters`,
/// `CheckMatchingStateParameter`, RFC 9207 `iss`, the code's length and entropy) and return
/// the code.
pub fn callback(w: &World, location: &str, rp: &Rp, state: &str) -> String {
    assert!(location.starts_with(&format!("{}?", rp.redirect_uri)), "back at the client: {location}");
    let q = query_of(location);
    assert!(!q.contains_key("error"), "no error: {location}");
    assert_eq!(q.get("state").map(String::as_str), Some(state), "state intact: {location}");
    assert_eq!(q.get("iss").map(String::as_str), Some(w.issuer().as_str()), "RFC 9207 iss");
    let mut names: Vec<&str> = q.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["code", "iss", "state"], "nothing else in the response");
    let code = q["code"].clone();
    assert!(code.len() >= 22, "RFC 6749 §10.10: a code hard to guess: {code}");
    assert!(entropy_bits(&code) >= 96.0, "entropy of {code}");
    code
}

/// Check an error sent back to the client: one of `errors`, the state intact, `iss`, text
/// RFC 6749 allows, and no code.
pub fn error_callback(w: &World, location: &str, rp: &Rp, state: &str, errors: &[&str]) -> BTreeMap<String, String> {
    assert!(location.starts_with(&format!("{}?", rp.redirect_uri)), "back at the client: {location}");
    let q = query_of(location);
    let error = q.get("error").map(String::as_str).unwrap_or_default();
    assert!(errors.contains(&error), "one of {errors:?}: {location}");
    assert!(oauth_text(error) && q.get("error_description").is_none_or(|d| oauth_text(d)), "RFC 6749 text");
    assert_eq!(q.get("state").map(String::as_str), Some(state), "state intact: {location}");
    assert_eq!(q.get("iss").map(String::as_str), Some(w.issuer().as_str()), "RFC 9207 iss");
    assert!(!q.contains_key("code"));
    q
}

/// Check an OAuth error answer of the token endpoint (`CheckTokenEndpointHttpStatus400`,
/// `CheckTokenEndpointReturnedJsonContentType`, `ValidateErrorFromTokenEndpointResponseError`,
/// `ValidateErrorDescriptionFromTokenEndpointResponseError`).
pub fn token_error(answer: &Answer, error: &str) {
    let status = if error == "invalid_client" { 401 } else { 400 };
    assert_eq!(answer.status, status, "{}", answer.body);
    assert!(answer.header("content-type").starts_with("application/json"));
    assert_eq!(answer.body["error"], error, "{}", answer.body);
    let description = answer.body["error_description"].as_str().unwrap_or_default();
    assert!(oauth_text(description) && !description.contains(['\r', '\n', '\t']), "{description}");
    assert!(answer.body.get("error_uri").is_none());
}

/// What a token response gave, checked.
pub struct Tokens {
    pub access: String,
    pub id_token: String,
    pub header: Value,
    pub id: Map<String, Value>,
    pub refresh: Option<String>,
    pub body: Value,
}

/// Check a successful token response (`CheckTokenEndpointHttpStatus200`, JSON, `no-store`,
/// `CheckTokenTypeIsBearer`, `ValidateExpiresIn`, the access token's characters and entropy)
/// and its ID token.
pub async fn check_tokens(w: &World, rp: &Rp, answer: &Answer, nonce: Option<&str>) -> Tokens {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.header("content-type").starts_with("application/json"));
    assert!(answer.header("cache-control").split(',').any(|d| d.trim() == "no-store"));
    assert!(answer.headers.get("pragma").is_none() || answer.header("pragma") == "no-cache");
    let body = answer.body.clone();
    assert!(body["token_type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("bearer")), "{body}");
    assert!(body["expires_in"].as_i64().is_some_and(|e| e > 0), "{body}");
    let access = body["access_token"].as_str().expect("access_token").to_string();
    assert!(access.bytes().all(|b| (0x20..=0x7E).contains(&b)) && entropy_bits(&access) >= 128.0);
    let refresh = body["refresh_token"].as_str().map(str::to_string);
    if let Some(r) = &refresh {
        assert!(r.bytes().all(|b| (0x20..=0x7E).contains(&b)), "RFC 6749 A.17");
        assert!(r.len() >= 22 && entropy_bits(r) >= 96.0, "RFC 6749 §10.10");
    }
    let id_token = body["id_token"].as_str().expect("an ID token").to_string();
    let (header, id) = check_id_token(w, rp, &id_token, nonce, Some(&access)).await;
    Tokens { access, id_token, header, id, refresh, body }
}

/// Check an ID token (`ValidateIdToken`, `ValidateIdTokenNonce`, `ValidateIdTokenSignature`,
/// `ValidateIdTokenSignatureUsingKid`, `CheckForSubjectInIdToken`, `ValidateAtHash`): signed by
/// a published key named by its `kid`, for this client, current, the nonce asked for (or none),
/// and without the claims that scopes release at userinfo (`EnsureIdTokenDoesNotContainName`).
pub async fn check_id_token(
    w: &World,
    rp: &Rp,
    token: &str,
    nonce: Option<&str>,
    access: Option<&str>,
) -> (Value, Map<String, Value>) {
    let (header, claims) = w.verify(token).await;
    assert!(header["kid"].as_str().is_some_and(|k| !k.is_empty()), "OIDCC-10.1: kid");
    assert_ne!(header["alg"], "none");
    assert_eq!(claims["iss"], w.issuer().as_str());
    let aud_ok = match &claims["aud"] {
        Value::String(a) => *a == rp.client_id,
        Value::Array(list) => list.iter().any(|a| a == rp.client_id.as_str()),
        _ => false,
    };
    assert!(aud_ok, "aud: {claims:?}");
    let now = now();
    assert!(claims["exp"].as_i64().is_some_and(|e| e > now), "not expired");
    assert!(claims["iat"].as_i64().is_some_and(|i| i <= now + 5), "not issued in the future");
    let sub = claims["sub"].as_str().expect("sub");
    assert!(!sub.is_empty() && sub.len() <= 255 && sub.is_ascii());
    assert_eq!(claims.get("nonce").and_then(Value::as_str), nonce, "nonce");
    if let (Some(at_hash), Some(access)) = (claims.get("at_hash"), access) {
        assert_eq!(at_hash, b64url(&sha256(access.as_bytes())[..16]).as_str(), "at_hash");
    }
    assert!(claims.get("name").is_none(), "scope claims are for userinfo");
    (header, claims)
}

/// The whole happy path from the authorization response at `location` to checked tokens.
pub async fn happy(w: &World, rp: &Rp, auth: Auth, location: &str, nonce: Option<&str>) -> Tokens {
    let code = callback(w, location, rp, "state-123");
    let answer = redeem(w, rp, auth, &code, None).await;
    check_tokens(w, rp, &answer, nonce).await
}

/// Sign `person` in through `start` (consenting when asked) and redeem the code.
pub async fn sign_in(w: &World, browser: &mut Browser<'_>, rp: &Rp, person: &Person, start: &str) -> Tokens {
    let location = browser.authorize(start, person).await;
    happy(w, rp, Auth::Basic, &location, query_of(start).get("nonce").map(String::as_str)).await
}

/// How the access token goes to userinfo.
#[derive(Clone, Copy, Debug)]
pub enum How {
    Get,
    PostHeader,
    PostBody,
}

pub async fn userinfo(w: &World, token: &str, how: How) -> Answer {
    let request = match how {
        How::Get => Request::get("/identity/userinfo")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty()),
        How::PostHeader => Request::post("/identity/userinfo")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty()),
        How::PostBody => Request::post("/identity/userinfo")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("access_token={token}"))),
    };
    let response = w.app.request(request.expect("request")).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), headers }
}

/// Userinfo for the tokens, checked as the suite's scope modules do: JSON, `sub` that of the
/// ID token (`VerifyUserInfoAndIdTokenInTokenEndpointSameSub`), standard claims of the right
/// types (`ValidateUserInfoStandardClaims`, `EnsureUserInfoBirthDateValid`,
/// `EnsureUserInfoUpdatedAtValid`).
pub async fn checked_userinfo(w: &World, tokens: &Tokens, how: How) -> Map<String, Value> {
    let answer = userinfo(w, &tokens.access, how).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.header("content-type").starts_with("application/json"));
    let info = answer.body.as_object().expect("a JSON object").clone();
    assert_eq!(info.get("sub"), tokens.id.get("sub"), "the same sub as the ID token");
    standard_claims(&info);
    info
}

/// The standard claims of OpenID Connect Core §5.1 have their types.
pub fn standard_claims(info: &Map<String, Value>) {
    for (name, value) in info {
        match name.as_str() {
            "email_verified" | "phone_number_verified" => assert!(value.is_boolean(), "{name}: {value}"),
            "updated_at" => assert!(value.is_i64(), "{name}: {value}"),
            "address" => {
                let members = value.as_object().expect("address is an object");
                for (member, v) in members {
                    assert!(
                        ["formatted", "street_address", "locality", "region", "postal_code", "country"]
                            .contains(&member.as_str())
                            && v.is_string(),
                        "address.{member}: {v}"
                    );
                }
            }
            "birthdate" => {
                // YYYY, or YYYY-MM-DD (0000 when the year is withheld).
                let text = value.as_str().expect("birthdate is a string");
                let number = |part: &str| part.parse::<u8>().ok();
                let ok = match text.split('-').collect::<Vec<_>>().as_slice() {
                    [year] => year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()),
                    [year, month, day] => {
                        let month = number(month).and_then(|m| time::Month::try_from(m).ok());
                        let year = year.parse::<i32>().ok().filter(|_| year.len() == 4);
                        match (year, month, number(day)) {
                            (Some(y), Some(m), Some(d)) => time::Date::from_calendar_date(y.max(4), m, d).is_ok(),
                            _ => false,
                        }
                    }
                    _ => false,
                };
                assert!(ok, "birthdate {text}");
            }
            _ => assert!(value.is_string(), "{name}: {value}"),
        }
    }
}

/// The discovery document, fetched where the issuer says it is.
pub async fn discovery(w: &World) -> (u16, String, Value) {
    let path = format!("{}/.well-known/openid-configuration", w.issuer());
    let path = path.strip_prefix(PUBLIC_URL).expect("under the public URL").to_string();
    let response = w.app.get(&path).await;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, content_type, serde_json::from_slice(&bytes).expect("JSON"))
}

/// The signed-in person of `browser` (the session the provider sees).
pub async fn session_of(w: &World, browser: &Browser<'_>) -> Option<publica_identity::domain::SignedIn> {
    let mut headers = HeaderMap::new();
    let cookie = browser.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    headers.insert(header::COOKIE, cookie.parse().expect("cookie"));
    w.identity.signed_in(&headers).await.expect("read the session")
}
