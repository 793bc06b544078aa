//! Event streams (`/delivery-progresses/v2.9/streams`): a sender creates streams and pulls
//! their events in order; `lastEventId` acknowledges what it has stored, and `retry-after`
//! (milliseconds) says whether to call again at once (0) or wait.

use axum::Json;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{ApiResult, Problem, Sender, State};
use crate::send::model::{self, ProblemError};
use crate::send::status::{DEFAULT_FILTER, STATUSES};
use crate::send::store::{self, StreamRow};

/// The API version streams are created with.
const VERSION: &str = "v29";

fn metadata(s: &StreamRow) -> Value {
    json!({
        "streamId": s.id, "title": s.title, "eventType": s.event_type, "groups": s.groups,
        "filterValues": s.filter_values, "waitForAccepted": s.wait_for_accepted,
        "activationDate": s.activated_at, "disabledDate": s.disabled_at, "version": VERSION,
    })
}

/// 38-digit event ids, as SEND's.
fn event_id(seq: i64) -> String {
    format!("{seq:038}")
}

/// Check a stream request; returns `(title, eventType, groups, filterValues)`.
fn checked(body: &Value) -> ApiResult<(String, String, Vec<String>, Vec<String>)> {
    let mut errors = Vec::new();
    let title = body["title"].as_str().unwrap_or_default();
    if title.is_empty() || title.chars().count() > 256 {
        errors.push(ProblemError::new(model::REQUIRED, "body.title", "give a title of 1 to 256 characters"));
    }
    let event_type = body["eventType"].as_str().unwrap_or_default();
    if !["STATUS", "TIMELINE"].contains(&event_type) {
        errors.push(ProblemError::new(model::PATTERN, "body.eventType", "STATUS or TIMELINE"));
    }
    let strings = |v: &Value| -> Option<Vec<String>> {
        match v {
            Value::Null => Some(Vec::new()),
            Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
            _ => None,
        }
    };
    let groups = strings(&body["groups"]).unwrap_or_else(|| {
        errors.push(ProblemError::new(model::INVALID, "body.groups", "an array of group names"));
        Vec::new()
    });
    let filters = strings(&body["filterValues"]).unwrap_or_default();
    for (i, f) in filters.iter().enumerate() {
        let known = match event_type {
            "STATUS" => STATUSES.contains(&f.as_str()),
            _ => {
                f == "DEFAULT"
                    || DEFAULT_FILTER.contains(&f.as_str())
                    || f.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            }
        };
        if !known || f.len() < 4 || f.len() > 256 {
            errors.push(ProblemError::new(
                model::PATTERN,
                format!("body.filterValues[{i}]"),
                "a timeline category, a status or DEFAULT",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::bad_request(errors));
    }
    Ok((title.into(), event_type.into(), groups, filters))
}

async fn own(send: &State, sender: &Sender, id: Uuid) -> ApiResult<StreamRow> {
    store::streams_of(send.kernel().db(), sender.org_id)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::not_found(format!("stream {id}")).into())
}

/// `POST /delivery-progresses/v2.9/streams`.
#[utoipa::path(post, path = "/delivery-progresses/v2.9/streams", operation_id = "createEventStreamV29", tag = super::openapi::TAG, request_body = super::openapi::StreamRequest, responses((status = 200, description = "The new stream", body = super::openapi::StreamMetadata), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "replacedStreamId not found", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Too many active streams", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn create(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let (title, event_type, groups, filter_values) = checked(&body)?;
    let existing = store::streams_of(send.kernel().db(), sender.org_id).await?;
    let replaced = match body["replacedStreamId"].as_str() {
        Some(id) => {
            let id = Uuid::parse_str(id).map_err(|_| Error::invalid("replacedStreamId", "a stream id"))?;
            Some(
                existing
                    .iter()
                    .find(|s| s.id == id)
                    .cloned()
                    .ok_or_else(|| Error::not_found(format!("stream {id}")))?,
            )
        }
        None => None,
    };
    let active = existing.iter().filter(|s| s.disabled_at.is_none()).count() as i64 - i64::from(replaced.is_some());
    if active >= send.config().max_streams {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "PN_STREAM_MAXSTREAMS_REACHED",
            None,
            format!("at most {} active streams", send.config().max_streams),
        ));
    }
    let stream = StreamRow {
        id: Uuid::now_v7(),
        sender_id: sender.org_id,
        title,
        event_type,
        groups,
        filter_values,
        wait_for_accepted: body["waitForAccepted"].as_bool().unwrap_or(false),
        version: VERSION.into(),
        activated_at: Timestamp::now(),
        disabled_at: None,
    };
    let mut tx = send.kernel().db().begin().await.map_err(Error::from)?;
    if let Some(mut old) = replaced {
        old.disabled_at = Some(Timestamp::now());
        store::update_stream(&mut tx, &old).await?;
    }
    store::insert_stream(&mut tx, &stream).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(Json(metadata(&stream)))
}

/// `GET /delivery-progresses/v2.9/streams`.
#[utoipa::path(get, path = "/delivery-progresses/v2.9/streams", operation_id = "listEventStreamsV29", tag = super::openapi::TAG, responses((status = 200, description = "Your streams", body = Vec<super::openapi::StreamListElement>), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn list(AxumState(send): AxumState<State>, sender: Sender) -> ApiResult<Json<Value>> {
    let streams = store::streams_of(send.kernel().db(), sender.org_id).await?;
    Ok(Json(json!(streams.iter().map(|s| json!({"streamId": s.id, "title": s.title})).collect::<Vec<_>>())))
}

