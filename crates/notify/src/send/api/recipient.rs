//! The recipient's endpoints: their notifications (reading one is an access that perfects it)
//! and the addresses they register (digital domicile, courtesy email and SMS).

use axum::Json;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use publica_kernel::db::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiResult, Base, Person, Problem, State};
use crate::send::model;
use crate::send::{AddressChannel, Received};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    start_date: Option<String>,
    end_date: Option<String>,
    sender_id: Option<uuid::Uuid>,
    status: Option<String>,
    subject_reg_exp: Option<String>,
    iun_match: Option<String>,
    size: Option<i64>,
    next_pages_key: Option<String>,
}

fn instant(field: &str, value: Option<&str>) -> ApiResult<Timestamp> {
    let text = value.ok_or_else(|| {
        Problem::new(StatusCode::BAD_REQUEST, model::REQUIRED, Some(field), format!("{field} is required"))
    })?;
    Timestamp::parse(text).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            model::PATTERN,
            Some(field),
            format!("{field} must be a date-time, e.g. 2025-01-01T00:00:00Z"),
        )
    })
}

/// `GET /delivery/notifications/received`.
#[utoipa::path(get, path = "/delivery/notifications/received", operation_id = "searchReceivedNotification", tag = super::openapi::TAG, params(("startDate" = String, Query), ("endDate" = String, Query), ("status" = Option<String>, Query), ("iunMatch" = Option<String>, Query), ("senderId" = Option<uuid::Uuid>, Query), ("subjectRegExp" = Option<String>, Query), ("size" = Option<i64>, Query), ("nextPagesKey" = Option<String>, Query)), responses((status = 200, description = "The person's notifications", body = super::openapi::NotificationSearchResponse), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "Nobody signed in: signInUrl says where", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Not verified or one factor only (signInUrl says where to go), an API key, or a request from another site", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No identity provider runs here", body = super::openapi::Problem, content_type = "application/problem+json")), security(("person_session" = [])))]
pub async fn list(
    AxumState(send): AxumState<State>,
    person: Person,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let query = Received {
        tax_id: person.tax_id,
        start: instant("startDate", q.start_date.as_deref())?,
        end: instant("endDate", q.end_date.as_deref())?,
        status: q.status,
        iun_match: q.iun_match,
        sender_id: q.sender_id,
        subject: q.subject_reg_exp,
        size: q.size.unwrap_or(10),
        next_pages_key: q.next_pages_key,
    };
    Ok(Json(send.received(&query).await?))
}

/// `GET /delivery/notifications/received/{iun}` (and its v2.8 path).
#[utoipa::path(get, path = "/delivery/v2.8/notifications/received/{iun}", operation_id = "getReceivedNotificationV28", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1")), responses((status = 200, description = "The notification as this recipient sees it (also at /delivery/notifications/received/{iun}); the first read perfects it", body = super::openapi::FullSentNotification), (status = 401, description = "Nobody signed in: signInUrl says where", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Not verified or one factor only (signInUrl says where to go), an API key, or a request from another site", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No identity provider runs here", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, or not this person's", body = super::openapi::Problem, content_type = "application/problem+json")), security(("person_session" = [])))]
pub async fn detail(
    AxumState(send): AxumState<State>,
    person: Person,
    Path(iun): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(send.received_notification(&person.tax_id, &iun).await?))
}

/// `GET /delivery/notifications/received/{iun}/attachments/documents/{doc}`.
#[utoipa::path(get, path = "/delivery/notifications/received/{iun}/attachments/documents/{doc}", operation_id = "getReceivedNotificationDocument", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1"), ("doc" = usize, Path)), responses((status = 200, description = "Download metadata; an access", body = super::openapi::DownloadMetadata), (status = 401, description = "Nobody signed in: signInUrl says where", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Not verified or one factor only (signInUrl says where to go), an API key, or a request from another site", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No identity provider runs here", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, not this person's, or cancelled", body = super::openapi::Problem, content_type = "application/problem+json")), security(("person_session" = [])))]
pub async fn document(
    AxumState(send): AxumState<State>,
    person: Person,
    Base(base): Base,
    Path((iun, doc)): Path<(String, usize)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(send.document(None, Some(&person.tax_id), &iun, doc, &base).await?))
}

