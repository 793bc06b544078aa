//! Demoland's people: households of one or two adults and their children, some grown-up
//! children founding households of their own, then deaths, emigration and digital domiciles.
//! Family links are symmetric by construction.

use serde_json::{Value, json};
use time::macros::date;
use time::{Date, Duration, Month};

use super::names::{ABROAD, FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES, NEUTRAL_NAMES, STREETS, TOWNS, ascii};
use super::rng::Rng;
use crate::domain::ids::national_id;

/// The day the demo country is described as of: ages count from it.
pub const REFERENCE: Date = date!(2025 - 01 - 01);
/// The last day anything in the demo happened.
pub const LAST_DAY: Date = date!(2024 - 12 - 31);

#[derive(Clone, Debug)]
pub struct Address {
    pub street: String,
    pub postcode: String,
    pub municipality: String,
    pub country: &'static str,
}

impl Address {
    fn json(&self) -> Value {
        json!({"street": self.street, "postcode": self.postcode, "municipality": self.municipality, "country": self.country})
    }
}

#[derive(Clone, Debug)]
pub struct Person {
    pub national_id: String,
    pub given_names: String,
    pub family_name: String,
    pub birth: Date,
    pub birth_place: String,
    pub sex: &'static str,
    pub citizenships: Vec<&'static str>,
    pub residence: Address,
    pub parents: Vec<usize>,
    pub spouse: Option<usize>,
    pub children: Vec<usize>,
    pub status: &'static str,
    pub death: Option<Date>,
    pub domicile: Option<(&'static str, String)>,
}

/// ISO 8601 calendar date.
pub fn iso(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month() as u8, date.day())
}

/// Full years from `birth` to `at`.
pub fn age(birth: Date, at: Date) -> i32 {
    let mut years = at.year() - birth.year();
    if (at.month() as u8, at.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    years
}

/// The same day `years` later (29 February becomes 1 March).
pub fn plus_years(date: Date, years: i32) -> Date {
    date.replace_year(date.year() + years)
        .or_else(|_| Date::from_calendar_date(date.year() + years, Month::March, 1))
        .unwrap_or(date)
}

pub fn random_date(rng: &mut Rng, from: Date, to: Date) -> Date {
    from + Duration::days(rng.range(0, (to - from).whole_days()))
}

/// The national id of the `index`th person: a bijection of the index onto 10-digit bodies
/// (the multiplier is prime to 9·10⁹), so ids look scattered and never repeat.
pub fn national_id_of(index: usize) -> String {
    let body = 1_000_000_000 + (index as u64 * 1_234_567_891 + 987_654_321) % 9_000_000_000;
    national_id::with_check(&body.to_string()).unwrap_or_default()
}

fn home(rng: &mut Rng) -> Address {
    let (town, postcode) = *rng.pick(TOWNS);
    Address {
        street: format!("{} {}", rng.range(1, 180), rng.pick(STREETS)),
        postcode: postcode.into(),
        municipality: town.into(),
        country: "DL",
    }
}

fn abroad(rng: &mut Rng) -> Address {
    let (country, town, postcode) = *rng.pick(ABROAD);
    Address {
        street: format!("{} {}", rng.range(1, 120), rng.pick(STREETS)),
        postcode: postcode.into(),
        municipality: town.into(),
        country,
    }
}

fn random_sex(rng: &mut Rng) -> &'static str {
    ["female", "male", "other", "unknown"][rng.weighted(&[4960, 4960, 50, 30])]
}

fn given_names(rng: &mut Rng, sex: &str) -> String {
    let list = match sex {
        "female" => FEMALE_NAMES,
        "male" => MALE_NAMES,
        _ => NEUTRAL_NAMES,
    };
    let first = *rng.pick(list);
    let second = *rng.pick(list);
    if second != first && rng.chance(300) { format!("{first} {second}") } else { first.to_string() }
}

/// Append a person born in `home`'s country or abroad; returns their index.
fn push(
    people: &mut Vec<Person>,
    rng: &mut Rng,
    sex: &'static str,
    family_name: &str,
    birth: Date,
    home: Address,
) -> usize {
    let index = people.len();
    let (birth_place, citizenships) = if rng.chance(100) {
        let (country, town, _) = *rng.pick(ABROAD);
        let citizenships = match rng.weighted(&[50, 30, 20]) {
            0 => vec!["DL", country],
            1 => vec![country],
            _ => vec!["DL"],
        };
        (town.to_string(), citizenships)
    } else {
        let town =
            if home.country == "DL" && rng.chance(600) { home.municipality.clone() } else { rng.pick(TOWNS).0.into() };
        let citizenships = if rng.chance(40) { vec!["DL", rng.pick(ABROAD).0] } else { vec!["DL"] };
        (town, citizenships)
    };
    people.push(Person {
        national_id: national_id_of(index),
        given_names: given_names(rng, sex),
        family_name: family_name.to_string(),
        birth,
        birth_place,
        sex,
        citizenships,
        residence: home,
        parents: Vec::new(),
        spouse: None,
        children: Vec::new(),
        status: "alive",
        death: None,
        domicile: None,
    });
    index
}

