//! The exchange's management API (`/api/exchange/v1`): members and attributes, subsystems,
//! clients and their keys, the e-service catalogue, agreements and purposes. Authenticated by
//! API keys of the `exchange` block (`Authorization: Bearer <key>`); errors are problem+json.

mod agreements;
mod clients;
mod eservices;
mod members;
pub mod openapi;
mod purposes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::routing::{delete, get, post, put};
use publica_kernel::error::{ApiError, Error, parse_json};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::domain::Party;
use crate::service::{Caller, Exchange};

/// The state of every handler.
pub type State = Arc<Exchange>;

/// The API's path prefix.
pub const PREFIX: &str = "/api/exchange/v1";

pub fn routes(exchange: Arc<Exchange>) -> Router {
    let p = |path: &str| format!("{PREFIX}{path}");
    Router::new()
        .route(&p("/member"), get(members::own_member))
        .route(&p("/members"), get(members::list_members))
        .route(
            &p("/members/{org_id}/attributes/{attribute}"),
            put(members::grant_attribute).delete(members::revoke_attribute),
        )
        .route(&p("/subsystems"), get(members::list_subsystems).post(members::create_subsystem))
        .route(&p("/clients"), get(clients::list_clients).post(clients::create_client))
        .route(&p("/clients/{id}"), get(clients::get_client))
        .route(&p("/clients/{id}/keys"), get(clients::list_keys).post(clients::add_key))
        .route(&p("/clients/{id}/keys/{kid}"), delete(clients::remove_key))
        .route(&p("/eservices"), get(eservices::catalogue).post(eservices::publish))
        .route(&p("/eservices/{id}"), get(eservices::get_eservice))
        .route(&p("/eservices/{id}/openapi"), get(eservices::openapi_document))
        .route(&p("/eservices/{id}/suspend"), post(eservices::suspend))
        .route(&p("/eservices/{id}/activate"), post(eservices::activate))
        .route(&p("/agreements"), get(agreements::list).post(agreements::request))
        .route(&p("/agreements/{id}"), get(agreements::get_one))
        .route(&p("/agreements/{id}/approve"), post(agreements::approve))
        .route(&p("/agreements/{id}/reject"), post(agreements::reject))
        .route(&p("/agreements/{id}/suspend"), post(agreements::suspend))
        .route(&p("/agreements/{id}/reactivate"), post(agreements::reactivate))
        .route(&p("/agreements/{id}/archive"), post(agreements::archive))
        .route(&p("/purposes"), get(purposes::list).post(purposes::create))
        .route(&p("/purposes/{id}"), get(purposes::get_one))
        .route(&p("/purposes/{id}/approve"), post(purposes::approve))
        .route(&p("/purposes/{id}/suspend"), post(purposes::suspend))
        .route(&p("/purposes/{id}/activate"), post(purposes::activate))
        .route(&p("/purposes/{id}/archive"), post(purposes::archive))
        .with_state(exchange)
}

impl FromRequestParts<State> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, exchange: &State) -> Result<Caller, ApiError> {
        let key = publica_kernel::api::authenticate(exchange.kernel(), parts, "exchange").await?;
        Ok(Caller::new(key.org_id, key.org_kind, key.actor()))
    }
}

/// Why a lifecycle step is taken; the body is optional (required to reject).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// Kept in the history and the audit log.
    pub reason: Option<String>,
}

/// An optional JSON body: empty means no reason.
pub struct Step(pub StepRequest);

impl<S: Send + Sync> FromRequest<S> for Step {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Step, ApiError> {
        let bytes =
            axum::body::Bytes::from_request(req, state).await.map_err(|e| Error::invalid("body", e.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Step(StepRequest::default()));
        }
        Ok(Step(parse_json(&bytes)?))
    }
}

/// Which side of agreements and purposes to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `consumer` (the default: what the caller asked for) or `provider` (the caller's inbox).
    pub role: Option<String>,
    /// Only those in this state.
    pub state: Option<String>,
}

impl ListQuery {
    fn party(&self) -> Result<Party, Error> {
        match self.role.as_deref() {
            None | Some("consumer") => Ok(Party::Consumer),
            Some("provider") => Ok(Party::Provider),
            Some(other) => Err(Error::invalid("role", format!("`{other}` is not consumer or provider"))),
        }
    }
}
