//! Explicit requests for evidence: the consumer asks, the person previews the data and
//! decides on a CSRF-protected page that opens only for them, signed in with a verified
//! identity (here through the kernel's stand-in identity provider, `TestSignIn`), and only an
//! approval releases the data — once, exactly as previewed, through the message log and the
//! person's data-usage log.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::audit::Actor;
use publica_kernel::citizen::{Aal, Citizen, Ial};
use publica_kernel::db::Timestamp;
use publica_kernel::on_db;
use publica_registry::Registry;
use serde_json::{Value, json};

use super::{ADULT, BUSINESS, World, audit_actions, voucher, worlds, worlds_without_sign_in};

const API: &str = "/exchange/evidence-requests";
const RETURN: &str = "https://benefits.example/return?case=7";

fn sha512(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, data).as_ref().to_vec()
}

fn body_for(world: &World, service: &str, id: &str, national_id: &str) -> Value {
    json!({
        "service_path": world.path(service, id),
        "national_id": national_id,
        "return_url": RETURN,
        "requester_title": "Housing benefit application",
        "reason": "To check your identity and address for your housing benefit",
    })
}

/// A consumer call with the demo client's header and `voucher`.
async fn consumer(world: &World, method: &str, path: &str, voucher: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut builder = Request::builder().method(method).uri(path).header("x-road-client", world.client_header());
    if let Some(v) = voucher {
        builder = builder.header("authorization", format!("Bearer {v}"));
    }
    let request = match body {
        Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string())),
        None => builder.body(Body::empty()),
    };
    let response = world.app.request(request.expect("request")).await;
    let status = response.status().as_u16();
    if status == 200 || status == 201 {
        assert_eq!(response.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    }
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Create a request; its id and preview URL.
async fn create(world: &World, voucher: &str, body: Value) -> (String, String) {
    let (status, created) = consumer(world, "POST", API, Some(voucher), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "pending");
    let id = created["id"].as_str().expect("id").to_string();
    let url = created["preview_url"].as_str().expect("preview_url").to_string();
    assert_eq!(url, format!("/exchange/evidence/{id}"), "the link only names the request");
    (id, url)
}

async fn fetch(world: &World, voucher: &str, id: &str) -> (u16, Value) {
    consumer(world, "GET", &format!("{API}/{id}"), Some(voucher), None).await
}

async fn usage_of(world: &World, national_id: &str) -> Vec<Value> {
    publica_exchange::log::usage(world.app.kernel.db(), national_id, None, 100, Timestamp::now())
        .await
        .expect("usage")
        .entries
}

async fn log_count(world: &World) -> i64 {
    on_db!(world.app.kernel.db(), pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM exchange_log")
        .fetch_one(pool).await.expect("count"))
}

/// Whether the request still holds sealed data.
async fn holds_data(world: &World, id: &str) -> bool {
    let id = uuid::Uuid::try_parse(id).expect("uuid");
    on_db!(world.app.kernel.db(), pool => sqlx::query_scalar::<_, Option<Vec<u8>>>(
        "SELECT snapshot FROM exchange_evidence_requests WHERE id = $1")
        .bind(id).fetch_one(pool).await.expect("row"))
    .is_some()
}

/// Move a request's deadlines into the past.
async fn age(world: &World, id: &str, column: &str) {
    let id = uuid::Uuid::try_parse(id).expect("uuid");
    let past = Timestamp::now().plus(time::Duration::minutes(-1));
    let sql = sqlx::AssertSqlSafe(format!("UPDATE exchange_evidence_requests SET {column} = $1 WHERE id = $2"));
    on_db!(world.app.kernel.db(), pool => sqlx::query(sql).bind(past).bind(id).execute(pool).await.expect("update").rows_affected());
}

/// A browser: cookies kept across requests, one language.
struct Browser<'a> {
    world: &'a World,
    lang: &'static str,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    location: String,
    cache_control: String,
    html: String,
}

