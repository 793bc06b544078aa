//! GovStack's `MyPersonalDataUsage`: who read a person's data. The entries come from the
//! exchange block's data-usage log (through [`crate::usage::UsageProvider`]); without it the
//! list is empty. Each entry carries GovStack's fields and the log's own.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::Kernel;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::{IntoParams, ToSchema};

use super::caller::{Access, Caller, register, registry};
use super::data::params;
use super::error::GovError;
use crate::IdScheme;
use crate::usage::UsageProvider;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageParams {
    /// The person's national identifier.
    #[serde(rename = "userID")]
    #[param(rename = "userID")]
    user_id: Option<String>,
    /// The register the request is made to (its owner answers for the person).
    #[serde(rename = "DatabaseID")]
    #[param(rename = "DatabaseID")]
    database_id: Option<String>,
    /// Publica extension: where the page starts (from the `Link: rel="next"` header).
    cursor: Option<String>,
    /// Publica extension: entries per page (1 to 1000, default 100).
    limit: Option<i64>,
}

/// One entry: GovStack's fields, and the usage log's (`at`, `organisation`, `client`,
/// `eservice`, `purpose` with its legal basis, `data_items`, `request_id`).
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct PersonalDataUsage {
    /// The log entry's id.
    ID: String,
    /// The reading organisation's id.
    ReaderInstitutionID: String,
    ReaderInstitutionName: String,
    /// The reading system: its X-Road identifier.
    ReaderApplicationName: String,
    /// When the data was read.
    SearchDateTime: String,
    /// The exchange's request id (`X-Road-Id`), to find the call in the message log.
    #[schema(value_type = Vec<Object>)]
    Refrences: Vec<Value>,
}

/// Who read the person's data, newest first. Further pages follow the `Link` header.
#[utoipa::path(get, path = "/data/MyPersonalDataUsage/1.0", tag = "data", operation_id = "my_personal_data_usage",
    params(("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"), UsageParams),
    responses(
        (status = 200, description = "The entries; `Link: <…>; rel=\"next\"` when more follow", body = Vec<PersonalDataUsage>),
        (status = 400, description = "Missing or invalid userID or DatabaseID", body = publica_kernel::error::Problem),
        (status = 403, description = "The caller's organisation does not own the register", body = publica_kernel::error::Problem)))]
pub async fn my_personal_data_usage(
    State(kernel): State<Kernel>,
    caller: Caller,
    uri: Uri,
    query: Result<Query<UsageParams>, QueryRejection>,
) -> Result<Response, GovError> {
    let query = params(query)?;
    let user = query.user_id.as_deref().map(str::trim).unwrap_or_default();
    if user.is_empty() {
        return Err(GovError::invalid("userID", "give the person's national identifier"));
    }
    IdScheme::NationalId.validate(user).map_err(|m| GovError::invalid("userID", m))?;
    let database = query.database_id.as_deref().map(str::trim).unwrap_or_default();
    if database.is_empty() {
        return Err(GovError::invalid("DatabaseID", "give the register, e.g. population"));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(GovError::invalid("limit", "give a number from 1 to 1000"));
    }
    let registry = registry(&kernel)?;
    let info = match registry.register(database).await {
        Ok(info) => info,
        Err(publica_kernel::error::Error::NotFound(_)) => {
            return Err(GovError::invalid("DatabaseID", format!("there is no register {database}")));
        }
        Err(e) => return Err(e.into()),
    };
    let info = register(&registry, &caller, &info.name, &info.version, Access::Read).await?;
    let Some(provider) = kernel.get::<UsageProvider>() else {
        return Ok(axum::Json(Vec::<Value>::new()).into_response());
    };
    let page = provider.0.usage(user, query.cursor.as_deref(), limit).await.map_err(|e| match e {
        publica_kernel::error::Error::Invalid { field, message } if field == "cursor" => {
            GovError::invalid(field, message)
        }
        other => other.into(),
    })?;
    let entries: Vec<Value> = page.entries.into_iter().map(govstack_entry).collect();
    let mut response = axum::Json(entries).into_response();
    if let Some(cursor) = page.next_cursor {
        let next = format!(
            "<{}?userID={}&DatabaseID={}&limit={limit}&cursor={}>; rel=\"next\"",
            uri.path(),
            user,
            info.name,
            cursor
        );
        if let Ok(value) = HeaderValue::from_str(&next) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// Add GovStack's names to a usage-log entry (whose own fields stay).
fn govstack_entry(entry: Value) -> Value {
    let Value::Object(mut map) = entry else { return entry };
    let get = |map: &Map<String, Value>, pointer: &str| {
        Value::Object(map.clone()).pointer(pointer).cloned().unwrap_or(Value::Null)
    };
    let fields = [
        ("ID", get(&map, "/id")),
        ("ReaderInstitutionID", get(&map, "/organisation/id")),
        ("ReaderInstitutionName", get(&map, "/organisation/name")),
        ("ReaderApplicationName", get(&map, "/client")),
        ("SearchDateTime", get(&map, "/at")),
        ("Refrences", json!([{"ReferenceID": get(&map, "/request_id")}])),
    ];
    for (name, value) in fields {
        map.entry(name).or_insert(value);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_gain_govstack_names() {
        let entry = json!({"id": "e1", "at": "2026-01-01T00:00:00Z", "organisation": {"id": "o", "name": "Tax"},
            "client": "DL/GOV/1/tax", "request_id": "r1"});
        let out = govstack_entry(entry);
        assert_eq!(out["ID"], "e1");
        assert_eq!(out["ReaderInstitutionName"], "Tax");
        assert_eq!(out["ReaderApplicationName"], "DL/GOV/1/tax");
        assert_eq!(out["SearchDateTime"], "2026-01-01T00:00:00Z");
        assert_eq!(out["Refrences"][0]["ReferenceID"], "r1");
        assert_eq!(out["organisation"]["name"], "Tax");
    }
}
