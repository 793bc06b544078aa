//! Compact, valid persons for the population register, numbered: person `i` always has the same
//! national id (`i` in ten digits with leading zeros, then the check digit), so a load generator
//! can name any of them without a list. The demo's ids never start with `0`, so the two sets
//! never meet. Names, birth dates and municipalities vary so that the
//! search index has realistic spread (about 1,000 family names, 29,000 birth dates, 100
//! municipalities).

use std::io::Write;

use publica_registry::national_id;
use serde_json::{Value, json};

/// The national id of person `i`.
pub fn id(i: u64) -> String {
    // Ten decimal digits always parse, so the check digit is always there.
    national_id::with_check(&format!("{i:010}")).unwrap_or_default()
}

fn family_name(i: u64) -> String {
    format!("Family{}", (i * 7919) % 1000)
}

fn birth_date(i: u64) -> String {
    let start = time::macros::date!(1940 - 01 - 01);
    let day = start + time::Duration::days(((i * 104_729) % 29_200) as i64);
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

fn municipality(i: u64) -> String {
    format!("Town {}", (i * 31) % 100)
}

fn sex(i: u64) -> &'static str {
    if i.is_multiple_of(2) { "female" } else { "male" }
}

/// Person `i` as the register stores it.
pub fn person(i: u64) -> Value {
    json!({
        "national_id": id(i),
        "given_names": format!("Given {i}"),
        "family_name": family_name(i),
        "birth_date": birth_date(i),
        "birth_place": "Demopolis",
        "sex": sex(i),
        "citizenships": ["DL"],
        "residence": {"street": format!("{} Main Street", i % 500 + 1), "postcode": "1000",
            "municipality": municipality(i), "country": "DL"},
        "family": {"parents": [], "spouse": null, "children": []},
        "status": "alive"
    })
}

const CSV_HEADER: &str = "national_id,given_names,family_name,birth_date,birth_place,sex,citizenships,\
residence.street,residence.postcode,residence.municipality,residence.country,family.parents,family.spouse,\
family.children,status";

/// Person `i` as a CSV line (the same record as [`person`] once the import coerces it).
fn csv_line(i: u64) -> String {
    format!(
        "{},Given {i},{},{},Demopolis,{},DL,{} Main Street,1000,{},DL,,,,alive\n",
        id(i),
        family_name(i),
        birth_date(i),
        sex(i),
        i % 500 + 1,
        municipality(i)
    )
}

/// Write persons `from..from + count` to `path` as `csv` or `jsonl`.
pub fn write_file(format: &str, from: u64, count: u64, path: &str) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    match format {
        "csv" => {
            writeln!(out, "{CSV_HEADER}")?;
            for i in from..from + count {
                out.write_all(csv_line(i).as_bytes())?;
            }
        }
        _ => {
            for i in from..from + count {
                serde_json::to_writer(&mut out, &person(i))?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_distinct() {
        assert!(national_id::validate(&id(0)).is_ok());
        assert!(national_id::validate(&id(9_999_999)).is_ok());
        assert_ne!(id(1), id(2));
        assert_eq!(id(12).len(), 11);
    }

    #[test]
    fn persons_are_valid_in_the_population_register() {
        let info = publica_registry::domain::builtin::population(uuid::Uuid::nil());
        let compiled = publica_registry::domain::schema::CompiledRegister::new(&info).expect("compiles");
        for i in [0, 1, 77, 123_456, 9_999_999] {
            assert_eq!(compiled.validate(&person(i)).expect("valid"), id(i));
        }
    }
}
