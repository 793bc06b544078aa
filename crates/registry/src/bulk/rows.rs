//! Turning one row of a bulk file into a record's JSON: CSV cells are coerced to the types the
//! register's schema declares (dotted headers build nested objects, `;` separates array
//! elements); a JSON Lines row must be one JSON object.

use csv::StringRecord;
use serde_json::{Map, Number, Value};

use super::report::RowError;
use super::schema::{FieldType, field_type, nullable, subschema};

/// How the columns of a CSV file map to a record's fields.
#[derive(Clone, Debug)]
pub struct CsvColumns {
    columns: Vec<Column>,
}

#[derive(Clone, Debug)]
struct Column {
    header: String,
    path: Vec<String>,
    kind: FieldType,
    /// What an empty cell means: `null` where the schema allows it, `[]` for a list, else
    /// the field is left out.
    empty: Option<Value>,
}

impl CsvColumns {
    /// Map the header row to the schema; every unusable header is reported against line 1.
    pub fn from_headers(headers: &StringRecord, schema: &Value) -> Result<CsvColumns, Vec<RowError>> {
        let mut columns = Vec::new();
        let mut errors = Vec::new();
        for (index, raw) in headers.iter().enumerate() {
            let header = if index == 0 { raw.trim_start_matches('\u{feff}') } else { raw }.trim();
            let field = if header.is_empty() { format!("column {}", index + 1) } else { header.to_string() };
            if header.is_empty() {
                errors.push(RowError::new(1, field, "the header is empty; name the field this column holds"));
                continue;
            }
            let path: Vec<String> = header.split('.').map(str::to_string).collect();
            if path.iter().any(String::is_empty) {
                errors.push(RowError::new(1, field, "a dotted header needs a name on each side of every dot"));
                continue;
            }
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            let (kind, empty) = match subschema(schema, &segments) {
                Some(sub) => {
                    let kind = field_type(schema, sub);
                    let empty = if nullable(schema, sub) {
                        Some(Value::Null)
                    } else if matches!(kind, FieldType::Array(_)) {
                        Some(Value::Array(Vec::new()))
                    } else {
                        None
                    };
                    (kind, empty)
                }
                None if closed(schema, &segments[..segments.len() - 1]) => {
                    errors.push(RowError::new(1, field, "not a field of this register's schema"));
                    continue;
                }
                None => (FieldType::Any, None),
            };
            columns.push(Column { header: header.to_string(), path, kind, empty });
        }
        for (i, a) in columns.iter().enumerate() {
            for b in &columns[i + 1..] {
                if a.path == b.path {
                    errors.push(RowError::new(1, b.header.clone(), "this column appears twice"));
                } else if b.path.starts_with(&a.path) || a.path.starts_with(&b.path) {
                    errors.push(RowError::new(
                        1,
                        b.header.clone(),
                        format!("overlaps column `{}`; use either the object or its dotted fields", a.header),
                    ));
                }
            }
        }
        if errors.is_empty() { Ok(CsvColumns { columns }) } else { Err(errors) }
    }

    /// The record one CSV row describes; empty cells leave their field out.
    pub fn to_value(&self, record: &StringRecord, row: u64) -> Result<Value, Vec<RowError>> {
        let mut data = Map::new();
        let mut errors = Vec::new();
        if record.len() != self.columns.len() {
            return Err(vec![RowError::row(
                row,
                format!("has {} cells; the header has {} columns", record.len(), self.columns.len()),
            )]);
        }
        for (column, cell) in self.columns.iter().zip(record.iter()) {
            if cell.is_empty() {
                if let Some(empty) = &column.empty {
                    insert(&mut data, &column.path, empty.clone());
                }
                continue;
            }
            match coerce(cell, &column.kind) {
                Ok(value) => insert(&mut data, &column.path, value),
                Err(problem) => errors.push(RowError::new(row, column.header.clone(), problem)),
            }
        }
        if errors.is_empty() { Ok(Value::Object(data)) } else { Err(errors) }
    }
}

/// Whether the object at `path` forbids properties its schema does not list.
fn closed(schema: &Value, path: &[&str]) -> bool {
    let Some(parent) = subschema(schema, path) else { return false };
    [parent.get("additionalProperties"), parent.get("unevaluatedProperties")].into_iter().flatten().any(|v| v == false)
}

fn insert(into: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            into.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let slot = into.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                insert(inner, rest, value);
            }
        }
    }
}

/// One cell as the declared type; the error says what was expected and what was found.
pub fn coerce(cell: &str, kind: &FieldType) -> Result<Value, String> {
    match kind {
        FieldType::String => Ok(Value::String(cell.to_string())),
        FieldType::Integer => {
            cell.trim().parse::<i64>().map(Value::from).map_err(|_| format!("expected a whole number, found `{cell}`"))
        }
        FieldType::Number => number(cell.trim()).ok_or_else(|| format!("expected a number, found `{cell}`")),
        FieldType::Boolean => match cell.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, found `{cell}`")),
        },
        FieldType::Object => json(cell, "object").and_then(|v| {
            if v.is_object() {
                Ok(v)
            } else {
                Err("expected a JSON object such as {\"key\": \"value\"}, or use dotted columns".into())
            }
        }),
        FieldType::Array(items) => {
            if cell.trim_start().starts_with('[') {
                return json(cell, "array");
            }
            if matches!(**items, FieldType::Object | FieldType::Array(_)) {
                return Err("the elements are objects: write the cell as a JSON array, e.g. [{\"…\": …}]".into());
            }
            split_list(cell)
                .into_iter()
                .enumerate()
                .map(|(i, element)| {
                    if element.is_empty() {
                        Err(format!("element {} of the `;`-separated list is empty", i + 1))
                    } else {
                        coerce(&element, items).map_err(|e| format!("element {}: {e}", i + 1))
                    }
                })
                .collect::<Result<Vec<Value>, String>>()
                .map(Value::Array)
        }
        FieldType::Any => {
            let trimmed = cell.trim_start();
            if trimmed.starts_with('[') || trimmed.starts_with('{') {
                json(cell, "value")
            } else {
                Ok(Value::String(cell.to_string()))
            }
        }
    }
}

