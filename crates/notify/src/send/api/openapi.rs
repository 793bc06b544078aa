//! The OpenAPI description of the legal notifications (SEND) endpoints, merged into the notify
//! block's document (`/openapi/notify.json`) by `SendDocs`. The shapes below document the JSON
//! the handlers read and write (SEND's B2B API: request v2.6, sent detail v2.8, streams v2.9).

use serde_json::Value;
use time::OffsetDateTime;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The tag of every SEND operation.
pub const TAG: &str = "legal notifications (SEND)";
/// The security scheme: a `notify` API key in `x-api-key`.
pub const API_KEY: &str = "send_api_key";
/// The security scheme of the recipient's endpoints: the identity provider's browser session.
pub const PERSON_SESSION: &str = "person_session";

/// SEND's error envelope (`application/problem+json`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    status: u16,
    /// The HTTP reason, e.g. `Bad Request`.
    title: String,
    /// Every error's detail, joined.
    detail: String,
    /// The request's `x-request-id`.
    #[schema(rename = "traceId")]
    trace_id: String,
    timestamp: OffsetDateTime,
    errors: Vec<ProblemError>,
    /// Publica's extension on the recipient's endpoints: where the person signs in, or
    /// verifies their identity, before calling again.
    #[schema(rename = "signInUrl")]
    sign_in_url: Option<String>,
}

/// One error of a Problem.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProblemError {
    /// e.g. `PN_GENERIC_INVALIDPARAMETER_PATTERN`, `PN_PARAMETER_TOO_LONG`, `PN_DUPLICATE_ENTRY`,
    /// `PN_DELIVERY_NOTIFICATIONNOTFOUND`, `FILE_SHA_ERROR`.
    code: String,
    /// The element at fault, e.g. `body.recipients[0].taxId`.
    element: Option<String>,
    detail: Option<String>,
}

/// A file to upload (`POST /delivery/attachments/preload`, 1 to 15 a call).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PreLoadRequest {
    /// Correlates request and response: letters, digits, `.`, `_`, `-`.
    preload_idx: Option<String>,
    /// `application/pdf` or `application/json`.
    content_type: String,
    /// Base64 of the file's SHA-256 (44 characters).
    sha256: String,
}

/// Where and how to upload one file: `httpMethod` to `url` with headers `content-type`,
/// `x-amz-meta-secret: {secret}` and `x-amz-checksum-sha256` (header or trailer); the answer's
/// `x-amz-version-id` goes into `documents[].ref.versionToken`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PreLoadResponse {
    preload_idx: Option<String>,
    secret: String,
    /// `PUT`.
    http_method: String,
    url: String,
    /// e.g. `PN_NOTIFICATION_ATTACHMENTS-0001-301W-B9CB-9U72-WIKD`.
    key: String,
}

/// `NewNotificationRequestV26`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NewNotificationRequest {
    /// Printable ASCII, up to 256: tells apart requests with the same protocol number.
    idempotence_token: Option<String>,
    /// Up to 256 characters.
    pa_protocol_number: String,
    /// Up to 134 characters; no personal data.
    subject: String,
    /// Up to 1,024 characters.
    #[schema(rename = "abstract")]
    summary: Option<String>,
    recipients: Vec<NotificationRecipient>,
    documents: Vec<NotificationDocument>,
    /// `FLAT_RATE` or `DELIVERY_MODE` (then `paFee` and `vat` are required).
    notification_fee_policy: String,
    /// The IUN of a notification of yours this one replaces (it is cancelled).
    cancelled_iun: Option<String>,
    /// `AR_REGISTERED_LETTER` or `REGISTERED_LETTER_890`.
    physical_communication_type: String,
    /// ISO-8859-1, no `|`, up to 88 characters.
    sender_denomination: String,
    /// 11 digits.
    sender_tax_id: String,
    group: Option<String>,
    /// Eurocent.
    amount: Option<i32>,
    /// `YYYY-MM-DD`.
    payment_expiration_date: Option<String>,
    /// Six digits and a capital letter, e.g. `010101P`.
    taxonomy_code: String,
    /// Eurocent, 0 to 100.
    pa_fee: Option<i32>,
    /// Percent, 0 to 100.
    vat: Option<i32>,
    /// `NONE`, `SYNC` or `ASYNC`.
    pago_pa_int_mode: Option<String>,
    /// At most one of `DE`, `SL`, `FR`.
    additional_languages: Option<Vec<String>>,
    physical_communication_priority: Option<i32>,
}

