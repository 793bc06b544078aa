//! Request checks with Notify's JSON-schema messages (`template_id is not a valid UUID`,
//! `phone_number is a required property`, `Additional properties are not allowed (x was
//! unexpected)`), in the order Notify's validator reports them: properties, then required, then
//! unexpected ones.

use publica_kernel::db::Timestamp;
use serde_json::{Map, Value};

use super::error::NotifyError;
use crate::domain::recipient;

#[derive(Clone, Copy)]
pub enum Kind {
    Text(Option<usize>),
    Uuid,
    Object,
    Array,
    Email,
    Phone,
    WithinNextDay,
    HttpsUrl,
    Postage,
}

pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn f(name: &'static str, kind: Kind, required: bool) -> Field {
    Field { name, kind, required }
}

pub const EMAIL: &[Field] = &[
    f("reference", Kind::Text(Some(1000)), false),
    f("email_address", Kind::Email, true),
    f("template_id", Kind::Uuid, true),
    f("personalisation", Kind::Object, false),
    f("scheduled_for", Kind::WithinNextDay, false),
    f("email_reply_to_id", Kind::Uuid, false),
    f("one_click_unsubscribe_url", Kind::HttpsUrl, false),
    f("sanitise_content_for", Kind::Array, false),
];

pub const SMS: &[Field] = &[
    f("reference", Kind::Text(Some(1000)), false),
    f("phone_number", Kind::Phone, true),
    f("template_id", Kind::Uuid, true),
    f("personalisation", Kind::Object, false),
    f("scheduled_for", Kind::WithinNextDay, false),
    f("sms_sender_id", Kind::Uuid, false),
];

pub const LETTER: &[Field] = &[
    f("reference", Kind::Text(Some(1000)), false),
    f("template_id", Kind::Uuid, true),
    f("personalisation", Kind::Object, true),
    f("scheduled_for", Kind::WithinNextDay, false),
];

pub const PRECOMPILED: &[Field] =
    &[f("reference", Kind::Text(None), true), f("content", Kind::Text(None), true), f("postage", Kind::Postage, false)];

pub const PREVIEW: &[Field] = &[f("personalisation", Kind::Object, false)];

/// Parse a request body as a JSON object, as Notify does.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, NotifyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(NotifyError::validation(format!("{} is not of type object", repr(&other)))),
        Err(_) => Err(NotifyError::bad_request("Invalid JSON supplied in POST data")),
    }
}

