//! Integration tests of proofing: the identity provider set up as an ordinary consumer of the
//! exchange, proofing through the token endpoint and gateway (usage log, message log, audit),
//! the limits, the refusals, an unavailable register, and the staff sign-in.

use std::sync::Arc;

use publica_exchange::service::Caller;
use publica_exchange::service::agreements::AgreementStep;
use publica_exchange::service::purposes::PurposeStep;
use publica_exchange::{Exchange, ExchangeBlock};
use publica_identity::accounts::Origin;
use publica_identity::proofing::facts::{FactsInput, check};
use publica_identity::proofing::setup::PURPOSE_TITLE;
use publica_identity::proofing::{Facts, ProofingOutcome, ProofingSetupSpec, ProofingSetupStatus};
use publica_identity::{Identity, IdentityBlock};
use publica_kernel::Block;
use publica_kernel::audit::Actor;
use publica_kernel::testing::TestApp;
use publica_notify::NotifyBlock;
use publica_registry::{Registry, RegistryBlock};
use serde_json::{Value, json};
use uuid::Uuid;

/// The registry's example person: Camille Anne Martin, born 1985-06-12, alive, in Demopolis.
pub const CAMILLE: &str = "19850612344";
pub const LEGAL_BASIS: &str = "Demoland Digital Identity Act, s. 7";

pub struct World {
    pub app: TestApp,
    pub identity: Arc<Identity>,
    pub exchange: Arc<Exchange>,
    pub status: ProofingSetupStatus,
    pub deceased: String,
    pub emigrated: String,
}

impl World {
    pub async fn caller(&self, slug: &str) -> Caller {
        let org = self.app.kernel.organisation_by_slug(slug).await.expect("read").expect("organisation");
        Caller::new(org.id, org.kind, Actor::system("test"))
    }

    pub async fn spec(&self) -> ProofingSetupSpec {
        let operator = self.app.kernel.organisation_by_slug("demoland-digital").await.expect("read").expect("org");
        ProofingSetupSpec::national_sign_in(operator.id, &persons_service(&self.exchange).await, LEGAL_BASIS)
    }

    pub async fn usage(&self, national_id: &str) -> Vec<Value> {
        let provider = self.app.kernel.get::<publica_registry::UsageProvider>().expect("usage provider");
        provider.0.usage(national_id, None, 100).await.expect("usage").entries
    }

    pub async fn audit(&self) -> Vec<(String, String)> {
        use publica_kernel::on_db;
        on_db!(self.app.kernel.db(), pool => sqlx::query_as::<_, (String, String)>(
            "SELECT action, details FROM kernel_audit ORDER BY seq").fetch_all(pool).await.expect("audit"))
    }

    /// How many client assertions the client has spent at the token endpoint.
    pub async fn assertions(&self, client_id: Uuid) -> i64 {
        use publica_kernel::on_db;
        on_db!(self.app.kernel.db(), pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM exchange_assertions WHERE client_id = $1").bind(client_id)
            .fetch_one(pool).await.expect("count"))
    }

    /// A new citizen account (no password is used: proofing is called directly).
    pub async fn citizen(&self) -> Uuid {
        let new = publica_identity::accounts::NewAccount {
            kind: publica_identity::domain::AccountKind::Citizen,
            email: format!("{}@example.org", Uuid::new_v4().simple()),
            email_verified: true,
            password: format!("correct horse battery {}", Uuid::new_v4().simple()),
            name: None,
            phone: None,
            member_id: None,
        };
        self.identity.create_account(new).await.expect("account")
    }

    pub async fn proof(&self, account: Uuid, id: &str, given: &str, family: &str, born: &str) -> ProofingOutcome {
        self.identity.proof(account, &facts(id, given, family, born), &Origin::default()).await.expect("proof")
    }
}

pub fn facts(id: &str, given: &str, family: &str, born: &str) -> Facts {
    let input = FactsInput {
        national_id: id.into(),
        given_name: given.into(),
        family_name: family.into(),
        birthdate: born.into(),
    };
    check(&input, time::OffsetDateTime::now_utc().date()).expect("well-formed facts")
}

/// The X-Road id of the population register's person lookup of the exchange demo.
async fn persons_service(exchange: &Exchange) -> String {
    let services = exchange.eservices(None).await.expect("catalogue");
    services.into_iter().find(|e| e.code == "persons").expect("the person lookup").xroad_id
}

pub fn blocks() -> Vec<Arc<dyn Block>> {
    vec![Arc::new(NotifyBlock), Arc::new(RegistryBlock), Arc::new(ExchangeBlock), Arc::new(IdentityBlock)]
}

