//! Finding the records a GovStack `query.content` describes: by the identifier when it is
//! there, else through the register's searchable fields; every other field in the query must
//! match too (objects as subsets, arrays by containment).

use serde_json::{Map, Value};

use super::error::GovError;
use crate::bulk::schema::{nullable, subschema};
use crate::{AsOf, Record, RegisterInfo, Registry};

/// Candidates read per search page, and at most this many looked at before the query is too broad.
const PAGE: i64 = 200;
const MAX_CANDIDATES: usize = 5_000;

/// Up to `want` records matching `content`, by identifier. Reads other than "now" need the
/// identifier (searches cover current facts).
pub async fn find(
    registry: &Registry,
    info: &RegisterInfo,
    content: &Map<String, Value>,
    as_of: &AsOf,
    want: usize,
    field: &str,
) -> Result<Vec<Record>, GovError> {
    if let Some(id) = content.get(&info.id_field) {
        let Some(id) = id.as_str() else {
            return Err(GovError::invalid(format!("{field}/{}", info.id_field), "the identifier is a string"));
        };
        let found = registry.get(&info.name, id, as_of).await?;
        return Ok(found.into_iter().filter(|r| !r.data.is_null() && matches(content, &r.data)).collect());
    }
    if *as_of != AsOf::now() {
        return Err(GovError::invalid(
            field,
            format!(
                "asOf and knownAt need the identifier `{}` in the query (searches cover current facts)",
                info.id_field
            ),
        ));
    }
    let filters = filters(info, content);
    if filters.is_empty() {
        return Err(GovError::invalid(field, searchable_hint(info)));
    }
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    let mut seen = 0usize;
    loop {
        let page = registry.search_in(info, &filters, after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        seen += page.len();
        let full = page.len() as i64 == PAGE;
        out.extend(page.into_iter().filter(|r| matches(content, &r.data)));
        if out.len() >= want {
            out.truncate(want);
            return Ok(out);
        }
        if !full {
            break;
        }
        if seen >= MAX_CANDIDATES {
            return Err(GovError::invalid(
                field,
                format!(
                    "more than {MAX_CANDIDATES} records share these searchable values; add the identifier or more searchable fields"
                ),
            ));
        }
    }
    Ok(out)
}

/// What to tell a caller whose query names no usable field.
pub fn searchable_hint(info: &RegisterInfo) -> String {
    let names: Vec<String> =
        info.index_fields().into_iter().map(|f| f.pointer.trim_start_matches('/').replace('/', ".")).collect();
    if names.is_empty() {
        format!("give the identifier `{}`", info.id_field)
    } else {
        format!("give the identifier `{}` or a searchable field ({})", info.id_field, names.join(", "))
    }
}

/// The `(index name, value)` filters the query's searchable fields give.
fn filters(info: &RegisterInfo, content: &Map<String, Value>) -> Vec<(String, String)> {
    let content = Value::Object(content.clone());
    let mut out = Vec::new();
    for field in info.index_fields() {
        match content.pointer(&field.pointer) {
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(text).map(|v| (field.name.clone(), v))),
            Some(value) => out.extend(text(value).map(|v| (field.name.clone(), v))),
            None => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A value as the search index holds it.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether `data` has every field of `query` with the same value.
pub fn matches(query: &Map<String, Value>, data: &Value) -> bool {
    query.iter().all(|(k, v)| data.get(k).is_some_and(|d| contains(d, v)))
}

fn contains(data: &Value, query: &Value) -> bool {
    match (data, query) {
        (Value::Object(_), Value::Object(q)) => matches(q, data),
        (Value::Array(items), Value::Array(wanted)) => wanted.iter().all(|w| items.iter().any(|i| contains(i, w))),
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64().zip(b.as_f64()).is_some_and(|(a, b)| a == b),
        (a, b) => a == b,
    }
}

/// Write `patch` over `target` (a record's data under `schema`): objects merge field by field,
/// other values replace. A `null` sets the field to null where the schema allows null, and
/// removes the field elsewhere (as in JSON merge patch, RFC 7396).
pub fn overlay(target: &mut Value, patch: &Value, schema: &Value) {
    overlay_at(target, patch, schema, &mut Vec::new());
}

fn overlay_at(target: &mut Value, patch: &Value, schema: &Value, path: &mut Vec<String>) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else { return };
    for (key, value) in patch {
        path.push(key.clone());
        if value.is_null() {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            if subschema(schema, &segments).is_some_and(|s| nullable(schema, s)) {
                map.insert(key.clone(), Value::Null);
            } else {
                map.remove(key);
            }
        } else {
            overlay_at(map.entry(key.clone()).or_insert(Value::Null), value, schema, path);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn queries_match_subsets() {
        let data = json!({"id": "1", "name": "Ana", "age": 30, "tags": ["a", "b"], "home": {"town": "X", "zip": "1"}});
        assert!(matches(&obj(json!({"name": "Ana"})), &data));
        assert!(matches(&obj(json!({"age": 30.0})), &data));
        assert!(matches(&obj(json!({"tags": ["b"], "home": {"town": "X"}})), &data));
        assert!(!matches(&obj(json!({"name": "Bo"})), &data));
        assert!(!matches(&obj(json!({"home": {"town": "Y"}})), &data));
        assert!(!matches(&obj(json!({"missing": 1})), &data));
    }

    #[test]
    fn overlays_merge_objects_and_null_removes_unless_the_schema_allows_it() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string"}, "n": {"type": ["string", "null"]},
            "c": {"type": "object", "properties": {"d": {"type": "string"}, "f": {"type": "string"}}}}});
        let mut target = json!({"a": "b", "n": "x", "c": {"d": "e", "f": "g"}, "keep": 1});
        overlay(&mut target, &json!({"a": "z", "n": null, "c": {"f": null}, "new": [1]}), &schema);
        assert_eq!(target, json!({"a": "z", "n": null, "c": {"d": "e"}, "keep": 1, "new": [1]}));
    }
}
