//! Built-in back ends reading the base registers through `publica_registry::Registry`:
//! `GET /{national id}` (a person's current record), `GET /{business id}` (a business's), and
//! the person checks `GET /{national id}/over-18` and `GET /{national id}/resident?municipality=M`
//! that answer `{"result": true|false}` and nothing else.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use publica_registry::{AsOf, ChangeKind, IdScheme, Record, Registry};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use super::{BackendCall, BackendFailed, BackendResponse, strings_at, top_level_fields};
use crate::domain::ids::percent_decode;
use crate::service::Exchange;

/// How long a register's person fields are used before they are read again (a new version of
/// the register may name others).
const FIELDS_TTL: Duration = Duration::from_secs(30);

/// The person fields (JSON pointers to national ids) of each register, read at most every
/// [`FIELDS_TTL`] rather than on every call.
#[derive(Default)]
pub struct RegisterFields {
    cached: RwLock<HashMap<String, Fields>>,
}

/// When a register's person fields were read, and what they were.
type Fields = (Instant, Arc<Vec<String>>);

impl RegisterFields {
    async fn get(&self, registry: &Registry, register: &str) -> Result<Arc<Vec<String>>, BackendFailed> {
        if let Some((at, fields)) = self.cached.read().unwrap_or_else(|e| e.into_inner()).get(register)
            && at.elapsed() < FIELDS_TTL
        {
            return Ok(fields.clone());
        }
        let fields = Arc::new(registry.register(register).await.map_err(failed)?.person_fields);
        self.cached
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(register.to_string(), (Instant::now(), fields.clone()));
        Ok(fields)
    }
}

fn registry(exchange: &Exchange) -> Result<std::sync::Arc<Registry>, BackendFailed> {
    exchange.kernel().get::<Registry>().ok_or_else(|| BackendFailed("the registry block is not running".into()))
}

fn failed(e: publica_kernel::error::Error) -> BackendFailed {
    BackendFailed(format!("the register could not be read: {e}"))
}

/// The path's segments after the service code, percent-decoded; `None` if one is malformed.
fn segments(path: &str) -> Option<Vec<String>> {
    path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect()
}

fn only_get(call: &BackendCall<'_>) -> Option<BackendResponse> {
    (call.method != Method::GET).then(|| {
        BackendResponse::problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "this service answers GET only")
    })
}

/// The current record, or the provider's 400/404 answer.
async fn current(
    registry: &Registry,
    register: &str,
    scheme: IdScheme,
    id: &str,
) -> Result<Result<Record, BackendResponse>, BackendFailed> {
    if let Err(why) = scheme.validate(id) {
        return Ok(Err(BackendResponse::problem(StatusCode::BAD_REQUEST, "invalid-id", format!("`{id}`: {why}"))));
    }
    match registry.get(register, id, &AsOf::now()).await.map_err(failed)? {
        Some(record) if record.kind != ChangeKind::Deleted && !record.data.is_null() => Ok(Ok(record)),
        _ => Ok(Err(BackendResponse::problem(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no record `{id}` in the {register} register"),
        ))),
    }
}

/// A whole record: its data, the persons it names (the register's person fields) and its
/// top-level fields.
async fn lookup(
    exchange: &Exchange,
    call: &BackendCall<'_>,
    register: &str,
    scheme: IdScheme,
) -> Result<BackendResponse, BackendFailed> {
    if let Some(refused) = only_get(call) {
        return Ok(refused);
    }
    let parts = segments(call.path);
    let Some([id]) = parts.as_deref() else {
        return Ok(BackendResponse::problem(StatusCode::NOT_FOUND, "not-found", "use GET /{id}"));
    };
    let registry = registry(exchange)?;
    let record = match current(&registry, register, scheme, id).await? {
        Ok(record) => record,
        Err(answer) => return Ok(answer),
    };
    let fields = exchange.register_fields().get(&registry, register).await?;
    let mut answer = BackendResponse::json(StatusCode::OK, &record.data);
    answer.persons = fields.iter().flat_map(|p| strings_at(&record.data, p)).collect();
    answer.data_items = top_level_fields(&record.data);
    Ok(answer)
}