impl Page {
    fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.html.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no {name} field"));
        self.html[start..].split('"').next().unwrap_or_default().to_string()
    }
}

impl<'a> Browser<'a> {
    fn new(world: &'a World, lang: &'static str) -> Browser<'a> {
        Browser { world, lang, cookies: HashMap::new() }
    }

    /// A browser signed in as the person with this national id, verified, with two factors.
    fn person(world: &'a World, lang: &'static str, national_id: &str) -> Browser<'a> {
        let mut browser = Browser::new(world, lang);
        browser.sign_in(Some(national_id), Aal::Aal2);
        browser
    }

    /// Sign in at the stand-in identity provider: verified with `national_id`, or not verified.
    fn sign_in(&mut self, national_id: Option<&str>, aal: Aal) {
        let citizen = Citizen {
            account_id: uuid::Uuid::now_v7(),
            national_id: national_id.map(str::to_string),
            ial: if national_id.is_some() { Ial::Verified } else { Ial::None },
            aal,
            auth_time: Timestamp::now(),
        };
        let cookie = self.world.sign_in.as_ref().expect("an identity provider").sign_in(citizen);
        let (name, value) = cookie.split_once('=').expect("name=value");
        self.cookies.insert(name.to_string(), value.to_string());
    }

    async fn send(&mut self, builder: axum::http::request::Builder, body: Body) -> Page {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut builder = builder.header("accept", "text/html").header("accept-language", self.lang);
        if !cookie.is_empty() {
            builder = builder.header("cookie", cookie.join("; "));
        }
        let response = self.world.app.request(builder.body(body).expect("request")).await;
        for set in response.headers().get_all("set-cookie") {
            let text = set.to_str().expect("cookie");
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let (location, cache_control) = (header("location"), header("cache-control"));
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Page { status, location, cache_control, html: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let form = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let builder = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        self.send(builder, Body::from(form)).await
    }

    /// Follow the preview link as the person.
    async fn open(&mut self, preview_url: &str) -> Page {
        let page = self.get(preview_url).await;
        assert_eq!(page.status, 200, "{}", page.html);
        assert_eq!(page.cache_control, "no-store");
        page
    }

    /// Press one of the decision buttons of `page`.
    async fn decide(&mut self, page_path: &str, page: &Page, decision: &str) -> Page {
        let csrf = page.field("_csrf");
        let digest = if page.html.contains("name=\"digest\"") { page.field("digest") } else { String::new() };
        self.post(page_path, &[("_csrf", &csrf), ("digest", &digest), ("decision", decision)]).await
    }
}

fn page_path(preview_url: &str) -> String {
    preview_url.to_string()
}

#[tokio::test]
async fn an_approved_request_releases_the_previewed_data_once_and_logs_it() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let (status, answer) = fetch(&world, &token, &id).await;
        assert_eq!((status, answer["status"].as_str()), (200, Some("pending")), "{answer}");
        assert!(answer.get("data").is_none());

        let mut browser = Browser::person(&world, "en", ADULT);
        let page = browser.open(&url).await;
        let consumer_name = world.app.kernel.organisation_by_slug("tax-office").await.expect("read").expect("org").name;
        for expected in [
            consumer_name.as_str(),
            "Housing benefit application",
            "To check your identity and address",
            "Income tax assessment",
            "Demoland Income Tax Act, s. 12",
            "Person lookup",
            "Demoland Civil Registry",
            "<li>Birth date</li>",
            "Martin",
            "Camille Anne",
            "Residence › Municipality",
        ] {
            assert!(page.html.contains(expected), "{expected} on the preview page");
        }
        assert!(page.html.contains("lang=\"en\""));
        let (_, answer) = fetch(&world, &token, &id).await;
        assert_eq!(answer["status"], "pending", "previewing releases nothing");
        assert!(answer.get("data").is_none());
        assert_eq!(log_count(&world).await, 0);

        // The register changes after the preview: the person approves what they saw.
        let registry = world.app.kernel.get::<Registry>().expect("registry");
        let mut changed = publica_registry::domain::builtin::example_person();
        changed["family_name"] = json!("Martin-Durand");
        let registrar = world.org_id("civil-registry").await;
        registry
            .change(&Actor::system("test"), registrar, publica_registry::POPULATION, ADULT, changed, None)
            .await
            .expect("change");

        let done = browser.decide(&page_path(&url), &page, "approve").await;
        assert_eq!(done.status, 303, "{}", done.html);
        assert_eq!(done.location, format!("{RETURN}&request={id}&decision=approved"));

        let (status, answer) = fetch(&world, &token, &id).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["status"], "approved");
        assert_eq!(answer["data"]["family_name"], "Martin", "exactly what was previewed");
        assert_eq!(answer["data"], publica_registry::domain::builtin::example_person());
        assert!(answer["released_at"].is_string());
        assert!(answer["data_items"].as_array().expect("items").iter().any(|i| i == "birth_date"));
        let body = serde_json::to_vec(&answer["data"]).expect("json");
        assert_eq!(answer["response_hash"], STANDARD.encode(sha512(&body)), "the hash of the released bytes");
        assert!(!holds_data(&world, &id).await, "deleted after release");

        let (status, again) = fetch(&world, &token, &id).await;
        assert_eq!(status, 200);
        assert_eq!(again["status"], "approved");
        assert!(again.get("data").is_none() && again.get("data_base64").is_none(), "released once: {again}");
        assert_eq!(again["released_at"], answer["released_at"]);

        assert_eq!(log_count(&world).await, 1);
        let entries = usage_of(&world, ADULT).await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["request_id"], id.as_str());
        let text = entries[0].to_string();
        for expected in [consumer_name.as_str(), "Income tax assessment", "Person lookup", "family_name"] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        let actions = audit_actions(&world.app).await;
        for action in ["exchange.evidence.requested", "exchange.evidence.approved"] {
            assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
        }
        let details: String = on_db!(world.app.kernel.db(), pool => sqlx::query_scalar(
            "SELECT details FROM kernel_audit WHERE action = 'exchange.evidence.approved'")
            .fetch_one(pool).await.expect("audit"));
        let details: Value = serde_json::from_str(&details).expect("json");
        assert_eq!(details["authenticated_by"], "identity", "{details}");
        assert_eq!(details["aal"], "aal2", "{details}");
        assert!(details["account_id"].is_string() && details["auth_time"].is_string(), "{details}");

        let shown = browser.get(&page_path(&url)).await;
        assert_eq!(shown.status, 200);
        assert!(shown.html.contains("You agreed"), "{}", shown.html);
        let again = browser.decide(&page_path(&url), &shown, "refuse").await;
        assert_eq!(again.status, 409, "decided requests cannot be decided again");
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "approved");
    }
}

