//! The e-service catalogue.

use axum::Json as AxumJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use publica_kernel::error::{ApiError, Json, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::{EService, EServiceState};
use crate::service::{Caller, NewEService};

#[derive(Serialize, ToSchema)]
pub struct EServiceBody {
    pub eservice: EService,
}

#[derive(Serialize, ToSchema)]
pub struct EServicesBody {
    pub eservices: Vec<EService>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogueQuery {
    /// Only this provider organisation's e-services.
    pub provider: Option<Uuid>,
}

/// The catalogue of e-services.
#[utoipa::path(get, path = "/api/exchange/v1/eservices", tag = "eservices", operation_id = "list_eservices",
    params(CatalogueQuery),
    responses((status = 200, description = "The catalogue", body = EServicesBody),
        (status = 401, description = "No or bad API key", body = Problem)))]
pub async fn catalogue(
    State(exchange): State<super::State>,
    _caller: Caller,
    Query(query): Query<CatalogueQuery>,
) -> Result<AxumJson<EServicesBody>, ApiError> {
    Ok(AxumJson(EServicesBody { eservices: exchange.eservices(query.provider).await? }))
}

/// Publish an e-service of one of the caller's subsystems.
#[utoipa::path(post, path = "/api/exchange/v1/eservices", tag = "eservices", operation_id = "publish_eservice",
    request_body = NewEService,
    responses((status = 201, description = "Published", body = EServiceBody),
        (status = 409, description = "The code is taken", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)))]
pub async fn publish(
    State(exchange): State<super::State>,
    caller: Caller,
    Json(body): Json<NewEService>,
) -> Result<impl IntoResponse, ApiError> {
    let eservice = exchange.publish(&caller, body).await?;
    Ok((StatusCode::CREATED, AxumJson(EServiceBody { eservice })))
}

/// One e-service, with its OpenAPI description.
#[utoipa::path(get, path = "/api/exchange/v1/eservices/{id}", tag = "eservices", operation_id = "get_eservice",
    params(("id" = Uuid, Path, description = "The e-service id")),
    responses((status = 200, description = "The e-service", body = EServiceBody),
        (status = 404, description = "No such e-service", body = Problem)))]
pub async fn get_eservice(
    State(exchange): State<super::State>,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<EServiceBody>, ApiError> {
    Ok(AxumJson(EServiceBody { eservice: exchange.eservice(id).await? }))
}

/// The e-service's OpenAPI description itself.
#[utoipa::path(get, path = "/api/exchange/v1/eservices/{id}/openapi", tag = "eservices", operation_id = "get_eservice_openapi",
    params(("id" = Uuid, Path, description = "The e-service id")),
    responses((status = 200, description = "An OpenAPI 3 document", body = Object),
        (status = 404, description = "No such e-service", body = Problem)))]
pub async fn openapi_document(
    State(exchange): State<super::State>,
    _caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<Value>, ApiError> {
    Ok(AxumJson(exchange.eservice(id).await?.openapi))
}

/// Suspend an e-service: its calls are refused, vouchers already issued included.
#[utoipa::path(post, path = "/api/exchange/v1/eservices/{id}/suspend", tag = "eservices", operation_id = "suspend_eservice",
    params(("id" = Uuid, Path, description = "The e-service id")),
    responses((status = 200, description = "Suspended", body = EServiceBody),
        (status = 403, description = "Not the provider", body = Problem),
        (status = 409, description = "Already suspended", body = Problem)))]
pub async fn suspend(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<EServiceBody>, ApiError> {
    Ok(AxumJson(EServiceBody { eservice: exchange.set_eservice_state(&caller, id, EServiceState::Suspended).await? }))
}

/// Activate a suspended e-service again.
#[utoipa::path(post, path = "/api/exchange/v1/eservices/{id}/activate", tag = "eservices", operation_id = "activate_eservice",
    params(("id" = Uuid, Path, description = "The e-service id")),
    responses((status = 200, description = "Active", body = EServiceBody),
        (status = 403, description = "Not the provider", body = Problem),
        (status = 409, description = "Already active", body = Problem)))]
pub async fn activate(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<EServiceBody>, ApiError> {
    Ok(AxumJson(EServiceBody { eservice: exchange.set_eservice_state(&caller, id, EServiceState::Active).await? }))
}
