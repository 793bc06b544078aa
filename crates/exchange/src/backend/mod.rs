//! What answers a call once the gateway has let it through: the registry read in-process
//! (person lookup, business lookup, yes/no person checks) or the provider's own HTTP service.
//! Each answer says which persons it concerns and which data items it gave, for their
//! data-usage logs.

pub mod http;
pub mod registry;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::domain::Backend;
use crate::service::Exchange;

/// A call as the back end receives it.
pub struct BackendCall<'a> {
    pub method: &'a Method,
    /// The raw (percent-encoded) path after the service code: `""` or starting with `/`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
}

/// The provider's answer, passed to the consumer as it is.
#[derive(Debug)]
pub struct BackendResponse {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// National ids of the persons whose data the answer holds.
    pub persons: Vec<String>,
    /// What was given: the answer's top-level fields, or the check's name.
    pub data_items: Vec<String>,
}

impl BackendResponse {
    /// A JSON answer.
    pub fn json(status: StatusCode, value: &Value) -> BackendResponse {
        BackendResponse {
            status,
            headers: vec![(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(value.to_string()),
            persons: Vec::new(),
            data_items: Vec::new(),
        }
    }

    /// The provider's own error answer (not an X-Road error: the call reached the provider).
    pub fn problem(status: StatusCode, error: &str, message: impl Into<String>) -> BackendResponse {
        BackendResponse::json(status, &json!({ "error": error, "message": message.into() }))
    }
}

/// The provider could not answer: the gateway answers `Server.ServerProxy.ServiceFailed`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendFailed(pub String);

/// Send the call to the e-service's back end.
pub async fn call(
    exchange: &Exchange,
    backend: &Backend,
    call: BackendCall<'_>,
) -> Result<BackendResponse, BackendFailed> {
    match backend {
        Backend::RegistryPerson => registry::person(exchange, &call).await,
        Backend::RegistryBusiness => registry::business(exchange, &call).await,
        Backend::PersonChecks => registry::checks(exchange, &call).await,
        Backend::Http { base_url } => http::forward(exchange, base_url, call).await,
    }
}

/// Strings found at a JSON pointer where `*` stands for every element of an array (or every
/// member of an object): `/representatives/*/national_id`.
pub fn strings_at(value: &Value, pointer: &str) -> Vec<String> {
    let mut current = vec![value];
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for v in current {
            match (v, token.as_str()) {
                (Value::Array(items), "*") => next.extend(items.iter()),
                (Value::Object(map), "*") => next.extend(map.values()),
                (Value::Object(map), key) => next.extend(map.get(key)),
                (Value::Array(items), index) => next.extend(index.parse::<usize>().ok().and_then(|i| items.get(i))),
                _ => {}
            }
        }
        current = next;
    }
    current.into_iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

/// The top-level field names of a JSON object answer.
pub fn top_level_fields(value: &Value) -> Vec<String> {
    value.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_with_wildcards() {
        let v =
            json!({"national_id": "1", "representatives": [{"national_id": "2"}, {"national_id": "3"}, {"role": "x"}]});
        assert_eq!(strings_at(&v, "/national_id"), vec!["1"]);
        assert_eq!(strings_at(&v, "/representatives/*/national_id"), vec!["2", "3"]);
        assert_eq!(strings_at(&v, "/representatives/1/national_id"), vec!["3"]);
        assert!(strings_at(&v, "/missing/*").is_empty());
        assert_eq!(top_level_fields(&v), vec!["national_id", "representatives"]);
    }
}