#[tokio::test]
async fn a_refused_request_never_releases_anything() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "en", ADULT);
        let page = browser.open(&url).await;
        assert!(holds_data(&world, &id).await, "the preview is kept sealed until the decision");
        let done = browser.decide(&page_path(&url), &page, "refuse").await;
        assert_eq!(done.status, 303, "{}", done.html);
        assert_eq!(done.location, format!("{RETURN}&request={id}&decision=refused"));
        assert!(!holds_data(&world, &id).await, "refusing deletes the previewed data");
        for _ in 0..2 {
            let (status, answer) = fetch(&world, &token, &id).await;
            assert_eq!((status, answer["status"].as_str()), (200, Some("refused")), "{answer}");
            assert!(answer.get("data").is_none() && answer.get("released_at").is_none(), "{answer}");
        }
        let again = browser.decide(&page_path(&url), &page, "approve").await;
        assert_eq!(again.status, 409, "a refusal is final");
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "refused");
        assert!(usage_of(&world, ADULT).await.is_empty());
        assert_eq!(log_count(&world).await, 0);
        assert!(audit_actions(&world.app).await.iter().any(|a| a == "exchange.evidence.refused"));
    }
}

#[tokio::test]
async fn only_the_person_signed_in_with_a_verified_identity_sees_and_decides() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let path = page_path(&url);
        let sign_in = format!("/test/sign-in?return_to=%2Fexchange%2Fevidence%2F{id}&aal=aal2");
        let consumer_name = world.app.kernel.organisation_by_slug("tax-office").await.expect("read").expect("org").name;
        let private = |page: &Page| {
            for secret in [ADULT, "Martin", "Housing benefit", consumer_name.as_str()] {
                assert!(!page.html.contains(secret), "{secret} shown: {}", page.html);
            }
        };

        // Not signed in, signed in with one factor, or not verified: first to the identity
        // provider, then back. The link alone, even with a token of old, opens nothing.
        let mut stranger = Browser::new(&world, "en");
        for to in [path.clone(), format!("{path}?t=anything")] {
            let away = stranger.get(&to).await;
            assert_eq!((away.status, away.location.as_str()), (303, sign_in.as_str()), "{to}");
            private(&away);
        }
        let mut weak = Browser::new(&world, "en");
        weak.sign_in(Some(ADULT), Aal::Aal1);
        let step_up = weak.get(&path).await;
        assert_eq!((step_up.status, step_up.location.as_str()), (303, sign_in.as_str()), "two factors needed");
        let mut unverified = Browser::new(&world, "en");
        unverified.sign_in(None, Aal::Aal2);
        let proofing = unverified.get(&path).await;
        assert_eq!(proofing.status, 303);
        assert_eq!(proofing.location, format!("/test/proofing?return_to=%2Fexchange%2Fevidence%2F{id}"));

        // Someone else, verified: told it is not theirs, and nothing about whose it is.
        let mut other = Browser::person(&world, "en", &world.other);
        let refused = other.get(&path).await;
        assert_eq!(refused.status, 403, "{}", refused.html);
        assert_eq!(refused.cache_control, "no-store");
        assert!(refused.html.contains("This request is for someone else"), "{}", refused.html);
        let again = format!("{sign_in}&again=1");
        assert!(publica_kernel::testing::unescape(&refused.html).contains(&again), "{again}: {}", refused.html);
        private(&refused);

        let mut person = Browser::person(&world, "en", ADULT);
        let page = person.open(&url).await;
        assert!(page.html.contains("Martin"));
        let digest = page.field("digest");
        let csrf = other.get("/").await.field("_csrf");
        let forged = other.post(&path, &[("_csrf", &csrf), ("digest", &digest), ("decision", "approve")]).await;
        assert_eq!(forged.status, 403, "only the person decides");
        private(&forged);
        let csrf = stranger.get("/").await.field("_csrf");
        let anonymous = stranger.post(&path, &[("_csrf", &csrf), ("digest", &digest), ("decision", "approve")]).await;
        assert_eq!((anonymous.status, anonymous.location.as_str()), (303, sign_in.as_str()));
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "pending");

        // The person's session ends before they press the button: they sign in again first.
        world.sign_in.as_ref().expect("sign-in").sign_out_everyone();
        let ended = person.decide(&path, &page, "approve").await;
        assert_eq!((ended.status, ended.location.as_str()), (303, sign_in.as_str()));
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "pending", "nothing decided");

        assert_eq!(stranger.get(&format!("/exchange/evidence/{}", uuid::Uuid::now_v7())).await.status, 404);
        assert_eq!(stranger.get("/exchange/evidence/nonsense").await.status, 404);

        // The consumer's side: the voucher and header are checked as at the gateway.
        let (status, problem) = consumer(&world, "GET", &format!("{API}/{id}"), None, None).await;
        assert_eq!(status, 401, "{problem}");
        let checks = voucher(&world, &world.purpose("person_checks")).await;
        let (status, problem) = fetch(&world, &checks, &id).await;
        assert_eq!(status, 403, "a voucher for another e-service: {problem}");
        let (status, _) = fetch(&world, &token, &uuid::Uuid::now_v7().to_string()).await;
        assert_eq!(status, 404);
        for (field, value, bad) in [
            ("national_id", "national_id", json!("19850612345")),
            ("return_url", "return_url", json!("javascript:alert(1)")),
            ("service_path", "service_path", json!("/r1/DL/GOV/70000001/population/nothing/1")),
            ("requester_title", "requester_title", json!("  ")),
        ] {
            let mut body = body_for(&world, "person_lookup", ADULT, ADULT);
            body[value] = bad;
            let (status, problem) = consumer(&world, "POST", API, Some(&token), Some(body)).await;
            assert_eq!(status, 422, "{problem}");
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        let (status, problem) =
            consumer(&world, "POST", API, Some(&checks), Some(body_for(&world, "person_lookup", ADULT, ADULT))).await;
        assert_eq!(status, 403, "the voucher must be for the requested e-service: {problem}");
    }
}

