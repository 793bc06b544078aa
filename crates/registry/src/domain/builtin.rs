//! The two built-in registers every Demoland-style country starts with: the population register
//! (kept by the civil registry) and the business register (kept by the chamber of commerce),
//! version "1.0", with an example record of each.

use serde_json::{Value, json};
use uuid::Uuid;

use super::ids::IdScheme;
use super::register::RegisterInfo;

pub const POPULATION: &str = "population";
pub const BUSINESSES: &str = "businesses";
pub const BUILTIN_VERSION: &str = "1.0";

fn address_schema(description: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "additionalProperties": false,
        "required": ["street", "postcode", "municipality", "country"],
        "properties": {
            "street": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Street and house number."},
            "postcode": {"type": "string", "minLength": 1, "maxLength": 16},
            "municipality": {"type": "string", "minLength": 1, "maxLength": 200},
            "country": {"$ref": "#/$defs/country"}
        }
    })
}

fn country_schema() -> Value {
    json!({"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2 code (DL: Demoland)."})
}

/// The population register's definition, owned by `owner`.
pub fn population(owner: Uuid) -> RegisterInfo {
    let national_id = json!({"type": "string", "format": "national-id",
        "description": "11 digits, the last an ISO 7064 MOD 11,10 check digit."});
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Person",
        "type": "object",
        "additionalProperties": false,
        "required": ["national_id", "given_names", "family_name", "birth_date", "birth_place", "sex",
            "citizenships", "residence", "family", "status"],
        "properties": {
            "national_id": {"$ref": "#/$defs/national_id"},
            "given_names": {"type": "string", "minLength": 1, "maxLength": 200},
            "family_name": {"type": "string", "minLength": 1, "maxLength": 200},
            "birth_date": {"type": "string", "format": "date"},
            "birth_place": {"type": "string", "minLength": 1, "maxLength": 200},
            "sex": {"enum": ["female", "male", "other", "unknown"]},
            "citizenships": {"type": "array", "items": {"$ref": "#/$defs/country"}, "uniqueItems": true},
            "residence": address_schema("The address of residence."),
            "family": {
                "type": "object",
                "additionalProperties": false,
                "required": ["parents", "spouse", "children"],
                "properties": {
                    "parents": {"type": "array", "items": {"$ref": "#/$defs/national_id"}, "maxItems": 2, "uniqueItems": true},
                    "spouse": {"type": ["string", "null"], "format": "national-id"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/national_id"}, "uniqueItems": true}
                }
            },
            "status": {"enum": ["alive", "deceased", "emigrated"]},
            "death_date": {"type": "string", "format": "date"},
            "digital_domicile": {
                "type": "object",
                "description": "Where the person receives legally valid notifications.",
                "additionalProperties": false,
                "required": ["type", "address"],
                "properties": {
                    "type": {"enum": ["email", "pec", "app"]},
                    "address": {"type": "string", "minLength": 3, "maxLength": 320}
                }
            }
        },
        "if": {"required": ["status"], "properties": {"status": {"const": "deceased"}}},
        "then": {"required": ["death_date"]},
        "$defs": {"national_id": national_id, "country": country_schema()}
    });
    RegisterInfo {
        name: POPULATION.into(),
        version: BUILTIN_VERSION.into(),
        title: "Population register".into(),
        owner_org: owner,
        schema,
        id_field: "national_id".into(),
        id_scheme: IdScheme::NationalId,
        indexed: vec!["family_name".into(), "birth_date".into(), "/residence/municipality".into()],
        person_fields: vec!["/national_id".into()],
    }
}

/// Legal forms of the business register.
pub const LEGAL_FORMS: &[&str] =
    &["sole-trader", "partnership", "limited-company", "public-company", "cooperative", "association"];
/// Roles of a business's representatives.
pub const ROLES: &[&str] = &["owner", "partner", "director", "secretary", "chair", "president", "treasurer", "manager"];

/// The business register's definition, owned by `owner`.
pub fn businesses(owner: Uuid) -> RegisterInfo {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Business",
        "type": "object",
        "additionalProperties": false,
        "required": ["business_id", "name", "legal_form", "address", "status", "registered_on", "representatives"],
        "properties": {
            "business_id": {"type": "string", "format": "business-id",
                "description": "DL, 8 digits and 2 check digits (ISO 7064 MOD 97-10, as an IBAN)."},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "legal_form": {"enum": LEGAL_FORMS},
            "address": address_schema("The registered office."),
            "status": {"enum": ["active", "suspended", "dissolved"]},
            "registered_on": {"type": "string", "format": "date"},
            "representatives": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["national_id", "role"],
                    "properties": {
                        "national_id": {"type": "string", "format": "national-id"},
                        "role": {"enum": ROLES}
                    }
                }
            }
        },
        "$defs": {"country": country_schema()}
    });
    RegisterInfo {
        name: BUSINESSES.into(),
        version: BUILTIN_VERSION.into(),
        title: "Business register".into(),
        owner_org: owner,
        schema,
        id_field: "business_id".into(),
        id_scheme: IdScheme::BusinessId,
        indexed: vec!["name".into(), "status".into(), "/address/municipality".into()],
        person_fields: vec!["/representatives/*/national_id".into()],
    }
}

/// An example person (valid under [`population`]), for documentation and tests.
pub fn example_person() -> Value {
    json!({
        "national_id": "19850612344",
        "given_names": "Camille Anne",
        "family_name": "Martin",
        "birth_date": "1985-06-12",
        "birth_place": "Demopolis",
        "sex": "female",
        "citizenships": ["DL"],
        "residence": {"street": "12 Rue des Tilleuls", "postcode": "1000", "municipality": "Demopolis", "country": "DL"},
        "family": {"parents": [], "spouse": null, "children": []},
        "status": "alive",
        "digital_domicile": {"type": "email", "address": "camille.martin@mail.demoland.example"}
    })
}

/// An example business (valid under [`businesses`]) represented by [`example_person`].
pub fn example_business() -> Value {
    json!({
        "business_id": "DL1234567831",
        "name": "Martin Bakery",
        "legal_form": "limited-company",
        "address": {"street": "3 Market Square", "postcode": "1000", "municipality": "Demopolis", "country": "DL"},
        "status": "active",
        "registered_on": "2012-09-01",
        "representatives": [{"national_id": "19850612344", "role": "director"}]
    })
}
