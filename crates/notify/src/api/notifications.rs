//! `POST /v2/notifications/{email,sms,letter,bulk}`, `GET /v2/notifications[/{id}[/pdf]]`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::error::{ApiResult, NotifyError};
use super::schema::{self, within_next_day};
use super::{Base, wire};
use crate::api::auth::Caller;
use crate::domain::kinds::{Channel, filter_statuses};
use crate::domain::recipient;
use crate::service::{Precompiled, SendRequest};
use crate::store::{self, ListFilter};

/// Notify's page size.
pub const PAGE_SIZE: i64 = 250;

#[utoipa::path(post, path = "/v2/notifications/email", tag = "notifications", request_body = super::openapi::EmailRequest, responses((status = 201, description = "Accepted and committed", body = super::openapi::Created), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn send_email(State(n): State<super::State>, caller: Caller, base: Base, body: Bytes) -> ApiResult<Response> {
    send(n, caller, base, body, Channel::Email).await
}

#[utoipa::path(post, path = "/v2/notifications/sms", tag = "notifications", request_body = super::openapi::SmsRequest, responses((status = 201, description = "Accepted and committed", body = super::openapi::Created), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn send_sms(State(n): State<super::State>, caller: Caller, base: Base, body: Bytes) -> ApiResult<Response> {
    send(n, caller, base, body, Channel::Sms).await
}

#[utoipa::path(post, path = "/v2/notifications/letter", tag = "notifications", request_body = super::openapi::LetterRequest, responses((status = 201, description = "Accepted and committed", body = super::openapi::Created), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn send_letter(
    State(n): State<super::State>,
    caller: Caller,
    base: Base,
    body: Bytes,
) -> ApiResult<Response> {
    send(n, caller, base, body, Channel::Letter).await
}

async fn send(notify: super::State, caller: Caller, base: Base, body: Bytes, channel: Channel) -> ApiResult<Response> {
    notify.check_rate_limit(&caller.service, caller.key_type).map_err(NotifyError::rate_limited)?;
    let obj = schema::object(&body)?;
    let req = if channel == Channel::Letter && obj.contains_key("content") {
        schema::check(&obj, schema::PRECOMPILED)?;
        precompiled(&obj)?
    } else {
        let fields = match channel {
            Channel::Email => schema::EMAIL,
            Channel::Sms => schema::SMS,
            Channel::Letter => schema::LETTER,
        };
        schema::check(&obj, fields)?;
        request(&obj, channel)?
    };
    let accepted = notify.accept(&caller, req).await?;
    let body = wire::accepted(&base.0, caller.service.id, &accepted, channel.as_str());
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// A send request from a body that passed the schema.
fn request(obj: &Map<String, Value>, channel: Channel) -> ApiResult<SendRequest> {
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    let to = match channel {
        Channel::Email => text("email_address").map(|raw| {
            let valid = recipient::validate_email(&raw).unwrap_or_else(|_| raw.clone());
            (raw, recipient::normalise_email(&valid))
        }),
        Channel::Sms => text("phone_number").map(|raw| {
            let e164 = recipient::validate_phone(&raw, true).unwrap_or_else(|_| raw.clone());
            (raw, e164)
        }),
        Channel::Letter => None,
    };
    let scheduled_for = match obj.get("scheduled_for").and_then(Value::as_str) {
        Some(s) => Some(
            within_next_day(s, publica_kernel::db::Timestamp::now())
                .map_err(|m| NotifyError::validation(format!("scheduled_for {m}")))?,
        ),
        None => None,
    };
    Ok(SendRequest {
        channel,
        to,
        template_id: text("template_id").and_then(|s| Uuid::parse_str(&s).ok()).unwrap_or_default(),
        personalisation: obj.get("personalisation").and_then(Value::as_object).cloned().unwrap_or_default(),
        reference: text("reference"),
        scheduled_for,
        one_click_unsubscribe_url: text("one_click_unsubscribe_url"),
        precompiled: None,
        created_by_name: None,
        job: None,
    })
}

fn precompiled(obj: &Map<String, Value>) -> ApiResult<SendRequest> {
    let content = obj.get("content").and_then(Value::as_str).unwrap_or_default();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(content.trim())
        .map_err(|_| NotifyError::bad_request("Cannot decode letter content (invalid base64 encoding)"))?;
    Ok(SendRequest {
        channel: Channel::Letter,
        to: None,
        template_id: Uuid::nil(),
        personalisation: Map::new(),
        reference: obj.get("reference").and_then(Value::as_str).map(str::to_string),
        scheduled_for: None,
        one_click_unsubscribe_url: None,
        precompiled: Some(Precompiled {
            pdf,
            postage: obj.get("postage").and_then(Value::as_str).unwrap_or("second").to_string(),
        }),
        created_by_name: None,
        job: None,
    })
}

#[utoipa::path(get, path = "/v2/notifications/{notification_id}", tag = "notifications", params(("notification_id" = uuid::Uuid, Path)), responses((status = 200, description = "The notification", body = super::openapi::Notification), (status = 404, description = "No result found", body = super::openapi::Errors), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn get_one(
    State(notify): State<super::State>,
    caller: Caller,
    base: Base,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = Uuid::parse_str(&id).map_err(|_| NotifyError::validation("notification_id is not a valid UUID"))?;
    let row = store::notification(notify.kernel().db(), Some(caller.service.id), id)
        .await?
        .ok_or_else(NotifyError::not_found)?;
    let content = notify.open_content(&row)?;
    Ok(Json(wire::notification(&base.0, &row, content.as_ref())))
}