/// Demoland's organisations, the exchange demo, three persons (alive, deceased, emigrated)
/// and proofing set up for the platform operator, its agreement approved by the civil registry.
pub async fn worlds(attempts: u32) -> Vec<World> {
    let adjust = move |config: &mut publica_kernel::config::Config| {
        config.sections.insert("identity".into(), json!({ "proofing_attempts": attempts }));
    };
    let mut out = Vec::new();
    for app in TestApp::each_with(&blocks(), adjust).await {
        publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        ExchangeBlock.seed_demo(&app.kernel).await.expect("exchange demo");
        let (deceased, emigrated) = persons(&app).await;
        let identity = app.kernel.get::<Identity>().expect("identity service");
        let exchange = app.kernel.get::<Exchange>().expect("exchange service");
        let mut world = World { app, identity, exchange, status: placeholder_status(), deceased, emigrated };
        let spec = world.spec().await;
        let pending = world.identity.setup_proofing(&Actor::system("test"), &spec).await.expect("setup");
        assert_eq!(
            pending.agreement_state, "pending",
            "the platform operator lacks `public-authority`: the provider decides"
        );
        assert!(pending.purpose_id.is_none() && !pending.ready());
        let registry = world.caller("civil-registry").await;
        world
            .exchange
            .agreement_step(&registry, pending.agreement_id, AgreementStep::Approve, Some("national sign-in"))
            .await
            .expect("approve");
        world.status = world.identity.setup_proofing(&Actor::system("test"), &spec).await.expect("setup again");
        assert!(world.status.ready(), "{:?}", world.status);
        out.push(world);
    }
    out
}

fn placeholder_status() -> ProofingSetupStatus {
    ProofingSetupStatus {
        client_id: Uuid::nil(),
        key_id: String::new(),
        client_header: String::new(),
        service: String::new(),
        agreement_id: Uuid::nil(),
        agreement_state: "",
        purpose_id: None,
        purpose_state: None,
    }
}

/// The example person, plus a deceased and an emigrated one; their ids.
async fn persons(app: &TestApp) -> (String, String) {
    let registry = app.kernel.get::<Registry>().expect("registry");
    let registrar = app.kernel.organisation_by_slug("civil-registry").await.expect("read").expect("registry org").id;
    let actor = Actor::system("test");
    let camille = publica_registry::domain::builtin::example_person();
    registry.create(&actor, registrar, publica_registry::POPULATION, camille.clone(), None).await.expect("camille");
    let deceased = publica_registry::national_id::with_check("1940020200").expect("id");
    let mut record = camille.clone();
    record["national_id"] = json!(deceased);
    record["given_names"] = json!("Henri");
    record["birth_date"] = json!("1940-02-02");
    record["status"] = json!("deceased");
    record["death_date"] = json!("2020-05-05");
    registry.create(&actor, registrar, publica_registry::POPULATION, record, None).await.expect("deceased");
    let emigrated = publica_registry::national_id::with_check("1990030300").expect("id");
    let mut record = camille;
    record["national_id"] = json!(emigrated);
    record["given_names"] = json!("Zoé");
    record["birth_date"] = json!("1990-03-03");
    record["status"] = json!("emigrated");
    registry.create(&actor, registrar, publica_registry::POPULATION, record, None).await.expect("emigrated");
    (deceased, emigrated)
}

fn audit_text(entries: &[(String, String)], action: &str) -> Vec<String> {
    entries.iter().filter(|(a, _)| a == action).map(|(_, d)| d.clone()).collect()
}

