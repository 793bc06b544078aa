//! Demoland's exchange: the civil registry publishes person lookups and person checks from its
//! `population` subsystem, the chamber of commerce business lookups from `companies`, and the
//! tax office's `tax-assessment` subsystem holds active agreements and purposes ("Income tax
//! assessment") with a client whose ES256 key is derived from the master key, so a re-seed
//! gives the same private key and `demo-credentials.json` stays valid.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::crypto::PrivateKey;
use publica_kernel::demo::{api_key, derived};
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use publica_registry::{AsOf, Registry};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{AgreementState, Approval, Backend, EService, Party, PurposeState, Subsystem};
use crate::service::{Caller, Exchange, NewEService, NewPurpose};
use crate::store;

const PURPOSE_TITLE: &str = "Income tax assessment";
const LEGAL_BASIS: &str = "Demoland Income Tax Act, s. 12";
const CLIENT_NAME: &str = "Tax assessment back office";

async fn caller(kernel: &Kernel, slug: &str) -> Result<Caller> {
    let org = kernel.organisation_by_slug(slug).await?.ok_or_else(|| {
        Error::Unavailable(format!("the kernel demo has no organisation `{slug}`: seed the kernel first"))
    })?;
    Ok(Caller::new(org.id, org.kind, Actor::system("demo")))
}

async fn subsystem(exchange: &Exchange, caller: &Caller, code: &str, title: &str) -> Result<Subsystem> {
    match exchange.subsystem_by_code(caller.org_id, code).await? {
        Some(s) => Ok(s),
        None => exchange.create_subsystem(caller, code, title).await,
    }
}

async fn eservice(exchange: &Exchange, caller: &Caller, provider: &Subsystem, new: NewEService) -> Result<EService> {
    let member = exchange.ensure_member(caller.org_id).await?;
    let found = store::catalogue::by_path(
        exchange.kernel().db(),
        exchange.instance(),
        &member.member_class,
        &member.member_code,
        &provider.code,
        &new.code,
    )
    .await?;
    match found {
        Some(e) => Ok(e),
        None => exchange.publish(caller, new).await,
    }
}

fn new_eservice(provider: &Subsystem, code: &str, title: &str, description: &str, backend: Backend) -> NewEService {
    NewEService {
        subsystem_id: provider.id,
        code: code.into(),
        title: title.into(),
        description: description.into(),
        openapi: None,
        audience: None,
        voucher_lifetime_seconds: Some(600),
        daily_quota_per_consumer: Some(10_000_000),
        daily_quota_total: None,
        approval: Some(Approval::Automatic),
        required_attributes: vec!["public-authority".into()],
        backend,
    }
}

/// The tax office's active agreement and purpose for an e-service, created when missing.
async fn agreement_and_purpose(
    exchange: &Exchange,
    tax: &Caller,
    consumer: &Subsystem,
    eservice: &EService,
) -> Result<Uuid> {
    let live = store::agreements::live(exchange.kernel().db(), eservice.id, consumer.id).await?;
    if live.is_none() {
        let agreement = exchange.request_agreement(tax, eservice.id, consumer.id).await?;
        if agreement.state != AgreementState::Active {
            return Err(Error::internal(format!(
                "the demo agreement for {} is {}",
                eservice.xroad_id,
                agreement.state.as_str()
            )));
        }
    }
    let existing = exchange.purposes(tax, Party::Consumer, Some(PurposeState::Active)).await?;
    if let Some(p) = existing.iter().find(|p| p.eservice_id == eservice.id && p.title == PURPOSE_TITLE) {
        return Ok(p.id);
    }
    let purpose = exchange
        .create_purpose(tax, NewPurpose {
            eservice_id: eservice.id,
            consumer_subsystem_id: consumer.id,
            title: PURPOSE_TITLE.into(),
            description: "Checking the identity, age and residence of taxpayers, and the businesses they represent, when assessing income tax.".into(),
            legal_basis: LEGAL_BASIS.into(),
            daily_calls: 5_000_000,
            confidential_days: None,
        })
        .await?;
    Ok(purpose.id)
}

