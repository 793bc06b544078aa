//! The consumer's calls (`/exchange/evidence-requests`), authenticated as gateway calls are:
//! a voucher of the e-service (`Authorization: Bearer …`) and the `X-Road-Client` header of
//! the subsystem it was issued to. Errors are problem+json.

use std::sync::Arc;

use axum::Json as AxumJson;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::error::{ApiError, Error, Json, Problem};
use uuid::Uuid;

use super::model::{EvidenceAnswer, EvidenceCreated, NewEvidenceRequest};
use super::{release, service};
use crate::service::Exchange;

/// Answers carrying personal data are not stored by caches.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Ask for evidence about a person (an explicit request).
///
/// The person previews the data and decides before anything is released. One call is counted
/// against the day's quotas, as at the gateway. Send the person to `preview_url`; they come
/// back to `return_url` with `?request=<id>&decision=approved|refused`.
#[utoipa::path(post, path = "/exchange/evidence-requests", tag = "evidence", operation_id = "create_evidence_request",
    security(("voucher" = [])),
    params(("X-Road-Client" = String, Header, description = "INSTANCE/CLASS/MEMBER/SUBSYSTEM the voucher was issued to")),
    request_body = NewEvidenceRequest,
    responses((status = 201, description = "Pending: the person decides within 15 minutes", body = EvidenceCreated),
        (status = 401, description = "No voucher", body = Problem),
        (status = 403, description = "The voucher does not allow this service, client or purpose", body = Problem),
        (status = 409, description = "The e-service is suspended", body = Problem),
        (status = 422, description = "Invalid field (named)", body = Problem),
        (status = 429, description = "A daily quota is used up", body = Problem)))]
pub async fn create_request(
    State(exchange): State<Arc<Exchange>>,
    parts: Parts,
    Json(body): Json<NewEvidenceRequest>,
) -> Result<Response, ApiError> {
    let created = service::create(&exchange, &parts, body).await?;
    let body = EvidenceCreated {
        id: created.request.id,
        status: created.request.status,
        preview_url: created.preview_url(),
        expires_at: created.request.expires_at,
    };
    Ok(no_store((StatusCode::CREATED, AxumJson(body)).into_response()))
}

/// An evidence request's status, and once approved its data.
///
/// After approval the data, exactly as the person previewed it, is released in one answer
/// only (written to the message log and the person's data-usage log first); later answers say
/// when it was released. Needs a voucher for the request's e-service and purpose.
#[utoipa::path(get, path = "/exchange/evidence-requests/{id}", tag = "evidence", operation_id = "get_evidence_request",
    security(("voucher" = [])),
    params(("id" = Uuid, Path, description = "The evidence request id"),
        ("X-Road-Client" = String, Header, description = "The subsystem that created the request")),
    responses((status = 200, description = "pending, approved (with the data, once), refused or expired", body = EvidenceAnswer),
        (status = 401, description = "No voucher", body = Problem),
        (status = 403, description = "The voucher is not for this request's e-service, client and purpose", body = Problem),
        (status = 404, description = "No such request of this client", body = Problem),
        (status = 503, description = "The release could not be logged; nothing was released, try again", body = Problem)))]
pub async fn get_request(
    State(exchange): State<Arc<Exchange>>,
    parts: Parts,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::try_parse(&id).map_err(|_| Error::not_found("evidence request"))?;
    let answer = release::answer(&exchange, &parts, id).await?;
    Ok(no_store(AxumJson::<EvidenceAnswer>(answer).into_response()))
}