const STATUS_VALUES: &[&str] = &[
    "cancelled",
    "created",
    "sending",
    "sent",
    "delivered",
    "pending",
    "failed",
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "pending-virus-check",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
    "accepted",
    "received",
];

#[utoipa::path(get, path = "/v2/notifications", operation_id = "get_notifications", tag = "notifications", params(("template_type" = Option<String>, Query), ("status" = Option<String>, Query), ("reference" = Option<String>, Query), ("older_than" = Option<uuid::Uuid>, Query), ("include_jobs" = Option<String>, Query)), responses((status = 200, description = "A page of 250", body = super::openapi::NotificationList), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn list(
    State(notify): State<super::State>,
    caller: Caller,
    base: Base,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let mut errors = Vec::new();
    let mut statuses: Vec<&'static str> = Vec::new();
    let mut kind = None;
    let mut reference = None;
    let mut older_than = None;
    let mut include_jobs = false;
    for (key, value) in &pairs {
        match key.as_str() {
            "status" => match (STATUS_VALUES.contains(&value.as_str()), value.as_str()) {
                (true, "accepted") => statuses.extend(["created", "sending"]),
                (true, "received") => statuses.push("delivered"),
                (true, v) => statuses.extend(filter_statuses(v).unwrap_or_default()),
                (false, _) => errors.push(format!("status {value} is not one of [{}]", STATUS_VALUES.join(", "))),
            },
            "template_type" => match Channel::parse(value) {
                Some(c) => kind = Some(c.as_str()),
                None => errors.push(format!("template_type {value} is not one of [sms, email, letter]")),
            },
            "reference" => reference = Some(value.clone()),
            "older_than" => match Uuid::parse_str(value) {
                Ok(id) => older_than = Some(id),
                Err(_) => errors.push("older_than is not a valid UUID".into()),
            },
            "include_jobs" => include_jobs = !value.is_empty(),
            other => errors.push(format!("Additional properties are not allowed ({other} was unexpected)")),
        }
    }
    if !errors.is_empty() {
        return Err(NotifyError::validations(errors));
    }
    let filter = ListFilter {
        kind,
        statuses,
        reference: reference.as_deref(),
        key_type: Some(caller.key_type.as_str()),
        include_jobs,
        older_than,
        limit: PAGE_SIZE,
    };
    let rows = store::list_notifications(notify.kernel().db(), caller.service.id, &filter).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let content = notify.open_content(row)?;
        items.push(wire::notification(&base.0, row, content.as_ref()));
    }
    let others: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "older_than").cloned().collect();
    let encode = |pairs: &[(String, String)]| {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish()
    };
    let current = if pairs.is_empty() {
        format!("{}/v2/notifications", base.0)
    } else {
        format!("{}/v2/notifications?{}", base.0, encode(&pairs))
    };
    let mut links = json!({ "current": current });
    if let Some(last) = rows.last() {
        // `older_than` first: the official clients take the first UUID of this link.
        let mut next = vec![("older_than".to_string(), last.id.to_string())];
        next.extend(others);
        links["next"] = json!(format!("{}/v2/notifications?{}", base.0, encode(&next)));
    }
    Ok(Json(json!({ "notifications": items, "links": links })))
}

