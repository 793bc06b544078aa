//! Demoland's businesses, each represented by living adults of the population register, named
//! after their people, towns and trades.

use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use super::names::{CLUBS, INDUSTRIES, PROFESSIONS, STREETS, TOWNS, TRADES};
use super::people::{LAST_DAY, Person, iso, plus_years, random_date};
use super::rng::Rng;
use crate::domain::builtin::LEGAL_FORMS;
use crate::domain::ids::business_id;

pub struct Business {
    pub business_id: String,
    pub legal_form: &'static str,
    pub status: &'static str,
    pub registered_on: Date,
    pub data: Value,
}

/// The business id of the `index`th business: a bijection onto 8-digit bodies.
pub fn business_id_of(index: usize) -> String {
    let body = 10_000_000 + (index as u64 * 7_654_321 + 1_234_567) % 90_000_000;
    business_id::with_check(&body.to_string()).unwrap_or_default()
}

/// Roles of a legal form's representatives, in order.
fn roles(rng: &mut Rng, legal_form: &str) -> Vec<&'static str> {
    match legal_form {
        "sole-trader" => vec!["owner"],
        "partnership" => vec!["partner"; 2 + rng.below(2) as usize],
        "limited-company" => {
            let mut roles = vec!["director"; 1 + rng.below(2) as usize];
            if rng.chance(300) {
                roles.push("secretary");
            }
            roles
        }
        "public-company" => vec!["chair", "director", "director", "secretary"],
        "cooperative" => vec!["chair", "treasurer"],
        _ => {
            let mut roles = vec!["president", "treasurer"];
            if rng.chance(500) {
                roles.push("secretary");
            }
            roles
        }
    }
}

fn name(rng: &mut Rng, legal_form: &str, reps: &[&Person], town: &str) -> String {
    let family = |i: usize| reps.get(i).map(|p| p.family_name.as_str()).unwrap_or("Demo");
    match legal_form {
        "sole-trader" => format!("{} {}", family(0), rng.pick(TRADES)),
        "partnership" if family(0) == family(1) => format!("{} & Co {}", family(0), rng.pick(PROFESSIONS)),
        "partnership" => format!("{} & {} {}", family(0), family(1), rng.pick(PROFESSIONS)),
        "limited-company" if rng.chance(500) => format!("{town} {} Ltd", rng.pick(TRADES)),
        "limited-company" => format!("{} {} Ltd", family(0), rng.pick(TRADES)),
        "public-company" => format!("{town} {} plc", rng.pick(INDUSTRIES)),
        "cooperative" => format!("{town} {} Cooperative", rng.pick(TRADES)),
        _ => format!("{town} {}", rng.pick(CLUBS)),
    }
}

/// `count` businesses represented by people from `people`.
pub fn generate(rng: &mut Rng, people: &[Person], count: usize) -> Vec<Business> {
    // Representatives: alive, resident, and adult on the last day of the demo.
    let adult_born_by = date!(2006 - 12 - 31);
    let candidates: Vec<&Person> = people.iter().filter(|p| p.status == "alive" && p.birth <= adult_born_by).collect();
    let mut out = Vec::with_capacity(count);
    for index in 0..count {
        let legal_form = LEGAL_FORMS[rng.weighted(&[30, 10, 35, 5, 8, 12])];
        let roles = roles(rng, legal_form);
        let mut reps: Vec<&Person> = Vec::with_capacity(roles.len());
        while reps.len() < roles.len().min(candidates.len()) {
            let candidate = *rng.pick(&candidates);
            if !reps.iter().any(|r| r.national_id == candidate.national_id) {
                reps.push(candidate);
            }
        }
        let (town, postcode) = *rng.pick(TOWNS);
        let street = format!("{} {}", rng.range(1, 180), rng.pick(STREETS));
        let status = ["active", "suspended", "dissolved"][rng.weighted(&[850, 50, 100])];
        let earliest =
            reps.iter().map(|p| plus_years(p.birth, 18)).max().unwrap_or(LAST_DAY).max(date!(1960 - 01 - 01));
        let registered_on = random_date(rng, earliest.min(LAST_DAY), LAST_DAY);
        let business_id = business_id_of(index);
        let representatives: Vec<Value> =
            reps.iter().zip(&roles).map(|(p, role)| json!({"national_id": p.national_id, "role": role})).collect();
        let data = json!({
            "business_id": business_id,
            "name": name(rng, legal_form, &reps, town),
            "legal_form": legal_form,
            "address": {"street": street, "postcode": postcode, "municipality": town, "country": "DL"},
            "status": status,
            "registered_on": iso(registered_on),
            "representatives": representatives,
        });
        out.push(Business { business_id, legal_form, status, registered_on, data });
    }
    out
}
