//! GovStack's record endpoints under `/data/{registry}/{version}`: create, read, exists,
//! update, update-or-create, delete and read-value.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::Kernel;
use publica_kernel::error::Error;
use serde_json::{Value, json};

use super::caller::{Access, Caller, register, registry};
use super::error::{Body, GovError};
use super::matching::{find, overlay};
use super::wire::{
    Answer, AsOfParams, Content, CreateParams, DeleteParams, ExistsBody, QueryBody, QueryWriteBody, ValueBody,
    WriteBody, WriteParams, instant,
};
use crate::{AsOf, Record, RegisterInfo, Registry};

/// A query string that does not parse is a `400` naming it.
pub fn params<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, GovError> {
    query.map(|Query(q)| q).map_err(|e| GovError::invalid("query", e.body_text()))
}

fn content(record: &Record) -> axum::Json<Value> {
    axum::Json(json!({"content": record.data}))
}

/// Create a record: `write.content` is its data, validated against the register's schema.
#[utoipa::path(post, path = "/data/{registry}/{version}/create", tag = "data", operation_id = "create",
    params(
        ("registry" = String, Path, description = "The register, e.g. `population`"),
        ("version" = String, Path, description = "Its version, e.g. `1.0`"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier INSTANCE/CLASS/MEMBER/SUBSYSTEM"),
        CreateParams),
    request_body = WriteBody,
    responses(
        (status = 200, description = "Created: the record's data", body = Content),
        (status = 400, description = "Invalid data, with the field at fault", body = publica_kernel::error::Problem),
        (status = 403, description = "The caller's organisation does not own the register", body = publica_kernel::error::Problem),
        (status = 409, description = "A record with this identifier exists", body = publica_kernel::error::Problem)))]
pub async fn create(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    query: Result<Query<CreateParams>, QueryRejection>,
    Body(body): Body<WriteBody>,
) -> Result<Response, GovError> {
    let write = params(query)?;
    let registry = registry(&kernel)?;
    let info = register(&registry, &caller, &name, &version, Access::Write).await?;
    body.write.object("write.content")?;
    let record = registry
        .create(&caller.actor(), caller.org(), &info.name, body.write.content, write.valid_from()?)
        .await
        .map_err(|e| GovError::from(e).within("write.content"))?;
    Ok(content(&record).into_response())
}

/// Read one record: the first (by identifier) matching `query.content`.
#[utoipa::path(post, path = "/data/{registry}/{version}/read", tag = "data", operation_id = "read",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        AsOfParams),
    request_body = QueryBody,
    responses(
        (status = 200, description = "The record's data", body = Content),
        (status = 400, description = "The query names no usable field", body = publica_kernel::error::Problem),
        (status = 403, description = "Other organisations read through the exchange", body = publica_kernel::error::Problem),
        (status = 404, description = "No record matches: `{\"detail\": \"no record found\"}`")))]
pub async fn read(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    query: Result<Query<AsOfParams>, QueryRejection>,
    Body(body): Body<QueryBody>,
) -> Result<Response, GovError> {
    let found = matching(&kernel, &caller, (&name, &version), query, &body).await?;
    found.first().map(|r| content(r).into_response()).ok_or(GovError::NoRecord)
}

/// Whether a record matches `query.content`.
#[utoipa::path(post, path = "/data/{registry}/{version}/exists", tag = "data", operation_id = "exists",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        AsOfParams),
    request_body = QueryBody,
    responses(
        (status = 200, description = "The answer", body = ExistsBody),
        (status = 400, description = "The query names no usable field", body = publica_kernel::error::Problem),
        (status = 403, description = "Other organisations read through the exchange", body = publica_kernel::error::Problem)))]
pub async fn exists(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    query: Result<Query<AsOfParams>, QueryRejection>,
    Body(body): Body<QueryBody>,
) -> Result<axum::Json<ExistsBody>, GovError> {
    let found = !matching(&kernel, &caller, (&name, &version), query, &body).await?.is_empty();
    let message = if found { "Object found from database" } else { "Object not found from database" };
    Ok(axum::Json(ExistsBody { answer: Answer { status: found, message: message.into() } }))
}

/// What `read` and `exists` look for: the records `query.content` matches as of the time the
/// query string asks for, at most one (the first by identifier).
async fn matching(
    kernel: &Kernel,
    caller: &Caller,
    (name, version): (&str, &str),
    query: Result<Query<AsOfParams>, QueryRejection>,
    body: &QueryBody,
) -> Result<Vec<Record>, GovError> {
    let as_of = params(query)?.as_of()?;
    let registry = registry(kernel)?;
    let info = register(&registry, caller, name, version, Access::Read).await?;
    let wanted = body.query.object("query.content")?;
    find(&registry, &info, wanted, &as_of, 1, "query.content").await
}

