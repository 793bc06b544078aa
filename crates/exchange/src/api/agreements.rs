//! Agreements: requested by consumers, decided by providers, suspended and reactivated by
//! either side, archived by the consumer.

use axum::Json as AxumJson;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use publica_kernel::error::{ApiError, Error, Json, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ListQuery, Step, StepRequest};
use crate::domain::{Agreement, AgreementState, Transition};
use crate::service::Caller;
use crate::service::agreements::AgreementStep;

#[derive(Serialize, ToSchema)]
pub struct AgreementBody {
    pub agreement: Agreement,
}

#[derive(Serialize, ToSchema)]
pub struct AgreementsBody {
    pub agreements: Vec<Agreement>,
}

#[derive(Serialize, ToSchema)]
pub struct AgreementDetail {
    pub agreement: Agreement,
    /// Every step, oldest first.
    pub history: Vec<Transition>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgreement {
    pub eservice_id: Uuid,
    /// The caller's subsystem that will call the e-service.
    pub consumer_subsystem_id: Uuid,
}

/// The caller's agreements: as consumer (default) or as provider (`role=provider`, its inbox).
#[utoipa::path(get, path = "/api/exchange/v1/agreements", tag = "agreements", operation_id = "list_agreements",
    params(ListQuery),
    responses((status = 200, description = "Agreements, newest first", body = AgreementsBody),
        (status = 422, description = "Invalid role or state", body = Problem)))]
pub async fn list(
    State(exchange): State<super::State>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<AxumJson<AgreementsBody>, ApiError> {
    let state = match query.state.as_deref() {
        Some(s) => Some(
            AgreementState::parse(s)
                .ok_or_else(|| Error::invalid("state", "one of pending, active, suspended, rejected, archived"))?,
        ),
        None => None,
    };
    Ok(AxumJson(AgreementsBody { agreements: exchange.agreements(&caller, query.party()?, state).await? }))
}

/// Ask for an agreement between one of the caller's subsystems and an e-service.
#[utoipa::path(post, path = "/api/exchange/v1/agreements", tag = "agreements", operation_id = "request_agreement",
    request_body = NewAgreement,
    responses((status = 201, description = "Pending, or active at once under automatic approval", body = AgreementBody),
        (status = 409, description = "A live agreement exists", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)))]
pub async fn request(
    State(exchange): State<super::State>,
    caller: Caller,
    Json(body): Json<NewAgreement>,
) -> Result<impl IntoResponse, ApiError> {
    let agreement = exchange.request_agreement(&caller, body.eservice_id, body.consumer_subsystem_id).await?;
    Ok((StatusCode::CREATED, AxumJson(AgreementBody { agreement })))
}

/// An agreement with its history, for either party.
#[utoipa::path(get, path = "/api/exchange/v1/agreements/{id}", tag = "agreements", operation_id = "get_agreement",
    params(("id" = Uuid, Path, description = "The agreement id")),
    responses((status = 200, description = "The agreement", body = AgreementDetail),
        (status = 404, description = "No such agreement of the caller's", body = Problem)))]
pub async fn get_one(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<AgreementDetail>, ApiError> {
    let (agreement, history) = exchange.agreement(&caller, id).await?;
    Ok(AxumJson(AgreementDetail { agreement, history }))
}

async fn step(
    exchange: &super::State,
    caller: &Caller,
    id: Uuid,
    step: AgreementStep,
    body: StepRequest,
) -> Result<AxumJson<AgreementBody>, ApiError> {
    let agreement = exchange.agreement_step(caller, id, step, body.reason.as_deref()).await?;
    Ok(AxumJson(AgreementBody { agreement }))
}

/// Approve a pending agreement (provider).
#[utoipa::path(post, path = "/api/exchange/v1/agreements/{id}/approve", tag = "agreements", operation_id = "approve_agreement",
    params(("id" = Uuid, Path, description = "The agreement id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Active", body = AgreementBody),
        (status = 403, description = "Not the provider", body = Problem),
        (status = 409, description = "Not pending", body = Problem)))]
pub async fn approve(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<AgreementBody>, ApiError> {
    step(&exchange, &caller, id, AgreementStep::Approve, body).await
}

/// Reject a pending agreement (provider; a reason is required).
#[utoipa::path(post, path = "/api/exchange/v1/agreements/{id}/reject", tag = "agreements", operation_id = "reject_agreement",
    params(("id" = Uuid, Path, description = "The agreement id")), request_body = StepRequest,
    responses((status = 200, description = "Rejected", body = AgreementBody),
        (status = 403, description = "Not the provider", body = Problem),
        (status = 409, description = "Not pending", body = Problem),
        (status = 422, description = "No reason given", body = Problem)))]
pub async fn reject(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<AgreementBody>, ApiError> {
    step(&exchange, &caller, id, AgreementStep::Reject, body).await
}

/// Suspend an active agreement (either party); the suspension holds until that party reactivates.
#[utoipa::path(post, path = "/api/exchange/v1/agreements/{id}/suspend", tag = "agreements", operation_id = "suspend_agreement",
    params(("id" = Uuid, Path, description = "The agreement id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Suspended", body = AgreementBody),
        (status = 409, description = "Not active, or already suspended by the caller", body = Problem)))]
pub async fn suspend(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<AgreementBody>, ApiError> {
    step(&exchange, &caller, id, AgreementStep::Suspend, body).await
}

/// Lift the caller's suspension of an agreement.
#[utoipa::path(post, path = "/api/exchange/v1/agreements/{id}/reactivate", tag = "agreements", operation_id = "reactivate_agreement",
    params(("id" = Uuid, Path, description = "The agreement id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Active again, or still suspended by the other party", body = AgreementBody),
        (status = 409, description = "Not suspended by the caller", body = Problem)))]
pub async fn reactivate(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<AgreementBody>, ApiError> {
    step(&exchange, &caller, id, AgreementStep::Reactivate, body).await
}

/// Archive an agreement (consumer): it can no longer be used.
#[utoipa::path(post, path = "/api/exchange/v1/agreements/{id}/archive", tag = "agreements", operation_id = "archive_agreement",
    params(("id" = Uuid, Path, description = "The agreement id")), request_body(content = StepRequest, description = "Optional reason"),
    responses((status = 200, description = "Archived", body = AgreementBody),
        (status = 403, description = "Not the consumer", body = Problem),
        (status = 409, description = "Closed already", body = Problem)))]
pub async fn archive(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Step(body): Step,
) -> Result<AxumJson<AgreementBody>, ApiError> {
    step(&exchange, &caller, id, AgreementStep::Archive, body).await
}
