//! The previewed data as a person reads it: a JSON answer becomes rows of "item – value"
//! (nested fields under their parents' names), a text answer is shown as it is, anything else
//! is described.

use serde_json::Value;

use super::model::Snapshot;

/// Rows shown at most; a longer answer is cut with a note.
pub const MAX_ROWS: usize = 500;
/// Characters of a text answer shown at most.
pub const MAX_TEXT: usize = 100_000;

/// One line of the data table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: String,
}

/// How the data is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    Rows {
        rows: Vec<Row>,
        cut: bool,
    },
    Text(String),
    /// Neither JSON nor text: its content type and size.
    Opaque {
        content_type: String,
        bytes: usize,
    },
}

/// The words for true, false and nothing in the page's language.
pub struct Words<'a> {
    pub yes: &'a str,
    pub no: &'a str,
    pub none: &'a str,
}

pub fn show(snapshot: &Snapshot, words: &Words<'_>) -> Shown {
    let body = snapshot.body_bytes().unwrap_or_default();
    if snapshot.is_json()
        && let Ok(value) = serde_json::from_slice::<Value>(&body)
    {
        let mut rows = Vec::new();
        walk("", &value, words, &mut rows);
        let cut = rows.len() > MAX_ROWS;
        rows.truncate(MAX_ROWS);
        return Shown::Rows { rows, cut };
    }
    let content_type = snapshot.content_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    if content_type.to_ascii_lowercase().starts_with("text/")
        && let Ok(text) = std::str::from_utf8(&body)
    {
        return Shown::Text(text.chars().take(MAX_TEXT).collect());
    }
    Shown::Opaque { content_type, bytes: body.len() }
}

/// `birth_date` → `Birth date`.
fn human(key: &str) -> String {
    let spaced = key.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => key.to_string(),
    }
}

fn scalar(value: &Value, words: &Words<'_>) -> Option<String> {
    match value {
        Value::Null => Some(words.none.to_string()),
        Value::Bool(true) => Some(words.yes.to_string()),
        Value::Bool(false) => Some(words.no.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn walk(label: &str, value: &Value, words: &Words<'_>, rows: &mut Vec<Row>) {
    if rows.len() > MAX_ROWS {
        return;
    }
    let child = |key: &str| if label.is_empty() { key.to_string() } else { format!("{label} › {key}") };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                walk(&child(&human(key)), v, words, rows);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let scalars: Option<Vec<String>> = items.iter().map(|v| scalar(v, words)).collect();
            match scalars {
                Some(values) => rows.push(Row { label: label.to_string(), value: values.join(", ") }),
                None => {
                    for (i, v) in items.iter().enumerate() {
                        walk(&child(&(i + 1).to_string()), v, words, rows);
                    }
                }
            }
        }
        Value::Object(_) | Value::Array(_) => {
            rows.push(Row { label: label.to_string(), value: words.none.to_string() })
        }
        other => rows.push(Row { label: label.to_string(), value: scalar(other, words).unwrap_or_default() }),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use publica_kernel::db::Timestamp;
    use serde_json::json;

    use super::*;

    const WORDS: Words<'static> = Words { yes: "yes", no: "no", none: "—" };

    fn snapshot(content_type: &str, body: &[u8]) -> Snapshot {
        Snapshot {
            status: 200,
            content_type: Some(content_type.into()),
            body: STANDARD.encode(body),
            persons: Vec::new(),
            data_items: Vec::new(),
            fetched_at: Timestamp::now(),
        }
    }

    fn row(label: &str, value: &str) -> Row {
        Row { label: label.into(), value: value.into() }
    }

    #[test]
    fn json_answers_become_labelled_rows() {
        let data = json!({
            "given_names": "Anne",
            "residence": {"municipality": "Demopolis", "street": null},
            "nationalities": ["DL", "FR"],
            "representatives": [{"role": "director"}],
            "result": true,
            "notes": [],
        });
        let shown = show(&snapshot("application/json", data.to_string().as_bytes()), &WORDS);
        let Shown::Rows { rows, cut } = shown else { panic!("rows expected") };
        assert!(!cut);
        assert!(rows.contains(&row("Given names", "Anne")));
        assert!(rows.contains(&row("Residence › Municipality", "Demopolis")));
        assert!(rows.contains(&row("Residence › Street", "—")));
        assert!(rows.contains(&row("Nationalities", "DL, FR")));
        assert!(rows.contains(&row("Representatives › 1 › Role", "director")));
        assert!(rows.contains(&row("Result", "yes")));
        assert!(rows.contains(&row("Notes", "—")));
    }

    #[test]
    fn text_is_shown_and_other_content_described() {
        assert_eq!(show(&snapshot("text/plain; charset=utf-8", b"hello"), &WORDS), Shown::Text("hello".into()));
        assert_eq!(
            show(&snapshot("application/pdf", b"%PDF-1.7"), &WORDS),
            Shown::Opaque { content_type: "application/pdf".into(), bytes: 8 }
        );
    }

    #[test]
    fn long_answers_are_cut() {
        let data: Vec<u32> = (0..2000).collect();
        let many = json!({ "items": data.iter().map(|i| json!({"n": i})).collect::<Vec<_>>() });
        let Shown::Rows { rows, cut } = show(&snapshot("application/json", many.to_string().as_bytes()), &WORDS) else {
            panic!("rows expected")
        };
        assert!(cut);
        assert_eq!(rows.len(), MAX_ROWS);
    }
}
