//! The demo registers: deterministic, idempotent, valid and consistent with each other.

use std::collections::HashMap;
use std::time::Instant;

use publica_kernel::Block;
use publica_kernel::block::KernelBlock;
use publica_registry::{AsOf, BUSINESSES, POPULATION, Record, Registry, RegistryBlock};
use serde_json::Value;

use crate::{apps, registry};

async fn all(registry: &Registry, register: &str) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    loop {
        let after = out.last().map(|r| r.id.clone());
        let page = registry.search(register, &[], after.as_deref(), 1000).await.expect("page");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

fn ids(value: &Value) -> Vec<&str> {
    value.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_demo_is_deterministic_idempotent_and_consistent() {
    let mut credentials: Vec<Value> = Vec::new();
    for app in apps().await {
        KernelBlock.seed_demo(&app.kernel).await.expect("kernel demo");
        let started = Instant::now();
        let first = RegistryBlock.seed_demo(&app.kernel).await.expect("seed");
        eprintln!("{}: registry demo seeded in {:?}", app.backend, started.elapsed());
        let second = RegistryBlock.seed_demo(&app.kernel).await.expect("seed again");
        assert_eq!(first, second);
        assert_eq!(first["registers"], serde_json::json!([POPULATION, BUSINESSES]));
        credentials.push(first.clone());

        let registry = registry(&app.kernel);
        let people = all(&registry, POPULATION).await;
        let businesses = all(&registry, BUSINESSES).await;
        assert_eq!((people.len(), businesses.len()), (10_000, 1_000), "{}", app.backend);
        let feed = registry.changes(POPULATION, 0, 10_000).await.expect("feed");
        assert_eq!(feed.len(), 10_000, "seeding twice inserted nothing more");

        let info = registry.register(POPULATION).await.expect("population");
        let business_info = registry.register(BUSINESSES).await.expect("businesses");
        let by_id: HashMap<&str, &Value> = people.iter().map(|r| (r.id.as_str(), &r.data)).collect();
        let (mut deceased, mut emigrated, mut domiciles, mut spouses, mut children) = (0, 0, 0, 0, 0);
        for record in &people {
            registry.validate(&info, &record.data).expect("valid person");
            let p = &record.data;
            let me = record.id.as_str();
            for parent in ids(&p["family"]["parents"]) {
                assert!(ids(&by_id[parent]["family"]["children"]).contains(&me), "{parent} lacks child {me}");
            }
            for child in ids(&p["family"]["children"]) {
                assert!(ids(&by_id[child]["family"]["parents"]).contains(&me), "{child} lacks parent {me}");
                assert!(by_id[child]["birth_date"].as_str() > p["birth_date"].as_str());
                children += 1;
            }
            if let Some(spouse) = p["family"]["spouse"].as_str() {
                assert_eq!(by_id[spouse]["family"]["spouse"].as_str(), Some(me));
                spouses += 1;
            }
            match p["status"].as_str() {
                Some("deceased") => {
                    deceased += 1;
                    assert!(p["death_date"].as_str() > p["birth_date"].as_str());
                }
                Some("emigrated") => {
                    emigrated += 1;
                    assert_ne!(p["residence"]["country"], "DL");
                }
                _ => {}
            }
            domiciles += usize::from(p.get("digital_domicile").is_some());
        }
        assert!((100..2_000).contains(&deceased), "{deceased} deceased");
        assert!((50..600).contains(&emigrated), "{emigrated} emigrated");
        assert!((4_000..6_000).contains(&domiciles), "{domiciles} digital domiciles");
        assert!(spouses > 2_000 && children > 5_000, "{spouses} spouses, {children} child links");

        for record in &businesses {
            registry.validate(&business_info, &record.data).expect("valid business");
            let registered = record.data["registered_on"].as_str().expect("date");
            for rep in record.data["representatives"].as_array().expect("list") {
                let person = by_id.get(rep["national_id"].as_str().expect("id")).expect("representative exists");
                assert_eq!(person["status"], "alive");
                assert!(person["birth_date"].as_str() <= Some("2006-12-31"), "adult");
                let birth = person["birth_date"].as_str().expect("date");
                assert!(registered[..4].parse::<i32>().expect("year") - birth[..4].parse::<i32>().expect("year") >= 18);
            }
        }

        let sample = first["sample_person_id"].as_str().expect("sample person");
        let person = registry.get(POPULATION, sample, &AsOf::now()).await.expect("get").expect("sample exists");
        assert_eq!(person.data["status"], "alive");
        assert!(person.data["birth_date"].as_str() < Some("1995-01-01"));
        let sample_business = first["sample_business_id"].as_str().expect("sample business");
        assert!(registry.exists(BUSINESSES, sample_business).await.expect("exists"));
        let in_capital = registry
            .search(POPULATION, &[("municipality".into(), "Demopolis".into())], None, 1000)
            .await
            .expect("search");
        assert!(in_capital.len() > 300, "{}", in_capital.len());
    }
    // The same country on every backend (API keys are derived from each data directory's
    // master key, so they differ).
    let country: Vec<_> = credentials
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c.as_object_mut().map(|o| o.remove("api_keys"));
            c
        })
        .collect();
    assert!(country.windows(2).all(|w| w[0] == w[1]), "{country:?}");
    assert!(
        credentials
            .iter()
            .all(|c| c["api_keys"]["civil-registry"].as_str().is_some_and(|k| k.starts_with("publica_registry_")))
    );
}
