//! The list of registers, and a register's page: what it holds (its fields, from its JSON
//! Schema) and the search by identifier or by its searchable fields, exact match, a page of
//! results at a time in identifier order.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use publica_kernel::db::{Db, Timestamp};
use publica_kernel::error::{Error, Result};
use publica_kernel::on_db;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde_json::Value;

use super::fields::{self, FieldRow};
use super::{FieldError, PagesState, RegisterHead, can_write, reader};
use crate::domain::register::index_values;
use crate::domain::{AsOf, Record, RegisterInfo};
use publica_kernel::web::form::query;

/// Records on one page of search results.
const PAGE_SIZE: i64 = 50;
/// The query parameter of the keyset cursor (the last identifier of the page before).
const AFTER: &str = "_after";

/// How many records a register holds now (created and not deleted, as known now).
async fn current_records(db: &Db, register: &str, now: Timestamp) -> Result<i64> {
    let (count,): (i64,) = on_db!(db, pool => sqlx::query_as(
        "SELECT COUNT(*) FROM registry_versions WHERE register = $1 AND superseded_at IS NULL \
         AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) AND kind <> 'deleted'")
        .bind(register).bind(now).fetch_one(pool).await)?;
    Ok(count)
}

struct RegisterRow {
    name: String,
    title: String,
    version: String,
    owner: String,
    records: String,
}

#[derive(Template)]
#[template(path = "registry/index.html", config = "templates/askama.toml")]
struct Index {
    ctx: PageCtx,
    registers: Vec<RegisterRow>,
}

async fn owner_name(state: &PagesState, info: &RegisterInfo) -> Result<String> {
    Ok(state.kernel.organisation(info.owner_org).await?.name)
}

pub(super) async fn index(Staff(ctx, staff): Staff, State(state): State<PagesState>) -> Result<Response, PageError> {
    reader(&staff)?;
    let now = Timestamp::now();
    let mut registers = Vec::new();
    for info in state.registry.registers().await? {
        let count = current_records(state.kernel.db(), &info.name, now).await?;
        registers.push(RegisterRow {
            owner: owner_name(&state, &info).await?,
            records: count.to_string(),
            name: info.name,
            title: info.title,
            version: info.version,
        });
    }
    Ok(render(&Index { ctx, registers }))
}

/// A search input: the field's short name (the query parameter) and what was typed.
struct Criterion {
    /// The input's `id`.
    id: String,
    name: String,
    value: String,
    error: Option<FieldError>,
}

/// A result row: the identifier and the searchable fields' values.
struct ResultRow {
    id: String,
    values: Vec<String>,
}

#[derive(Template)]
#[template(path = "registry/register.html", config = "templates/askama.toml")]
struct RegisterPage {
    ctx: PageCtx,
    register: RegisterHead,
    crumbs: Vec<(String, String)>,
    version: String,
    owner: String,
    records: i64,
    id_field: String,
    id_scheme: &'static str,
    writer: bool,
    /// The identifier criterion first, then one per searchable field.
    criteria: Vec<Criterion>,
    searched: bool,
    results: Vec<ResultRow>,
    /// The searchable fields' names, the result table's columns after the identifier.
    columns: Vec<String>,
    next: Option<String>,
    summary: String,
    errors: Vec<FieldError>,
    fields: Vec<FieldRow>,
    schema: String,
}

/// The value of a searchable field in a record, as text (a list's values joined).
fn shown(data: &Value, pointer: &str) -> String {
    match data.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

pub(super) async fn register(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(name): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    reader(&staff)?;
    let info = state.registry.register(&name).await?;
    let index_fields = info.index_fields();
    let param = |key: &str| params.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string());
    let mut criteria = vec![Criterion {
        id: "search-id".into(),
        name: info.id_field.clone(),
        value: param(&info.id_field).unwrap_or_default(),
        error: None,
    }];
    for (i, field) in index_fields.iter().enumerate().filter(|(_, f)| f.name != info.id_field) {
        criteria.push(Criterion {
            id: format!("search-field-{i}"),
            name: field.name.clone(),
            value: param(&field.name).unwrap_or_default(),
            error: None,
        });
    }
    let after = param(AFTER).filter(|a| !a.is_empty());
    let id = criteria[0].value.clone();
    let filters: Vec<(String, String)> =
        criteria[1..].iter().filter(|c| !c.value.is_empty()).map(|c| (c.name.clone(), c.value.clone())).collect();
    let searched = !id.is_empty() || !filters.is_empty();

    let mut results: Vec<Record> = Vec::new();
    let mut next = None;
    if !id.is_empty() {
        if let Err(message) = info.id_scheme.validate(&id) {
            criteria[0].error = Some(FieldError {
                id: "search-id".into(),
                pointer: None,
                message: format!("{}: {message}", info.id_field),
                lang: ctx.english_unless_en(),
            });
        } else if let Some(record) = state.registry.get(&info.name, &id, &AsOf::now()).await? {
            let values = index_values(&index_fields, &record.data);
            if filters.iter().all(|f| values.contains(f)) {
                results.push(record);
            }
        }
    } else if !filters.is_empty() {
        match state.registry.search_in(&info, &filters, after.as_deref(), PAGE_SIZE + 1).await {
            Ok(found) => results = found,
            Err(Error::Invalid { field, message }) => {
                if let Some(c) = criteria.iter_mut().find(|c| c.name == field) {
                    c.error = Some(FieldError {
                        id: c.id.clone(),
                        pointer: None,
                        message: format!("{field}: {message}"),
                        lang: ctx.english_unless_en(),
                    });
                }
            }
            Err(e) => return Err(e.into()),
        }
        if results.len() as i64 > PAGE_SIZE {
            results.truncate(PAGE_SIZE as usize);
            if let Some(last) = results.last() {
                let mut pairs: Vec<(&str, &str)> = filters.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                pairs.push((AFTER, &last.id));
                next = Some(format!("/registry/{}?{}", info.name, query(pairs)));
            }
        }
    }
    let errors: Vec<FieldError> = criteria.iter().filter_map(|c| c.error.clone()).collect();
    let summary = match results.len() {
        0 => ctx.t("registry-search-none"),
        1 => ctx.t("registry-search-one"),
        n => ctx.t_args("registry-search-many", &[("count", n.to_string())]),
    };
    let rows = results
        .iter()
        .map(|r| ResultRow {
            id: r.id.clone(),
            values: index_fields
                .iter()
                .filter(|f| f.name != info.id_field)
                .map(|f| shown(&r.data, &f.pointer))
                .collect(),
        })
        .collect();
    let columns = index_fields.iter().filter(|f| f.name != info.id_field).map(|f| f.name.clone()).collect();
    let page = RegisterPage {
        register: RegisterHead::of(&info),
        crumbs: vec![(String::new(), info.title.clone())],
        version: info.version.clone(),
        owner: owner_name(&state, &info).await?,
        records: current_records(state.kernel.db(), &info.name, Timestamp::now()).await?,
        id_field: info.id_field.clone(),
        id_scheme: info.id_scheme.as_str(),
        writer: can_write(&info, &staff),
        criteria,
        searched,
        results: rows,
        columns,
        next,
        summary,
        fields: fields::rows(&info),
        schema: serde_json::to_string_pretty(&info.schema).unwrap_or_default(),
        errors,
        ctx,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
}