/// `GET /delivery-progresses/v2.9/streams/{id}`.
#[utoipa::path(get, path = "/delivery-progresses/v2.9/streams/{id}", operation_id = "retrieveEventStreamV29", tag = super::openapi::TAG, params(("id" = uuid::Uuid, Path)), responses((status = 200, description = "The stream", body = super::openapi::StreamMetadata), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn get_one(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    Ok(Json(metadata(&own(&send, &sender, id).await?)))
}

/// `PUT /delivery-progresses/v2.9/streams/{id}`: groups may only grow; waitForAccepted stays.
#[utoipa::path(put, path = "/delivery-progresses/v2.9/streams/{id}", operation_id = "updateEventStreamV29", tag = super::openapi::TAG, params(("id" = uuid::Uuid, Path)), request_body = super::openapi::StreamRequest, responses((status = 200, description = "The stream", body = super::openapi::StreamMetadata), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "The stream is disabled", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn update(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Path(id): Path<Uuid>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let mut stream = own(&send, &sender, id).await?;
    if stream.disabled_at.is_some() {
        return Err(Error::Conflict("a disabled stream cannot be changed".into()).into());
    }
    let (title, event_type, groups, filter_values) = checked(&body)?;
    if stream.groups.iter().any(|g| !groups.contains(g)) {
        return Err(Problem::bad_request(vec![ProblemError::new(
            model::INVALID,
            "body.groups",
            "groups can only be added",
        )]));
    }
    stream.title = title;
    stream.event_type = event_type;
    stream.groups = groups;
    stream.filter_values = filter_values;
    let mut tx = send.kernel().db().begin().await.map_err(Error::from)?;
    store::update_stream(&mut tx, &stream).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(Json(metadata(&stream)))
}

/// `DELETE /delivery-progresses/v2.9/streams/{id}`: the stream and its unread events.
#[utoipa::path(delete, path = "/delivery-progresses/v2.9/streams/{id}", operation_id = "removeEventStreamV29", tag = super::openapi::TAG, params(("id" = uuid::Uuid, Path)), responses((status = 204, description = "Deleted with its unread events"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn delete(AxumState(send): AxumState<State>, sender: Sender, Path(id): Path<Uuid>) -> ApiResult<Response> {
    own(&send, &sender, id).await?;
    let mut tx = send.kernel().db().begin().await.map_err(Error::from)?;
    store::delete_stream(&mut tx, id).await?;
    tx.commit().await.map_err(Error::from)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /delivery-progresses/v2.9/streams/{id}/action/disable`: no new events; still readable.
#[utoipa::path(post, path = "/delivery-progresses/v2.9/streams/{id}/action/disable", operation_id = "disableEventStreamV29", tag = super::openapi::TAG, params(("id" = uuid::Uuid, Path)), responses((status = 200, description = "Disabled: no new events", body = super::openapi::StreamMetadata), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn disable(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Value>> {
    let mut stream = own(&send, &sender, id).await?;
    if stream.disabled_at.is_none() {
        stream.disabled_at = Some(Timestamp::now());
        let mut tx = send.kernel().db().begin().await.map_err(Error::from)?;
        store::update_stream(&mut tx, &stream).await?;
        tx.commit().await.map_err(Error::from)?;
    }
    Ok(Json(metadata(&stream)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsQuery {
    last_event_id: Option<String>,
}

/// `GET /delivery-progresses/v2.9/streams/{id}/events?lastEventId=`.
#[utoipa::path(get, path = "/delivery-progresses/v2.9/streams/{id}/events", operation_id = "consumeEventStreamV29", tag = super::openapi::TAG, params(("id" = uuid::Uuid, Path), ("lastEventId" = Option<String>, Query, description = "Acknowledges this event and all before it")), responses((status = 200, description = "Up to a page of events; the retry-after header (ms) is 0 when more wait", body = Vec<super::openapi::ProgressResponseElement>), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn events(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Path(id): Path<Uuid>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Response> {
    let stream = own(&send, &sender, id).await?;
    let db = send.kernel().db();
    let after = match q.last_event_id.as_deref() {
        None | Some("") => 0,
        Some(text) => {
            let ok = text.len() == 38 && text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit());
            let seq = text.parse::<i64>().ok().filter(|_| ok).ok_or_else(|| {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    model::PATTERN,
                    Some("lastEventId"),
                    "an eventId from this stream (38 digits)",
                )
            })?;
            store::ack_stream_events(db, stream.id, seq).await?;
            seq
        }
    };
    let size = send.config().stream_page_size.max(1);
    let mut rows = store::stream_events(db, stream.id, after, size + 1).await?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    let body: Vec<Value> = rows
        .iter()
        .map(|(new_status, element, request_id, sent_at)| {
            json!({
                "eventId": event_id(element.seq), "notificationRequestId": request_id, "iun": element.iun,
                "newStatus": new_status, "element": element.to_json(*sent_at),
            })
        })
        .collect();
    let retry_after = if more { 0 } else { send.config().stream_retry_after_ms };
    Ok(([("retry-after", retry_after.to_string())], Json(json!(body))).into_response())
}
