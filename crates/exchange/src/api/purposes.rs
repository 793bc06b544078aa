//! Purposes: declared by consumers, approved by providers when they exceed the quotas,
//! suspended and activated by either side, archived by the consumer.

use axum::Json as AxumJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use publica_kernel::error::{ApiError, Error, Json, Problem};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ListQuery, Step, StepRequest};
use crate::domain::{Purpose, PurposeState, Transition};
use crate::service::purposes::PurposeStep;
use crate::service::{Caller, NewPurpose};

#[derive(Serialize, ToSchema)]
pub struct PurposeBody {
    pub purpose: Purpose,
}

#[derive(Serialize, ToSchema)]
pub struct PurposesBody {
    pub purposes: Vec<Purpose>,
}

#[derive(Serialize, ToSchema)]
pub struct PurposeDetail {
    pub purpose: Purpose,
    /// Every step, oldest first.
    pub history: Vec<Transition>,
}

/// The caller's purposes: as consumer (default) or as provider (`role=provider`).
#[utoipa::path(get, path = "/api/exchange/v1/purposes", tag = "purposes", operation_id = "list_purposes",
    params(ListQuery),
    responses((status = 200, description = "Purposes, newest first", body = PurposesBody),
        (status = 422, description = "Invalid role or state", body = Problem)))]
pub async fn list(
    State(exchange): State<super::State>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<AxumJson<PurposesBody>, ApiError> {
    let state = match query.state.as_deref() {
        Some(s) => Some(
            PurposeState::parse(s)
                .ok_or_else(|| Error::invalid("state", "one of waiting-for-approval, active, suspended, archived"))?,
        ),
        None => None,
    };
    Ok(AxumJson(PurposesBody { purposes: exchange.purposes(&caller, query.party()?, state).await? }))
}

/// Declare a purpose: active at once when its daily calls fit the remaining quotas.
#[utoipa::path(post, path = "/api/exchange/v1/purposes", tag = "purposes", operation_id = "create_purpose",
    request_body = NewPurpose,
    responses((status = 201, description = "Active, or waiting for the provider's approval", body = PurposeBody),
        (status = 422, description = "Invalid field, or no active agreement", body = Problem)))]
pub async fn create(
    State(exchange): State<super::State>,
    caller: Caller,
    Json(body): Json<NewPurpose>,
) -> Result<impl IntoResponse, ApiError> {
    let purpose = exchange.create_purpose(&caller, body).await?;
    Ok((StatusCode::CREATED, AxumJson(PurposeBody { purpose })))
}

/// A purpose with its history, for either party.
#[utoipa::path(get, path = "/api/exchange/v1/purposes/{id}", tag = "purposes", operation_id = "get_purpose",
    params(("id" = Uuid, Path, description = "The purpose id")),
    responses((status = 200, description = "The purpose", body = PurposeDetail),
        (status = 404, description = "No such purpose of the caller's", body = Problem)))]
pub async fn get_one(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<PurposeDetail>, ApiError> {
    let (purpose, history) = exchange.purpose(&caller, id).await?;
    Ok(AxumJson(PurposeDetail { purpose, history }))
}

async fn step(
    exchange: &super::State,
    caller: &Caller,
    id: Uuid,
    step: PurposeStep,
    body: StepRequest,
) -> Result<AxumJson<PurposeBody>, ApiError> {
    let purpose = exchange.purpose_step(caller, id, step, body.reason.as_deref()).await?;
    Ok(AxumJson(PurposeBody { purpose }))
}

/// Approve a purpose waiting for approval (provider).
#[utoipa::path(post, path = "/api/exchange/v1/purposes/{id}/approve", tag = "purposes", operation_id = "approve_purpose",
    params(("id" = Uuid, Path, description = "The purpose id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Active", body = PurposeBody),
        (status = 403, description = "Not the provider", body = Problem),
        (status = 409, description = "Not waiting for approval", body = Problem)))]
pub async fn approve(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<PurposeBody>, ApiError> {
    step(&exchange, &caller, id, PurposeStep::Approve, body).await
}

/// Suspend an active purpose (either party).
#[utoipa::path(post, path = "/api/exchange/v1/purposes/{id}/suspend", tag = "purposes", operation_id = "suspend_purpose",
    params(("id" = Uuid, Path, description = "The purpose id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Suspended", body = PurposeBody),
        (status = 409, description = "Not active, or already suspended by the caller", body = Problem)))]
pub async fn suspend(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<PurposeBody>, ApiError> {
    step(&exchange, &caller, id, PurposeStep::Suspend, body).await
}

/// Lift the caller's suspension of a purpose.
#[utoipa::path(post, path = "/api/exchange/v1/purposes/{id}/activate", tag = "purposes", operation_id = "activate_purpose",
    params(("id" = Uuid, Path, description = "The purpose id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Active again, or still suspended by the other party", body = PurposeBody),
        (status = 409, description = "Not suspended by the caller", body = Problem)))]
pub async fn activate(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<PurposeBody>, ApiError> {
    step(&exchange, &caller, id, PurposeStep::Activate, body).await
}

/// Archive a purpose (consumer).
#[utoipa::path(post, path = "/api/exchange/v1/purposes/{id}/archive", tag = "purposes", operation_id = "archive_purpose",
    params(("id" = Uuid, Path, description = "The purpose id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Archived", body = PurposeBody),
        (status = 403, description = "Not the consumer", body = Problem),
        (status = 409, description = "Archived already", body = Problem)))]
pub async fn archive(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<PurposeBody>, ApiError> {
    step(&exchange, &caller, id, PurposeStep::Archive, body).await
}
