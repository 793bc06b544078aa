//! Citizens of the population register with accounts at each level: `aal1` (a password),
//! `aal2` (a password and an authenticator app), `verified` (both, and proofed against the
//! register through the exchange, as a person does on the proofing page: the read is in their
//! data-usage log). They are the first living adults of the register's change feed, so the
//! same persons on every seed of the same register.

use publica_kernel::Kernel;
use publica_kernel::error::{Error, Result};
use publica_registry::{AsOf, Registry};
use serde_json::{Value, json};

use super::{has_totp, password, totp_secret};
use crate::accounts::{NewAccount, Origin};
use crate::domain::AccountKind;
use crate::proofing::ProofingOutcome;
use crate::proofing::facts::{self, FactsInput, name_key};
use crate::service::Identity;

/// The level of each demo citizen, in order.
const LEVELS: [&str; 5] = ["aal1", "aal2", "verified", "verified", "aal2"];
const DOMAIN: &str = "citizen.demoland.example";
/// How far into the register the search for living adults goes.
const SEARCHED: i64 = 2_000;

fn text<'a>(person: &'a Value, field: &str) -> &'a str {
    person.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// `camille.martin@citizen.demoland.example`, when the names make a plain-ASCII address.
fn email_of(person: &Value) -> Option<String> {
    let given = name_key(text(person, "given_names").split_whitespace().next().unwrap_or_default());
    let family = name_key(text(person, "family_name"));
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (plain(&given) && plain(&family)).then(|| format!("{given}.{family}@{DOMAIN}"))
}

/// The first `n` living adults of the register, in the order of its change feed, with
/// distinct demo email addresses.
async fn living_adults(registry: &Registry, n: usize) -> Result<Vec<(String, Value)>> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut found: Vec<(String, Value)> = Vec::new();
    let mut after = 0;
    while found.len() < n && after < SEARCHED {
        let page = registry.changes(publica_registry::POPULATION, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for change in page {
            if found.len() == n {
                break;
            }
            let Some(current) = registry.get(publica_registry::POPULATION, &change.id, &AsOf::now()).await? else {
                continue;
            };
            let person = current.data;
            let alive = text(&person, "status") == "alive";
            let adult = publica_exchange::backend::registry::is_adult(&person, today) == Some(true);
            let Some(email) = email_of(&person).filter(|_| alive && adult) else { continue };
            if !found.iter().any(|(e, p)| *e == email || text(p, "national_id") == text(&person, "national_id")) {
                found.push((email, person));
            }
        }
    }
    Ok(found)
}

pub async fn seed(kernel: &Kernel, identity: &Identity) -> Result<Value> {
    let registry =
        kernel.get::<Registry>().ok_or_else(|| Error::Unavailable("the registry block has not started".into()))?;
    let persons = living_adults(&registry, LEVELS.len()).await?;
    if persons.len() < LEVELS.len() {
        return Err(Error::Unavailable(format!(
            "the population register has fewer than {} living adults: seed the registry demo first",
            LEVELS.len()
        )));
    }
    let mut out = Vec::new();
    for (level, (email, person)) in LEVELS.into_iter().zip(persons) {
        let national_id = text(&person, "national_id").to_string();
        let label = format!("citizen:{national_id}");
        let pass = password(kernel, &label);
        let name = format!("{} {}", text(&person, "given_names"), text(&person, "family_name"));
        let account = identity
            .create_account(NewAccount {
                kind: AccountKind::Citizen,
                email: email.clone(),
                email_verified: true,
                password: pass.clone(),
                name: Some(name),
                phone: None,
                member_id: None,
            })
            .await?;
        let secret = (level != "aal1").then(|| totp_secret(kernel, &label));
        if let Some(secret) = &secret
            && !has_totp(kernel, account).await?
        {
            identity.enrol_totp_secret(account, secret).await?;
        }
        if level == "verified" && identity.verified_identity(account).await?.is_none() {
            proof(identity, account, &email, &person).await?;
        }
        out.push(json!({
            "email": email,
            "password": pass,
            "totp_secret": secret,
            "national_id": national_id,
            "level": level,
            "given_name": text(&person, "given_names"),
            "family_name": text(&person, "family_name"),
            "birthdate": text(&person, "birth_date"),
        }));
    }
    Ok(Value::Array(out))
}

/// Proof a demo citizen with their own facts, through the exchange like anyone.
async fn proof(identity: &Identity, account: uuid::Uuid, email: &str, person: &Value) -> Result<()> {
    let input = FactsInput {
        national_id: text(person, "national_id").into(),
        given_name: text(person, "given_names").into(),
        family_name: text(person, "family_name").into(),
        birthdate: text(person, "birth_date").into(),
    };
    let checked = facts::check(&input, time::OffsetDateTime::now_utc().date())
        .map_err(|e| Error::internal(format!("the register's record of {email} does not make valid facts: {e:?}")))?;
    match identity.proof(account, &checked, &Origin::default()).await? {
        ProofingOutcome::Verified(_) => Ok(()),
        other => Err(Error::internal(format!("the demo citizen {email} could not be proofed: {other:?}"))),
    }
}
