//! A register's definition: its schema, identifier, searchable fields and the fields naming the
//! persons a record concerns; the checks a definition must pass and the values it indexes.

use std::borrow::Cow;

use publica_kernel::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::ids::IdScheme;

/// Longest value (in bytes) of an indexed field that is searchable; longer ones are not indexed.
pub const MAX_INDEXED_VALUE_LEN: usize = 512;
/// Most searchable fields a register may declare.
pub const MAX_INDEXED_FIELDS: usize = 16;

/// The definition of a register.
///
/// `indexed` entries name the fields searchable by exact value. An entry is either a top-level
/// field (`family_name`) or a JSON pointer into the record (`/residence/municipality`); a
/// pointer is searched under its last segment (`municipality`), so those short names must be
/// unique within a register. A string value is indexed as it is, a number or boolean as its
/// JSON text, an array of those as each of its elements; objects, nulls and values longer than
/// [`MAX_INDEXED_VALUE_LEN`] bytes are not indexed.
///
/// A definition with a given `(name, version)` never changes: define a new version to change
/// the schema, the owner or anything else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisterInfo {
    pub name: String,
    pub version: String,
    pub title: String,
    /// The authoritative source: only this organisation writes.
    pub owner_org: Uuid,
    /// JSON Schema (draft 2020-12) of a record's data.
    pub schema: Value,
    /// Top-level field holding the identifier.
    pub id_field: String,
    pub id_scheme: IdScheme,
    /// Fields searchable by exact value (see above).
    pub indexed: Vec<String>,
    /// JSON pointers to the national ids a record concerns; a `*` segment stands for every
    /// element of an array (`/representatives/*/national_id`).
    pub person_fields: Vec<String>,
}

/// A searchable field: the name searches use and where its value is in a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexField {
    pub name: String,
    pub pointer: String,
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Parse one `indexed` entry.
pub fn index_field(entry: &str) -> Result<IndexField, String> {
    let field = if entry.starts_with('/') {
        let last = entry.rsplit('/').next().map(unescape).unwrap_or_default();
        IndexField { name: last, pointer: entry.to_string() }
    } else {
        IndexField { name: entry.to_string(), pointer: format!("/{}", escape(entry)) }
    };
    if field.name.is_empty() || field.name.len() > 64 || field.name.chars().any(char::is_control) {
        return Err(format!(
            "`{entry}`: give a field name or a JSON pointer ending in a field name of 1 to 64 characters"
        ));
    }
    Ok(field)
}

fn printable(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// Whether `name` may name a register: lowercase letters, digits and hyphens, from a letter.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl RegisterInfo {
    /// The searchable fields, parsed. A definition that passed [`RegisterInfo::check`] has
    /// only valid entries; others are skipped.
    pub fn index_fields(&self) -> Vec<IndexField> {
        self.indexed.iter().filter_map(|entry| index_field(entry).ok()).collect()
    }

    /// The JSON pointer of the identifier field.
    pub fn id_pointer(&self) -> String {
        format!("/{}", escape(&self.id_field))
    }

    /// Check everything in the definition that needs no database and no schema compiler.
    pub fn check(&self) -> Result<()> {
        if !valid_name(&self.name) {
            return Err(Error::invalid(
                "name",
                "give 1 to 63 lowercase letters, digits and hyphens, starting with a letter, e.g. vehicles",
            ));
        }
        if !printable(&self.version, 32) || self.version.contains(char::is_whitespace) {
            return Err(Error::invalid("version", "give a version of 1 to 32 characters without spaces, e.g. 1.0"));
        }
        if !printable(&self.title, 200) {
            return Err(Error::invalid("title", "give a title of 1 to 200 printable characters"));
        }
        if !self.schema.is_object() {
            return Err(Error::invalid("schema", "give a JSON Schema object (draft 2020-12)"));
        }
        let declared = self.schema.get("properties").and_then(|p| p.get(&self.id_field)).is_some();
        let required = self
            .schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|f| f.as_str() == Some(self.id_field.as_str())));
        if self.id_field.is_empty() || !declared || !required {
            return Err(Error::invalid(
                "id_field",
                format!("`{}` must be a property of the schema listed in its `required`", self.id_field),
            ));
        }
        if self.indexed.len() > MAX_INDEXED_FIELDS {
            return Err(Error::invalid("indexed", format!("at most {MAX_INDEXED_FIELDS} searchable fields")));
        }
        let mut names = Vec::new();
        for (i, entry) in self.indexed.iter().enumerate() {
            let field = index_field(entry).map_err(|m| Error::invalid(format!("indexed/{i}"), m))?;
            if names.contains(&field.name) {
                return Err(Error::invalid(
                    format!("indexed/{i}"),
                    format!("two searchable fields are named `{}`", field.name),
                ));
            }
            names.push(field.name);
        }
        for (i, pointer) in self.person_fields.iter().enumerate() {
            if !pointer.starts_with('/') {
                return Err(Error::invalid(
                    format!("person_fields/{i}"),
                    "give a JSON pointer, e.g. /national_id or /representatives/*/national_id",
                ));
            }
        }
        Ok(())
    }

    /// The national ids this record concerns, from `person_fields`, without repeats.
    pub fn person_ids(&self, data: &Value) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for pointer in &self.person_fields {
            let segments: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
            collect(data, &segments, &mut out);
        }
        out
    }
}