/// The demo client's P-256 key: the private scalar is derived from the master key (again with
/// a counter in the rare case the bytes are not a valid scalar).
fn demo_key(kernel: &Kernel) -> Result<PrivateKey> {
    for attempt in 0..16u32 {
        let scalar = derived(kernel, &format!("exchange:tax-assessment-client-key:{attempt}"));
        // RFC 5915 ECPrivateKey { version 1, privateKey, parameters [0] prime256v1 }.
        let mut der = vec![0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20];
        der.extend_from_slice(&scalar);
        der.extend_from_slice(&[0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        if let Ok(pair) = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der) {
            return Ok(PrivateKey::Ecdsa(pair));
        }
    }
    Err(Error::internal("no valid P-256 scalar could be derived"))
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).filter_map(|c| std::str::from_utf8(c).ok()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A living adult of the population register, for trying the services.
async fn sample_person(kernel: &Kernel) -> Result<Option<Value>> {
    let Some(registry) = kernel.get::<Registry>() else { return Ok(None) };
    let today = time::OffsetDateTime::now_utc().date();
    for record in registry.changes(publica_registry::POPULATION, 0, 500).await? {
        let Some(current) = registry.get(publica_registry::POPULATION, &record.id, &AsOf::now()).await? else {
            continue;
        };
        let alive = current.data.get("status").and_then(Value::as_str) == Some("alive");
        if alive && crate::backend::registry::is_adult(&current.data, today) == Some(true) {
            return Ok(Some(current.data));
        }
    }
    Ok(None)
}

pub async fn seed(kernel: &Kernel) -> Result<Value> {
    let exchange =
        kernel.get::<Exchange>().ok_or_else(|| Error::Unavailable("the exchange block is not started".into()))?;
    let registrar = caller(kernel, "civil-registry").await?;
    let chamber = caller(kernel, "chamber-of-commerce").await?;
    let tax = caller(kernel, "tax-office").await?;
    let platform = caller(kernel, "demoland-digital").await?;
    if platform.org_kind != OrgKind::Platform {
        return Err(Error::internal("demoland-digital is not the platform operator"));
    }
    exchange.grant_attribute(&platform, tax.org_id, "public-authority").await?;

    let population = subsystem(&exchange, &registrar, "population", "Population register").await?;
    let companies = subsystem(&exchange, &chamber, "companies", "Business register").await?;
    let assessment = subsystem(&exchange, &tax, "tax-assessment", "Income tax assessment").await?;

    let persons = eservice(
        &exchange,
        &registrar,
        &population,
        new_eservice(
            &population,
            "persons",
            "Person lookup",
            "A person's current record in the population register, by national id.",
            Backend::RegistryPerson,
        ),
    )
    .await?;
    let checks = eservice(
        &exchange,
        &registrar,
        &population,
        new_eservice(
            &population,
            "person-checks",
            "Person checks",
            "Yes/no answers about a person (18 or older; resident in a municipality) without the data behind them.",
            Backend::PersonChecks,
        ),
    )
    .await?;
    let businesses = eservice(
        &exchange,
        &chamber,
        &companies,
        new_eservice(
            &companies,
            "businesses",
            "Business lookup",
            "A business's current record in the business register, with its representatives.",
            Backend::RegistryBusiness,
        ),
    )
    .await?;

    let mut purposes = serde_json::Map::new();
    for (name, e) in [("person_lookup", &persons), ("person_checks", &checks), ("business_lookup", &businesses)] {
        purposes.insert(name.into(), json!(agreement_and_purpose(&exchange, &tax, &assessment, e).await?));
    }

    let client = match exchange
        .clients(&tax)
        .await?
        .into_iter()
        .find(|c| c.subsystem_id == assessment.id && c.name == CLIENT_NAME)
    {
        Some(c) => c,
        None => exchange.create_client(&tax, assessment.id, CLIENT_NAME).await?,
    };
    let key = demo_key(kernel)?;
    let jwk = key.public_jwk();
    let kid = publica_kernel::crypto::jwk_thumbprint(&jwk);
    if store::members::key(kernel.db(), client.id, &kid).await?.is_none() {
        exchange.add_client_key(&tax, client.id, None, Some(&jwk), None).await?;
    }
    let private_key_pem = pem("PRIVATE KEY", &key.to_pkcs8().map_err(Error::internal)?);

    let mut api_keys = serde_json::Map::new();
    for (slug, c) in [("civil-registry", &registrar), ("chamber-of-commerce", &chamber), ("tax-office", &tax)] {
        let token = api_key(kernel, c.org_id, "exchange", "Demo exchange key", &format!("exchange:{slug}")).await?;
        api_keys.insert(slug.into(), json!(token));
    }

    let sample = sample_person(kernel).await?;
    let municipality =
        sample.as_ref().and_then(|p| p.pointer("/residence/municipality")).cloned().unwrap_or(Value::Null);
    Ok(json!({
        "token_url": exchange.token_url(),
        "client_id": client.id,
        "key_id": kid,
        "private_key_pem": private_key_pem,
        "purpose_id": purposes["person_lookup"],
        "purposes": purposes,
        "client_header": assessment.xroad_id,
        "services": {
            "person_lookup": format!("/r1/{}/{{id}}", persons.xroad_id),
            "person_over_18": format!("/r1/{}/{{id}}/over-18", checks.xroad_id),
            "person_resident": format!("/r1/{}/{{id}}/resident?municipality={{municipality}}", checks.xroad_id),
            "business_lookup": format!("/r1/{}/{{id}}", businesses.xroad_id),
        },
        "sample_person_id": sample.as_ref().and_then(|p| p.get("national_id")).cloned().unwrap_or(Value::Null),
        "sample_municipality": municipality,
        "api_keys": api_keys,
    }))
}
