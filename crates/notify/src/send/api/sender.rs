//! The sender's endpoints: preload and upload of documents, submission and its status, the sent
//! notification, document and legal-fact downloads, cancellation.

use std::future::poll_fn;
use std::pin::Pin;

use axum::Json;
use axum::body::{Body, HttpBody};
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::crypto::{constant_time_eq, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiResult, Base, Problem, Reader, Sender, State};
use crate::send::model::{self, ProblemError};
use crate::send::record::new_key;
use crate::send::store::{self, FileRow};
use crate::send::{Cancellation, RequestKey, SubmitError};

/// `POST /delivery/attachments/preload`: where to upload each file.
#[utoipa::path(post, path = "/delivery/attachments/preload", operation_id = "presignedUploadRequest", tag = super::openapi::TAG, request_body = Vec<super::openapi::PreLoadRequest>, responses((status = 200, description = "Where to upload each file", body = Vec<super::openapi::PreLoadResponse>), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn preload(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Base(base): Base,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let Some(items) = body.as_array() else {
        return Err(Problem::bad_request(vec![ProblemError::new(
            model::INVALID,
            "body",
            "send an array of files to preload",
        )]));
    };
    if items.is_empty() || items.len() > 15 {
        return Err(Problem::bad_request(vec![ProblemError::new(
            model::INVALID,
            "body",
            "preload 1 to 15 files at a time",
        )]));
    }
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let idx = item["preloadIdx"].as_str();
        if idx.is_some_and(|s| {
            s.is_empty() || s.len() > 512 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        }) {
            errors.push(ProblemError::new(
                model::PATTERN,
                format!("body[{i}].preloadIdx"),
                "letters, digits, '.', '_' or '-'",
            ));
        }
        if !item["contentType"].as_str().is_some_and(|c| c == "application/pdf" || c == "application/json") {
            errors.push(ProblemError::new(
                model::PATTERN,
                format!("body[{i}].contentType"),
                "application/pdf or application/json",
            ));
        }
        if !item["sha256"].as_str().is_some_and(model::sha256_b64) {
            errors.push(ProblemError::new(
                model::PATTERN,
                format!("body[{i}].sha256"),
                "the base64 SHA-256 of the file",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Problem::bad_request(errors));
    }
    let now = Timestamp::now();
    let expires = now.plus(time::Duration::seconds(send.config().url_ttl_seconds));
    let mut out = Vec::new();
    let mut tx = send.kernel().db().begin().await.map_err(Error::from)?;
    for item in items {
        let key = new_key("PN_NOTIFICATION_ATTACHMENTS");
        let secret = publica_kernel::crypto::random_token();
        let row = FileRow {
            key: key.clone(),
            sender_id: sender.org_id,
            content_type: item["contentType"].as_str().unwrap_or_default().into(),
            sha256: item["sha256"].as_str().unwrap_or_default().into(),
            secret_hash: sha256(secret.as_bytes()).to_vec(),
            content: None,
            size: None,
            version_token: None,
            created_at: now,
            expires_at: expires,
            uploaded_at: None,
        };
        store::insert_file(&mut tx, &row).await?;
        out.push(json!({
            "preloadIdx": item["preloadIdx"], "secret": secret, "httpMethod": "PUT",
            "url": format!("{base}/delivery/attachments/upload/{key}"), "key": key,
        }));
    }
    tx.commit().await.map_err(Error::from)?;
    Ok(Json(json!(out)))
}

/// Read a body up to `limit` bytes, with its trailers.
async fn read_body(body: Body, limit: usize) -> ApiResult<(Vec<u8>, Option<HeaderMap>)> {
    let mut body = body;
    let mut data = Vec::new();
    let mut trailers = None;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| Problem::new(StatusCode::BAD_REQUEST, model::INVALID, None, e.to_string()))?;
        match frame.into_data() {
            Ok(bytes) => {
                if data.len() + bytes.len() > limit {
                    return Err(Error::TooLarge(format!("files are limited to {limit} bytes")).into());
                }
                data.extend_from_slice(&bytes);
            }
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    Ok((data, trailers))
}

