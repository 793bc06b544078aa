//! Publica's extensions of the data API: a record's full bitemporal history, and the register's
//! change feed read with a cursor.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use publica_kernel::Kernel;
use publica_kernel::error::Error;
use serde::Deserialize;
use utoipa::IntoParams;

use super::caller::{Access, Caller, register, registry};
use super::data::params;
use super::error::GovError;
use super::wire::{ChangesBody, HistoryBody, Version};

/// Every version of a record, as recorded: changes, corrections and deletion, each with its
/// valid and transaction intervals.
#[utoipa::path(get, path = "/data/{registry}/{version}/{id}/history", tag = "publica", operation_id = "history",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("id" = String, Path, description = "The record's identifier"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier")),
    responses(
        (status = 200, description = "The versions, in the order they were recorded", body = HistoryBody),
        (status = 404, description = "No such record", body = publica_kernel::error::Problem)))]
pub async fn history(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version, id)): Path<(String, String, String)>,
) -> Result<axum::Json<HistoryBody>, GovError> {
    let registry = registry(&kernel)?;
    let info = register(&registry, &caller, &name, &version, Access::Read).await?;
    let versions = registry.history(&info.name, &id).await?;
    if versions.is_empty() {
        return Err(Error::NotFound(format!("record {id}")).into());
    }
    Ok(axum::Json(HistoryBody { id, versions: versions.into_iter().map(Version::from).collect() }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// Changes after this sequence number (`next` of the previous page; default 0, the start).
    after: Option<i64>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<i64>,
}

/// The register's change feed: new facts (creations, changes, corrections, deletions) in the
/// order they were recorded. Read on from `next`.
#[utoipa::path(get, path = "/data/{registry}/{version}/changes", tag = "publica", operation_id = "changes",
    params(
        ("registry" = String, Path, description = "The register"),
        ("version" = String, Path, description = "Its version"),
        ("Information-Mediator-Client" = String, Header, description = "The caller's X-Road identifier"),
        ChangesParams),
    responses(
        (status = 200, description = "A page of the feed", body = ChangesBody),
        (status = 400, description = "Bad cursor or limit", body = publica_kernel::error::Problem)))]
pub async fn changes(
    State(kernel): State<Kernel>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
    query: Result<Query<ChangesParams>, QueryRejection>,
) -> Result<axum::Json<ChangesBody>, GovError> {
    let query = params(query)?;
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    if after < 0 {
        return Err(GovError::invalid("after", "give a sequence number from a previous page, or 0"));
    }
    if !(1..=1000).contains(&limit) {
        return Err(GovError::invalid("limit", "give a number from 1 to 1000"));
    }
    let registry = registry(&kernel)?;
    let info = register(&registry, &caller, &name, &version, Access::Read).await?;
    let changes = registry.changes(&info.name, after, limit).await?;
    let next = changes.last().map_or(after, |r| r.seq);
    Ok(axum::Json(ChangesBody { changes: changes.into_iter().map(Version::from).collect(), next }))
}
