//! The sender's payment events: `POST /delivery/events/payment/pagopa` (and the deprecated
//! `…/f24`). 204 when recorded (or already recorded); 400 naming the element at fault; 404 when
//! none of the sender's notifications has the payment, as SEND answers.

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{ApiResult, Problem, Sender, State};
use crate::send::model::{self, ProblemError};
use crate::send::payments::PaymentError;

/// SEND's code for a payment no notification has.
const NOT_FOUND: &str = "PN_DELIVERY_NOTIFICATIONNOTFOUND";

fn body(bytes: &[u8]) -> ApiResult<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(vec![ProblemError::new(model::INVALID, "body", format!("not JSON: {e}"))]))
}

fn answer(result: Result<usize, PaymentError>) -> ApiResult<Response> {
    match result {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(PaymentError::Invalid(errors)) => Err(Problem::bad_request(errors)),
        Err(PaymentError::NotFound { element, detail }) => {
            Err(Problem::new(StatusCode::NOT_FOUND, NOT_FOUND, Some(&element), detail))
        }
        Err(PaymentError::Other(e)) => Err(e.into()),
    }
}

/// Report pagoPA payments of your notifications.
///
/// Each event names a pagoPA notice (`noticeCode` + `creditorTaxId`) of a recipient's `payments`
/// in one of your accepted notifications. The payment is recorded once on its timeline as a
/// `PAYMENT` element (id `NOTIFICATION_PAID.IUN_<iun>.CODE_PPA<noticeCode><creditorTaxId>`) and
/// the notification becomes `PAID`; reporting it again changes nothing. The request is checked
/// whole before anything is recorded. `recipientType` and `recipientTaxId` are optional; when
/// given they must name the notice's recipient.
#[utoipa::path(
    post,
    path = "/delivery/events/payment/pagopa",
    operation_id = "paymentEventsRequestPagoPa",
    tag = super::openapi::TAG,
    security(("send_api_key" = [])),
    request_body = super::openapi::PaymentEventsRequestPagoPa,
    responses(
        (status = 204, description = "Recorded (or recorded before)"),
        (status = 400, description = "Invalid events", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No notification of yours has this notice (PN_DELIVERY_NOTIFICATIONNOTFOUND)", body = super::openapi::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn pagopa(AxumState(send): AxumState<State>, sender: Sender, bytes: Bytes) -> ApiResult<Response> {
    let body = body(&bytes)?;
    answer(send.record_pagopa_payments(sender.org_id, &sender.actor, &body).await)
}

/// Report F24 payments of your notifications (deprecated in SEND).
///
/// Each event names the notification by `iun` and the recipient who paid by `recipientTaxId`
/// and `recipientType`. Recorded once per recipient, date and amount.
#[utoipa::path(
    post,
    path = "/delivery/events/payment/f24",
    operation_id = "paymentEventsRequestF24",
    tag = super::openapi::TAG,
    security(("send_api_key" = [])),
    request_body = super::openapi::PaymentEventsRequestF24,
    responses(
        (status = 204, description = "Recorded (or recorded before)"),
        (status = 400, description = "Invalid events", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notification of yours, or no such recipient in it", body = super::openapi::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn f24(AxumState(send): AxumState<State>, sender: Sender, bytes: Bytes) -> ApiResult<Response> {
    let body = body(&bytes)?;
    answer(send.record_f24_payments(sender.org_id, &sender.actor, &body).await)
}
