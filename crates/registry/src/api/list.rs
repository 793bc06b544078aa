//! GovStack's list: `GET /data/{registry}/{version}` with `query.<field>=value` filters (or
//! `filter=<field>&search=value`), paged by `page` and `page_size`. Filters match searchable
//! fields (or the identifier) by exact value; results are ordered by identifier.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use publica_kernel::Kernel;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::caller::{Access, Caller, register, registry};
use super::data::params;
use super::error::GovError;
use super::matching::{searchable_hint, text};
use super::wire::ListBody;
use crate::{AsOf, Record, RegisterInfo, Registry};

/// The largest page, and how deep `page` may go before `after` must be used.
const MAX_PAGE_SIZE: i64 = 500;
const MAX_SKIP: i64 = 10_000;

/// The list's parameters (described for the OpenAPI document; read from the raw query, since
/// `query.<field>` names vary by register).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// A value to look for in the field `filter` names (exact match).
    search: Option<String>,
    /// The field `search` applies to.
    filter: Option<String>,
    /// `asc` (by identifier; the only order).
    ordering: Option<String>,
    /// Page number, from 1.
    page: Option<i64>,
    /// Records per page (1 to 500, default 100).
    page_size: Option<i64>,
    /// Publica extension: start after this identifier (what `next` links use).
    after: Option<String>,
}

/// Records whose fields equal the filters, a page at a time.
#[utoipa::path(get, path = "/data/{registry}/{version}", tag = "data", operation_id = "list",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        ListParams,
        ("query.<field>" = Option<String>, Query, description = "Exact value of a searchable field (or the identifier); several are combined with AND; dotted names reach nested fields")),
    responses(
        (status = 200, description = "A page of records", body = ListBody),
        (status = 400, description = "A filter names a field that is not searchable, or bad paging", body = publica_kernel::error::Problem),
        (status = 403, description = "Other organisations read through the exchange", body = publica_kernel::error::Problem)))]
