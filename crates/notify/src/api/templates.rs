//! `GET /v2/template/{id}[/version/{v}]`, `GET /v2/templates`, `POST /v2/template/{id}/preview`
//! and `GET /v2/received-text-messages`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ApiResult, NotifyError};
use super::{Base, schema, wire};
use crate::api::auth::Caller;
use crate::domain::kinds::Channel;
use crate::domain::template;
use crate::store;

fn template_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| NotifyError::validation("id is not a valid UUID"))
}

#[utoipa::path(get, path = "/v2/template/{template_id}", tag = "templates", params(("template_id" = uuid::Uuid, Path)), responses((status = 200, description = "The latest version", body = super::openapi::Template), (status = 404, description = "No result found", body = super::openapi::Errors), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn get_latest(
    State(notify): State<super::State>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = template_id(&id)?;
    let t =
        store::template(notify.kernel().db(), caller.service.id, id, None).await?.ok_or_else(NotifyError::not_found)?;
    Ok(Json(wire::template(&t)))
}

#[utoipa::path(get, path = "/v2/template/{template_id}/version/{version}", tag = "templates", params(("template_id" = uuid::Uuid, Path), ("version" = i64, Path)), responses((status = 200, description = "That version", body = super::openapi::Template), (status = 404, description = "No result found", body = super::openapi::Errors), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn get_version(
    State(notify): State<super::State>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let id = template_id(&id)?;
    let version: i64 = version
        .parse()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| NotifyError::validation(format!("version {version} is less than the minimum of 1")))?;
    let t = store::template(notify.kernel().db(), caller.service.id, id, Some(version))
        .await?
        .ok_or_else(NotifyError::not_found)?;
    Ok(Json(wire::template(&t)))
}

#[utoipa::path(get, path = "/v2/templates", operation_id = "get_templates", tag = "templates", params(("type" = Option<String>, Query)), responses((status = 200, description = "Every template", body = super::openapi::TemplateList), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn list(
    State(notify): State<super::State>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut kind = None;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "type" => match Channel::parse(&value) {
                Some(c) => kind = Some(c.as_str()),
                None => {
                    return Err(NotifyError::validation(format!("type {value} is not one of [sms, email, letter]")));
                }
            },
            other => {
                return Err(NotifyError::validation(format!(
                    "Additional properties are not allowed ({other} was unexpected)"
                )));
            }
        }
    }
    let templates = store::templates(notify.kernel().db(), caller.service.id, kind).await?;
    Ok(Json(json!({ "templates": templates.iter().map(wire::template).collect::<Vec<_>>() })))
}

#[utoipa::path(post, path = "/v2/template/{template_id}/preview", tag = "templates", params(("template_id" = uuid::Uuid, Path)), request_body = super::openapi::PreviewRequest, responses((status = 200, description = "Rendered", body = super::openapi::Preview), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn preview(
    State(notify): State<super::State>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let id = template_id(&id)?;
    let obj = schema::object(&body)?;
    schema::check(&obj, schema::PREVIEW)?;
    let t =
        store::template(notify.kernel().db(), caller.service.id, id, None).await?.ok_or_else(NotifyError::not_found)?;
    let personalisation = obj.get("personalisation").and_then(Value::as_object).cloned().unwrap_or_default();
    let options = template::RenderOptions { brand_name: Some(&caller.service.name), ..Default::default() };
    let rendered = crate::service::render_version(&t, &personalisation, options)
        .map_err(|e| NotifyError::bad_request(e.to_string()))?;
    Ok(Json(json!({
        "id": t.id,
        "type": t.kind,
        "version": t.version,
        "body": rendered.body,
        "html": rendered.html,
        "subject": if t.kind == "sms" { Value::Null } else { json!(rendered.subject) },
        "postage": if t.kind == "letter" { json!(t.postage.clone().unwrap_or_else(|| "second".into())) } else { Value::Null },
    })))
}

#[utoipa::path(get, path = "/v2/received-text-messages", tag = "received text messages", params(("older_than" = Option<uuid::Uuid>, Query)), responses((status = 200, description = "A page of 250", body = super::openapi::ReceivedTexts), (status = 400, description = "Invalid request", body = super::openapi::Errors), (status = 403, description = "Authentication failed", body = super::openapi::Errors), (status = 429, description = "Rate or daily limit", body = super::openapi::Errors)))]
pub async fn received_texts(
    State(notify): State<super::State>,
    caller: Caller,
    base: Base,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let mut older_than = None;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "older_than" => {
                older_than = Some(
                    Uuid::parse_str(&value).map_err(|_| NotifyError::validation("older_than is not a valid UUID"))?,
                )
            }
            other => {
                return Err(NotifyError::validation(format!(
                    "Additional properties are not allowed ({other} was unexpected)"
                )));
            }
        }
    }
    let texts =
        store::received_texts(notify.kernel().db(), caller.service.id, older_than, super::notifications::PAGE_SIZE)
            .await?;
    let mut links = json!({ "current": format!("{}/v2/received-text-messages", base.0) });
    if let Some(last) = texts.last() {
        links["next"] = json!(format!("{}/v2/received-text-messages?older_than={}", base.0, last.id));
    }
    Ok(Json(json!({
        "received_text_messages": texts.iter().map(wire::received_text).collect::<Vec<_>>(),
        "links": links,
    })))
}