#[tokio::test]
async fn data_about_someone_else_is_neither_shown_nor_sendable() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("business_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "business_lookup", BUSINESS, &world.minor)).await;
        let mut browser = Browser::person(&world, "en", &world.minor);
        let page = browser.open(&url).await;
        assert!(page.html.contains("This data is not about you"), "{}", page.html);
        assert!(!page.html.contains("Martin Bakery"), "nothing about others is shown");
        assert!(!page.html.contains("name=\"digest\""), "nothing to agree to");
        let forced = browser.post(&page_path(&url), &[("_csrf", &page.field("_csrf")), ("decision", "approve")]).await;
        assert_eq!(forced.status, 409);
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "pending");
        let back = browser.decide(&page_path(&url), &page, "refuse").await;
        assert_eq!(back.status, 303);
        assert!(usage_of(&world, &world.minor).await.is_empty());
    }
}

#[tokio::test]
async fn requests_expire_undecided_or_unfetched() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;

        // Undecided in time: the form no longer works and the data is gone.
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "en", ADULT);
        let page = browser.open(&url).await;
        age(&world, &id, "expires_at").await;
        let late = browser.decide(&page_path(&url), &page, "approve").await;
        assert_eq!(late.status, 409);
        assert!(late.html.contains("This request has expired"), "{}", late.html);
        assert!(!holds_data(&world, &id).await);
        let (_, answer) = fetch(&world, &token, &id).await;
        assert_eq!(answer["status"], "expired");
        assert!(answer.get("data").is_none());

        // Approved, but not fetched in time.
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "en", ADULT);
        let page = browser.open(&url).await;
        assert_eq!(browser.decide(&page_path(&url), &page, "approve").await.status, 303);
        age(&world, &id, "release_until").await;
        let (_, answer) = fetch(&world, &token, &id).await;
        assert_eq!(answer["status"], "expired", "{answer}");
        assert!(answer.get("data").is_none());
        assert!(!holds_data(&world, &id).await);
        assert!(usage_of(&world, ADULT).await.is_empty());

        // Housekeeping expires what nobody touches.
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        Browser::person(&world, "en", ADULT).open(&url).await;
        age(&world, &id, "expires_at").await;
        assert!(publica_exchange::evidence::purge_expired(&world.app.kernel).await.expect("purge") >= 1);
        assert!(!holds_data(&world, &id).await);
        let uuid = uuid::Uuid::try_parse(&id).expect("uuid");
        let status: String = on_db!(world.app.kernel.db(), pool => sqlx::query_scalar(
            "SELECT status FROM exchange_evidence_requests WHERE id = $1").bind(uuid).fetch_one(pool).await.expect("row"));
        assert_eq!(status, "expired");
        assert_eq!(log_count(&world).await, 0);
    }
}

