//! A record's data as people read it: objects as definition lists (nested ones inside), lists
//! of values as bulleted lists, lists of objects as numbered lists, and words for what JSON
//! spells `null`, `true`, `false` and "".

use publica_kernel::web::PageCtx;
use serde_json::Value;

/// The words that stand for values without text of their own, in the page's language.
pub(crate) struct Words {
    none: String,
    empty: String,
    yes: String,
    no: String,
}

impl Words {
    pub fn of(ctx: &PageCtx) -> Words {
        Words {
            none: ctx.t("registry-value-none"),
            empty: ctx.t("registry-value-empty"),
            yes: ctx.t("registry-value-yes"),
            no: ctx.t("registry-value-no"),
        }
    }
}

/// Escape text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// How deep nested data is shown as lists; deeper parts are shown as JSON text.
const MAX_DEPTH: usize = 12;

/// The HTML of a record's data (escaped: safe to insert as it is).
pub(crate) fn html(value: &Value, words: &Words) -> String {
    let mut out = String::new();
    write(value, words, 0, &mut out);
    out
}

fn muted(text: &str, out: &mut String) {
    out.push_str("<span class=\"hint\">");
    out.push_str(&escape(text));
    out.push_str("</span>");
}

fn write(value: &Value, words: &Words, depth: usize, out: &mut String) {
    match value {
        Value::Null => muted(&words.none, out),
        Value::Bool(true) => out.push_str(&escape(&words.yes)),
        Value::Bool(false) => out.push_str(&escape(&words.no)),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) if s.is_empty() => muted(&words.empty, out),
        Value::String(s) => out.push_str(&escape(s)),
        Value::Array(items) if items.is_empty() => muted(&words.none, out),
        Value::Object(map) if map.is_empty() => muted(&words.none, out),
        _ if depth >= MAX_DEPTH => {
            out.push_str("<code>");
            out.push_str(&escape(&value.to_string()));
            out.push_str("</code>");
        }
        Value::Array(items) => {
            let nested = items.iter().any(|i| i.is_object() || i.is_array());
            out.push_str(if nested { "<ol>" } else { "<ul>" });
            for item in items {
                out.push_str("<li>");
                write(item, words, depth + 1, out);
                out.push_str("</li>");
            }
            out.push_str(if nested { "</ol>" } else { "</ul>" });
        }
        Value::Object(map) => {
            out.push_str("<dl>");
            for (key, inner) in map {
                out.push_str("<dt>");
                out.push_str(&escape(key));
                out.push_str("</dt><dd>");
                write(inner, words, depth + 1, out);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn words() -> Words {
        Words { none: "none".into(), empty: "empty".into(), yes: "yes".into(), no: "no".into() }
    }

    #[test]
    fn objects_are_definition_lists_and_text_is_escaped() {
        let data = json!({
            "name": "<b>Tom & Jerry</b>",
            "address": {"street": "1 Main St"},
            "citizenships": ["DL", "FR"],
            "representatives": [{"role": "director"}],
            "spouse": null,
            "children": [],
            "note": "",
            "active": true,
            "employees": 12
        });
        let html = html(&data, &words());
        assert!(html.starts_with("<dl>"), "{html}");
        assert!(html.contains("<dt>name</dt><dd>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</dd>"), "{html}");
        assert!(html.contains("<dt>address</dt><dd><dl><dt>street</dt><dd>1 Main St</dd></dl></dd>"), "{html}");
        assert!(html.contains("<dt>citizenships</dt><dd><ul><li>DL</li><li>FR</li></ul></dd>"), "{html}");
        assert!(html.contains("<ol><li><dl><dt>role</dt><dd>director</dd></dl></li></ol>"), "{html}");
        assert!(html.contains("<dt>spouse</dt><dd><span class=\"hint\">none</span></dd>"), "{html}");
        assert!(html.contains("<dt>children</dt><dd><span class=\"hint\">none</span></dd>"), "{html}");
        assert!(html.contains("<dt>note</dt><dd><span class=\"hint\">empty</span></dd>"), "{html}");
        assert!(html.contains("<dt>active</dt><dd>yes</dd>"), "{html}");
        assert!(html.contains("<dt>employees</dt><dd>12</dd>"), "{html}");
        assert!(!html.contains("<b>"));
    }

    #[test]
    fn very_deep_data_ends_as_json_text() {
        let mut deep = json!("bottom");
        for _ in 0..20 {
            deep = json!({"a": deep});
        }
        let html = html(&deep, &words());
        assert!(html.contains("<code>{&quot;a&quot;:"), "{html}");
        assert_eq!(html.matches("<dl>").count(), MAX_DEPTH);
    }
}