#[tokio::test]
async fn proofing_reads_the_register_through_the_exchange_and_links_the_person() {
    for world in worlds(5).await {
        let account = world.citizen().await;
        assert!(world.identity.verified_identity(account).await.expect("read").is_none());
        let outcome = world.proof(account, CAMILLE, "camille", "MARTIN", "1985-06-12").await;
        let ProofingOutcome::Verified(verified) = outcome else { panic!("{outcome:?}") };
        assert_eq!(verified.given_name, "Camille Anne", "the register's names, not the typed ones");
        let stored = world.identity.verified_identity(account).await.expect("read").expect("verified");
        assert_eq!((stored.national_id.as_str(), stored.family_name.as_str()), (CAMILLE, "Martin"));
        assert_eq!(stored.birthdate, "1985-06-12");
        assert_eq!(stored.ial, publica_identity::domain::Ial::Verified);
        let address = stored.address.expect("address");
        assert_eq!(address["formatted"], "12 Rue des Tilleuls\n1000 Demopolis\nDL");
        assert_eq!(address["locality"], "Demopolis");

        // The person's data-usage log (what MyPersonalDataUsage shows) has the read.
        let usage = world.usage(CAMILLE).await;
        assert_eq!(usage.len(), 1, "{usage:?}");
        let entry = &usage[0];
        assert_eq!(entry["purpose"]["title"], PURPOSE_TITLE);
        assert_eq!(entry["purpose"]["legal_basis"], LEGAL_BASIS);
        assert_eq!(entry["organisation"]["name"], "Demoland Digital Agency");
        assert_eq!(entry["client"], world.status.client_header.as_str());
        assert!(world.status.client_header.ends_with("/identity"), "{}", world.status.client_header);
        assert_eq!(entry["eservice"]["title"], "Person lookup");

        // The message log has the call, with the attempt as its issue.
        let filter =
            publica_exchange::log::LogFilter { client: Some(world.status.client_header.clone()), ..Default::default() };
        let calls = publica_exchange::log::list(world.app.kernel.db(), &filter, None, 10).await.expect("log");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].status, 200);
        assert_eq!(calls[0].path, format!("/r1/{}/{CAMILLE}", world.status.service));
        assert!(calls[0].issue.as_deref().is_some_and(|i| i.starts_with("identity-proofing/")), "{:?}", calls[0].issue);
        assert_eq!(calls[0].request_id, entry["request_id"].as_str().expect("request id"));
        assert!(calls[0].user_id.is_none(), "the end user's identity is what is being checked");

        // Audited, without the facts.
        let audit = world.audit().await;
        let passed = audit_text(&audit, "identity.proofing.passed");
        assert_eq!(passed.len(), 1);
        for secret in [CAMILLE, "Martin", "1985-06-12", "Camille"] {
            assert!(
                audit.iter().filter(|(a, _)| a.starts_with("identity.")).all(|(_, d)| !d.contains(secret)),
                "{secret}"
            );
        }

        // In the account's activity log, without the facts.
        let activity = publica_identity::accounts::store::activity::of_account(world.app.kernel.db(), account, None)
            .await
            .expect("activity");
        let proofing = activity.iter().find(|a| a.kind == "proofing.passed").expect("proofing in the activity log");
        assert!(!proofing.detail.to_string().contains(CAMILLE));

        // Proofing again as the same person refreshes the link; the voucher is reused.
        let again = world.proof(account, CAMILLE, "Camille Anne", "Martin", "1985-06-12").await;
        assert!(matches!(again, ProofingOutcome::Verified(_)), "{again:?}");
        assert_eq!(world.usage(CAMILLE).await.len(), 2);
        assert_eq!(world.assertions(world.status.client_id).await, 1, "one voucher asked for, then reused");
    }
}

#[tokio::test]
async fn wrong_facts_count_as_attempts_and_disclose_nothing() {
    for world in worlds(5).await {
        let account = world.citizen().await;
        let outcome = world.proof(account, CAMILLE, "Camille", "Dupont", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::NoMatch { attempts_left: 4 }), "{outcome:?}");
        let outcome = world.proof(account, CAMILLE, "Camille", "Martin", "1985-06-13").await;
        assert!(matches!(outcome, ProofingOutcome::NoMatch { attempts_left: 3 }), "{outcome:?}");
        let nobody = publica_registry::national_id::with_check("1999123100").expect("id");
        let outcome = world.proof(account, &nobody, "Camille", "Martin", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::NoMatch { attempts_left: 2 }), "no such person: the same answer");
        assert!(world.identity.verified_identity(account).await.expect("read").is_none());
        let audit = world.audit().await;
        let failed = audit_text(&audit, "identity.proofing.failed");
        assert_eq!(failed.len(), 3);
        assert!(failed.iter().all(|d| d.contains("\"mismatch\"") && !d.contains("Dupont") && !d.contains(CAMILLE)));
        assert_eq!(world.usage(CAMILLE).await.len(), 2, "each read of the register is in the person's log");
    }
}

#[tokio::test]
async fn attempts_are_limited_per_account_and_per_national_id() {
    for world in worlds(2).await {
        let prober = world.citizen().await;
        for left in [1, 0] {
            let outcome = world.proof(prober, CAMILLE, "Camille", "Dupont", "1985-06-12").await;
            assert!(
                matches!(outcome, ProofingOutcome::NoMatch { attempts_left } if attempts_left == left),
                "{outcome:?}"
            );
        }
        let reads = world.usage(CAMILLE).await.len();
        // The account waits, even with the right facts, and the register is not read.
        let outcome = world.proof(prober, CAMILLE, "Camille", "Martin", "1985-06-12").await;
        let ProofingOutcome::TooManyAttempts { retry_after } = outcome else { panic!("{outcome:?}") };
        let wait = retry_after.unix_seconds() - publica_kernel::db::Timestamp::now().unix_seconds();
        assert!((86_000..=86_400).contains(&wait), "about 24 hours: {wait}");
        assert_eq!(world.usage(CAMILLE).await.len(), reads);

        // Camille's national id waits too, from any account: her facts cannot be probed.
        let outcome = world.proof(world.citizen().await, CAMILLE, "Camille", "Martin", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::TooManyAttempts { .. }), "{outcome:?}");
        // Another person is not held up by them.
        let outcome = world.proof(world.citizen().await, &world.emigrated, "Zoé", "Martin", "1990-03-03").await;
        assert!(matches!(outcome, ProofingOutcome::NotAlive), "{outcome:?}");
        let audit = world.audit().await;
        let throttled = audit_text(&audit, "identity.proofing.throttled");
        assert_eq!(throttled.len(), 2);
        assert!(throttled[0].contains("\"account\"") && throttled[1].contains("\"national-id\""), "{throttled:?}");
    }
}