/// `NotificationRecipientV24`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NotificationRecipient {
    /// `PF` (a person) or `PG` (a legal person).
    recipient_type: String,
    /// A codice fiscale (16 characters) or an 11-digit tax number.
    tax_id: String,
    denomination: String,
    digital_domicile: Option<DigitalAddress>,
    physical_address: Option<PhysicalAddress>,
    payments: Option<Vec<NotificationPaymentItem>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DigitalAddress {
    /// `PEC`.
    #[schema(rename = "type")]
    kind: String,
    address: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PhysicalAddress {
    at: Option<String>,
    address: String,
    address_details: Option<String>,
    zip: Option<String>,
    municipality: String,
    municipality_details: Option<String>,
    province: Option<String>,
    foreign_state: Option<String>,
}

/// A payment of a recipient: a pagoPA notice, an F24, or both.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NotificationPaymentItem {
    /// `{noticeCode (18 digits), creditorTaxId (11 digits), applyCost, attachment?}`; a
    /// notice may be used by one notification at a time (not cancelled).
    pago_pa: Option<Value>,
    /// `{title, applyCost, metadataAttachment}`.
    f24: Option<Value>,
}

/// `NotificationDocument`: an uploaded PDF.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NotificationDocument {
    /// `{"sha256": base64}`, checked against the upload.
    digests: Value,
    /// `application/pdf`.
    content_type: String,
    /// `{"key": from the preload, "versionToken": x-amz-version-id}`.
    #[schema(rename = "ref")]
    reference: Value,
    title: Option<String>,
    doc_idx: Option<String>,
}

/// The 202 answer: the request is syntactically valid and will be validated.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NewNotificationResponse {
    /// The IUN in base64 (36 characters); not the IUN.
    notification_request_id: String,
    pa_protocol_number: String,
    idempotence_token: Option<String>,
}

/// Where a request stands.
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub enum NotificationRequestStatus {
    Waiting,
    Accepted,
    Refused,
}

/// `NewNotificationRequestStatusResponseV26`: the request, plus these fields.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RequestStatusResponse {
    notification_request_id: String,
    notification_request_status: NotificationRequestStatus,
    /// Seconds to wait, while `WAITING`.
    retry_after: Option<i32>,
    /// Once `ACCEPTED`.
    iun: Option<String>,
    /// Once `REFUSED`: `FILE_NOTFOUND`, `FILE_SHA_ERROR`, `FILE_PDF_INVALID_ERROR`,
    /// `F24_METADATA_NOT_VALID`, `NOT_VALID_ADDRESS`.
    errors: Option<Vec<ProblemError>>,
    pa_protocol_number: String,
    idempotence_token: Option<String>,
    subject: String,
    recipients: Vec<NotificationRecipient>,
    documents: Vec<NotificationDocument>,
}

/// `NotificationStatusV26`.
#[derive(ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
pub enum NotificationStatus {
    InValidation,
    Accepted,
    Refused,
    Delivering,
    Delivered,
    Viewed,
    EffectiveDate,
    /// A recipient paid (a `PAYMENT` element while accepted, delivering, delivered or
    /// perfected); final but for cancellation.
    Paid,
    Unreachable,
    Cancelled,
    ReturnedToSender,
}

/// One step of `notificationStatusHistory`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NotificationStatusHistoryElement {
    status: NotificationStatus,
    active_from: OffsetDateTime,
    /// The `elementId`s recorded under this status.
    related_timeline_elements: Vec<String>,
}

/// A legal fact named by a timeline element.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LegalFactId {
    /// `safestorage://PN_LEGAL_FACTS-…`.
    key: String,
    /// `SENDER_ACK`, `DIGITAL_DELIVERY`, `ANALOG_DELIVERY`, `ANALOG_FAILURE_DELIVERY`,
    /// `RECIPIENT_ACCESS`, `NOTIFICATION_CANCELLED`.
    category: String,
}

/// `TimelineElementV28`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct TimelineElement {
    /// e.g. `SEND_DIGITAL_DOMICILE.IUN_DPDA-LVZM-JREL-202501-N-1.RECINDEX_0…`;
    /// payments: `NOTIFICATION_PAID.IUN_<iun>.CODE_PPA<noticeCode><creditorTaxId>`.
    element_id: String,
    /// Deprecated by SEND; the same as `eventTimestamp`.
    timestamp: OffsetDateTime,
    /// When it was recorded.
    ingestion_timestamp: OffsetDateTime,
    /// When it happened.
    event_timestamp: OffsetDateTime,
    notification_sent_at: OffsetDateTime,
    legal_facts_ids: Vec<LegalFactId>,
    /// `REQUEST_ACCEPTED`, `SEND_COURTESY_MESSAGE`, `GET_ADDRESS`, `SEND_DIGITAL_DOMICILE`,
    /// `SEND_DIGITAL_FEEDBACK`, `DIGITAL_SUCCESS_WORKFLOW`, `DIGITAL_FAILURE_WORKFLOW`,
    /// `SEND_SIMPLE_REGISTERED_LETTER`, `SEND_ANALOG_DOMICILE`, `SEND_ANALOG_FEEDBACK`,
    /// `ANALOG_SUCCESS_WORKFLOW`, `PREPARE_ANALOG_DOMICILE_FAILURE`, `ANALOG_FAILURE_WORKFLOW`,
    /// `COMPLETELY_UNREACHABLE`, `SCHEDULE_REFINEMENT`, `REFINEMENT`, `NOTIFICATION_VIEWED`,
    /// `PAYMENT`, `NOTIFICATION_CANCELLATION_REQUEST`, `NOTIFICATION_CANCELLED`, `REQUEST_REFUSED`.
    category: String,
    /// Per category, as SEND's; `PAYMENT`: `{recIndex, recipientType, amount, creditorTaxId,
    /// noticeCode, idF24?, paymentSourceChannel: "PA", uncertainPaymentDate, eventTimestamp}`.
    details: Value,
}

