//! Members, attributes and subsystems.

use axum::Json as AxumJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use publica_kernel::error::{ApiError, Json, Problem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{Member, Subsystem};
use crate::service::Caller;

#[derive(Serialize, ToSchema)]
pub struct MemberBody {
    pub member: Member,
}

#[derive(Serialize, ToSchema)]
pub struct MembersBody {
    pub members: Vec<Member>,
}

/// The caller's member record (registered with the next member code on first use).
#[utoipa::path(get, path = "/api/exchange/v1/member", tag = "members", operation_id = "get_own_member",
    responses((status = 200, description = "The caller's member record", body = MemberBody),
        (status = 401, description = "No or bad API key", body = Problem)))]
pub async fn own_member(
    State(exchange): State<super::State>,
    caller: Caller,
) -> Result<AxumJson<MemberBody>, ApiError> {
    Ok(AxumJson(MemberBody { member: exchange.ensure_member(caller.org_id).await? }))
}

/// Every member of the exchange.
#[utoipa::path(get, path = "/api/exchange/v1/members", tag = "members", operation_id = "list_members",
    responses((status = 200, description = "All members", body = MembersBody),
        (status = 401, description = "No or bad API key", body = Problem)))]
pub async fn list_members(
    State(exchange): State<super::State>,
    _caller: Caller,
) -> Result<AxumJson<MembersBody>, ApiError> {
    Ok(AxumJson(MembersBody { members: exchange.members().await? }))
}

/// Grant an attribute to an organisation (platform operator only).
#[utoipa::path(put, path = "/api/exchange/v1/members/{org_id}/attributes/{attribute}", tag = "members",
    operation_id = "grant_attribute",
    params(("org_id" = Uuid, Path, description = "The organisation"), ("attribute" = String, Path, description = "e.g. `tax-authority`")),
    responses((status = 200, description = "The member with its attributes", body = MemberBody),
        (status = 403, description = "Not the platform operator", body = Problem),
        (status = 422, description = "Invalid attribute", body = Problem)))]
pub async fn grant_attribute(
    State(exchange): State<super::State>,
    caller: Caller,
    Path((org_id, attribute)): Path<(Uuid, String)>,
) -> Result<AxumJson<MemberBody>, ApiError> {
    Ok(AxumJson(MemberBody { member: exchange.grant_attribute(&caller, org_id, &attribute).await? }))
}

/// Revoke an attribute (platform operator only).
#[utoipa::path(delete, path = "/api/exchange/v1/members/{org_id}/attributes/{attribute}", tag = "members",
    operation_id = "revoke_attribute",
    params(("org_id" = Uuid, Path, description = "The organisation"), ("attribute" = String, Path, description = "The attribute")),
    responses((status = 200, description = "The member with its attributes", body = MemberBody),
        (status = 403, description = "Not the platform operator", body = Problem),
        (status = 404, description = "Not held", body = Problem)))]
pub async fn revoke_attribute(
    State(exchange): State<super::State>,
    caller: Caller,
    Path((org_id, attribute)): Path<(Uuid, String)>,
) -> Result<AxumJson<MemberBody>, ApiError> {
    Ok(AxumJson(MemberBody { member: exchange.revoke_attribute(&caller, org_id, &attribute).await? }))
}

#[derive(Serialize, ToSchema)]
pub struct SubsystemBody {
    pub subsystem: Subsystem,
}

#[derive(Serialize, ToSchema)]
pub struct SubsystemsBody {
    pub subsystems: Vec<Subsystem>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubsystem {
    /// 1 to 64 of `A-Z a-z 0-9 - _ .`, e.g. `tax-assessment`.
    pub code: String,
    pub title: String,
}

/// The caller's subsystems.
#[utoipa::path(get, path = "/api/exchange/v1/subsystems", tag = "subsystems", operation_id = "list_subsystems",
    responses((status = 200, description = "The caller's subsystems", body = SubsystemsBody),
        (status = 401, description = "No or bad API key", body = Problem)))]
pub async fn list_subsystems(
    State(exchange): State<super::State>,
    caller: Caller,
) -> Result<AxumJson<SubsystemsBody>, ApiError> {
    Ok(AxumJson(SubsystemsBody { subsystems: exchange.subsystems(caller.org_id).await? }))
}

/// Register one of the caller's information systems.
#[utoipa::path(post, path = "/api/exchange/v1/subsystems", tag = "subsystems", operation_id = "create_subsystem",
    request_body = NewSubsystem,
    responses((status = 201, description = "Created", body = SubsystemBody),
        (status = 409, description = "Code taken", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)))]
pub async fn create_subsystem(
    State(exchange): State<super::State>,
    caller: Caller,
    Json(body): Json<NewSubsystem>,
) -> Result<impl IntoResponse, ApiError> {
    let subsystem = exchange.create_subsystem(&caller, &body.code, &body.title).await?;
    Ok((StatusCode::CREATED, AxumJson(SubsystemBody { subsystem })))
}