pub async fn list(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<axum::Json<ListBody>, GovError> {
    let pairs = params(query)?;
    let registry = registry(&kernel)?;
    let info = register(&registry, &caller, &name, &version, Access::Read).await?;
    let request = Request::parse(&info, &pairs)?;
    let (records, more) = request.fetch(&registry, &info).await?;
    let base = format!("{}{}", origin(&headers), uri.path());
    let next = match (more, records.last()) {
        (true, Some(last)) => Some(request.link(&base, request.page + 1, Some(&last.id))),
        _ => None,
    };
    let previous = (request.page > 1).then(|| request.link(&base, request.page - 1, None));
    let results: Vec<Value> = records.into_iter().map(|r| r.data).collect();
    Ok(axum::Json(ListBody { count: results.len(), next, previous, results }))
}

/// A parsed list request.
struct Request {
    /// `(index name, value)` filters.
    filters: Vec<(String, String)>,
    /// An identifier filter, when given.
    id: Option<String>,
    /// The filters as given, kept for the links.
    given: Vec<(String, String)>,
    page: i64,
    page_size: i64,
    after: Option<String>,
}

impl Request {
    fn parse(info: &RegisterInfo, pairs: &[(String, String)]) -> Result<Request, GovError> {
        let mut request =
            Request { filters: Vec::new(), id: None, given: Vec::new(), page: 1, page_size: 100, after: None };
        let (mut search, mut filter) = (None, None);
        for (key, value) in pairs {
            match key.as_str() {
                "search" => search = Some(value.clone()),
                "filter" => filter = Some(value.clone()),
                "ordering" => {
                    if !matches!(value.as_str(), "" | "asc" | "ascending" | "id") && value != &info.id_field {
                        return Err(GovError::invalid(
                            "ordering",
                            "records are listed by identifier, ascending: give asc",
                        ));
                    }
                }
                "page" => request.page = number("page", value, 1, i64::MAX)?,
                "page_size" => request.page_size = number("page_size", value, 1, MAX_PAGE_SIZE)?,
                "after" => request.after = Some(value.clone()).filter(|v| !v.is_empty()),
                other => match other.strip_prefix("query.") {
                    Some(field) => request.add(info, key, field, value)?,
                    None => {
                        return Err(GovError::invalid(
                            other,
                            "not a parameter of the list: use query.<field>, search and filter, ordering, page, page_size or after",
                        ));
                    }
                },
            }
        }
        match (search, filter) {
            (Some(value), Some(field)) => request.add(info, "filter", &field, &value)?,
            (Some(_), None) => {
                return Err(GovError::invalid(
                    "filter",
                    format!("name the field to search: {}", searchable_hint(info)),
                ));
            }
            (None, Some(_)) => return Err(GovError::invalid("search", "give the value to look for")),
            (None, None) => {}
        }
        for (key, value) in pairs {
            if key.starts_with("query.") || key == "search" || key == "filter" {
                request.given.push((key.clone(), value.clone()));
            }
        }
        if request.after.is_none() && (request.page - 1).saturating_mul(request.page_size) > MAX_SKIP {
            return Err(GovError::invalid(
                "page",
                format!("pages deeper than {MAX_SKIP} records are reached with after (see next)"),
            ));
        }
        Ok(request)
    }

    fn add(&mut self, info: &RegisterInfo, param: &str, field: &str, value: &str) -> Result<(), GovError> {
        if field == info.id_field {
            self.id = Some(value.to_string());
            return Ok(());
        }
        let pointer = format!("/{}", field.replace('.', "/"));
        match info.index_fields().into_iter().find(|f| f.name == field || f.pointer == pointer) {
            Some(f) => {
                self.filters.push((f.name, value.to_string()));
                Ok(())
            }
            None => Err(GovError::invalid(param, format!("`{field}` is not searchable; {}", searchable_hint(info)))),
        }
    }

    /// This page's records and whether more follow.
    async fn fetch(&self, registry: &Registry, info: &RegisterInfo) -> Result<(Vec<Record>, bool), GovError> {
        if let Some(id) = &self.id {
            let record = registry.get(&info.name, id, &AsOf::now()).await?;
            let fields = info.index_fields();
            let keep = record.filter(|r| {
                !r.data.is_null()
                    && self.after.as_deref().is_none_or(|a| r.id.as_str() > a)
                    && self.page == 1
                    && self.filters.iter().all(|(name, value)| {
                        fields
                            .iter()
                            .filter(|f| &f.name == name)
                            .any(|f| indexed_equals(r.data.pointer(&f.pointer), value))
                    })
            });
            return Ok((keep.into_iter().collect(), false));
        }
        let mut after = self.after.clone();
        if after.is_none() && self.page > 1 {
            let mut skip = (self.page - 1) * self.page_size;
            while skip > 0 {
                let wanted = skip.min(MAX_PAGE_SIZE);
                let page = registry.search_in(info, &self.filters, after.as_deref(), wanted).await?;
                let got = page.len() as i64;
                if got < wanted {
                    // Fewer records than the pages before this one hold: this page is empty.
                    return Ok((Vec::new(), false));
                }
                after = page.last().map(|r| r.id.clone());
                skip -= got;
            }
        }
        let mut records = registry.search_in(info, &self.filters, after.as_deref(), self.page_size + 1).await?;
        let more = records.len() as i64 > self.page_size;
        records.truncate(self.page_size as usize);
        Ok((records, more))
    }

    fn link(&self, base: &str, page: i64, after: Option<&str>) -> String {
        let mut query: Vec<(String, String)> = self.given.clone();
        query.push(("page".into(), page.to_string()));
        query.push(("page_size".into(), self.page_size.to_string()));
        if let Some(after) = after {
            query.push(("after".into(), after.to_string()));
        }
        format!("{base}?{}", publica_kernel::web::form::query(query))
    }
}

/// Whether a field's value (or one of its elements) is `value` as the search index holds it.
fn indexed_equals(found: Option<&Value>, value: &str) -> bool {
    match found {
        Some(Value::Array(items)) => items.iter().any(|i| text(i).as_deref() == Some(value)),
        Some(other) => text(other).as_deref() == Some(value),
        None => false,
    }
}

fn number(field: &str, value: &str, min: i64, max: i64) -> Result<i64, GovError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| GovError::invalid(field, format!("give a whole number from {min} to {max}")))
}

/// `scheme://host` as the client called it.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}