#[tokio::test]
async fn deceased_and_emigrated_persons_are_not_proofed() {
    for world in worlds(5).await {
        let account = world.citizen().await;
        let outcome = world.proof(account, &world.deceased, "Henri", "Martin", "1940-02-02").await;
        assert!(matches!(outcome, ProofingOutcome::NotAlive), "{outcome:?}");
        let outcome = world.proof(account, &world.emigrated, "Zoe", "martin", "1990-03-03").await;
        assert!(matches!(outcome, ProofingOutcome::NotAlive), "{outcome:?}");
        assert!(world.identity.verified_identity(account).await.expect("read").is_none());
        let failed = audit_text(&world.audit().await, "identity.proofing.failed");
        assert!(failed.len() == 2 && failed.iter().all(|d| d.contains("not-alive")), "{failed:?}");
    }
}

#[tokio::test]
async fn one_person_links_to_one_account() {
    for world in worlds(5).await {
        let first = world.citizen().await;
        let outcome = world.proof(first, CAMILLE, "Camille", "Martin", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::Verified(_)), "{outcome:?}");
        let second = world.citizen().await;
        let outcome = world.proof(second, CAMILLE, "Camille", "Martin", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::AlreadyLinked), "{outcome:?}");
        assert!(world.identity.verified_identity(second).await.expect("read").is_none());
        let refused = audit_text(&world.audit().await, "identity.proofing.refused");
        assert_eq!(refused.len(), 1);
        assert!(refused[0].contains(&first.to_string()), "the audit names the account holding the person");

        // And a verified account does not become someone else.
        let outcome = world.proof(first, &world.emigrated, "Zoé", "Martin", "1990-03-03").await;
        assert!(matches!(outcome, ProofingOutcome::OtherIdentity), "{outcome:?}");
        let kept = world.identity.verified_identity(first).await.expect("read").expect("verified");
        assert_eq!(kept.national_id, CAMILLE);
    }
}

#[tokio::test]
async fn a_suspended_purpose_makes_proofing_unavailable() {
    for world in worlds(5).await {
        let account = world.citizen().await;
        let outcome = world.proof(account, &world.deceased, "Henri", "Martin", "1940-02-02").await;
        assert!(matches!(outcome, ProofingOutcome::NotAlive), "a voucher is cached: {outcome:?}");
        let registry = world.caller("civil-registry").await;
        let purpose = world.status.purpose_id.expect("purpose");
        world.exchange.purpose_step(&registry, purpose, PurposeStep::Suspend, Some("audit")).await.expect("suspend");

        let outcome = world.proof(account, CAMILLE, "Camille", "Martin", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::Unavailable), "{outcome:?}");
        assert!(world.identity.verified_identity(account).await.expect("read").is_none());
        let why = world.identity.proofing_notice().await.expect("notice").expect_err("unavailable");
        assert!(why.contains("suspended"), "{why}");
        let unavailable = audit_text(&world.audit().await, "identity.proofing.unavailable");
        assert_eq!(unavailable.len(), 1);
        assert!(unavailable[0].contains("suspended"), "the reason is audited: {}", unavailable[0]);

        // Unavailable answers do not count: after reactivation proofing works at once.
        world.exchange.purpose_step(&registry, purpose, PurposeStep::Activate, None).await.expect("activate");
        let outcome = world.proof(account, CAMILLE, "Camille", "Martin", "1985-06-12").await;
        assert!(matches!(outcome, ProofingOutcome::Verified(_)), "{outcome:?}");
    }
}

#[tokio::test]
async fn the_setup_is_idempotent_and_keeps_its_client() {
    for world in worlds(5).await {
        let before = audit_text(&world.audit().await, "identity.proofing.configured").len();
        let spec = world.spec().await;
        let again = world.identity.setup_proofing(&Actor::system("test"), &spec).await.expect("setup");
        assert_eq!(again.client_id, world.status.client_id);
        assert_eq!(again.key_id, world.status.key_id);
        assert_eq!(again.purpose_id, world.status.purpose_id);
        assert_eq!(again.agreement_id, world.status.agreement_id);
        let after = audit_text(&world.audit().await, "identity.proofing.configured").len();
        assert_eq!(after, before, "nothing changed, nothing audited");
        let operator = world.caller("demoland-digital").await;
        let clients = world.exchange.clients(&operator).await.expect("clients");
        assert_eq!(clients.len(), 1, "one client");
        let keys = world.exchange.client_keys(&operator, again.client_id).await.expect("keys");
        assert_eq!((keys.len(), keys[0].alg.as_str()), (1, "ES256"));
        let (purpose, _) = world.exchange.purpose(&operator, again.purpose_id.expect("id")).await.expect("purpose");
        assert_eq!((purpose.title.as_str(), purpose.legal_basis.as_str()), (PURPOSE_TITLE, LEGAL_BASIS));

        // The key is sealed: the stored bytes are not the PKCS#8 DER of a P-256 key.
        let setup = publica_identity::proofing::store::setup(world.app.kernel.db()).await.expect("read").expect("row");
        assert!(
            publica_kernel::crypto::PrivateKey::from_pkcs8(publica_kernel::crypto::Alg::ES256, &setup.key_sealed)
                .is_err()
        );

        // A service that is not in the catalogue is named in the error.
        let mut wrong = spec.clone();
        wrong.service = "DL/GOV/99999999/population/persons".into();
        let error = world.identity.setup_proofing(&Actor::system("test"), &wrong).await.expect_err("unknown");
        assert!(
            matches!(error, publica_kernel::error::Error::Invalid { ref field, .. } if field == "service"),
            "{error}"
        );
    }
}