/// `FullSentNotificationV28`: the request as submitted (every field of
/// `NewNotificationRequest`), plus these.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct FullSentNotification {
    iun: String,
    sent_at: OffsetDateTime,
    /// The sender organisation's id.
    sender_pa_id: String,
    notification_status: NotificationStatus,
    notification_status_history: Vec<NotificationStatusHistoryElement>,
    /// For a recipient, only their own elements and the notification's.
    timeline: Vec<TimelineElement>,
    documents_available: bool,
    /// The notification that replaced this one.
    cancelled_by_iun: Option<String>,
    pa_protocol_number: String,
    subject: String,
    sender_denomination: String,
    sender_tax_id: String,
    /// For a recipient, only their own entry.
    recipients: Vec<NotificationRecipient>,
    documents: Vec<NotificationDocument>,
}

/// Download metadata of a document or legal fact; `url` is a signed link valid for
/// `url_ttl_seconds`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct DownloadMetadata {
    filename: String,
    content_type: Option<String>,
    content_length: i64,
    /// Base64 SHA-256 of the file.
    sha256: String,
    /// Legal facts only.
    category: Option<String>,
    url: String,
}

/// One legal fact of a notification.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct LegalFactListElement {
    /// The recipient it concerns, if any.
    tax_id: Option<String>,
    iun: String,
    legal_facts_id: LegalFactId,
}

/// The answer to a cancellation (202).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CancellationStatus {
    /// `OK`.
    status: String,
    /// `[{code: NOTIFICATION_CANCELLATION_ACCEPTED | NOTIFICATION_ALREADY_CANCELLED, level, detail}]`.
    details: Vec<Value>,
}

/// `StreamCreationRequestV29` (and, without `replacedStreamId`, `StreamRequestV29`).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct StreamRequest {
    title: String,
    /// `STATUS` or `TIMELINE`.
    event_type: String,
    /// An update may only add groups.
    groups: Vec<String>,
    /// `TIMELINE`: categories, or `DEFAULT` (SEND's default set), empty for all;
    /// `STATUS`: statuses, empty for all.
    filter_values: Option<Vec<String>>,
    wait_for_accepted: Option<bool>,
    /// Creation only: the stream this one replaces (it is disabled).
    replaced_stream_id: Option<uuid::Uuid>,
}

/// `StreamMetadataResponseV29`.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct StreamMetadata {
    stream_id: uuid::Uuid,
    title: String,
    event_type: String,
    groups: Vec<String>,
    filter_values: Vec<String>,
    wait_for_accepted: bool,
    activation_date: OffsetDateTime,
    disabled_date: Option<OffsetDateTime>,
    /// `v29`.
    version: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct StreamListElement {
    stream_id: uuid::Uuid,
    title: String,
}

/// `ProgressResponseElementV29`: one event of a stream.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ProgressResponseElement {
    /// 38 digits, zero-padded, increasing; pass it as `lastEventId` to acknowledge.
    event_id: String,
    notification_request_id: String,
    iun: String,
    /// When the element changed the status.
    new_status: Option<NotificationStatus>,
    element: TimelineElement,
}

/// One row of a person's notifications.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NotificationSearchRow {
    iun: String,
    pa_protocol_number: String,
    sender: String,
    sent_at: OffsetDateTime,
    subject: String,
    notification_status: NotificationStatus,
    recipients: Vec<String>,
    group: Option<String>,
    /// `LEGAL`.
    communication_type: String,
}

/// `NotificationSearchResponse`, newest first.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NotificationSearchResponse {
    results_page: Vec<NotificationSearchRow>,
    more_result: bool,
    /// Pass the last one as `nextPagesKey` for the next page.
    next_pages_key: Vec<String>,
}