/// `PUT /delivery/attachments/upload/{key}`: the upload the preload announced, checked against
/// its secret, content type and SHA-256 (`x-amz-checksum-sha256`, as header or trailer).
#[utoipa::path(put, path = "/delivery/attachments/upload/{key}", operation_id = "uploadPreloadedFile", tag = super::openapi::TAG, params(("key" = String, Path, description = "The key from the preload"), ("x-amz-meta-secret" = String, Header, description = "The preload's secret"), ("x-amz-checksum-sha256" = String, Header, description = "Base64 SHA-256 of the bytes (or an HTTP trailer)")), request_body(content = Vec<u8>, content_type = "application/pdf"), responses((status = 200, description = "Stored; the x-amz-version-id header is the versionToken"), (status = 400, description = "Wrong content type, or FILE_SHA_ERROR", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Wrong secret, or the URL expired", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such upload", body = super::openapi::Problem, content_type = "application/problem+json")))]
pub async fn upload(
    AxumState(send): AxumState<State>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let db = send.kernel().db();
    let forbidden = |detail: &str| Problem::new(StatusCode::FORBIDDEN, "PN_GENERIC_FORBIDDEN", None, detail);
    let file = store::file(db, &key).await?.ok_or_else(|| Problem::from(Error::not_found(format!("upload {key}"))))?;
    let secret = headers.get("x-amz-meta-secret").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !constant_time_eq(&sha256(secret.as_bytes()), &file.secret_hash) {
        return Err(forbidden("x-amz-meta-secret does not match the preload's secret"));
    }
    if file.expires_at < Timestamp::now() {
        return Err(forbidden("this upload URL has expired: preload again"));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type != file.content_type {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            model::INVALID,
            Some("content-type"),
            format!("the preload announced {}", file.content_type),
        ));
    }
    let (data, trailers) = read_body(body, send.config().max_document_bytes).await?;
    let declared = headers
        .get("x-amz-checksum-sha256")
        .or_else(|| trailers.as_ref().and_then(|t| t.get("x-amz-checksum-sha256")))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let actual = STANDARD.encode(sha256(&data));
    if declared != file.sha256 || actual != file.sha256 {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "FILE_SHA_ERROR",
            Some("x-amz-checksum-sha256"),
            format!(
                "the file's SHA-256 is {actual}; the preload announced {} and the checksum says {declared:?}",
                file.sha256
            ),
        ));
    }
    let version = uuid::Uuid::now_v7().simple().to_string();
    let sealed = send.kernel().keys().master().encrypt(key.as_bytes(), &data);
    store::set_upload(db, &key, &sealed, data.len() as i64, &version, Timestamp::now()).await?;
    Ok(([("x-amz-version-id", version)], StatusCode::OK).into_response())
}

