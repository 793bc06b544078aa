//! System endpoints: liveness, readiness, metrics, API documents, the JWKS and static assets.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{ApiError, Error};
use crate::{Block, Kernel};

pub(super) type Docs = Arc<ApiDocs>;

/// The OpenAPI documents of the served blocks, built on first request: building them runs
/// every schema of every block, work (and memory) a server that is never asked for its
/// documents should not pay at start.
pub(super) struct ApiDocs {
    blocks: Vec<Arc<dyn Block>>,
    built: OnceLock<BTreeMap<&'static str, serde_json::Value>>,
}

impl ApiDocs {
    pub(super) fn new(blocks: Vec<Arc<dyn Block>>) -> Self {
        Self { blocks, built: OnceLock::new() }
    }

    /// Each served block's document, by block name.
    pub(super) fn get(&self) -> &BTreeMap<&'static str, serde_json::Value> {
        self.built.get_or_init(|| {
            self.blocks.iter().map(|b| (b.name(), serde_json::to_value(b.openapi()).unwrap_or_default())).collect()
        })
    }
}

pub(super) fn routes(kernel: Kernel, docs: Docs) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/assets/publica.css", get(css))
        .with_state(kernel)
        .merge(Router::new().route("/openapi/{file}", get(openapi)).with_state(docs))
}

async fn readyz(State(kernel): State<Kernel>) -> Response {
    let check = async {
        kernel.db().ping().await?;
        match kernel.migration_status().await?.problem() {
            None => Ok(()),
            Some(problem) => Err(Error::Unavailable(problem)),
        }
    };
    match check.await {
        Ok(()) => {
            (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ready", "database": kernel.db().backend() })))
                .into_response()
        }
        Err(e) => ApiError(match e {
            Error::Unavailable(m) => Error::Unavailable(m),
            other => Error::Unavailable(other.to_string()),
        })
        .into_response(),
    }
}

async fn metrics(State(kernel): State<Kernel>) -> Response {
    let handle = super::metrics::install_recorder();
    let (size, idle) = kernel.db().pool_stats();
    metrics::gauge!("publica_db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("publica_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("publica_db_pool_max_connections").set(f64::from(kernel.config().database.max_connections));
    let up = kernel.db().ping().await.is_ok();
    metrics::gauge!("publica_db_up").set(if up { 1.0 } else { 0.0 });
    if up && let Ok(depth) = crate::jobs::depth(kernel.db()).await {
        for state in ["queued", "running", "succeeded", "dead"] {
            let n = depth.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
            metrics::gauge!("publica_jobs", "state" => state).set(n as f64);
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

async fn jwks(State(kernel): State<Kernel>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/jwk-set+json"), (header::CACHE_CONTROL, "public, max-age=300")],
        kernel.keys().jwks().to_string(),
    )
        .into_response()
}

async fn openapi(State(docs): State<Docs>, Path(file): Path<String>) -> Response {
    let docs = docs.get();
    let doc = file.strip_suffix(".json").and_then(|name| docs.get(name));
    match doc {
        Some(doc) => axum::Json(doc.clone()).into_response(),
        None => ApiError(Error::not_found(format!(
            "API document `{file}`; available: {}",
            docs.keys().map(|k| format!("{k}.json")).collect::<Vec<_>>().join(", ")
        )))
        .into_response(),
    }
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/publica.css"),
    )
        .into_response()
}
