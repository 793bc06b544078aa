//! Checking a record against its register: the identifier's scheme, then the JSON Schema
//! (draft 2020-12, formats asserted), compiled once per register version. Errors name the JSON
//! pointer of the field at fault.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError, Validator};
use publica_kernel::error::{Error, Result};
use serde_json::Value;

use super::ids::{IdScheme, business_id, national_id};
use super::register::{IndexField, RegisterInfo};

/// Compile a register's schema. Besides the standard formats (`date`, `email`, …) it knows
/// `national-id` and `business-id`, which check the identifiers' check digits.
pub fn compile(schema: &Value) -> Result<Validator> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .with_format("national-id", |s: &str| national_id::validate(s).is_ok())
        .with_format("business-id", |s: &str| business_id::validate(s).is_ok())
        .build(schema)
        .map_err(|e| {
            let at = e.instance_path().as_str();
            let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
            Error::invalid("schema", format!("not a usable JSON Schema (draft 2020-12){at}: {e}"))
        })
}

/// A register version ready to check records: what [`crate::Registry`] caches.
pub struct CompiledRegister {
    pub version: String,
    pub index_fields: Vec<IndexField>,
    validator: Validator,
    id_field: String,
    id_pointer: String,
    id_scheme: IdScheme,
}

impl CompiledRegister {
    pub fn new(info: &RegisterInfo) -> Result<CompiledRegister> {
        Ok(CompiledRegister {
            version: info.version.clone(),
            index_fields: info.index_fields(),
            validator: compile(&info.schema)?,
            id_field: info.id_field.clone(),
            id_pointer: info.id_pointer(),
            id_scheme: info.id_scheme,
        })
    }

    /// Check `data` and return its identifier.
    pub fn validate(&self, data: &Value) -> Result<String> {
        let Some(object) = data.as_object() else {
            return Err(Error::invalid("data", "a record is a JSON object"));
        };
        let id = match object.get(&self.id_field) {
            Some(Value::String(id)) => id,
            Some(_) => return Err(Error::invalid(&self.id_pointer, "the identifier is a string")),
            None => return Err(Error::invalid(&self.id_pointer, "is required: the record's identifier")),
        };
        self.id_scheme.validate(id).map_err(|m| Error::invalid(&self.id_pointer, m))?;
        self.validator.validate(data).map_err(|e| field_error(&e))?;
        Ok(id.clone())
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The kernel error for a schema violation: the JSON pointer of the field and the problem.
fn field_error(error: &ValidationError<'_>) -> Error {
    let at = error.instance_path().as_str();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().map(escape).unwrap_or_else(|| property.to_string());
            Error::invalid(format!("{at}/{name}"), "is required")
        }
        ValidationErrorKind::AdditionalProperties { unexpected } if !unexpected.is_empty() => {
            let names = unexpected.iter().map(|n| escape(n)).collect::<Vec<_>>();
            Error::invalid(format!("{at}/{}", names[0]), "is not a field of this register")
        }
        _ if at.is_empty() => Error::invalid("data", error.to_string()),
        _ => Error::invalid(at, error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::domain::builtin;

    fn field_and_message(result: Result<String>) -> (String, String) {
        match result {
            Err(Error::Invalid { field, message }) => (field, message),
            other => panic!("expected an invalid-field error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_pointer_and_the_problem() {
        let compiled = CompiledRegister::new(&builtin::population(Uuid::nil())).expect("compiles");
        let mut person = builtin::example_person();
        assert_eq!(compiled.validate(&person).expect("valid"), person["national_id"]);

        person["birth_date"] = json!("31-02-1990");
        let error = compiled.validate(&person).expect_err("bad date");
        assert_eq!(error.to_string(), r#"/birth_date: "31-02-1990" is not a "date""#);

        person["birth_date"] = json!("1990-02-31");
        assert_eq!(field_and_message(compiled.validate(&person)).0, "/birth_date");
        person["birth_date"] = json!("1990-02-28");

        person["residence"]["country"] = json!("Demoland");
        assert_eq!(field_and_message(compiled.validate(&person)).0, "/residence/country");
        person["residence"]["country"] = json!("DL");

        person["family"]["parents"] = json!(["12345678900"]);
        let (field, message) = field_and_message(compiled.validate(&person));
        assert_eq!(field, "/family/parents/0");
        assert!(message.contains("national-id"), "{message}");
        person["family"]["parents"] = json!([]);

        person.as_object_mut().expect("object").remove("family_name");
        assert_eq!(field_and_message(compiled.validate(&person)), ("/family_name".into(), "is required".into()));
        person["family_name"] = json!("Martin");

        person["nickname"] = json!("Jo");
        assert_eq!(field_and_message(compiled.validate(&person)).0, "/nickname");
    }

    #[test]
    fn the_identifier_is_checked_first_with_its_own_message() {
        let compiled = CompiledRegister::new(&builtin::population(Uuid::nil())).expect("compiles");
        let mut person = builtin::example_person();
        person["national_id"] = json!("12345678900");
        let (field, message) = field_and_message(compiled.validate(&person));
        assert_eq!(field, "/national_id");
        assert!(message.contains("check digit"), "{message}");
        person["national_id"] = json!(12345678903u64);
        assert_eq!(field_and_message(compiled.validate(&person)).0, "/national_id");
        assert_eq!(field_and_message(compiled.validate(&json!([1]))).0, "data");
    }

    #[test]
    fn a_deceased_person_needs_a_death_date() {
        let compiled = CompiledRegister::new(&builtin::population(Uuid::nil())).expect("compiles");
        let mut person = builtin::example_person();
        person["status"] = json!("deceased");
        assert_eq!(field_and_message(compiled.validate(&person)).0, "/death_date");
        person["death_date"] = json!("2024-03-01");
        assert!(compiled.validate(&person).is_ok());
    }

    #[test]
    fn businesses_check_their_representatives() {
        let compiled = CompiledRegister::new(&builtin::businesses(Uuid::nil())).expect("compiles");
        let mut business = builtin::example_business();
        assert!(compiled.validate(&business).is_ok());
        business["representatives"][0]["role"] = json!("boss");
        assert_eq!(field_and_message(compiled.validate(&business)).0, "/representatives/0/role");
        business["representatives"] = json!([]);
        assert_eq!(field_and_message(compiled.validate(&business)).0, "/representatives");
    }

    #[test]
    fn bad_schemas_are_refused() {
        let error = compile(&json!({"type": "nonsense"})).expect_err("refused");
        assert!(matches!(error, Error::Invalid { ref field, .. } if field == "schema"), "{error:?}");
        assert!(compile(&json!({"$ref": "https://example.invalid/schema.json"})).is_err());
    }
}
