//! What a register's JSON Schema says about each field, as far as bulk files need it: the type a
//! CSV cell is coerced to, and the flat list of columns a CSV export writes.

use serde_json::{Map, Value};

/// The JSON type a field holds, as declared by the schema.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    /// An array whose elements have this type.
    Array(Box<FieldType>),
    Object,
    /// The schema does not say (no `type`, or several): the cell is kept as text unless it is
    /// JSON (`[`…`]`, `{`…`}`).
    Any,
}

/// The subschema at `path` (object property names), following local `$ref`s and looking into
/// `allOf`/`anyOf`/`oneOf` alternatives; `None` when the schema does not describe it.
pub fn subschema<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut here = resolve(root, root);
    for segment in path {
        here = property(root, here, segment)?;
    }
    Some(here)
}

fn property<'a>(root: &'a Value, schema: &'a Value, name: &str) -> Option<&'a Value> {
    let schema = resolve(root, schema);
    if let Some(found) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(resolve(root, found));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(found) =
            schema.get(key).and_then(Value::as_array).into_iter().flatten().find_map(|s| property(root, s, name))
        {
            return Some(found);
        }
    }
    None
}

/// Follow `$ref`s of the form `#/…` (at most a few levels: schemas are not cyclic here).
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..8 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else { break };
        let Some(pointer) = reference.strip_prefix('#') else { break };
        match root.pointer(pointer) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// The type declared by `schema` (a subschema of `root`).
pub fn field_type(root: &Value, schema: &Value) -> FieldType {
    let schema = resolve(root, schema);
    let declared: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    };
    match declared.as_slice() {
        ["string"] => FieldType::String,
        ["integer"] => FieldType::Integer,
        ["number"] => FieldType::Number,
        ["boolean"] => FieldType::Boolean,
        ["object"] => FieldType::Object,
        ["array"] => FieldType::Array(Box::new(schema.get("items").map_or(FieldType::Any, |i| field_type(root, i)))),
        [] => {
            if schema.get("properties").is_some() {
                FieldType::Object
            } else if let Some(items) = schema.get("items") {
                FieldType::Array(Box::new(field_type(root, items)))
            } else if let Some(values) = schema.get("enum").and_then(Value::as_array)
                && !values.is_empty()
                && values.iter().all(Value::is_string)
            {
                FieldType::String
            } else if let Some(alternatives) =
                schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array)
            {
                // `anyOf: [{type: string}, {type: null}]` and the like: the one non-null choice.
                let types: Vec<FieldType> = alternatives
                    .iter()
                    .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                    .map(|a| field_type(root, a))
                    .collect();
                match types.as_slice() {
                    [only] => only.clone(),
                    _ => FieldType::Any,
                }
            } else {
                FieldType::Any
            }
        }
        _ => FieldType::Any,
    }
}

/// Whether `schema` allows `null` (`type: [..., "null"]`, or a `null` alternative).
pub fn nullable(root: &Value, schema: &Value) -> bool {
    let schema = resolve(root, schema);
    let null_type = |s: &Value| match s.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    null_type(schema)
        || ["anyOf", "oneOf"].iter().any(|key| {
            schema
                .get(*key)
                .and_then(Value::as_array)
                .is_some_and(|alts| alts.iter().any(|a| null_type(resolve(root, a))))
        })
}

/// The columns of a CSV export, in order: the identifier first, then every leaf of the schema's
/// properties (objects flattened with dotted names; arrays are one column each).
pub fn export_columns(root: &Value, id_field: &str) -> Vec<Vec<String>> {
    let mut columns = vec![vec![id_field.to_string()]];
    let mut prefix = Vec::new();
    flatten(root, resolve(root, root), &mut prefix, &mut columns, 0);
    let mut seen = std::collections::HashSet::new();
    columns.retain(|c| seen.insert(c.clone()));
    columns
}

fn flatten(root: &Value, schema: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>, depth: usize) {
    let mut properties: Map<String, Value> = Map::new();
    collect_properties(root, schema, &mut properties);
    for (name, sub) in properties {
        prefix.push(name);
        let sub = resolve(root, &sub);
        let has_properties = {
            let mut inner = Map::new();
            collect_properties(root, sub, &mut inner);
            !inner.is_empty()
        };
        if field_type(root, sub) == FieldType::Object && has_properties && depth < 8 {
            flatten(root, sub, prefix, out, depth + 1);
        } else {
            out.push(prefix.clone());
        }
        prefix.pop();
    }
}

fn collect_properties(root: &Value, schema: &Value, into: &mut Map<String, Value>) {
    let schema = resolve(root, schema);
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in properties {
            into.entry(name.clone()).or_insert_with(|| sub.clone());
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            collect_properties(root, sub, into);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "$defs": {"address": {"type": "object", "properties": {
                "municipality": {"type": "string"}, "postcode": {"type": ["string", "null"]}}}},
            "properties": {
                "national_id": {"type": "string"},
                "height": {"type": "number"},
                "children": {"type": "integer"},
                "alive": {"type": "boolean"},
                "citizenships": {"type": "array", "items": {"type": "string"}},
                "scores": {"type": "array", "items": {"type": "integer"}},
                "residence": {"$ref": "#/$defs/address"},
                "status": {"enum": ["alive", "deceased"]},
                "links": {"type": "array", "items": {"type": "object"}}
            }
        })
    }

    #[test]
    fn types_follow_refs_and_nullable_unions() {
        let root = schema();
        let t = |path: &[&str]| field_type(&root, subschema(&root, path).expect("described"));
        assert_eq!(t(&["national_id"]), FieldType::String);
        assert_eq!(t(&["height"]), FieldType::Number);
        assert_eq!(t(&["children"]), FieldType::Integer);
        assert_eq!(t(&["alive"]), FieldType::Boolean);
        assert_eq!(t(&["citizenships"]), FieldType::Array(Box::new(FieldType::String)));
        assert_eq!(t(&["scores"]), FieldType::Array(Box::new(FieldType::Integer)));
        assert_eq!(t(&["residence"]), FieldType::Object);
        assert_eq!(t(&["residence", "municipality"]), FieldType::String);
        assert_eq!(t(&["residence", "postcode"]), FieldType::String);
        assert_eq!(t(&["status"]), FieldType::String);
        assert!(nullable(&root, subschema(&root, &["residence", "postcode"]).expect("postcode")));
        assert!(!nullable(&root, subschema(&root, &["residence", "municipality"]).expect("municipality")));
        assert!(subschema(&root, &["nope"]).is_none());
        assert!(subschema(&root, &["residence", "nope"]).is_none());
    }

    #[test]
    fn export_columns_flatten_objects_and_put_the_identifier_first() {
        let columns: Vec<String> = export_columns(&schema(), "national_id").into_iter().map(|c| c.join(".")).collect();
        assert_eq!(columns[0], "national_id");
        assert!(columns.contains(&"residence.municipality".to_string()));
        assert!(columns.contains(&"citizenships".to_string()));
        assert!(columns.contains(&"links".to_string()));
        assert!(!columns.contains(&"residence".to_string()));
        assert_eq!(columns.iter().filter(|c| *c == "national_id").count(), 1);
    }
}