/// `count` people in households, deterministic for a given generator state.
pub fn generate(rng: &mut Rng, count: usize) -> Vec<Person> {
    let mut people: Vec<Person> = Vec::with_capacity(count);
    // Grown-up children who left home and may found a household.
    let mut movers: Vec<usize> = Vec::new();
    while people.len() < count {
        let head = if !movers.is_empty() && rng.chance(400) {
            movers.swap_remove(rng.below(movers.len() as u64) as usize)
        } else {
            let sex = random_sex(rng);
            let birth = random_date(rng, date!(1930 - 01 - 01), date!(2002 - 12 - 31));
            let address = home(rng);
            let family_name = rng_family(rng);
            push(&mut people, rng, sex, family_name, birth, address)
        };
        let address = people[head].residence.clone();
        let family_name = people[head].family_name.clone();
        let mut parents = vec![head];
        if people.len() < count && rng.chance(700) {
            let head_sex = people[head].sex;
            let sex = match head_sex {
                "female" if rng.chance(970) => "male",
                "male" if rng.chance(970) => "female",
                _ => random_sex(rng),
            };
            let birth = people[head].birth + Duration::days(rng.range(-6 * 365, 6 * 365));
            let birth = birth.clamp(date!(1925 - 01 - 01), date!(2004 - 12 - 31));
            let name = if rng.chance(550) { family_name.clone() } else { rng_family(rng).to_string() };
            let partner = push(&mut people, rng, sex, &name, birth, address.clone());
            if rng.chance(800) {
                people[head].spouse = Some(partner);
                people[partner].spouse = Some(head);
            }
            parents.push(partner);
        }
        let youngest = parents.iter().map(|&p| people[p].birth).max().unwrap_or(REFERENCE);
        let oldest = parents.iter().map(|&p| people[p].birth).min().unwrap_or(REFERENCE);
        let (from, to) = (plus_years(youngest, 20), plus_years(oldest, 44).min(LAST_DAY));
        let wanted = if from <= to { rng.weighted(&[20, 25, 30, 17, 8]) } else { 0 };
        for _ in 0..wanted.min(count - people.len()) {
            let birth = random_date(rng, from, to);
            let leaves = age(birth, REFERENCE) >= 22 && rng.chance(650);
            let residence = if leaves { home(rng) } else { address.clone() };
            let sex = random_sex(rng);
            let child = push(&mut people, rng, sex, &family_name, birth, residence);
            people[child].parents = parents.clone();
            for &parent in &parents {
                people[parent].children.push(child);
            }
            if leaves {
                movers.push(child);
            }
        }
    }
    life_events(rng, &mut people);
    people
}

fn rng_family(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(FAMILY_NAMES)
}

/// Deaths (more likely the older), emigration, digital domiciles.
fn life_events(rng: &mut Rng, people: &mut [Person]) {
    for i in 0..people.len() {
        let adult = age(people[i].birth, REFERENCE) >= 18;
        let per_mille = match people[i].birth.year() {
            ..1940 => 550,
            1940..1950 => 250,
            1950..1960 => 80,
            1960..1980 => 20,
            _ => 5,
        };
        if adult && rng.chance(per_mille) {
            let last_child = people[i].children.iter().map(|&c| people[c].birth).max().unwrap_or(people[i].birth);
            let from = plus_years(people[i].birth, 18).max(date!(1990 - 01 - 01)).max(last_child);
            if from <= LAST_DAY {
                people[i].status = "deceased";
                people[i].death = Some(random_date(rng, from, LAST_DAY));
                continue;
            }
        }
        if adult && rng.chance(30) {
            people[i].status = "emigrated";
            people[i].residence = abroad(rng);
            continue;
        }
        if adult && rng.chance(680) {
            let person = &people[i];
            let first = person.given_names.split(' ').next().unwrap_or_default();
            let local = format!("{}.{}.{}", ascii(first), ascii(&person.family_name), &person.national_id[7..]);
            people[i].domicile = Some(match rng.weighted(&[60, 25, 15]) {
                0 => ("email", format!("{local}@mail.demoland.example")),
                1 => ("pec", format!("{local}@pec.demoland.example")),
                _ => ("app", format!("dl-app-{:08x}", rng.next_u64() >> 32)),
            });
        }
    }
}

/// A person as a `population` record.
pub fn record(people: &[Person], person: &Person) -> Value {
    let ids = |list: &[usize]| list.iter().map(|&i| people[i].national_id.clone()).collect::<Vec<_>>();
    let mut data = json!({
        "national_id": person.national_id,
        "given_names": person.given_names,
        "family_name": person.family_name,
        "birth_date": iso(person.birth),
        "birth_place": person.birth_place,
        "sex": person.sex,
        "citizenships": person.citizenships,
        "residence": person.residence.json(),
        "family": {
            "parents": ids(&person.parents),
            "spouse": person.spouse.map(|s| people[s].national_id.clone()),
            "children": ids(&person.children),
        },
        "status": person.status,
    });
    if let Some(map) = data.as_object_mut() {
        if let Some(death) = person.death {
            map.insert("death_date".into(), json!(iso(death)));
        }
        if let Some((kind, address)) = &person.domicile {
            map.insert("digital_domicile".into(), json!({"type": kind, "address": address}));
        }
    }
    data
}
