//! What changed between two versions of a record, field by field: each value that differs,
//! named by its JSON pointer, with what it was and what it became.

use std::collections::BTreeMap;

use serde_json::Value;

/// One field that differs between two versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldChange {
    /// JSON pointer of the field (`/residence/municipality`, `/citizenships/1`).
    pub pointer: String,
    /// Its value before, as text; `None` when the field was added.
    pub before: Option<String>,
    /// Its value after, as text; `None` when the field was removed.
    pub after: Option<String>,
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A value as one line of text: strings as they are, everything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every leaf (scalar, empty list or empty object) of `value` by JSON pointer.
fn leaves(value: &Value, pointer: String, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                leaves(inner, format!("{pointer}/{}", escape(key)), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                leaves(inner, format!("{pointer}/{i}"), out);
            }
        }
        leaf => {
            out.insert(pointer, text(leaf));
        }
    }
}

/// The fields that differ between `before` and `after`, by pointer. A `null` version (before
/// the first, or a deletion) has no fields.
pub(crate) fn diff(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut old = BTreeMap::new();
    let mut new = BTreeMap::new();
    if !before.is_null() {
        leaves(before, String::new(), &mut old);
    }
    if !after.is_null() {
        leaves(after, String::new(), &mut new);
    }
    let mut pointers: Vec<&String> = old.keys().chain(new.keys()).collect();
    pointers.sort();
    pointers.dedup();
    pointers
        .into_iter()
        .filter(|p| old.get(*p) != new.get(*p))
        .map(|p| FieldChange { pointer: p.clone(), before: old.get(p).cloned(), after: new.get(p).cloned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(pointer: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
        FieldChange { pointer: pointer.into(), before: before.map(Into::into), after: after.map(Into::into) }
    }

    #[test]
    fn changes_are_named_by_pointer() {
        let before = json!({
            "name": "Ada", "residence": {"municipality": "Demopolis", "street": "1 Main St"},
            "citizenships": ["DL"], "spouse": null, "a/b": 1, "children": []
        });
        let after = json!({
            "name": "Ada", "residence": {"municipality": "Sampleton", "street": "1 Main St"},
            "citizenships": ["DL", "FR"], "spouse": "12345678903", "a/b": 2, "children": []
        });
        assert_eq!(
            diff(&before, &after),
            vec![
                change("/a~1b", Some("1"), Some("2")),
                change("/citizenships/1", None, Some("FR")),
                change("/residence/municipality", Some("Demopolis"), Some("Sampleton")),
                change("/spouse", Some("null"), Some("12345678903")),
            ]
        );
        assert!(diff(&before, &before).is_empty());
    }

    #[test]
    fn a_first_version_adds_and_a_deletion_removes_every_field() {
        let data = json!({"name": "Ada", "tags": []});
        assert_eq!(
            diff(&Value::Null, &data),
            vec![change("/name", None, Some("Ada")), change("/tags", None, Some("[]"))]
        );
        assert_eq!(diff(&data, &Value::Null).len(), 2);
        assert!(diff(&data, &Value::Null).iter().all(|c| c.after.is_none()));
    }
}
