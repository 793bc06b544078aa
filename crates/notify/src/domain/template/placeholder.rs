//! Placeholders `((name))` and conditionals `((flag??text))`: finding them, matching them to
//! personalisation keys the way Notify does (case, spaces, `_` and `-` ignored), and replacing them
//! with values turned to text as Notify's Python code turns them (`str(value)`).

use std::collections::HashMap;

use serde_json::Value;

use super::text::{escape_html, strip_and_remove_obscure_whitespace};

/// One `((…))` occurrence: byte range in the scanned text and the body between the brackets.
struct Occurrence<'a> {
    start: usize,
    end: usize,
    body: &'a str,
}

/// Occurrences of Notify's pattern `\(\(([^()]+)\)\)`, left to right, without overlap.
fn occurrences(text: &str) -> Vec<Occurrence<'_>> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'(' && b[i + 1] == b'(' {
            let body_start = i + 2;
            let body_len = b[body_start..].iter().take_while(|c| **c != b'(' && **c != b')').count();
            let close = body_start + body_len;
            if body_len > 0 && b.get(close) == Some(&b')') && b.get(close + 1) == Some(&b')') {
                found.push(Occurrence { start: i, end: close + 2, body: &text[body_start..close] });
                i = close + 2;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The name of a placeholder body: for a conditional, the part before the first `??`.
fn name_of(body: &str) -> &str {
    body.split("??").next().unwrap_or(body)
}

/// Distinct placeholder names in `text`, in order of first appearance, as written.
///
/// Names that differ only in case or spacing are listed separately, as Notify lists them.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for occurrence in occurrences(text) {
        let name = name_of(occurrence.body);
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Placeholder names across several fields (ordered union, first field first).
pub(crate) fn placeholders_of(fields: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for field in fields {
        for name in placeholders(field) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Notify's `InsensitiveDict.make_key`: spaces, `_` and `-` removed, lower case.
pub(crate) fn make_key(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).collect::<String>().to_lowercase()
}

/// Personalisation indexed by normalised key. A key given twice in different spellings keeps the
/// value that comes last in the map's order.
pub(crate) struct Values<'a> {
    by_key: HashMap<String, &'a Value>,
}

impl<'a> Values<'a> {
    pub(crate) fn new(personalisation: &'a serde_json::Map<String, Value>) -> Self {
        Self { by_key: personalisation.iter().map(|(k, v)| (make_key(k), v)).collect() }
    }

    /// The value for a placeholder name; `null` counts as absent, as in Notify.
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.by_key.get(&make_key(name)).copied().filter(|v| !v.is_null())
    }

    /// Names in `names` that have no value, in the given order.
    pub(crate) fn missing(&self, names: &[String]) -> Vec<String> {
        names.iter().filter(|n| self.get(n).is_none()).cloned().collect()
    }
}

/// Python's `repr` of a float, which is what `str(value)` prints for JSON numbers with a fraction
/// or exponent.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        format!("{sign}{body}")
    } else {
        let mantissa = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        let esign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{esign}{:02}", exponent.abs())
    }
}

fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn py_repr(value: &Value) -> String {
    match value {
        Value::String(s) => py_repr_str(s),
        other => py_str(other),
    }
}