/// A person's addresses.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddressBook {
    /// The digital domicile: `[{addressType: LEGAL, channelType: PEC, value}]`.
    legal: Vec<Value>,
    /// Courtesy contacts: `[{addressType: COURTESY, channelType: EMAIL | SMS, value}]`.
    courtesy: Vec<Value>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddressValue {
    /// An email address (PEC, EMAIL) or a mobile number (SMS).
    value: String,
}

/// `PaymentEventsRequestPagoPa`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PaymentEventsRequestPagoPa {
    events: Vec<PaymentEventPagoPa>,
}

/// `PaymentEventPagoPa`: a pagoPA notice was paid.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PaymentEventPagoPa {
    /// 18 digits: a `pagoPa.noticeCode` of a recipient's `payments`.
    notice_code: String,
    /// 11 digits: its `creditorTaxId`.
    creditor_tax_id: String,
    /// `PF` or `PG`; when given, the notice's recipient's.
    recipient_type: Option<String>,
    /// When given, the notice's recipient's tax id.
    recipient_tax_id: Option<String>,
    /// ISO 8601 date-time with offset.
    payment_date: OffsetDateTime,
    /// The date is not certain (default false).
    uncertain_payment_date: Option<bool>,
    /// Eurocent.
    amount: i32,
}

/// `PaymentEventsRequestF24`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PaymentEventsRequestF24 {
    events: Vec<PaymentEventF24>,
}

/// `PaymentEventF24`: a recipient paid by F24.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct PaymentEventF24 {
    iun: String,
    /// `PF` or `PG`.
    recipient_type: String,
    recipient_tax_id: String,
    payment_date: OffsetDateTime,
    /// Eurocent.
    amount: i32,
}

#[derive(OpenApi)]
#[openapi(
    paths(
        super::sender::preload,
        super::sender::upload,
        super::sender::submit,
        super::sender::request_status,
        super::sender::sent,
        super::sender::document,
        super::sender::cancel,
        super::sender::legal_facts,
        super::sender::legal_fact_of_type,
        super::sender::legal_fact,
        super::sender::download,
        super::sender::seal_certificate,
        super::payments::pagopa,
        super::payments::f24,
        super::streams::create,
        super::streams::list,
        super::streams::get_one,
        super::streams::update,
        super::streams::delete,
        super::streams::disable,
        super::streams::events,
        super::recipient::list,
        super::recipient::detail,
        super::recipient::document,
        super::recipient::addresses,
        super::recipient::set_address,
        super::recipient::remove_address,
    ),
    components(schemas(
        Problem,
        ProblemError,
        PreLoadRequest,
        PreLoadResponse,
        NewNotificationRequest,
        NotificationRecipient,
        DigitalAddress,
        PhysicalAddress,
        NotificationPaymentItem,
        NotificationDocument,
        NewNotificationResponse,
        NotificationRequestStatus,
        RequestStatusResponse,
        NotificationStatus,
        NotificationStatusHistoryElement,
        LegalFactId,
        TimelineElement,
        FullSentNotification,
        DownloadMetadata,
        LegalFactListElement,
        CancellationStatus,
        StreamRequest,
        StreamMetadata,
        StreamListElement,
        ProgressResponseElement,
        NotificationSearchRow,
        NotificationSearchResponse,
        AddressBook,
        AddressValue,
        PaymentEventsRequestPagoPa,
        PaymentEventPagoPa,
        PaymentEventsRequestF24,
        PaymentEventF24,
    )),
    tags((name = TAG, description = "Legally valid notifications as Italy's SEND (Piattaforma Notifiche) B2B API: \
        upload documents, submit, follow the timeline and status, download sealed legal facts, pull event streams, \
        cancel, report payments. Senders authenticate with a notify API key in `x-api-key`; the recipient \
        endpoints act for the person signed in to Publica's identity provider (its browser session, a verified \
        identity and two factors). Errors are SEND's Problem \
        (`application/problem+json`). Guide: docs/notify-send.md."))
)]
pub struct SendApi;

/// Merges the SEND description into another document (the notify block's), with the
/// `x-api-key` security scheme its operations name.
pub struct SendDocs;

impl Modify for SendDocs {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut send = SendApi::openapi();
        let components = send.components.get_or_insert_with(Default::default);
        components.add_security_scheme(API_KEY, SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))));
        let session = ApiKeyValue::with_description(
            "publica_id",
            "The browser session of Publica's identity provider (/identity/sign-in), with a verified identity and \
             two factors; the person's national identifier is the recipient's taxId. Only from this site.",
        );
        components.add_security_scheme(PERSON_SESSION, SecurityScheme::ApiKey(ApiKey::Cookie(session)));
        openapi.merge(send);
    }
}