/// `POST /delivery/v2.6/requests`: accepted for validation (202) or refused at once.
#[utoipa::path(post, path = "/delivery/v2.6/requests", operation_id = "sendNewNotificationV26", tag = super::openapi::TAG, request_body = super::openapi::NewNotificationRequest, responses((status = 202, description = "Accepted for validation", body = super::openapi::NewNotificationResponse), (status = 400, description = "The request breaks the schema", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "PN_DUPLICATE_ENTRY: same paProtocolNumber and idempotenceToken, or a pagoPA notice in use", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn submit(AxumState(send): AxumState<State>, sender: Sender, body: axum::body::Bytes) -> ApiResult<Response> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(vec![ProblemError::new(model::INVALID, "body", format!("not JSON: {e}"))]))?;
    match send.submit(sender.org_id, &sender.actor, body).await {
        Ok(s) => {
            let mut out = json!({"notificationRequestId": s.request_id, "paProtocolNumber": s.pa_protocol_number});
            if let Some(token) = s.idempotence_token {
                out["idempotenceToken"] = json!(token);
            }
            Ok((StatusCode::ACCEPTED, Json(out)).into_response())
        }
        Err(SubmitError::Invalid(errors)) => Err(Problem::bad_request(errors)),
        Err(SubmitError::Duplicate(errors)) => {
            Err(Problem { status: StatusCode::CONFLICT, ..Problem::bad_request(errors) })
        }
        Err(SubmitError::Other(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusQuery {
    notification_request_id: Option<String>,
    pa_protocol_number: Option<String>,
    idempotence_token: Option<String>,
}

/// `GET /delivery/v2.6/requests`: WAITING, ACCEPTED (with the IUN) or REFUSED (with errors).
#[utoipa::path(get, path = "/delivery/v2.6/requests", operation_id = "retrieveNotificationRequestStatusV26", tag = super::openapi::TAG, params(("notificationRequestId" = Option<String>, Query), ("paProtocolNumber" = Option<String>, Query), ("idempotenceToken" = Option<String>, Query)), responses((status = 200, description = "WAITING, ACCEPTED or REFUSED", body = super::openapi::RequestStatusResponse), (status = 400, description = "Invalid request", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn request_status(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Query(q): Query<StatusQuery>,
) -> ApiResult<Json<Value>> {
    let key = match (&q.notification_request_id, &q.pa_protocol_number) {
        (Some(id), _) => RequestKey::RequestId(id),
        (None, Some(protocol)) => RequestKey::Protocol(protocol, q.idempotence_token.as_deref().unwrap_or_default()),
        (None, None) => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                model::REQUIRED,
                Some("notificationRequestId"),
                "give notificationRequestId, or paProtocolNumber and idempotenceToken",
            ));
        }
    };
    Ok(Json(send.request_status(sender.org_id, key).await?))
}

/// `GET /delivery/v2.8/notifications/sent/{iun}`.
#[utoipa::path(get, path = "/delivery/v2.8/notifications/sent/{iun}", operation_id = "retrieveSentNotificationV28", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1")), responses((status = 200, description = "The notification, its status history and timeline", body = super::openapi::FullSentNotification), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found, not yours, in validation or refused", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn sent(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Path(iun): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(send.sent_notification(sender.org_id, &iun).await?))
}

/// `GET /delivery/notifications/sent/{iun}/attachments/documents/{doc}`.
#[utoipa::path(get, path = "/delivery/notifications/sent/{iun}/attachments/documents/{doc}", operation_id = "retrieveSentNotificationDocument", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1"), ("doc" = usize, Path, description = "The document's index, from 0")), responses((status = 200, description = "Download metadata", body = super::openapi::DownloadMetadata), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn document(
    AxumState(send): AxumState<State>,
    sender: Sender,
    Base(base): Base,
    Path((iun, doc)): Path<(String, usize)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(send.document(Some(sender.org_id), None, &iun, doc, &base).await?))
}

