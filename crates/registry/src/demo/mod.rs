//! Demoland's registers: 10,000 people and 1,000 businesses, generated deterministically from a
//! fixed seed (the same country everywhere, so documented sample ids stay valid), consistent
//! with each other, and inserted in one transaction when the registers are empty.
//!
//! Records are valid from the day the registers moved to Publica (1 January 2020), or from
//! the birth or registration when that is later.

pub mod businesses;
pub mod names;
pub mod people;
pub mod rng;

use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde_json::json;
use time::Date;
use time::macros::date;

use crate::domain::{BUSINESSES, NewRecord, POPULATION};
use crate::service::Registry;

pub const SEED: u64 = 0x0DE0_1A4D_2020_0101;
pub const PEOPLE: usize = 10_000;
pub const COMPANIES: usize = 1_000;
/// When the registers moved to Publica: the earliest start of validity of demo records.
const MIGRATED: Date = date!(2020 - 01 - 01);

/// The demo registers' contents and the sample ids documented for them.
pub struct Dataset {
    pub people: Vec<NewRecord>,
    pub businesses: Vec<NewRecord>,
    /// A living adult resident of Demopolis with a spouse, a child and a digital domicile.
    pub sample_person_id: String,
    /// An active limited company.
    pub sample_business_id: String,
}

fn valid_from(day: Date) -> Timestamp {
    Timestamp::from(day.max(MIGRATED).midnight().assume_utc())
}

/// Generate the demo country (pure: the same result on every call).
pub fn dataset() -> Dataset {
    let mut rng = rng::Rng::new(SEED);
    let persons = people::generate(&mut rng, PEOPLE);
    let companies = businesses::generate(&mut rng, &persons, COMPANIES);
    let sample = persons
        .iter()
        .find(|p| {
            p.status == "alive"
                && p.residence.municipality == "Demopolis"
                && people::age(p.birth, people::REFERENCE) >= 30
                && p.spouse.is_some()
                && !p.children.is_empty()
                && p.domicile.is_some()
        })
        .or_else(|| persons.iter().find(|p| p.status == "alive" && people::age(p.birth, people::REFERENCE) >= 18));
    let sample_business = companies
        .iter()
        .find(|b| b.status == "active" && b.legal_form == "limited-company")
        .or_else(|| companies.first());
    Dataset {
        people: persons
            .iter()
            .map(|p| NewRecord {
                id: p.national_id.clone(),
                data: people::record(&persons, p),
                valid_from: valid_from(p.birth),
            })
            .collect(),
        sample_person_id: sample.map(|p| p.national_id.clone()).unwrap_or_default(),
        sample_business_id: sample_business.map(|b| b.business_id.clone()).unwrap_or_default(),
        businesses: companies
            .into_iter()
            .map(|b| NewRecord { id: b.business_id, data: b.data, valid_from: valid_from(b.registered_on) })
            .collect(),
    }
}

/// Seed the demo registers (each only when it is empty) and return the credentials entry.
pub async fn seed(kernel: &Kernel) -> Result<serde_json::Value> {
    let registry =
        kernel.get::<Registry>().ok_or_else(|| Error::Unavailable("the registry block has not started".into()))?;
    registry.ensure_builtin().await?;
    let owners = [(POPULATION, &registry.config().population_owner), (BUSINESSES, &registry.config().businesses_owner)];
    let mut infos = Vec::new();
    for (name, owner) in owners {
        let info = registry.register(name).await.map_err(|e| match e {
            Error::NotFound(_) => Error::Unavailable(format!(
                "the `{name}` register needs its owner organisation `{owner}`: create it or configure another (registry.{name}_owner)"
            )),
            other => other,
        })?;
        infos.push(info);
    }
    let data = dataset();
    let mut tx = None;
    let mut counts = serde_json::Map::new();
    for (info, rows) in infos.iter().zip([&data.people, &data.businesses]) {
        if registry.has_records(&info.name).await? {
            continue;
        }
        for row in rows {
            registry.validate(info, &row.data)?;
        }
        if tx.is_none() {
            tx = Some(kernel.db().begin().await?);
        }
        if let Some(tx) = tx.as_mut() {
            registry.insert_batch(tx, info, rows).await?;
        }
        counts.insert(info.name.clone(), json!(rows.len()));
    }
    if let Some(mut tx) = tx {
        let event = Event::new(&Actor::system("demo"), "registry.demo.seeded", "register", "population,businesses")
            .details(serde_json::Value::Object(counts));
        kernel.audit(&mut tx, event).await?;
        tx.commit().await?;
    }
    // The keepers' keys for the GovStack data API, which serves only a register's keeper.
    let mut api_keys = serde_json::Map::new();
    for info in &infos {
        let slug = kernel.organisation(info.owner_org).await?.slug;
        let label = format!("registry:{slug}");
        let token =
            publica_kernel::demo::api_key(kernel, info.owner_org, "registry", "Demo registry key", &label).await?;
        api_keys.insert(slug, json!(token));
    }
    Ok(json!({
        "registers": [POPULATION, BUSINESSES],
        "sample_person_id": data.sample_person_id,
        "sample_business_id": data.sample_business_id,
        "api_keys": api_keys,
        "client_header": "DL/GOV/70000002/population",
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_dataset_is_deterministic_with_unique_ids() {
        let (a, b) = (dataset(), dataset());
        assert_eq!(a.people, b.people);
        assert_eq!(a.businesses, b.businesses);
        assert_eq!((a.people.len(), a.businesses.len()), (PEOPLE, COMPANIES));
        let people: HashSet<&str> = a.people.iter().map(|r| r.id.as_str()).collect();
        let companies: HashSet<&str> = a.businesses.iter().map(|r| r.id.as_str()).collect();
        assert_eq!((people.len(), companies.len()), (PEOPLE, COMPANIES));
        assert!(people.contains(a.sample_person_id.as_str()));
        assert!(companies.contains(a.sample_business_id.as_str()));
        assert!(a.people.iter().all(|r| r.valid_from >= valid_from(MIGRATED)));
    }
}
