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

use std::net::IpAddr;
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
    let mut documented = Vec::new();
    for block in blocks.iter().filter(|b| serves(b.name())) {
        api = api.merge(block.api_routes(kernel));
        pages = pages.merge(block.page_routes(kernel));
        documented.push(block.clone());
    }
    let docs = Arc::new(system::ApiDocs::new(documented));
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

/// The client's address: the peer's, or, when the peer is a trusted proxy
/// (`http.trusted_proxies`), the right-most address in `X-Forwarded-For` that is not itself a
/// trusted proxy (addresses to its left were written by the client and prove nothing).
pub fn client_ip(kernel: &Kernel, headers: &axum::http::HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
    client_ip_behind(kernel.trusted_proxies(), headers, peer)
}

fn client_ip_behind(trusted: &[ipnet::IpNet], headers: &axum::http::HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = headers.get_all(X_FORWARDED_FOR).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    for hop in hops.iter().rev().flat_map(|v| v.rsplit(',')) {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

const X_FORWARDED_FOR: axum::http::HeaderName = axum::http::HeaderName::from_static("x-forwarded-for");

/// Whether the client reached us over TLS (directly or through a proxy that says so).
pub fn is_https(kernel: &Kernel, headers: &axum::http::HeaderMap) -> bool {
    kernel.config().public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
        || headers.get(X_FORWARDED_PROTO).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        for v in values {
            headers.append(X_FORWARDED_FOR, v.parse().expect("header"));
        }
        headers
    }

    #[test]
    fn the_client_is_the_right_most_address_no_trusted_proxy_wrote() {
        let trusted: Vec<ipnet::IpNet> = vec!["127.0.0.0/8".parse().expect("net"), "10.0.0.0/8".parse().expect("net")];
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // A peer that is no proxy of ours: its header proves nothing.
        let h = forwarded(&["198.51.100.1"]);
        assert_eq!(client_ip_behind(&trusted, &h, Some(ip("203.0.113.9"))), Some(ip("203.0.113.9")));
        // Behind two proxies of ours; the client made up the left-most entry.
        let h = forwarded(&["192.0.2.66, 203.0.113.5", "10.1.2.3"]);
        assert_eq!(client_ip_behind(&trusted, &h, Some(ip("127.0.0.1"))), Some(ip("203.0.113.5")));
        // No header: the proxy itself.
        assert_eq!(client_ip_behind(&trusted, &forwarded(&[]), Some(ip("10.0.0.7"))), Some(ip("10.0.0.7")));
        // Garbage stops the walk at the last good address.
        let h = forwarded(&["not-an-ip, 10.0.0.9"]);
        assert_eq!(client_ip_behind(&trusted, &h, Some(ip("127.0.0.1"))), Some(ip("10.0.0.9")));
        assert_eq!(client_ip_behind(&trusted, &h, None), None);
    }
}
