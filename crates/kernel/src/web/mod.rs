//! The web shell: the router every block's routes join, with the layers every request
//! passes through (request id, tracing, metrics, limits, timeouts, security headers), the
//! system endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi/{block}.json`, JWKS) and
//! the kernel's pages.

mod csrf;
mod edge;
pub mod form;
mod metrics;
mod page;
mod pages;
mod system;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware;

pub use csrf::CSRF_FIELD;
pub use edge::page_policy_with_form_targets;
pub use form::When;
pub use metrics::install_recorder;
pub use page::{Page, PageCtx, PageError, Staff, render};
pub use pages::{STAFF_SIGN_IN, staff_session_cookie};

use crate::{Block, Kernel};

/// The whole application: system endpoints, every served block's API and pages, all layers.
pub fn app(kernel: &Kernel, blocks: &[Arc<dyn Block>]) -> Router {
    // Before any route records a metric, so that no handle is bound to a no-op recorder.
    install_recorder();
    let served = kernel.config().block_list();
    let serves = |name: &str| name == "kernel" || served.as_ref().is_none_or(|list| list.iter().any(|b| b == name));
    let mut api = Router::new();
    let mut pages = Router::new();
    let mut docs = std::collections::BTreeMap::new();
    for block in blocks.iter().filter(|b| serves(b.name())) {
        api = api.merge(block.api_routes(kernel));
        pages = pages.merge(block.page_routes(kernel));
        docs.insert(block.name(), serde_json::to_value(block.openapi()).unwrap_or_default());
    }
    let docs = Arc::new(docs);
    let pages = pages.merge(pages::routes(kernel.clone(), docs.clone()));
    let pages = pages.layer(middleware::from_fn_with_state(kernel.clone(), csrf::layer));
    // Browsers get an HTML 404 in their language; API clients get problem+json.
    let page_404 =
        Router::new().fallback(page::not_found).layer(middleware::from_fn_with_state(kernel.clone(), csrf::layer));
    let fallback = move |request: Request| {
        let page_404 = page_404.clone();
        async move {
            if page::wants_html(request.headers()) {
                use tower::ServiceExt;
                page_404.oneshot(request).await.unwrap_or_else(|never| match never {})
            } else {
                page::not_found().await
            }
        }
    };
    let timeout = Duration::from_secs(kernel.config().http.request_timeout_seconds.max(1));
    Router::new()
        .merge(system::routes(kernel.clone(), docs))
        .merge(api)
        .merge(pages)
        .fallback(fallback)
        .layer(edge::EdgeLayer::new(kernel, timeout, kernel.config().http.body_limit_bytes))
}

const X_FORWARDED_PROTO: axum::http::HeaderName = axum::http::HeaderName::from_static("x-forwarded-proto");

/// Whether the client reached us over TLS (directly or through a proxy that says so).
pub fn is_https(kernel: &Kernel, headers: &axum::http::HeaderMap) -> bool {
    kernel.config().public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
        || headers.get(X_FORWARDED_PROTO).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}
