//! What a person enters to prove who they are, checked before anything is asked of the
//! register, and compared with the register's record. No I/O.
//!
//! How facts match (the rules `docs/identity.md` states):
//! - the national id: 11 digits with a valid check digit (spaces between digits are ignored);
//!   it selects the record, so it matches by construction;
//! - names: compared on their letters and digits only, in order, after folding (lower case,
//!   Latin diacritics removed: see [`super::fold`]); spaces, hyphens, apostrophes and full stops
//!   are ignored, so `Jean-Pierre`, `jean pierre` and `JEAN PIERRE` are the same name, and
//!   `Hélène` is `Helene`;
//! - the given name: either all the register's given names in their order, or the first one
//!   alone (`Camille Anne` or `Camille`, not `Anne`);
//! - the family name: the register's family name;
//! - the birth date: exactly the register's (`YYYY-MM-DD`);
//! - and then the person must be alive: a deceased or emigrated person is not proofed.

use serde_json::{Value, json};
use time::Date;
use time::macros::format_description;

use super::fold::push_folded;
use crate::domain::{Ial, VerifiedIdentity};
use publica_kernel::db::Timestamp;

/// The longest name accepted (the register's own limit).
pub const NAME_MAX: usize = 200;

/// The form's fields as sent.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct FactsInput {
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub birthdate: String,
}

/// Facts that are well formed, ready to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub national_id: String,
    pub given_name: String,
    pub family_name: String,
    pub birthdate: Date,
}

/// What is wrong with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing,
    TooLong,
    /// Not 11 digits.
    NationalIdFormat,
    /// 11 digits whose check digit is wrong: a digit is mistyped.
    NationalIdCheckDigit,
    /// Not a date written `YYYY-MM-DD`.
    BirthdateFormat,
    /// After today.
    BirthdateFuture,
}

impl Problem {
    /// The Fluent message that explains the problem.
    pub fn message_id(self) -> &'static str {
        match self {
            Problem::Missing => "identity-proofing-error-missing",
            Problem::TooLong => "identity-proofing-error-too-long",
            Problem::NationalIdFormat => "identity-proofing-error-national-id-format",
            Problem::NationalIdCheckDigit => "identity-proofing-error-national-id-check",
            Problem::BirthdateFormat => "identity-proofing-error-birthdate-format",
            Problem::BirthdateFuture => "identity-proofing-error-birthdate-future",
        }
    }
}

/// A problem and the field (form name) it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactError {
    pub field: &'static str,
    pub problem: Problem,
}

fn name(field: &'static str, text: &str, errors: &mut Vec<FactError>) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.push(FactError { field, problem: Problem::Missing });
    } else if text.chars().count() > NAME_MAX {
        errors.push(FactError { field, problem: Problem::TooLong });
    }
    text.to_string()
}

/// Check the form: every field present and well formed, the national id's check digit right.
pub fn check(input: &FactsInput, today: Date) -> Result<Facts, Vec<FactError>> {
    let mut errors = Vec::new();
    let national_id: String = input.national_id.chars().filter(|c| !c.is_whitespace()).collect();
    if national_id.is_empty() {
        errors.push(FactError { field: "national_id", problem: Problem::Missing });
    } else if national_id.len() != publica_registry::national_id::LEN
        || !national_id.bytes().all(|b| b.is_ascii_digit())
    {
        errors.push(FactError { field: "national_id", problem: Problem::NationalIdFormat });
    } else if publica_registry::national_id::validate(&national_id).is_err() {
        errors.push(FactError { field: "national_id", problem: Problem::NationalIdCheckDigit });
    }
    let given_name = name("given_name", &input.given_name, &mut errors);
    let family_name = name("family_name", &input.family_name, &mut errors);
    let birthdate = match input.birthdate.trim() {
        "" => {
            errors.push(FactError { field: "birthdate", problem: Problem::Missing });
            None
        }
        text => match Date::parse(text, format_description!("[year]-[month]-[day]")) {
            Ok(date) if date > today => {
                errors.push(FactError { field: "birthdate", problem: Problem::BirthdateFuture });
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(FactError { field: "birthdate", problem: Problem::BirthdateFormat });
                None
            }
        },
    };
    match birthdate {
        Some(birthdate) if errors.is_empty() => Ok(Facts { national_id, given_name, family_name, birthdate }),
        _ => Err(errors),
    }
}