/// Update one record: the one `query.content` matches (or, without a query, the one whose
/// identifier is in `write.content`), merged with `write.content`.
#[utoipa::path(put, path = "/data/{registry}/{version}/update", tag = "data", operation_id = "update",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        WriteParams),
    request_body = QueryWriteBody,
    responses(
        (status = 200, description = "Updated: the record's new data", body = Content),
        (status = 400, description = "Invalid data or query", body = publica_kernel::error::Problem),
        (status = 403, description = "The caller's organisation does not own the register", body = publica_kernel::error::Problem),
        (status = 404, description = "No record matches", body = publica_kernel::error::Problem),
        (status = 409, description = "Several records match", body = publica_kernel::error::Problem)))]
pub async fn update(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    query: Result<Query<WriteParams>, QueryRejection>,
    Body(body): Body<QueryWriteBody>,
) -> Result<Response, GovError> {
    upsert(&kernel, &caller, (&name, &version), query, &body, false).await
}

/// Update the record the query matches, or create one when none does (from `query.content`
/// merged with `write.content`).
#[utoipa::path(post, path = "/data/{registry}/{version}/update-or-create", tag = "data", operation_id = "update_or_create",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        WriteParams),
    request_body = QueryWriteBody,
    responses(
        (status = 200, description = "Updated or created: the record's data", body = Content),
        (status = 400, description = "Invalid data or query", body = publica_kernel::error::Problem),
        (status = 403, description = "The caller's organisation does not own the register", body = publica_kernel::error::Problem),
        (status = 409, description = "Several records match", body = publica_kernel::error::Problem)))]
pub async fn update_or_create(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    query: Result<Query<WriteParams>, QueryRejection>,
    Body(body): Body<QueryWriteBody>,
) -> Result<Response, GovError> {
    upsert(&kernel, &caller, (&name, &version), query, &body, true).await
}

/// What `update` and `update-or-create` do: change the record the body points at; when there
/// is none, create one if `create` says so, else answer NotFound.
async fn upsert(
    kernel: &Kernel,
    caller: &Caller,
    (name, version): (&str, &str),
    query: Result<Query<WriteParams>, QueryRejection>,
    body: &QueryWriteBody,
    create: bool,
) -> Result<Response, GovError> {
    let write = params(query)?;
    let registry = registry(kernel)?;
    let info = register(&registry, caller, name, version, Access::Write).await?;
    let record = match target(&registry, &info, body).await? {
        Some(target) => apply(&registry, caller, &info, target, &body.write.content, &write).await?,
        None if !create => return Err(Error::NotFound("a record matching the query".into()).into()),
        None => {
            if write.correction.is_some() {
                return Err(GovError::invalid("correction", "no record matches: there is nothing to correct"));
            }
            let mut data = body.query.as_ref().map_or_else(|| json!({}), |q| q.content.clone());
            overlay(&mut data, &body.write.content, &info.schema);
            registry
                .create(&caller.actor(), caller.org(), &info.name, data, write.valid_from()?)
                .await
                .map_err(|e| GovError::from(e).within("write.content"))?
        }
    };
    Ok(content(&record).into_response())
}

/// The record an update is about: matched by `query.content`, else by the identifier in
/// `write.content`. Several matches are a conflict.
async fn target(registry: &Registry, info: &RegisterInfo, body: &QueryWriteBody) -> Result<Option<Record>, GovError> {
    let write = body.write.object("write.content")?;
    let found = match &body.query {
        Some(query) => find(registry, info, query.object("query.content")?, &AsOf::now(), 2, "query.content").await?,
        None => {
            let Some(id) = write.get(&info.id_field) else {
                return Err(GovError::invalid(
                    "query",
                    format!(
                        "say which record: give query.content, or the identifier `{}` in write.content",
                        info.id_field
                    ),
                ));
            };
            let mut only_id = serde_json::Map::new();
            only_id.insert(info.id_field.clone(), id.clone());
            find(registry, info, &only_id, &AsOf::now(), 1, "write.content").await?
        }
    };
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.into_iter().next()),
        _ => Err(Error::Conflict(format!(
            "several records match the query; add the identifier `{}` to query.content (or use update for each)",
            info.id_field
        ))
        .into()),
    }
}