/// Python's `str(value)` for a JSON value as Notify receives it.
pub(crate) fn py_str(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => py_float(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter().map(|(k, v)| format!("{}: {}", py_repr_str(k), py_repr(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Notify's `str2bool`, which decides whether a conditional placeholder shows its text.
pub fn str2bool(value: &str) -> bool {
    !value.is_empty() && matches!(value.to_lowercase().as_str(), "yes" | "y" | "true" | "t" | "1" | "include" | "show")
}

/// How a field is filled, mirroring the options of Notify's `Field`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldMode {
    /// HTML-escape the content and the values (`html="escape"`), else pass them through.
    pub escape: bool,
    /// Lists become markdown bullets (email and letters) rather than `a, b and c` (SMS).
    pub markdown_lists: bool,
    /// Unfilled placeholders are shown as Notify's highlighted `<span>` (every field but SMS).
    pub markup: bool,
}

fn list_text(items: &[Value], mode: FieldMode) -> String {
    let items: Vec<String> = items
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| strip_and_remove_obscure_whitespace(&py_str(v)))
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return String::new();
    }
    let text = if mode.markdown_lists {
        format!("\n\n{}", items.iter().map(|i| format!("* {i}")).collect::<Vec<_>>().join("\n"))
    } else if let [only] = items.as_slice() {
        only.clone()
    } else {
        let (last, first) = items.split_last().map(|(l, f)| (l.clone(), f.join(", "))).unwrap_or_default();
        format!("{first} and {last}")
    };
    if mode.escape { escape_html(&text) } else { text }
}

fn replacement(value: &Value, mode: FieldMode) -> String {
    match value {
        Value::Array(items) => list_text(items, mode),
        other => {
            let text = py_str(other);
            if mode.escape { escape_html(&text) } else { text }
        }
    }
}

fn unfilled(body: &str, mode: FieldMode) -> String {
    match (body.split_once("??"), mode.markup) {
        (Some((name, text)), true) => {
            format!("<span class='placeholder-conditional'>&#40;&#40;{name}??</span>{text}&#41;&#41;")
        }
        (None, true) => format!("<span class='placeholder'>&#40;&#40;{body}&#41;&#41;</span>"),
        (_, false) => format!("(({body}))"),
    }
}

/// Fills `content` with `values`. Values are never scanned for placeholders themselves.
pub(crate) fn fill(content: &str, values: &Values<'_>, mode: FieldMode) -> String {
    let escaped;
    let content = if mode.escape {
        escaped = escape_html(content);
        escaped.as_str()
    } else {
        content
    };
    let mut out = String::with_capacity(content.len());
    let mut last = 0;
    for occurrence in occurrences(content) {
        out.push_str(&content[last..occurrence.start]);
        last = occurrence.end;
        let body = occurrence.body;
        let Some(value) = values.get(name_of(body)) else {
            out.push_str(&unfilled(body, mode));
            continue;
        };
        let text = replacement(value, mode);
        match body.split_once("??") {
            Some((_, conditional)) => {
                if str2bool(&text) {
                    out.push_str(conditional);
                }
            }
            None => out.push_str(&text),
        }
    }
    out.push_str(&content[last..]);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    const PLAIN: FieldMode = FieldMode { escape: false, markdown_lists: false, markup: false };
    const EMAIL: FieldMode = FieldMode { escape: false, markdown_lists: true, markup: true };
    const HTML: FieldMode = FieldMode { escape: true, markdown_lists: true, markup: true };

    #[test]
    fn finds_distinct_names_in_order() {
        assert_eq!(
            placeholders("Hi ((First Name)), ((date)) ((first name)) ((date)) ((show??yes)) ((show))"),
            vec!["First Name", "date", "first name", "show"]
        );
        assert_eq!(placeholders("((a(b)) ((c)) (((d))) (()) (( ))"), vec!["c", "d", " "]);
        assert!(placeholders("no placeholders (here)").is_empty());
    }

    #[test]
    fn keys_match_ignoring_case_space_underscore_and_hyphen() {
        let p = map(json!({"FIRST-NAME": "Ada", "last_name": "Lovelace", "gone": null}));
        let values = Values::new(&p);
        assert_eq!(fill("((First Name)) ((lastName)) ((last name))", &values, PLAIN), "Ada Lovelace Lovelace");
        assert_eq!(values.missing(&placeholders("((gone)) ((x)) ((first_name))")), vec!["gone", "x"]);
    }

    #[test]
    fn values_print_as_python_str() {
        let p = map(json!({"a": 3, "b": 2.5, "c": true, "d": false, "e": 1e20, "f": 0.0001, "g": -1.0, "h": 1e-5}));
        let values = Values::new(&p);
        assert_eq!(
            fill("((a)) ((b)) ((c)) ((d)) ((e)) ((f)) ((g)) ((h))", &values, PLAIN),
            "3 2.5 True False 1e+20 0.0001 -1.0 1e-05"
        );
        assert_eq!(py_str(&json!(["a", 1, null, {"k": "it's"}])), "['a', 1, None, {'k': \"it's\"}]");
        assert_eq!(py_float(123456789012345680.0), "1.2345678901234568e+17");
        assert_eq!(py_float(100.0), "100.0");
    }

    #[test]
    fn values_never_expand_placeholders() {
        let p = map(json!({"a": "((b))", "b": "no"}));
        assert_eq!(fill("((a))", &Values::new(&p), PLAIN), "((b))");
    }

    #[test]
    fn conditionals_follow_str2bool() {
        for (value, shown) in [
            (json!("yes"), true),
            (json!("Y"), true),
            (json!("TRUE"), true),
            (json!("t"), true),
            (json!("1"), true),
            (json!(1), true),
            (json!(true), true),
            (json!("include"), true),
            (json!("Show"), true),
            (json!("no"), false),
            (json!(false), false),
            (json!(0), false),
            (json!(1.0), false),
            (json!(""), false),
            (json!("yes "), false),
            (json!([]), false),
            (json!(["yes"]), true),
        ] {
            let p = map(json!({ "flag": value.clone() }));
            let out = fill("A((flag??, shown??more))B", &Values::new(&p), PLAIN);
            assert_eq!(out, if shown { "A, shown??moreB" } else { "AB" }, "{value}");
        }
    }

    #[test]
    fn lists_render_as_notify_renders_them() {
        let p = map(json!({"one": ["a"], "many": [" a ", null, "", "b\u{200b}", 3], "none": [null, " "]}));
        let values = Values::new(&p);
        assert_eq!(fill("((one)) / ((many)) / [((none))]", &values, PLAIN), "a / a, b and 3 / []");
        assert_eq!(fill("Items: ((many))", &values, EMAIL), "Items: \n\n* a\n* b\n* 3");
    }

    #[test]
    fn html_fields_escape_content_and_values() {
        let p = map(json!({"name": "<b>Tom & Jerry</b>", "list": ["<i>"]}));
        let values = Values::new(&p);
        assert_eq!(
            fill("<p>((name))</p> & ((list))", &values, HTML),
            "&lt;p&gt;&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;&lt;/p&gt; &amp; \n\n* &lt;i&gt;"
        );
    }

    #[test]
    fn unfilled_placeholders_are_highlighted_except_in_sms() {
        let p = serde_json::Map::new();
        let values = Values::new(&p);
        assert_eq!(fill("((a)) ((b??c))", &values, PLAIN), "((a)) ((b??c))");
        assert_eq!(
            fill("((a)) ((b??c))", &values, EMAIL),
            "<span class='placeholder'>&#40;&#40;a&#41;&#41;</span> <span class='placeholder-conditional'>&#40;&#40;b??</span>c&#41;&#41;"
        );
    }

    #[test]
    fn ordered_union_of_fields() {
        assert_eq!(placeholders_of(&["((b)) ((a))", "((a)) ((c))"]), vec!["b", "a", "c"]);
    }
}