pub async fn person(exchange: &Exchange, call: &BackendCall<'_>) -> Result<BackendResponse, BackendFailed> {
    lookup(exchange, call, publica_registry::POPULATION, IdScheme::NationalId).await
}

pub async fn business(exchange: &Exchange, call: &BackendCall<'_>) -> Result<BackendResponse, BackendFailed> {
    lookup(exchange, call, publica_registry::BUSINESSES, IdScheme::BusinessId).await
}

/// A yes/no question about a person; the data behind the answer never leaves the register.
pub async fn checks(exchange: &Exchange, call: &BackendCall<'_>) -> Result<BackendResponse, BackendFailed> {
    if let Some(refused) = only_get(call) {
        return Ok(refused);
    }
    let parts = segments(call.path);
    let Some([id, check]) = parts.as_deref() else {
        return Ok(BackendResponse::problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "use GET /{national_id}/over-18 or GET /{national_id}/resident?municipality=…",
        ));
    };
    let municipality = match check.as_str() {
        "over-18" => None,
        "resident" => match query_value(call.query, "municipality") {
            Some(m) if !m.trim().is_empty() => Some(m),
            _ => {
                return Ok(BackendResponse::problem(
                    StatusCode::BAD_REQUEST,
                    "invalid-query",
                    "give ?municipality=… to check residence",
                ));
            }
        },
        other => {
            return Ok(BackendResponse::problem(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no check `{other}`; use over-18 or resident"),
            ));
        }
    };
    let registry = registry(exchange)?;
    let record = match current(&registry, publica_registry::POPULATION, IdScheme::NationalId, id).await? {
        Ok(record) => record,
        Err(answer) => return Ok(answer),
    };
    let today = OffsetDateTime::now_utc().date();
    let result = match &municipality {
        None => is_adult(&record.data, today)
            .ok_or_else(|| BackendFailed("the person's birth_date is not a date".into()))?,
        Some(m) => is_resident(&record.data, m),
    };
    let mut answer = BackendResponse::json(StatusCode::OK, &json!({ "result": result }));
    answer.persons = vec![id.clone()];
    answer.data_items = vec![check.clone()];
    Ok(answer)
}

/// One query parameter, decoded.
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Whether a person born on the record's `birth_date` is 18 or older on `today`.
pub fn is_adult(person: &Value, today: Date) -> Option<bool> {
    let text = person.get("birth_date")?.as_str()?;
    let born = Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let mut age = today.year() - born.year();
    if (u8::from(today.month()), today.day()) < (u8::from(born.month()), born.day()) {
        age -= 1;
    }
    Some(age >= 18)
}

/// Whether a living person's residence is in `municipality` (compared without case).
pub fn is_resident(person: &Value, municipality: &str) -> bool {
    let alive = person.get("status").and_then(Value::as_str).is_none_or(|s| s == "alive");
    let lives = person
        .pointer("/residence/municipality")
        .and_then(Value::as_str)
        .is_some_and(|m| m.trim().to_lowercase() == municipality.trim().to_lowercase());
    alive && lives
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn adulthood_counts_birthdays() {
        let p = json!({"birth_date": "2008-03-14"});
        assert_eq!(is_adult(&p, date!(2026 - 03 - 13)), Some(false));
        assert_eq!(is_adult(&p, date!(2026 - 03 - 14)), Some(true));
        assert_eq!(is_adult(&json!({"birth_date": "14/03/2008"}), date!(2026 - 03 - 14)), None);
        let leap = json!({"birth_date": "2008-02-29"});
        assert_eq!(is_adult(&leap, date!(2026 - 02 - 28)), Some(false));
        assert_eq!(is_adult(&leap, date!(2026 - 03 - 01)), Some(true));
    }

    #[test]
    fn residence_needs_a_living_person_in_the_municipality() {
        let p = json!({"status": "alive", "residence": {"municipality": "Demopolis"}});
        assert!(is_resident(&p, "demopolis "));
        assert!(!is_resident(&p, "Elsewhere"));
        let gone = json!({"status": "emigrated", "residence": {"municipality": "Demopolis"}});
        assert!(!is_resident(&gone, "Demopolis"));
    }
}