/// A name as it is compared: its letters and digits, folded, in order.
pub fn name_key(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    text.chars().for_each(|c| push_folded(&mut folded, c));
    folded.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// How the register's record compares with the facts entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every fact matches and the person is alive.
    Match,
    /// A fact differs (which one is not said).
    Mismatch,
    /// The facts match, but the register records the person as deceased or emigrated.
    NotAlive,
}

fn text<'a>(record: &'a Value, field: &str) -> &'a str {
    record.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// Compare the facts with a record of the population register.
pub fn compare(facts: &Facts, record: &Value) -> Verdict {
    let given = text(record, "given_names");
    let entered = name_key(&facts.given_name);
    let first = given.split_whitespace().next().unwrap_or_default();
    let given_ok = !entered.is_empty() && (entered == name_key(given) || entered == name_key(first));
    let family_ok = name_key(&facts.family_name) == name_key(text(record, "family_name"));
    let born_ok = Date::parse(text(record, "birth_date"), format_description!("[year]-[month]-[day]"))
        .is_ok_and(|d| d == facts.birthdate);
    let id_ok = text(record, "national_id") == facts.national_id;
    if !(given_ok && family_ok && born_ok && id_ok) {
        return Verdict::Mismatch;
    }
    if text(record, "status") == "alive" { Verdict::Match } else { Verdict::NotAlive }
}

/// The OpenID Connect `address` claim (OIDC Core §5.1.1) of a residence in the register.
pub fn address_claim(residence: &Value) -> Option<Value> {
    let street = residence.get("street")?.as_str()?;
    let postcode = residence.get("postcode").and_then(Value::as_str).unwrap_or_default();
    let municipality = residence.get("municipality").and_then(Value::as_str).unwrap_or_default();
    let country = residence.get("country").and_then(Value::as_str).unwrap_or_default();
    let town = [postcode, municipality].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    let formatted = [street, town.as_str(), country].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>();
    Some(json!({
        "formatted": formatted.join("\n"),
        "street_address": street,
        "locality": municipality,
        "postal_code": postcode,
        "country": country,
    }))
}

