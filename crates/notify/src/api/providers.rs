//! Endpoints the SMS gateway calls: delivery receipts and received texts, authenticated with
//! the gateway's bearer token (see docs/notify-providers.md). Errors are problem+json.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{ApiError, Error};
use publica_kernel::jobs::NewJob;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::delivery::{ReceiptError, check_bearer, parse_receipt};
use crate::jobs::INBOUND_CALLBACK;
use crate::service::StatusChange;
use crate::store::{self, ReceivedText, StatusUpdate};

fn token(notify: &super::State) -> Result<&str, ApiError> {
    notify
        .delivery
        .sms_token
        .as_deref()
        .ok_or_else(|| ApiError(Error::Forbidden("no SMS gateway is configured on this server".into())))
}

/// As docs/notify-providers.md promises the gateway: 401 for a wrong token, 400 for a body that
/// is not the contract's JSON (problem+json either way).
fn receipt_error(e: ReceiptError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({"type": "about:blank", "title": status.canonical_reason(), "status": status.as_u16(), "detail": e.to_string()});
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

pub async fn sms_receipt(
    State(notify): State<super::State>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let receipt = match parse_receipt(token(&notify)?, authorization, &body) {
        Ok(receipt) => receipt,
        Err(e) => return Ok(receipt_error(e)),
    };
    let row = store::notification_by_provider_reference(notify.kernel().db(), &receipt.reference)
        .await?
        .ok_or_else(|| ApiError(Error::not_found(format!("message with reference {}", receipt.reference))))?;
    let service = notify.service_keys(row.service_id).await?;
    let callback = service.service.as_ref().is_some_and(|s| s.delivery_callback_url.is_some());
    notify
        .change_status(StatusChange {
            update: StatusUpdate {
                id: row.id,
                status: receipt.status.as_str().into(),
                reason: None,
                provider_reference: None,
                sent: false,
                at: receipt.at.map(Timestamp::from).unwrap_or_else(Timestamp::now),
            },
            callback,
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A text message a person sent to a service's number.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Inbound {
    /// The service's number the message was sent to.
    to: String,
    /// The sender's number.
    from: String,
    body: String,
    reference: Option<String>,
}

pub async fn sms_inbound(
    State(notify): State<super::State>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Err(e) = check_bearer(token(&notify)?, authorization) {
        return Ok(receipt_error(e));
    }
    let inbound: Inbound = publica_kernel::error::parse_json(&body)?;
    let service = store::service_by_inbound_number(notify.kernel().db(), &inbound.to)
        .await?
        .ok_or_else(|| ApiError(Error::invalid("to", format!("{} is not the number of any service", inbound.to))))?;
    let text = ReceivedText {
        id: Uuid::now_v7(),
        service_id: service.id,
        notify_number: inbound.to.clone(),
        user_number: inbound.from.trim_start_matches('+').to_string(),
        content: inbound.body.clone(),
        created_at: Timestamp::now(),
    };
    let mut tx = notify.kernel().db().begin().await?;
    store::insert_received_text(&mut tx, &text, inbound.reference.as_deref()).await?;
    if service.inbound_callback_url.is_some() {
        let body = json!({
            "id": text.id, "source_number": text.user_number, "destination_number": text.notify_number,
            "message": text.content, "date_received": text.created_at.to_fixed(),
        });
        let job = NewJob::new(INBOUND_CALLBACK, text.id.to_string(), json!({"service_id": service.id, "body": body}));
        notify.kernel().enqueue(&mut tx, job).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