fn number(text: &str) -> Option<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    text.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number)
}

fn json(cell: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(cell).map_err(|e| format!("not valid JSON for this {what}: {e}"))
}

/// Split a `;`-separated list; `\;` is a literal semicolon and `\\` a backslash.
pub fn split_list(cell: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ (';' | '\\')) => push(&mut out, next),
                Some(other) => {
                    push(&mut out, '\\');
                    push(&mut out, other);
                }
                None => push(&mut out, '\\'),
            },
            ';' => out.push(String::new()),
            other => push(&mut out, other),
        }
    }
    out
}

fn push(out: &mut [String], c: char) {
    if let Some(last) = out.last_mut() {
        last.push(c);
    }
}

/// The inverse of [`split_list`] for one element.
pub fn escape_element(element: &str) -> String {
    element.replace('\\', "\\\\").replace(';', "\\;")
}

/// One line of a JSON Lines file as a record; blank lines are skipped by the caller.
pub fn json_line(line: &str, row: u64) -> Result<Value, Vec<RowError>> {
    match serde_json::from_str::<Value>(line) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(vec![RowError::row(row, "each line must be one JSON object (a record)")]),
        Err(e) => Err(vec![RowError::row(row, format!("not valid JSON: {e}"))]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "additionalProperties": false, "properties": {
            "national_id": {"type": "string"},
            "children": {"type": "integer"},
            "alive": {"type": "boolean"},
            "height": {"type": "number"},
            "citizenships": {"type": "array", "items": {"type": "string"}},
            "residence": {"type": "object", "additionalProperties": false,
                "properties": {"municipality": {"type": "string"}, "postcode": {"type": ["string", "null"]}}}
        }})
    }

    #[test]
    fn cells_are_coerced_and_dotted_headers_nest() {
        let headers = StringRecord::from(vec![
            "\u{feff}national_id",
            "children",
            "alive",
            "height",
            "citizenships",
            "residence.municipality",
            "residence.postcode",
        ]);
        let columns = CsvColumns::from_headers(&headers, &schema()).expect("columns");
        let row = StringRecord::from(vec!["12345678903", "2", "yes", "1.75", "DL;F\\;R", "Capital", ""]);
        let value = columns.to_value(&row, 2).expect("row");
        assert_eq!(
            value,
            json!({"national_id": "12345678903", "children": 2, "alive": true, "height": 1.75,
                "citizenships": ["DL", "F;R"], "residence": {"municipality": "Capital", "postcode": null}})
        );
        let empty = columns.to_value(&StringRecord::from(vec!["1", "", "", "", "", "", ""]), 3).expect("row");
        assert_eq!(empty, json!({"national_id": "1", "citizenships": [], "residence": {"postcode": null}}));
    }

    #[test]
    fn bad_cells_name_row_and_column() {
        let headers = StringRecord::from(vec!["national_id", "children", "alive"]);
        let columns = CsvColumns::from_headers(&headers, &schema()).expect("columns");
        let errors = columns.to_value(&StringRecord::from(vec!["1", "two", "maybe"]), 7).expect_err("bad");
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].row, errors[0].field.as_deref()), (7, Some("children")));
        assert!(errors[0].problem.contains("whole number"), "{}", errors[0].problem);
        assert_eq!(errors[1].field.as_deref(), Some("alive"));
        let short = columns.to_value(&StringRecord::from(vec!["1"]), 8).expect_err("short");
        assert!(short[0].field.is_none() && short[0].problem.contains("3 columns"));
    }

    #[test]
    fn unknown_duplicate_and_overlapping_headers_are_reported() {
        let headers = StringRecord::from(vec![
            "national_id",
            "nickname",
            "residence",
            "residence.municipality",
            "alive",
            "alive",
        ]);
        let errors = CsvColumns::from_headers(&headers, &schema()).expect_err("bad headers");
        let fields: Vec<&str> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert!(fields.contains(&"nickname"));
        assert!(fields.contains(&"residence.municipality"));
        assert!(fields.contains(&"alive"));
        assert!(errors.iter().all(|e| e.row == 1));
    }

    #[test]
    fn lists_round_trip_through_escaping() {
        for parts in [vec!["a", "b"], vec!["x;y", "back\\slash"], vec!["one"]] {
            let cell: Vec<String> = parts.iter().map(|p| escape_element(p)).collect();
            assert_eq!(split_list(&cell.join(";")), parts);
        }
    }

    #[test]
    fn json_lines_must_be_objects() {
        assert!(json_line("{\"a\": 1}", 1).is_ok());
        assert!(json_line("[1]", 2).expect_err("array")[0].problem.contains("JSON object"));
        assert!(json_line("{", 3).expect_err("broken")[0].problem.contains("not valid JSON"));
    }
}
