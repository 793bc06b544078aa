//! SEND's HTTP API: the sender's B2B endpoints (`x-api-key`), event streams, the recipient's
//! endpoints (the person signed in through Publica's identity provider, see [`person`]),
//! uploads to the URLs the preload hands out, signed downloads, and the sender's payment events.
//! Errors are SEND's Problem. `openapi` describes them all.

pub mod openapi;
mod payments;
pub mod person;
mod recipient;
mod sender;
mod streams;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use serde_json::json;
use uuid::Uuid;

use super::Send;
use super::model::{self, ProblemError};

/// The state of every handler.
pub type State = Arc<Send>;

pub fn routes(kernel: &Kernel) -> Router {
    let Some(send) = kernel.get::<Send>() else {
        return Router::new();
    };
    let streams = "/delivery-progresses/v2.9/streams";
    Router::new()
        .route("/delivery/attachments/preload", post(sender::preload))
        .route("/delivery/attachments/upload/{key}", put(sender::upload).post(sender::upload))
        .route("/delivery/v2.6/requests", post(sender::submit).get(sender::request_status))
        .route("/delivery/v2.8/notifications/sent/{iun}", get(sender::sent))
        .route("/delivery/notifications/sent/{iun}/attachments/documents/{doc}", get(sender::document))
        .route("/delivery-push/v2.0/notifications/cancel/{iun}", put(sender::cancel))
        .route("/delivery/events/payment/pagopa", post(payments::pagopa))
        .route("/delivery/events/payment/f24", post(payments::f24))
        .route("/delivery-push/{iun}/legal-facts", get(sender::legal_facts))
        .route("/delivery-push/{iun}/legal-facts/{category}/{key}", get(sender::legal_fact_of_type))
        .route("/delivery-push/{iun}/download/legal-facts/{key}", get(sender::legal_fact))
        .route("/delivery-push/seal-certificate", get(sender::seal_certificate))
        .route("/delivery/files/{key}", get(sender::download))
        .route(streams, post(streams::create).get(streams::list))
        .route(&format!("{streams}/{{id}}"), get(streams::get_one).put(streams::update).delete(streams::delete))
        .route(&format!("{streams}/{{id}}/action/disable"), post(streams::disable))
        .route(&format!("{streams}/{{id}}/events"), get(streams::events))
        .route("/delivery/notifications/received", get(recipient::list))
        .route("/delivery/notifications/received/{iun}", get(recipient::detail))
        .route("/delivery/v2.8/notifications/received/{iun}", get(recipient::detail))
        .route("/delivery/notifications/received/{iun}/attachments/documents/{doc}", get(recipient::document))
        .route("/address-book/v1/digital-address", get(recipient::addresses))
        .route(
            "/address-book/v1/digital-address/{kind}/{channel}",
            put(recipient::set_address).delete(recipient::remove_address),
        )
        .with_state(send)
}

/// SEND's error envelope (`application/problem+json`).
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub detail: String,
    pub errors: Vec<ProblemError>,
    /// Where a person signs in for this call (the extension member `signInUrl`).
    pub sign_in: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, element: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let error =
            ProblemError { code: code.into(), element: element.map(str::to_string), detail: Some(detail.clone()) };
        Problem { status, detail, errors: vec![error], sign_in: None }
    }

    pub fn bad_request(errors: Vec<ProblemError>) -> Self {
        let detail = errors.iter().filter_map(|e| e.detail.clone()).collect::<Vec<_>>().join("; ");
        Problem { status: StatusCode::BAD_REQUEST, detail, errors, sign_in: None }
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        let (status, code) = match &error {
            Error::Invalid { .. } => (StatusCode::BAD_REQUEST, model::INVALID),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "PN_GENERIC_NOT_FOUND"),
            Error::Unauthenticated(_) | Error::Forbidden(_) => (StatusCode::FORBIDDEN, "PN_GENERIC_FORBIDDEN"),
            Error::Conflict(_) => (StatusCode::CONFLICT, model::DUPLICATE),
            Error::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "PN_GENERIC_TOO_MANY_REQUESTS"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PN_GENERIC_TOO_LARGE"),
            Error::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "PN_GENERIC_UNAVAILABLE"),
            Error::Internal(m) => {
                tracing::error!(error = %m, "legal notifications API internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "PN_GENERIC_ERROR")
            }
        };
        let (element, detail) = match error {
            Error::Invalid { field, message } => (Some(field.clone()), format!("{field}: {message}")),
            Error::Internal(_) => (None, "an internal error occurred; it has been logged".into()),
            other => (None, other.to_string()),
        };
        Problem::new(status, code, element.as_deref(), detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let trace = publica_kernel::audit::REQUEST_ID
            .try_with(|id| id.to_str().ok().map(str::to_string))
            .ok()
            .flatten()
            .unwrap_or_else(|| Uuid::now_v7().to_string());
        let mut body = json!({
            "status": self.status.as_u16(),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "detail": self.detail,
            "traceId": trace,
            "timestamp": Timestamp::now(),
            "errors": self.errors,
        });
        if let Some(url) = self.sign_in {
            body["signInUrl"] = json!(url);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, Problem>;

async fn principal(send: &Send, parts: &Parts) -> ApiResult<publica_kernel::orgs::ApiPrincipal> {
    let token = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default().trim();
    if token.is_empty() {
        return Err(Problem::new(StatusCode::FORBIDDEN, "PN_GENERIC_FORBIDDEN", None, "send the x-api-key header"));
    }
    Ok(send.kernel().authenticate_api_key(token, "notify").await?)
}

/// A sender: the organisation of a `notify` API key given in `x-api-key`.
pub struct Sender {
    pub org_id: Uuid,
    pub actor: Actor,
}

impl FromRequestParts<State> for Sender {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, send: &State) -> ApiResult<Sender> {
        let p = principal(send, parts).await?;
        Ok(Sender { org_id: p.org_id, actor: p.actor() })
    }
}

pub use person::Person;

impl FromRequestParts<State> for Person {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, send: &State) -> ApiResult<Person> {
        person::person(send, parts, false).await
    }
}

/// A sender (with `x-api-key`), or else the person signed in to this browser.
pub enum Reader {
    Sender(Sender),
    Person(Person),
}

impl FromRequestParts<State> for Reader {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, send: &State) -> ApiResult<Reader> {
        if parts.headers.contains_key("x-api-key") && !parts.headers.contains_key(person::RETIRED_PERSON_HEADER) {
            Sender::from_request_parts(parts, send).await.map(Reader::Sender)
        } else {
            person::person(send, parts, true).await.map(Reader::Person)
        }
    }
}

impl Reader {
    fn ids(&self) -> (Option<Uuid>, Option<&str>) {
        match self {
            Reader::Sender(s) => (Some(s.org_id), None),
            Reader::Person(p) => (None, Some(p.tax_id.as_str())),
        }
    }
}

/// The root the client called, for URLs in answers.
pub struct Base(pub String);

impl<S: std::marker::Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Base, Self::Rejection> {
        let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
        let https = parts.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
        Ok(Base(format!("{}://{host}", if https { "https" } else { "http" })))
    }
}