fn collect(value: &Value, segments: &[String], out: &mut Vec<String>) {
    let Some((first, rest)) = segments.split_first() else {
        if let Some(id) = value.as_str()
            && !out.iter().any(|o| o == id)
        {
            out.push(id.to_string());
        }
        return;
    };
    match value {
        Value::Array(items) if first == "*" => items.iter().for_each(|item| collect(item, rest, out)),
        Value::Array(items) => {
            if let Some(item) = first.parse::<usize>().ok().and_then(|i| items.get(i)) {
                collect(item, rest, out);
            }
        }
        Value::Object(map) => {
            if let Some(inner) = map.get(first) {
                collect(inner, rest, out);
            }
        }
        _ => {}
    }
}

/// The value at a JSON pointer (as `Value::pointer`, without allocating for plain segments).
fn resolve<'a>(data: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut current = data;
    for segment in pointer.split('/').skip(1) {
        current = match current {
            Value::Object(map) if segment.contains('~') => map.get(&unescape(segment))?,
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

fn index_text(value: &Value) -> Option<Cow<'_, str>> {
    let text = match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Bool(b) => Cow::Owned(b.to_string()),
        _ => return None,
    };
    (text.len() <= MAX_INDEXED_VALUE_LEN).then_some(text)
}

/// The `(field name, value)` pairs a record's data puts in the search index, borrowed from
/// the data where they can be, in field order (repeats possible within an array).
pub fn index_entries<'a>(fields: &'a [IndexField], data: &'a Value) -> Vec<(&'a str, Cow<'a, str>)> {
    let mut out = Vec::new();
    for field in fields {
        match resolve(data, &field.pointer) {
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(index_text).map(|v| (field.name.as_str(), v)));
            }
            Some(value) => out.extend(index_text(value).map(|v| (field.name.as_str(), v))),
            None => {}
        }
    }
    out
}

/// The `(field name, value)` pairs a record's data puts in the search index, sorted and
/// without repeats.
pub fn index_values(fields: &[IndexField], data: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        index_entries(fields, data).into_iter().map(|(f, v)| (f.to_string(), v.into_owned())).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn info() -> RegisterInfo {
        RegisterInfo {
            name: "vehicles".into(),
            version: "1.0".into(),
            title: "Vehicles".into(),
            owner_org: Uuid::nil(),
            schema: json!({"type": "object", "properties": {"plate": {"type": "string"}}, "required": ["plate"]}),
            id_field: "plate".into(),
            id_scheme: IdScheme::Uuid,
            indexed: vec!["colour".into(), "/owner/municipality".into(), "tags".into()],
            person_fields: vec!["/owners/*/national_id".into(), "/keeper".into()],
        }
    }

    #[test]
    fn index_entries_are_fields_or_pointers() {
        assert_eq!(
            info().index_fields(),
            vec![
                IndexField { name: "colour".into(), pointer: "/colour".into() },
                IndexField { name: "municipality".into(), pointer: "/owner/municipality".into() },
                IndexField { name: "tags".into(), pointer: "/tags".into() },
            ]
        );
        assert!(index_field("/").is_err());
        assert!(index_field("/a/").is_err());
        assert_eq!(index_field("a/b").map(|f| f.pointer), Ok("/a~1b".into()));
    }

    #[test]
    fn index_values_take_scalars_and_arrays() {
        let data =
            json!({"colour": "red", "owner": {"municipality": "Demopolis"}, "tags": ["a", 3, true, {"x": 1}, "a"]});
        assert_eq!(
            index_values(&info().index_fields(), &data),
            vec![
                ("colour".into(), "red".into()),
                ("municipality".into(), "Demopolis".into()),
                ("tags".into(), "3".into()),
                ("tags".into(), "a".into()),
                ("tags".into(), "true".into()),
            ]
        );
        let long = "x".repeat(MAX_INDEXED_VALUE_LEN + 1);
        assert!(index_values(&info().index_fields(), &json!({"colour": long})).is_empty());
    }

    #[test]
    fn person_ids_follow_wildcards() {
        let data = json!({"owners": [{"national_id": "1"}, {"national_id": "2"}, {"other": 3}], "keeper": "1"});
        assert_eq!(info().person_ids(&data), vec!["1".to_string(), "2".to_string()]);
        assert!(info().person_ids(&json!({})).is_empty());
    }

    #[test]
    fn checks_name_the_bad_part() {
        assert!(info().check().is_ok());
        let bad = |f: fn(&mut RegisterInfo), field: &str| {
            let mut i = info();
            f(&mut i);
            match i.check() {
                Err(Error::Invalid { field: got, .. }) => assert_eq!(got, field),
                other => panic!("expected an error on {field}, got {other:?}"),
            }
        };
        bad(|i| i.name = "Vehicles".into(), "name");
        bad(|i| i.name = "1st".into(), "name");
        bad(|i| i.version = "1 0".into(), "version");
        bad(|i| i.title = " ".into(), "title");
        bad(|i| i.id_field = "vin".into(), "id_field");
        bad(|i| i.schema = json!({"properties": {"plate": {}}}), "id_field");
        bad(|i| i.indexed.push("/x/colour".into()), "indexed/3");
        bad(|i| i.person_fields.push("national_id".into()), "person_fields/2");
    }
}