/// Merge `patch` into `target` and record it as a change (or a correction).
async fn apply(
    registry: &Registry,
    caller: &Caller,
    info: &RegisterInfo,
    target: Record,
    patch: &Value,
    write: &WriteParams,
) -> Result<Record, GovError> {
    let mut data = target.data.clone();
    overlay(&mut data, patch, &info.schema);
    if data.get(&info.id_field).and_then(Value::as_str) != Some(target.id.as_str()) {
        return Err(GovError::invalid(
            format!("write.content/{}", info.id_field),
            "a record's identifier cannot change; create a new record instead",
        ));
    }
    let result = match &write.correction {
        Some(reason) => {
            if write.valid_from.is_some() {
                return Err(GovError::invalid(
                    "validFrom",
                    "a correction keeps the valid time of the fact it corrects",
                ));
            }
            registry.correct(&caller.actor(), caller.org(), &info.name, &target.id, data, reason).await
        }
        None => registry.change(&caller.actor(), caller.org(), &info.name, &target.id, data, write.valid_from()?).await,
    };
    result.map_err(|e| GovError::from(e).within("write.content"))
}

/// Delete a record (logically: its history stays).
#[utoipa::path(delete, path = "/data/{registry}/{version}/{id}/delete", tag = "data", operation_id = "delete",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("id" = String, Path, description = "The record's identifier"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        DeleteParams),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The caller's organisation does not own the register", body = publica_kernel::error::Problem),
        (status = 404, description = "No such record", body = publica_kernel::error::Problem)))]
pub async fn delete(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version, id)): Path<(String, String, String)>,
    query: Result<Query<DeleteParams>, QueryRejection>,
) -> Result<StatusCode, GovError> {
    let params = params(query)?;
    let valid_from = params.valid_from.as_deref().map(|t| instant("validFrom", t)).transpose()?;
    let reason =
        params.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).unwrap_or("deleted through the data API");
    let registry = registry(&kernel)?;
    let info = register(&registry, &caller, &name, &version, Access::Write).await?;
    registry.delete(&caller.actor(), caller.org(), &info.name, &id, reason, valid_from).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One field of a record: `{field}.{ext}` where `field` is a field name (dots reach into
/// nested objects: `residence.municipality`) and `ext` is `json` (`{"value": …}`) or `txt`.
#[utoipa::path(get, path = "/data/{registry}/{version}/{id}/read-value/{file}", tag = "data", operation_id = "read_value",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("id" = String, Path, description = "The record's identifier"),
        ("file" = String, Path, description = "`{field}.{ext}`, e.g. `given_name.json`"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        AsOfParams),
    responses(
        (status = 200, description = "The value (`json`), or its text (`txt`)", body = ValueBody),
        (status = 400, description = "Not `{field}.json` or `{field}.txt`", body = publica_kernel::error::Problem),
        (status = 404, description = "No such record or field", body = publica_kernel::error::Problem)))]
pub async fn read_value(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version, id, file)): Path<(String, String, String, String)>,
    query: Result<Query<AsOfParams>, QueryRejection>,
) -> Result<Response, GovError> {
    let as_of = params(query)?.as_of()?;
    let Some((field, ext)) = file.rsplit_once('.').filter(|(f, _)| !f.is_empty()) else {
        return Err(GovError::invalid("field", "give {field}.{ext}, e.g. given_name.json"));
    };
    if !matches!(ext, "json" | "txt") {
        return Err(GovError::invalid("ext", "give json or txt"));
    }
    let registry = registry(&kernel)?;
    let info = register(&registry, &caller, &name, &version, Access::Read).await?;
    let record = registry.get(&info.name, &id, &as_of).await?.filter(|r| !r.data.is_null());
    let Some(record) = record else { return Err(Error::NotFound(format!("record {id}")).into()) };
    let Some(value) = lookup(&record.data, field) else {
        return Err(Error::NotFound(format!("field {field} of record {id}")).into());
    };
    Ok(match ext {
        "json" => axum::Json(ValueBody { value: value.clone() }).into_response(),
        _ => {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
    })
}

/// A field by name; a name with dots reaches into nested objects unless a top-level field has
/// that exact name.
fn lookup<'a>(data: &'a Value, field: &str) -> Option<&'a Value> {
    if let Some(v) = data.get(field) {
        return Some(v);
    }
    field.split('.').try_fold(data, |here, segment| here.get(segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_reaches_nested_fields() {
        let data = json!({"a": {"b": 1}, "c.d": 2});
        assert_eq!(lookup(&data, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&data, "c.d"), Some(&json!(2)));
        assert_eq!(lookup(&data, "a.x"), None);
    }
}