/// Check `body` against `fields`; every failure is reported.
pub fn check(body: &Map<String, Value>, fields: &[Field]) -> Result<(), NotifyError> {
    let mut errors = Vec::new();
    for field in fields {
        if let Some(value) = body.get(field.name)
            && let Err(message) = check_value(field.kind, value)
        {
            errors.push(format!("{} {message}", field.name).trim().to_string());
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !body.contains_key(field.name) {
            errors.push(format!("{} is a required property", field.name));
        }
    }
    let extra: Vec<&str> =
        body.keys().filter(|k| !fields.iter().any(|f| f.name == k.as_str())).map(String::as_str).collect();
    if !extra.is_empty() {
        let verb = if extra.len() == 1 { "was" } else { "were" };
        errors.push(format!("Additional properties are not allowed ({} {verb} unexpected)", extra.join(", ")));
    }
    if errors.is_empty() { Ok(()) } else { Err(NotifyError::validations(errors)) }
}

fn check_value(kind: Kind, value: &Value) -> Result<(), String> {
    let not_type = |t: &str| format!("{} is not of type {t}", repr(value));
    match kind {
        Kind::Text(max) => {
            let s = value.as_str().ok_or_else(|| not_type("string"))?;
            if max.is_some_and(|m| s.chars().count() > m) {
                return Err(format!("{} is too long", repr(value)));
            }
            Ok(())
        }
        Kind::Uuid => value
            .as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(|_| ())
            .ok_or_else(|| "is not a valid UUID".into()),
        Kind::Object => value.as_object().map(|_| ()).ok_or_else(|| not_type("object")),
        Kind::Array => match value {
            Value::Array(_) | Value::Null => Ok(()),
            _ => Err(not_type("array, null")),
        },
        Kind::Email => {
            let s = value.as_str().ok_or_else(|| not_type("string"))?;
            recipient::validate_email(s).map(|_| ()).map_err(String::from)
        }
        Kind::Phone => {
            let s = value.as_str().ok_or_else(|| not_type("string"))?;
            recipient::validate_phone(s, true).map(|_| ()).map_err(String::from)
        }
        Kind::WithinNextDay => match value {
            Value::Null => Ok(()),
            Value::String(s) => within_next_day(s, Timestamp::now()).map(|_| ()),
            _ => Err(not_type("string, null")),
        },
        Kind::HttpsUrl => {
            let ok = value.as_str().is_some_and(|s| s.starts_with("https") && url::Url::parse(s).is_ok());
            if ok { Ok(()) } else { Err("is not a valid https url".into()) }
        }
        Kind::Postage => match value.as_str() {
            Some("first" | "second" | "economy") => Ok(()),
            _ => Err("invalid. It must be either first or second.".into()),
        },
    }
}

/// A `scheduled_for` time: ISO 8601, not in the past, at most 24 hours ahead.
pub fn within_next_day(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let parsed = Timestamp::parse(text)
        .or_else(|_| Timestamp::parse(&format!("{text}Z")))
        .or_else(|_| Timestamp::parse(&format!("{}Z", text.replace(' ', "T"))))
        .map_err(|_| {
            "datetime format is invalid. It must be a valid ISO8601 date time format, https://en.wikipedia.org/wiki/ISO_8601"
                .to_string()
        })?;
    if parsed < now.plus(time::Duration::minutes(-1)) {
        return Err("datetime can not be in the past".into());
    }
    if parsed > now.plus(time::Duration::hours(24)) {
        return Err("datetime can only be 24 hours in the future".into());
    }
    Ok(parsed)
}

/// A value as Python's `repr` shows it, with the quotes Notify strips removed.
pub fn repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{k}: {}", repr(v))).collect::<Vec<_>>().join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(body: Value, fields: &[Field]) -> Vec<String> {
        let map = body.as_object().cloned().unwrap_or_default();
        match check(&map, fields) {
            Ok(()) => vec![],
            Err(e) => e.errors.into_iter().map(|(_, m)| m).collect(),
        }
    }

    #[test]
    fn messages_are_notifys() {
        assert_eq!(
            messages(json!({"template_id": "x", "foo": 1}), SMS),
            vec![
                "template_id is not a valid UUID",
                "phone_number is a required property",
                "Additional properties are not allowed (foo was unexpected)"
            ]
        );
        assert_eq!(
            messages(
                json!({"email_address": "nope", "template_id": "6a4c1c2e-4c57-4ad2-b0a8-5f0a8e6f1d7b", "personalisation": "hello"}),
                EMAIL
            ),
            vec!["email_address Not a valid email address", "personalisation hello is not of type object"]
        );
        assert_eq!(
            messages(
                json!({"reference": 123, "template_id": "6a4c1c2e-4c57-4ad2-b0a8-5f0a8e6f1d7b", "personalisation": {}}),
                LETTER
            ),
            vec!["reference 123 is not of type string"]
        );
        assert_eq!(
            messages(
                json!({"phone_number": "07700 90012", "template_id": "6a4c1c2e-4c57-4ad2-b0a8-5f0a8e6f1d7b"}),
                SMS
            ),
            vec!["phone_number Not enough digits"]
        );
    }

    #[test]
    fn scheduled_for_is_within_a_day() {
        let now = Timestamp::parse("2026-01-01T12:00:00Z").expect("time");
        assert!(within_next_day("2026-01-02T11:00:00Z", now).is_ok());
        assert_eq!(within_next_day("2025-12-31T11:00:00Z", now), Err("datetime can not be in the past".into()));
        assert_eq!(
            within_next_day("2026-01-03T12:00:00Z", now),
            Err("datetime can only be 24 hours in the future".into())
        );
        assert!(within_next_day("tomorrow", now).is_err_and(|e| e.starts_with("datetime format is invalid")));
    }
}