/// `PUT /delivery-push/v2.0/notifications/cancel/{iun}`.
#[utoipa::path(put, path = "/delivery-push/v2.0/notifications/cancel/{iun}", operation_id = "notificationCancellation", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1")), responses((status = 202, description = "Cancellation accepted (or already done)", body = super::openapi::CancellationStatus), (status = 403, description = "Missing or invalid x-api-key", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = [])))]
pub async fn cancel(AxumState(send): AxumState<State>, sender: Sender, Path(iun): Path<String>) -> ApiResult<Response> {
    let (code, detail) = match send.request_cancel(sender.org_id, &iun).await? {
        Cancellation::Accepted => ("NOTIFICATION_CANCELLATION_ACCEPTED", "the cancellation is in progress"),
        Cancellation::AlreadyCancelled => ("NOTIFICATION_ALREADY_CANCELLED", "the notification is already cancelled"),
    };
    let body = json!({"status": "OK", "details": [{"code": code, "level": "INFO", "detail": detail}]});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// `GET /delivery-push/{iun}/legal-facts`.
#[utoipa::path(get, path = "/delivery-push/{iun}/legal-facts", operation_id = "retrieveNotificationLegalFacts", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1")), responses((status = 200, description = "The legal facts you may read", body = Vec<super::openapi::LegalFactListElement>), (status = 401, description = "No x-api-key and nobody signed in", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Invalid x-api-key, or a person not verified", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = []), ("person_session" = [])))]
pub async fn legal_facts(
    AxumState(send): AxumState<State>,
    reader: Reader,
    Path(iun): Path<String>,
) -> ApiResult<Json<Value>> {
    let (sender, person) = reader.ids();
    Ok(Json(send.legal_facts(sender, person, &iun).await?))
}

/// `GET /delivery-push/{iun}/legal-facts/{legalFactType}/{legalFactId}`.
#[utoipa::path(get, path = "/delivery-push/{iun}/legal-facts/{category}/{key}", operation_id = "retrieveLegalFact", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1"), ("category" = String, Path, description = "The legal fact's category"), ("key" = String, Path, description = "The legal fact's key")), responses((status = 200, description = "Download metadata", body = super::openapi::DownloadMetadata), (status = 401, description = "No x-api-key and nobody signed in", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Invalid x-api-key, or a person not verified", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = []), ("person_session" = [])))]
pub async fn legal_fact_of_type(
    AxumState(send): AxumState<State>,
    reader: Reader,
    Base(base): Base,
    Path((iun, category, key)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let (sender, person) = reader.ids();
    let fact = send.legal_fact(sender, person, &iun, &key, &base).await?;
    if !crate::send::record::is_legal_fact_category(&category) || fact["category"] != category.as_str() {
        return Err(Error::not_found(format!("legal fact {key} of type {category}")).into());
    }
    Ok(Json(fact))
}

/// `GET /delivery-push/{iun}/download/legal-facts/{legalFactId}`.
#[utoipa::path(get, path = "/delivery-push/{iun}/download/legal-facts/{key}", operation_id = "downloadLegalFactById", tag = super::openapi::TAG, params(("iun" = String, Path, description = "The IUN, e.g. DPDA-LVZM-JREL-202501-N-1"), ("key" = String, Path, description = "The legal fact's key")), responses((status = 200, description = "Download metadata", body = super::openapi::DownloadMetadata), (status = 401, description = "No x-api-key and nobody signed in", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 403, description = "Invalid x-api-key, or a person not verified", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")), security(("send_api_key" = []), ("person_session" = [])))]
pub async fn legal_fact(
    AxumState(send): AxumState<State>,
    reader: Reader,
    Base(base): Base,
    Path((iun, key)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let (sender, person) = reader.ids();
    Ok(Json(send.legal_fact(sender, person, &iun, &key, &base).await?))
}

#[derive(Deserialize)]
pub struct DownloadQuery {
    expires: i64,
    signature: String,
}

/// `GET /delivery/files/{key}?expires=&signature=`: the bytes behind a signed URL.
#[utoipa::path(get, path = "/delivery/files/{key}", operation_id = "downloadSignedFile", tag = super::openapi::TAG, params(("key" = String, Path), ("expires" = i64, Query), ("signature" = String, Query)), responses((status = 200, description = "The file (PDF or JSON)", content_type = "application/pdf"), (status = 403, description = "Invalid or expired link", body = super::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "Not found (or not yours)", body = super::openapi::Problem, content_type = "application/problem+json")))]
pub async fn download(
    AxumState(send): AxumState<State>,
    Path(key): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> ApiResult<Response> {
    if !send.download_allowed(&key, q.expires, &q.signature) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "PN_GENERIC_FORBIDDEN",
            None,
            "this download URL is invalid or expired",
        ));
    }
    let (content_type, bytes) = send.download(&key).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /delivery-push/seal-certificate`: the certificate legal facts are sealed with (DER).
#[utoipa::path(get, path = "/delivery-push/seal-certificate", operation_id = "retrieveSealCertificate", tag = super::openapi::TAG, responses((status = 200, description = "The seal's X.509 certificate (DER)", content_type = "application/pkix-cert")))]
pub async fn seal_certificate(AxumState(send): AxumState<State>) -> ApiResult<Response> {
    let seal = send.seal().await?;
    Ok(([(header::CONTENT_TYPE, "application/pkix-cert")], seal.certificate_der().to_vec()).into_response())
}