#[tokio::test]
async fn the_decision_form_needs_its_csrf_token() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "en", ADULT);
        let page = browser.open(&url).await;
        let digest = page.field("digest");
        let missing = browser.post(&page_path(&url), &[("digest", &digest), ("decision", "approve")]).await;
        assert_eq!(missing.status, 403);
        let wrong =
            browser.post(&page_path(&url), &[("_csrf", "forged"), ("digest", &digest), ("decision", "approve")]).await;
        assert_eq!(wrong.status, 403);
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "pending", "no decision was taken");
        let done = browser.decide(&page_path(&url), &page, "approve").await;
        assert_eq!(done.status, 303, "with its token the same form works");
    }
}

#[tokio::test]
async fn an_approval_answers_the_latest_preview_only() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "en", ADULT);
        let first = browser.open(&url).await;
        let second = browser.get(&page_path(&url)).await;
        assert_eq!(second.status, 200);
        assert_ne!(first.field("digest"), second.field("digest"), "each preview is sealed anew");
        let stale = browser.decide(&page_path(&url), &first, "approve").await;
        assert_eq!(stale.status, 409);
        assert!(stale.html.contains("loaded again in another window"), "{}", stale.html);
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "pending");
        let done = browser.decide(&page_path(&url), &stale, "approve").await;
        assert_eq!(done.status, 303, "the page shown with the notice is the latest preview");
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "approved");
    }
}