#[utoipa::path(get, path = "/v2/notifications/{notification_id}/pdf", tag = "notifications", params(("notification_id" = uuid::Uuid, Path)), responses((status = 200, description = "The letter", content_type = "application/pdf"), (status = 404, description = "No result found", body = super::openapi::Errors), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn pdf(State(notify): State<super::State>, caller: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| NotifyError::validation("notification_id is not a valid UUID"))?;
    let row = store::notification(notify.kernel().db(), Some(caller.service.id), id)
        .await?
        .ok_or_else(NotifyError::not_found)?;
    if row.kind != "letter" {
        return Err(NotifyError::bad_request("Notification is not a letter"));
    }
    match row.status.as_str() {
        "virus-scan-failed" => return Err(NotifyError::bad_request("File did not pass the virus scan")),
        "technical-failure" => {
            return Err(NotifyError::bad_request("PDF not available for letters in status technical-failure"));
        }
        "pending-virus-check" => {
            return Err(NotifyError::new(
                StatusCode::BAD_REQUEST,
                "PDFNotReadyError",
                "PDF not available yet, try again later",
            ));
        }
        _ => {}
    }
    let pdf = notify.letter_pdf(&row).await.map_err(|_| {
        NotifyError::new(StatusCode::BAD_REQUEST, "PDFNotReadyError", "PDF not available yet, try again later")
    })?;
    Ok(([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response())
}

/// GC Notify's `POST /v2/notifications/bulk`: rows (first row the headers) or CSV text.
#[utoipa::path(post, path = "/v2/notifications/bulk", tag = "notifications", request_body = super::openapi::BulkRequest, responses((status = 201, description = "The bulk job", body = serde_json::Value), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn bulk(State(notify): State<super::State>, caller: Caller, body: Bytes) -> ApiResult<Response> {
    notify.check_rate_limit(&caller.service, caller.key_type).map_err(NotifyError::rate_limited)?;
    let obj = schema::object(&body)?;
    schema::check(
        &obj,
        &[
            schema::Field { name: "name", kind: schema::Kind::Text(Some(255)), required: true },
            schema::Field { name: "template_id", kind: schema::Kind::Uuid, required: true },
            schema::Field { name: "rows", kind: schema::Kind::Array, required: false },
            schema::Field { name: "csv", kind: schema::Kind::Text(None), required: false },
            schema::Field { name: "scheduled_for", kind: schema::Kind::Text(None), required: false },
            schema::Field { name: "reply_to_id", kind: schema::Kind::Uuid, required: false },
        ],
    )?;
    let rows = crate::service::bulk::rows(&obj)?;
    let template_id =
        obj.get("template_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
    let scheduled_for = match obj.get("scheduled_for").and_then(Value::as_str) {
        Some(s) => Some(crate::service::bulk::scheduled(s)?),
        None => None,
    };
    let name = obj.get("name").and_then(Value::as_str).unwrap_or_default();
    let job = notify.bulk(&caller, name, template_id, rows, scheduled_for).await?;
    Ok((StatusCode::CREATED, Json(json!({ "data": job }))).into_response())
}