/// The identity a matching record proves: what the register says, not what was typed.
pub fn verified_identity(record: &Value, at: Timestamp) -> VerifiedIdentity {
    VerifiedIdentity {
        national_id: text(record, "national_id").to_string(),
        given_name: text(record, "given_names").to_string(),
        family_name: text(record, "family_name").to_string(),
        birthdate: text(record, "birth_date").to_string(),
        address: record.get("residence").and_then(address_claim),
        ial: Ial::Verified,
        verified_at: at,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 03 - 14);

    fn input(id: &str, given: &str, family: &str, born: &str) -> FactsInput {
        FactsInput {
            national_id: id.into(),
            given_name: given.into(),
            family_name: family.into(),
            birthdate: born.into(),
        }
    }

    fn record() -> Value {
        json!({
            "national_id": "19850612344", "given_names": "Jean-Pierre Émile", "family_name": "Le Gall",
            "birth_date": "1985-06-12", "status": "alive",
            "residence": {"street": "1 Rue des Écoles", "postcode": "1000", "municipality": "Demopolis", "country": "DL"}
        })
    }

    fn verdict(given: &str, family: &str, born: &str) -> Verdict {
        let facts = check(&input("19850612344", given, family, born), TODAY).expect("well formed");
        compare(&facts, &record())
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let errors = check(&input("", " ", "", ""), TODAY).expect_err("empty");
        assert_eq!(errors.len(), 4);
        assert!(errors.iter().all(|e| e.problem == Problem::Missing));
        let errors = check(&input("1985061234", "A", "B", "1985-06-12"), TODAY).expect_err("short id");
        assert_eq!(errors, vec![FactError { field: "national_id", problem: Problem::NationalIdFormat }]);
        let errors = check(&input("19850612345", "A", "B", "1985-06-12"), TODAY).expect_err("check digit");
        assert_eq!(errors, vec![FactError { field: "national_id", problem: Problem::NationalIdCheckDigit }]);
        let errors = check(&input("19850612344", "A", "B", "12/06/1985"), TODAY).expect_err("date");
        assert_eq!(errors[0].problem, Problem::BirthdateFormat);
        let errors = check(&input("19850612344", "A", "B", "2026-03-15"), TODAY).expect_err("future");
        assert_eq!(errors[0].problem, Problem::BirthdateFuture);
        let long = "x".repeat(NAME_MAX + 1);
        let errors = check(&input("19850612344", &long, "B", "1985-06-12"), TODAY).expect_err("long");
        assert_eq!(errors[0], FactError { field: "given_name", problem: Problem::TooLong });
        let facts = check(&input(" 198 506 123 44 ", " Jean ", "Le Gall", "1985-06-12"), TODAY).expect("fine");
        assert_eq!((facts.national_id.as_str(), facts.given_name.as_str()), ("19850612344", "Jean"));
    }

    #[test]
    fn names_match_without_case_diacritics_or_separators() {
        assert_eq!(verdict("Jean-Pierre Émile", "Le Gall", "1985-06-12"), Verdict::Match);
        assert_eq!(verdict("jean pierre emile", "LE GALL", "1985-06-12"), Verdict::Match);
        assert_eq!(verdict("JEAN-PIERRE", "legall", "1985-06-12"), Verdict::Match, "the first given name alone");
        assert_eq!(verdict("Emile", "Le Gall", "1985-06-12"), Verdict::Mismatch, "not a later given name alone");
        assert_eq!(verdict("Jean", "Le Gall", "1985-06-12"), Verdict::Mismatch, "not part of a compound name");
        assert_eq!(verdict("Jean-Pierre", "Le Gal", "1985-06-12"), Verdict::Mismatch);
        assert_eq!(verdict("Jean-Pierre", "Le Gall", "1985-06-13"), Verdict::Mismatch, "the birth date exactly");
        assert_eq!(verdict("Émile Jean-Pierre", "Le Gall", "1985-06-12"), Verdict::Mismatch, "in order");
        assert_eq!(verdict("---", "Le Gall", "1985-06-12"), Verdict::Mismatch, "no letters, no match");
    }

    #[test]
    fn only_the_living_are_proofed() {
        let facts = check(&input("19850612344", "Jean-Pierre", "Le Gall", "1985-06-12"), TODAY).expect("facts");
        for status in ["deceased", "emigrated"] {
            let mut r = record();
            r["status"] = json!(status);
            assert_eq!(compare(&facts, &r), Verdict::NotAlive);
        }
        let mut other = record();
        other["national_id"] = json!("19700101004");
        assert_eq!(compare(&facts, &other), Verdict::Mismatch, "another person's record never matches");
    }

    #[test]
    fn the_residence_becomes_the_address_claim() {
        let v = verified_identity(&record(), Timestamp::now());
        assert_eq!(v.given_name, "Jean-Pierre Émile", "the register's spelling");
        let address = v.address.expect("address");
        assert_eq!(address["formatted"], "1 Rue des Écoles\n1000 Demopolis\nDL");
        assert_eq!(address["street_address"], "1 Rue des Écoles");
        assert_eq!(address["locality"], "Demopolis");
        assert_eq!(address["postal_code"], "1000");
        assert_eq!(address["country"], "DL");
        assert_eq!(v.ial, Ial::Verified);
    }
}