#[tokio::test]
async fn the_preview_page_speaks_french() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_checks")).await;
        let (_, url) = create(&world, &token, body_for(&world, "person_over_18", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "fr", ADULT);
        let page = browser.open(&url).await;
        assert!(page.html.contains("lang=\"fr\""));
        for expected in ["Partager vos données ?", "Qui demande", "Base légale", "Ne pas transmettre", "Oui"] {
            assert!(page.html.contains(expected), "{expected} on the French page");
        }
        assert!(!page.html.contains("Share your data"), "no English left");
        assert!(page.html.contains("<li>Over 18</li>"), "the check is the data item");
    }
}

#[tokio::test]
async fn a_release_that_cannot_be_logged_does_not_happen() {
    for world in worlds().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        let mut browser = Browser::person(&world, "en", ADULT);
        let page = browser.open(&url).await;
        assert_eq!(browser.decide(&page_path(&url), &page, "approve").await.status, 303);
        let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
        let away = sqlx::AssertSqlSafe(rename("exchange_log", "exchange_log_unavailable"));
        on_db!(world.app.kernel.db(), pool => sqlx::query(away).execute(pool).await.expect("rename").rows_affected());
        let (status, problem) = fetch(&world, &token, &id).await;
        assert_eq!(status, 503, "{problem}");
        assert!(!problem.to_string().contains("Martin"), "no data: {problem}");
        let back = sqlx::AssertSqlSafe(rename("exchange_log_unavailable", "exchange_log"));
        on_db!(world.app.kernel.db(), pool => sqlx::query(back).execute(pool).await.expect("rename").rows_affected());
        let (status, answer) = fetch(&world, &token, &id).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["data"]["family_name"], "Martin", "the data waited for a release that is logged");
        assert_eq!(usage_of(&world, ADULT).await.len(), 1);
    }
}

#[tokio::test]
async fn without_an_identity_provider_the_page_says_signing_in_is_unavailable() {
    for world in worlds_without_sign_in().await {
        let token = voucher(&world, &world.purpose("person_lookup")).await;
        let (id, url) = create(&world, &token, body_for(&world, "person_lookup", ADULT, ADULT)).await;
        for lang in ["en", "fr"] {
            let mut browser = Browser::new(&world, lang);
            let page = browser.get(&url).await;
            assert_eq!(page.status, 503, "{}", page.html);
            let title =
                if lang == "en" { "Signing in is not available" } else { "La connexion n’est pas disponible" };
            assert!(page.html.contains(title), "{}", page.html);
            assert!(!page.html.contains("Martin"));
            let csrf = browser.get("/").await.field("_csrf");
            let post = browser.post(&url, &[("_csrf", &csrf), ("decision", "refuse")]).await;
            assert_eq!(post.status, 503);
        }
        assert_eq!(fetch(&world, &token, &id).await.1["status"], "pending");
    }
}