/// `GET /address-book/v1/digital-address`: the person's addresses, legal and courtesy.
#[utoipa::path(get, path = "/address-book/v1/digital-address", operation_id = "getAddressesByRecipient", tag = super::openapi::TAG, responses((status = 200, description = "The person's addresses", body = super::openapi::AddressBook), (status = 401, description = "Nobody signed in: signInUrl says where", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Not verified or one factor only (signInUrl says where to go), an API key, or a request from another site", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No identity provider runs here", body = super::openapi::Problem, content_type = "application/problem+json")), security(("person_session" = [])))]
pub async fn addresses(AxumState(send): AxumState<State>, person: Person) -> ApiResult<Json<Value>> {
    let all = send.addresses(&person.tax_id).await?;
    let pick = |legal: bool| -> Vec<Value> {
        all.iter()
            .filter(|(c, _)| (c == "PEC") == legal)
            .map(
                |(c, a)| json!({"addressType": if legal { "LEGAL" } else { "COURTESY" }, "channelType": c, "value": a}),
            )
            .collect()
    };
    Ok(Json(json!({"legal": pick(true), "courtesy": pick(false)})))
}

fn channel(kind: &str, channel: &str) -> ApiResult<AddressChannel> {
    match (kind, AddressChannel::parse(channel)) {
        ("legal", Some(AddressChannel::Pec)) => Ok(AddressChannel::Pec),
        ("courtesy", Some(c @ (AddressChannel::Email | AddressChannel::Sms))) => Ok(c),
        _ => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            model::PATTERN,
            Some("channelType"),
            "use legal/PEC for the digital domicile, courtesy/EMAIL or courtesy/SMS for courtesy messages",
        )),
    }
}

/// `PUT /address-book/v1/digital-address/{legal|courtesy}/{PEC|EMAIL|SMS}` with `{"value": …}`.
#[utoipa::path(put, path = "/address-book/v1/digital-address/{kind}/{channel}", operation_id = "postRecipientAddress", tag = super::openapi::TAG, params(("kind" = String, Path, description = "legal or courtesy"), ("channel" = String, Path, description = "PEC (legal), EMAIL or SMS (courtesy)")), request_body = super::openapi::AddressValue, responses((status = 204, description = "Registered"), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "Nobody signed in: signInUrl says where", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Not verified or one factor only (signInUrl says where to go), an API key, or a request from another site", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No identity provider runs here", body = super::openapi::Problem, content_type = "application/problem+json")), security(("person_session" = [])))]
pub async fn set_address(
    AxumState(send): AxumState<State>,
    person: Person,
    Path((kind, ch)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> ApiResult<Response> {
    let channel = channel(&kind, &ch)?;
    let value = body["value"].as_str().unwrap_or_default();
    send.register_address(&person.actor, &person.tax_id, channel, value).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /address-book/v1/digital-address/{legal|courtesy}/{PEC|EMAIL|SMS}`.
#[utoipa::path(delete, path = "/address-book/v1/digital-address/{kind}/{channel}", operation_id = "deleteRecipientAddress", tag = super::openapi::TAG, params(("kind" = String, Path), ("channel" = String, Path)), responses((status = 204, description = "Removed"), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "Nobody signed in: signInUrl says where", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Not verified or one factor only (signInUrl says where to go), an API key, or a request from another site", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "No identity provider runs here", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such address", body = super::openapi::Problem, content_type = "application/problem+json")), security(("person_session" = [])))]
pub async fn remove_address(
    AxumState(send): AxumState<State>,
    person: Person,
    Path((kind, ch)): Path<(String, String)>,
) -> ApiResult<Response> {
    let channel = channel(&kind, &ch)?;
    if !send.remove_address(&person.actor, &person.tax_id, channel).await? {
        return Err(publica_kernel::error::Error::not_found(format!("{} address", channel.as_str())).into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
