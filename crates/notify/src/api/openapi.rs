//! The OpenAPI 3.1 description of the Notify API v2 as Publica serves it (`/openapi/notify.json`):
//! the shapes below document the JSON the handlers read and write.

use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use crate::send::api::openapi::SendDocs;

/// `POST /v2/notifications/email`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EmailRequest {
    /// An email address (Notify's checks).
    email_address: String,
    template_id: uuid::Uuid,
    /// Values for the template's `((placeholders))`; a value may be a list (bullets) or a file
    /// (`{"file": base64, "filename", "confirm_email_before_download", "retention_period"}`).
    personalisation: Option<Value>,
    /// Your reference, up to 1,000 characters.
    reference: Option<String>,
    /// GC Notify's extension: send later (ISO 8601, within 24 hours).
    scheduled_for: Option<String>,
    email_reply_to_id: Option<uuid::Uuid>,
    /// An https URL put in `List-Unsubscribe` (RFC 8058 one-click).
    one_click_unsubscribe_url: Option<String>,
}

/// `POST /v2/notifications/sms`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SmsRequest {
    /// A UK mobile number or an international number with its country code.
    phone_number: String,
    template_id: uuid::Uuid,
    personalisation: Option<Value>,
    reference: Option<String>,
    scheduled_for: Option<String>,
    sms_sender_id: Option<uuid::Uuid>,
}

/// `POST /v2/notifications/letter`: a template letter, or (with `content`) a precompiled PDF.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LetterRequest {
    template_id: Option<uuid::Uuid>,
    /// `address_line_1` … `address_line_7` (at least 3 lines) and the template's placeholders.
    personalisation: Option<Value>,
    reference: Option<String>,
    /// Base64 of a PDF (precompiled letters).
    content: Option<String>,
    /// `first`, `second` or `economy` (precompiled letters).
    postage: Option<String>,
}

/// GC Notify's `POST /v2/notifications/bulk`: `rows` (first row the column names) or `csv`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkRequest {
    name: String,
    template_id: uuid::Uuid,
    rows: Option<Vec<Vec<String>>>,
    csv: Option<String>,
    /// Up to 96 hours ahead.
    scheduled_for: Option<String>,
}

/// The 201 answer to a send.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Created {
    id: uuid::Uuid,
    reference: Option<String>,
    uri: String,
    template: TemplateRef,
    scheduled_for: Option<String>,
    /// `body`, and `subject`/`from_email` (email) or `from_number` (SMS).
    content: Value,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TemplateRef {
    id: uuid::Uuid,
    version: i64,
    uri: String,
}

/// A notification (`GET /v2/notifications/{id}`). Timestamps are `2024-01-01T12:00:00.123456Z`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Notification {
    id: uuid::Uuid,
    reference: Option<String>,
    email_address: Option<String>,
    phone_number: Option<String>,
    line_1: Option<String>,
    line_2: Option<String>,
    line_3: Option<String>,
    line_4: Option<String>,
    line_5: Option<String>,
    line_6: Option<String>,
    postcode: Option<String>,
    /// `email`, `sms` or `letter`.
    #[schema(rename = "type")]
    kind: String,
    /// `created`, `sending`, `pending`, `sent`, `delivered`, `permanent-failure`,
    /// `temporary-failure`, `technical-failure`; letters `accepted`, `received`, `cancelled`, …
    status: String,
    template: TemplateRef,
    body: String,
    subject: Option<String>,
    created_at: String,
    created_by_name: Option<String>,
    sent_at: Option<String>,
    completed_at: Option<String>,
    scheduled_for: Option<String>,
    postage: Option<String>,
    /// Letters only.
    estimated_delivery: Option<String>,
    one_click_unsubscribe_url: Option<String>,
    is_cost_data_ready: bool,
    cost_in_pounds: Option<f64>,
    cost_details: Value,
}

/// A page of 250 notifications, newest first; follow `links.next` until a page is empty.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NotificationList {
    notifications: Vec<Notification>,
    links: Value,
}

/// A template (`GET /v2/template/{id}`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Template {
    id: uuid::Uuid,
    name: String,
    #[schema(rename = "type")]
    kind: String,
    created_at: String,
    updated_at: Option<String>,
    created_by: String,
    version: i64,
    body: String,
    subject: Option<String>,
    /// One key per placeholder: `{"name": {"required": true}}`.
    personalisation: Value,
    postage: Option<String>,
    letter_contact_block: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TemplateList {
    templates: Vec<Template>,
}

/// `POST /v2/template/{id}/preview`
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PreviewRequest {
    personalisation: Option<Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Preview {
    id: uuid::Uuid,
    #[schema(rename = "type")]
    kind: String,
    version: i64,
    body: String,
    /// Email: the HTML as sent.
    html: Option<String>,
    subject: Option<String>,
    postage: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReceivedTexts {
    received_text_messages: Vec<Value>,
    links: Value,
}

/// Notify's error envelope: `{"status_code": 400, "errors": [{"error": "ValidationError",
/// "message": "email_address Not a valid email address"}]}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Errors {
    status_code: u16,
    errors: Vec<ErrorItem>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorItem {
    /// `AuthError`, `ValidationError`, `BadRequestError`, `RateLimitError`,
    /// `TooManyRequestsError`, `NoResultFound`, `PDFNotReadyError`.
    error: String,
    message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Publica notify: GOV.UK Notify API v2",
        version = "2",
        description = "Wire-compatible with GOV.UK Notify's API v2 (and GC Notify's bulk sends, scheduling and \
            bilingual templates). Authenticate with `Authorization: Bearer <JWT>`: HS256 with your API key's secret, \
            claims `iss` (the service id) and `iat` (within 30 seconds). The official client libraries do this \
            from the key `{key_name}-{service_id}-{secret}`."
    ),
    paths(
        super::notifications::send_email,
        super::notifications::send_sms,
        super::notifications::send_letter,
        super::notifications::bulk,
        super::notifications::get_one,
        super::notifications::list,
        super::notifications::pdf,
        super::templates::get_latest,
        super::templates::get_version,
        super::templates::list,
        super::templates::preview,
        super::templates::received_texts,
    ),
    components(schemas(
        EmailRequest,
        SmsRequest,
        LetterRequest,
        BulkRequest,
        Created,
        TemplateRef,
        Notification,
        NotificationList,
        Template,
        TemplateList,
        PreviewRequest,
        Preview,
        ReceivedTexts,
        Errors,
        ErrorItem
    )),
    modifiers(&SendDocs)
)]
pub struct NotifyApi;
