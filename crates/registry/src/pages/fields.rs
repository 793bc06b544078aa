//! A register's fields as its JSON Schema describes them, one row per field with its JSON
//! pointer (`*` for every element of a list), its type, whether it is required and searchable,
//! the values it allows and its description. Local `$ref`s (`#/$defs/…`) are followed.

use serde_json::Value;

use crate::domain::RegisterInfo;

/// One field of a register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldRow {
    pub pointer: String,
    /// JSON Schema type words (`string`, `array`, `string | null`), with the format if any.
    pub kind: String,
    pub required: bool,
    pub searchable: bool,
    /// The allowed values, when the schema lists them (`enum`, `const`).
    pub values: Option<String>,
    pub description: Option<String>,
}

/// How deep the walk goes (schemas nest; `$ref`s may loop).
const MAX_DEPTH: usize = 8;

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The schema `node` stands for, following local references (a few hops at most).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

fn kind(node: &Value) -> String {
    let mut words = match node.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
        _ if node.get("enum").is_some() || node.get("const").is_some() => String::from("enum"),
        _ => String::from("any"),
    };
    if let Some(format) = node.get("format").and_then(Value::as_str) {
        words.push_str(&format!(" ({format})"));
    }
    words
}

fn values(node: &Value) -> Option<String> {
    let list = match (node.get("enum"), node.get("const")) {
        (Some(Value::Array(values)), _) => values.clone(),
        (_, Some(value)) => vec![value.clone()],
        _ => return None,
    };
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    Some(list.iter().map(text).collect::<Vec<_>>().join(", "))
}

/// The fields of a register, in the order its schema gives them (by name within an object).
pub(crate) fn rows(info: &RegisterInfo) -> Vec<FieldRow> {
    let searchable: Vec<String> = info.index_fields().into_iter().map(|f| f.pointer).collect();
    let mut out = Vec::new();
    walk(&info.schema, &info.schema, "", &searchable, 0, &mut out);
    out
}

fn walk(root: &Value, node: &Value, pointer: &str, searchable: &[String], depth: usize, out: &mut Vec<FieldRow>) {
    if depth >= MAX_DEPTH {
        return;
    }
    let node = resolve(root, node);
    if let Some(Value::Object(properties)) = node.get("properties") {
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, property) in properties {
            let property_pointer = format!("{pointer}/{}", escape(name));
            let resolved = resolve(root, property);
            out.push(FieldRow {
                kind: kind(resolved),
                required: required.contains(&name.as_str()),
                searchable: searchable.contains(&property_pointer),
                values: values(resolved),
                description: resolved
                    .get("description")
                    .or_else(|| property.get("description"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                pointer: property_pointer.clone(),
            });
            walk(root, resolved, &property_pointer, searchable, depth + 1, out);
        }
    }
    if let Some(items) = node.get("items").filter(|i| i.is_object()) {
        let items_pointer = format!("{pointer}/*");
        let resolved = resolve(root, items);
        if !pointer.is_empty() && (resolved.get("type").is_some() || resolved.get("enum").is_some()) {
            out.push(FieldRow {
                kind: kind(resolved),
                required: false,
                searchable: false,
                values: values(resolved),
                description: resolved.get("description").and_then(Value::as_str).map(str::to_string),
                pointer: items_pointer.clone(),
            });
        }
        walk(root, resolved, &items_pointer, searchable, depth + 1, out);
    }
}

/// A starting point for a new record: the required fields of each object, strings empty,
/// lists empty, other values `null` (the form's checks then name what is still to fill in).
pub(crate) fn skeleton(schema: &Value) -> Value {
    fill(schema, schema, 0)
}

fn fill(root: &Value, node: &Value, depth: usize) -> Value {
    let node = resolve(root, node);
    if depth >= MAX_DEPTH {
        return Value::Null;
    }
    if let Some(value) = node.get("const") {
        return value.clone();
    }
    let kind = node.get("type").and_then(Value::as_str);
    if kind == Some("object") || node.get("properties").is_some() {
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut object = serde_json::Map::new();
        for name in required {
            let inner = node.get("properties").and_then(|p| p.get(name)).unwrap_or(&Value::Null);
            object.insert(name.to_string(), fill(root, inner, depth + 1));
        }
        return Value::Object(object);
    }
    match kind {
        Some("array") => Value::Array(Vec::new()),
        Some("string") => Value::String(String::new()),
        _ if node.get("enum").is_some() => Value::String(String::new()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::domain::builtin;

    fn row<'a>(rows: &'a [FieldRow], pointer: &str) -> &'a FieldRow {
        rows.iter().find(|r| r.pointer == pointer).unwrap_or_else(|| panic!("no row {pointer} in {rows:?}"))
    }

    #[test]
    fn the_population_register_lists_its_nested_fields() {
        let rows = rows(&builtin::population(Uuid::nil()));
        let id = row(&rows, "/national_id");
        assert_eq!((id.kind.as_str(), id.required, id.searchable), ("string (national-id)", true, false));
        assert!(id.description.as_deref().is_some_and(|d| d.contains("MOD 11,10")), "{id:?}");
        let town = row(&rows, "/residence/municipality");
        assert_eq!((town.kind.as_str(), town.required, town.searchable), ("string", true, true));
        assert!(row(&rows, "/family_name").searchable);
        let sex = row(&rows, "/sex");
        assert_eq!((sex.kind.as_str(), sex.values.as_deref()), ("enum", Some("female, male, other, unknown")));
        assert_eq!(row(&rows, "/family/spouse").kind, "string | null (national-id)");
        assert_eq!(row(&rows, "/citizenships/*").kind, "string");
        assert!(!row(&rows, "/death_date").required);
    }

    #[test]
    fn lists_of_objects_show_their_items_fields() {
        let rows = rows(&builtin::businesses(Uuid::nil()));
        assert_eq!(row(&rows, "/representatives").kind, "array");
        let role = row(&rows, "/representatives/*/role");
        assert!(role.required && role.values.as_deref().is_some_and(|v| v.contains("director")));
        assert!(row(&rows, "/address/municipality").searchable);
    }

    #[test]
    fn a_new_record_starts_from_the_required_fields() {
        let skeleton = skeleton(&builtin::businesses(Uuid::nil()).schema);
        assert_eq!(skeleton["business_id"], "");
        assert_eq!(skeleton["representatives"], serde_json::json!([]));
        assert_eq!(skeleton["address"]["municipality"], "");
        assert_eq!(skeleton["legal_form"], "");
        assert!(skeleton.get("employees").is_none());
    }

    #[test]
    fn looping_references_end() {
        let mut info = builtin::population(Uuid::nil());
        info.schema = serde_json::json!({
            "type": "object", "required": ["id"],
            "properties": {"id": {"type": "string"}, "next": {"$ref": "#"}}
        });
        let rows = rows(&info);
        assert!(rows.len() < 40, "{}", rows.len());
        assert!(rows.iter().any(|r| r.pointer == "/next/next/id"));
    }
}
