//! The web shell: the router every block's routes join, with the layers every request
//! passes through (request id, tracing, metrics, limits, timeouts, security headers), the
//! system endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi/{block}.json`, JWKS) and
//! the kernel's pages.

mod csrf;
mod metrics;
mod page;
mod pages;
mod system;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};

pub use csrf::CSRF_FIELD;
pub use metrics::install_recorder;
pub use page::{Page, PageCtx, PageError, Staff, render};

use crate::{Block, Kernel};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: system endpoints, every served block's API and pages, all layers.
pub fn app(kernel: &Kernel, blocks: &[Arc<dyn Block>]) -> Router {
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
        .layer(middleware::from_fn_with_state(kernel.clone(), security_headers))
        .layer(middleware::from_fn(metrics::track))
        .layer(RequestBodyLimitLayer::new(kernel.config().http.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(CatchPanicLayer::custom(page::panic_response))
        .layer(middleware::from_fn(request_scope))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                // One line per request, carrying the request id from the span.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis))
                .on_failure(DefaultOnFailure::new().level(tracing::Level::ERROR)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Make the request id visible to the audit log for the whole request.
async fn request_scope(request: Request, next: Next) -> Response {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or_default()
        .to_string();
    crate::audit::REQUEST_ID.scope(id, next.run(request)).await
}

/// Whether the client reached us over TLS (directly or through a proxy that says so).
pub(crate) fn is_https(kernel: &Kernel, headers: &axum::http::HeaderMap) -> bool {
    kernel.config().public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
        || headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

async fn security_headers(
    axum::extract::State(kernel): axum::extract::State<Kernel>,
    request: Request,
    next: Next,
) -> Response {
    let https = is_https(&kernel, request.headers());
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    // No page needs script: everything works as plain HTML forms.
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=()");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains");
    }
    response
}