/// A browser for the identity pages: it keeps every cookie it is given (CSRF, the identity
/// session and its flows, the back-office session) and posts forms with the CSRF token.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: std::collections::BTreeMap<String, String>,
    csrf: String,
    lang: Option<&'static str>,
}

impl<'a> Browser<'a> {
    pub async fn new(app: &'a TestApp) -> Browser<'a> {
        let mut browser = Browser { app, cookies: Default::default(), csrf: String::new(), lang: None };
        let home = browser.get("/").await;
        browser.csrf = publica_kernel::testing::csrf_token(&home.body);
        browser
    }

    fn cookie_header(&self) -> String {
        let mut pairs: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if let Some(lang) = self.lang {
            pairs.push(format!("publica_lang={lang}"));
        }
        pairs.join("; ")
    }

    async fn send(&mut self, request: axum::http::Request<axum::body::Body>) -> publica_kernel::testing::Page {
        let response = self.app.request(request).await;
        for set in response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let Some((name, value)) = set.split(';').next().and_then(|p| p.split_once('=')) else { continue };
            let expired = set.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
            if expired {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().to_string(), value.to_string());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
        publica_kernel::testing::Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    pub async fn get(&mut self, path: &str) -> publica_kernel::testing::Page {
        let request = axum::http::Request::get(path)
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .body(axum::body::Body::empty())
            .expect("request");
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> publica_kernel::testing::Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone();
        all.push(("_csrf", &csrf));
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(all).finish();
        let request = axum::http::Request::post(path)
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Sign in with a password and, when given, the authenticator app's current code.
    pub async fn sign_in(&mut self, email: &str, password: &str, totp: Option<&[u8; 20]>) {
        let page = self.post("/identity/sign-in", &[("email", email), ("password", password)]).await;
        assert_eq!(page.status, 303, "sign-in: {}", page.body);
        if let Some(secret) = totp {
            assert!(page.location().starts_with("/identity/sign-in/mfa"), "{}", page.location());
            let now = time::OffsetDateTime::now_utc().unix_timestamp().unsigned_abs();
            let code = publica_identity::accounts::totp::code_at(*secret, now);
            let page = self.post("/identity/sign-in/mfa", &[("code", code.as_str())]).await;
            assert_eq!(page.status, 303, "second step: {}", page.body);
        }
        assert!(self.cookies.contains_key("publica_id"), "signed in: {:?}", self.cookies.keys());
    }
}

/// A new account; its password (and TOTP secret, with `totp`).
pub async fn account(
    world: &World,
    email: &str,
    kind: publica_identity::domain::AccountKind,
    member_id: Option<Uuid>,
    totp: bool,
) -> (Uuid, String, Option<[u8; 20]>) {
    let password = format!("correct horse battery {}", Uuid::new_v4().simple());
    let id = world
        .identity
        .create_account(publica_identity::accounts::NewAccount {
            kind,
            email: email.into(),
            email_verified: true,
            password: password.clone(),
            name: Some("Test Person".into()),
            phone: None,
            member_id,
        })
        .await
        .expect("account");
    let secret = totp.then(|| {
        let secret: [u8; 20] = publica_kernel::crypto::random_bytes();
        secret
    });
    if let Some(secret) = &secret {
        let base32 = publica_identity::accounts::totp::base32(secret);
        world.identity.enrol_totp_secret(id, &base32).await.expect("totp");
    }
    (id, password, secret)
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn the_proofing_page_explains_checks_and_links() {
    use publica_identity::domain::AccountKind;
    for world in worlds(5).await {
        let mut browser = Browser::new(&world.app).await;
        let page = browser.get("/identity/proofing?return_to=/identity/account%3Ftab%3D1").await;
        assert_eq!(page.status, 303);
        assert!(page.location().starts_with("/identity/sign-in?"), "{}", page.location());
        assert_eq!(
            query_of(page.location())["return_to"],
            "/identity/proofing?return_to=%2Fidentity%2Faccount%3Ftab%3D1"
        );

        let (camille, password, secret) =
            account(&world, "camille@example.org", AccountKind::Citizen, None, true).await;
        // A password alone does not bind an identity to the account: two factors first.
        browser.post("/identity/sign-in", &[("email", "camille@example.org"), ("password", &password)]).await;
        let page = browser.get("/identity/proofing").await;
        assert_eq!(page.status, 303);
        assert!(page.location().starts_with("/identity/sign-in?"), "{}", page.location());
        assert_eq!(query_of(page.location())["aal"], "aal2");
        let mut browser = Browser::new(&world.app).await;
        browser.sign_in("camille@example.org", &password, secret.as_ref()).await;
        let page = browser.get("/identity/proofing?return_to=/identity/account%3Ftab%3D1").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let text = publica_kernel::testing::unescape(&page.body);
        for said in [
            "Demoland Digital Agency",
            "Person lookup",
            "Demoland Civil Registry",
            PURPOSE_TITLE,
            LEGAL_BASIS,
            "data-usage log",
        ] {
            assert!(text.contains(said), "the page says {said}");
        }
        for (id, autocomplete) in [
            ("national_id", "off"),
            ("given_name", "given-name"),
            ("family_name", "family-name"),
            ("birthdate", "bday"),
        ] {
            assert!(text.contains(&format!("<label for=\"{id}\">")), "{id} is labelled");
            assert!(text.contains(&format!("id=\"{id}\" name=\"{id}\"")), "{id}");
            assert!(text.contains(&format!("autocomplete=\"{autocomplete}\"")), "{id}: {autocomplete}");
            assert!(text.contains(&format!("aria-describedby=\"{id}-hint\"")), "{id} has its hint");
        }

        // A mistyped national id is named next to its field; nothing is asked of the register.
        let form = |id: &'static str, family: &'static str| {
            vec![
                ("national_id", id),
                ("given_name", "Camille"),
                ("family_name", family),
                ("birthdate", "1985-06-12"),
                ("return_to", "/identity/account?tab=1"),
            ]
        };
        let page = browser.post("/identity/proofing", &form("19850612345", "Martin")).await;
        assert_eq!(page.status, 422);
        let text = publica_kernel::testing::unescape(&page.body);
        assert!(text.contains("a digit is probably mistyped") && text.contains("href=\"#national_id\""), "{text}");
        assert!(text.contains("aria-describedby=\"national_id-hint national_id-error\""));
        assert!(world.usage(CAMILLE).await.is_empty());

        // Wrong facts: "do not match", and nothing of the record.
        let page = browser.post("/identity/proofing", &form(CAMILLE, "Dupont")).await;
        assert_eq!(page.status, 422);
        let text = publica_kernel::testing::unescape(&page.body);
        assert!(text.contains("do not match the population register") && text.contains("Attempts left today: 4"));
        for secret in ["Martin", "Camille Anne", "Tilleuls", "Demopolis", "female"] {
            assert!(!text.contains(secret), "the answer discloses {secret}");
        }

        // The right facts: back where the person came from, verified.
        let page = browser.post("/identity/proofing", &form(CAMILLE, "martin")).await;
        assert_eq!((page.status, page.location()), (303, "/identity/account?tab=1"), "{}", page.body);
        assert_eq!(
            world.identity.verified_identity(camille).await.expect("read").expect("verified").national_id,
            CAMILLE
        );
        let page = browser.get("/identity/proofing").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Your identity is verified"));
        let claims = world.identity.account_claims(camille).await.expect("claims");
        assert_eq!(claims.verified.expect("verified claims").family_name, "Martin");

        // In French.
        browser.lang = Some("fr");
        let (_, password, secret) = account(&world, "autre@example.org", AccountKind::Citizen, None, true).await;
        browser.sign_in("autre@example.org", &password, secret.as_ref()).await;
        let page = browser.get("/identity/proofing").await;
        assert!(page.body.contains("Vérifier votre identité"), "{}", page.body);

        // A suspended purpose: a clear page, not an error.
        let registry = world.caller("civil-registry").await;
        let purpose = world.status.purpose_id.expect("purpose");
        world.exchange.purpose_step(&registry, purpose, PurposeStep::Suspend, None).await.expect("suspend");
        browser.lang = None;
        let page = browser.get("/identity/proofing").await;
        assert_eq!(page.status, 503);
        assert!(page.body.contains("Identity verification is unavailable"), "{}", page.body);
        let page = browser.post("/identity/proofing", &form(CAMILLE, "Martin")).await;
        assert_eq!(page.status, 503);
        assert!(page.body.contains("cannot consult the population register"));
    }
}

#[tokio::test]
async fn staff_sign_in_through_the_identity_provider() {
    use publica_identity::domain::AccountKind;
    for world in worlds(5).await {
        let app = &world.app;
        let mut browser = Browser::new(app).await;
        let page = browser.get("/signin").await;
        assert_eq!(page.location(), "/identity/staff/sign-in", "the kernel sends staff here");
        let page = browser.get("/identity/staff/sign-in").await;
        assert_eq!(page.status, 303);
        let asked = query_of(page.location());
        assert_eq!((asked["return_to"].as_str(), asked["aal"].as_str()), ("/identity/staff/sign-in", "aal2"));

        let tax = app.kernel.organisation_by_slug("tax-office").await.expect("read").expect("org");
        let member = app.kernel.members(tax.id).await.expect("members").into_iter().next().expect("a member");
        let (_, password, secret) = account(&world, &member.email, AccountKind::Staff, Some(member.id), true).await;
        browser.sign_in(&member.email, &password, secret.as_ref()).await;
        let page = browser.get("/identity/staff/sign-in").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let text = publica_kernel::testing::unescape(&page.body);
        assert!(text.contains("Demoland Tax Office") && text.contains(&member.name), "{text}");
        assert!(text.contains("method=\"post\" action=\"/identity/staff/sign-in\""));
        assert!(!browser.cookies.contains_key("publica_session"), "showing the page starts nothing");

        let page = browser.post("/identity/staff/sign-in", &[]).await;
        assert_eq!((page.status, page.location()), (303, "/admin"));
        let session = browser.cookies.get("publica_session").cloned().expect("a back-office session");
        let staff = app.kernel.session(&session).await.expect("read").expect("current");
        assert_eq!((staff.member_id, staff.org_slug.as_str()), (member.id, "tax-office"));
        let page = browser.get("/admin").await;
        assert_eq!(page.status, 200);
        let audit = world.audit().await;
        assert!(audit.iter().any(|(a, d)| a == "kernel.session.started" && d.contains("\"identity\"")));

        // Without the POST's CSRF token nothing starts.
        let mut other = Browser::new(app).await;
        other.csrf = "forged".into();
        let page = other.post("/identity/staff/sign-in", &[]).await;
        assert_eq!(page.status, 403);

        // A citizen at aal2 is refused clearly; a staff account at aal1 signs in again first.
        let mut citizen = Browser::new(app).await;
        let (_, password, secret) = account(&world, "citizen@example.org", AccountKind::Citizen, None, true).await;
        citizen.sign_in("citizen@example.org", &password, secret.as_ref()).await;
        let page = citizen.get("/identity/staff/sign-in").await;
        assert_eq!(page.status, 403);
        assert!(page.body.contains("not a staff account"), "{}", page.body);
        let page = citizen.post("/identity/staff/sign-in", &[]).await;
        assert_eq!(page.status, 403);
        assert!(!citizen.cookies.contains_key("publica_session"));

        let clerk = app.kernel.members(tax.id).await.expect("members").into_iter().nth(1).expect("a second member");
        let mut weak = Browser::new(app).await;
        let (_, password, _) = account(&world, &clerk.email, AccountKind::Staff, Some(clerk.id), false).await;
        weak.sign_in(&clerk.email, &password, None).await;
        for page in [weak.get("/identity/staff/sign-in").await, weak.post("/identity/staff/sign-in", &[]).await] {
            assert_eq!(page.status, 303);
            assert_eq!(query_of(page.location())["aal"], "aal2");
        }
        assert!(!weak.cookies.contains_key("publica_session"));
    }
}

#[tokio::test]
async fn the_demo_seeds_once_with_credentials_that_work() {
    use publica_identity::oidc::AuthMethod;
    for app in TestApp::each_with(&blocks(), |c| c.demo = true).await {
        let mut first = Value::Null;
        for round in 0..2 {
            publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
            NotifyBlock.seed_demo(&app.kernel).await.expect("notify demo");
            RegistryBlock.seed_demo(&app.kernel).await.expect("registry demo");
            ExchangeBlock.seed_demo(&app.kernel).await.expect("exchange demo");
            let demo = IdentityBlock.seed_demo(&app.kernel).await.expect("identity demo");
            if round == 0 {
                first = demo;
            } else {
                assert_eq!(demo, first, "a second seed finds the same credentials");
            }
        }
        let demo = first;
        let identity = app.kernel.get::<Identity>().expect("identity");
        assert_eq!(demo["issuer"], identity.issuer());

        let confidential = &demo["clients"]["confidential"];
        assert_eq!(confidential["redirect_uri"], "http://127.0.0.1:8400/callback");
        let secret = confidential["client_secret"].as_str().expect("secret");
        assert!(secret.len() >= 32);
        let client = identity.client(confidential["client_id"].as_str().expect("id")).await.expect("registered");
        assert_eq!(client.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
        assert!(client.offline_access);
        assert_eq!(client.backchannel_logout_uri.as_deref(), Some("http://127.0.0.1:8400/backchannel-logout"));
        assert_eq!(client.redirect_uris, vec!["http://127.0.0.1:8400/callback"]);
        let tax = app.kernel.organisation_by_slug("tax-office").await.expect("read").expect("org");
        assert_eq!(client.org_id, tax.id);
        let public = &demo["clients"]["public"];
        assert_eq!(public["redirect_uri"], "http://127.0.0.1:8401/callback");
        assert!(public.get("client_secret").is_none());
        let client = identity.client(public["client_id"].as_str().expect("id")).await.expect("registered");
        assert!(client.is_public() && !client.has_secret);

        let citizens = demo["citizens"].as_array().expect("citizens");
        let levels: Vec<&str> = citizens.iter().map(|c| c["level"].as_str().expect("level")).collect();
        assert_eq!(levels, ["aal1", "aal2", "verified", "verified", "aal2"]);
        for c in citizens {
            assert!(c["password"].as_str().is_some_and(|p| p.chars().count() >= 15), "{c}");
            let national_id = c["national_id"].as_str().expect("national id");
            assert!(publica_registry::national_id::validate(national_id).is_ok());
            let account =
                identity.account_by_email(c["email"].as_str().expect("email")).await.expect("read").expect("account");
            let verified = identity.verified_identity(account.id).await.expect("read");
            match c["level"].as_str() {
                Some("aal1") => assert!(c["totp_secret"].is_null()),
                Some(_) => assert_eq!(c["totp_secret"].as_str().map(str::len), Some(32), "{c}"),
                None => unreachable!(),
            }
            if c["level"] == "verified" {
                assert_eq!(verified.expect("proofed").national_id, national_id);
                let usage = {
                    let provider = app.kernel.get::<publica_registry::UsageProvider>().expect("usage");
                    provider.0.usage(national_id, None, 100).await.expect("usage").entries
                };
                let proofings: Vec<&Value> = usage.iter().filter(|e| e["purpose"]["title"] == PURPOSE_TITLE).collect();
                assert_eq!(proofings.len(), 1, "proofed once through the exchange, not on every seed: {usage:?}");
            } else {
                assert!(verified.is_none());
            }
        }

        let staff = demo["staff"].as_array().expect("staff");
        let mut members = 0;
        for org in app.kernel.organisations().await.expect("orgs") {
            members += app.kernel.members(org.id).await.expect("members").len();
        }
        assert_eq!(staff.len(), members, "every member of every demo organisation");
        let inspector = staff.iter().find(|s| s["email"] == "inspector@tax.demoland.example").expect("inspector");
        assert_eq!(inspector["org"], "tax-office");

        // The credentials work: the inspector enters the back office at aal2.
        let mut browser = Browser::new(&app).await;
        let secret = publica_identity::accounts::totp::from_base32(inspector["totp_secret"].as_str().expect("totp"))
            .expect("base32");
        let secret: [u8; 20] = secret.try_into().expect("160 bits");
        let password = inspector["password"].as_str().expect("password");
        browser.sign_in("inspector@tax.demoland.example", password, Some(&secret)).await;
        let page = browser.post("/identity/staff/sign-in", &[]).await;
        assert_eq!((page.status, page.location()), (303, "/admin"));
        // …and the aal1 citizen signs in with a password alone.
        let mut browser = Browser::new(&app).await;
        let citizen = &citizens[0];
        browser
            .sign_in(citizen["email"].as_str().expect("email"), citizen["password"].as_str().expect("password"), None)
            .await;
    }
}

#[tokio::test]
async fn without_the_exchange_proofing_is_unavailable_not_an_error() {
    use publica_identity::domain::AccountKind;
    let blocks: Vec<Arc<dyn Block>> = vec![Arc::new(NotifyBlock), Arc::new(RegistryBlock), Arc::new(IdentityBlock)];
    for app in TestApp::each(&blocks).await {
        publica_kernel::block::KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        let identity = app.kernel.get::<Identity>().expect("identity");
        let operator = app.kernel.organisation_by_slug("demoland-digital").await.expect("read").expect("org");
        let spec = ProofingSetupSpec::national_sign_in(operator.id, "DL/GOV/70000001/population/persons", LEGAL_BASIS);
        let error = identity.setup_proofing(&Actor::system("test"), &spec).await.expect_err("no exchange");
        assert!(matches!(error, publica_kernel::error::Error::Unavailable(ref m) if m.contains("exchange")), "{error}");

        let password = format!("correct horse battery {}", Uuid::new_v4().simple());
        let new = publica_identity::accounts::NewAccount {
            kind: AccountKind::Citizen,
            email: "someone@example.org".into(),
            email_verified: true,
            password: password.clone(),
            name: None,
            phone: None,
            member_id: None,
        };
        let account = identity.create_account(new).await.expect("account");
        let camille = facts(CAMILLE, "Camille", "Martin", "1985-06-12");
        let outcome = identity.proof(account, &camille, &Origin::default()).await.expect("proof");
        assert!(matches!(outcome, ProofingOutcome::Unavailable), "{outcome:?}");
        let secret = [7u8; 20];
        identity.enrol_totp_secret(account, &publica_identity::accounts::totp::base32(&secret)).await.expect("totp");
        let mut browser = Browser::new(&app).await;
        browser.sign_in("someone@example.org", &password, Some(&secret)).await;
        let page = browser.get("/identity/proofing").await;
        assert_eq!(page.status, 503, "{}", page.body);
        assert!(page.body.contains("Identity verification is unavailable"));
    }
}
