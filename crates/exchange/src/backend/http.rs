//! The provider's own HTTP service: the call is forwarded to `base_url` + the path after the
//! service code, with the consumer's headers except hop-by-hop ones and those that would leak
//! the consumer's host (the voucher included, so the provider may check it itself as PDND
//! providers do); the answer comes back as it is. No answer in time, or none at all,
//! is `Server.ServerProxy.ServiceFailed`.

use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue, header};

use super::{BackendCall, BackendFailed, BackendResponse, top_level_fields};
use crate::service::Exchange;

/// Largest answer accepted from a provider.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Headers never forwarded either way (RFC 9110 §7.6.1 hop-by-hop, and those X-Road filters).
pub fn filtered(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "user-agent"
            | "server"
            | "content-length"
            | "expect"
            | "x-road-request-hash"
            | "x-road-error"
    )
}

pub async fn forward(
    exchange: &Exchange,
    base_url: &str,
    call: BackendCall<'_>,
) -> Result<BackendResponse, BackendFailed> {
    let mut url = format!("{}{}", base_url.trim_end_matches('/'), call.path);
    if let Some(query) = call.query {
        url.push('?');
        url.push_str(query);
    }
    let mut request = exchange.http().request(call.method.clone(), &url);
    for (name, value) in call.headers {
        if !filtered(name) {
            request = request.header(name, value);
        }
    }
    if !call.body.is_empty() {
        request = request.body(call.body);
    }
    let mut response = request.send().await.map_err(|e| BackendFailed(describe(base_url, &e)))?;
    if response.content_length().is_some_and(|n| n as usize > MAX_RESPONSE_BYTES) {
        return Err(BackendFailed(format!("{base_url} answered more than {MAX_RESPONSE_BYTES} bytes")));
    }
    let status = response.status();
    let headers: Vec<(HeaderName, HeaderValue)> = response
        .headers()
        .iter()
        .filter(|(n, _)| !filtered(n) && !n.as_str().starts_with("x-road-"))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| BackendFailed(describe(base_url, &e)))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(BackendFailed(format!("{base_url} answered more than {MAX_RESPONSE_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let is_json = headers
        .iter()
        .any(|(n, v)| n == header::CONTENT_TYPE && v.to_str().is_ok_and(|t| t.to_ascii_lowercase().contains("json")));
    let data_items = if is_json && status.is_success() {
        serde_json::from_slice(&body).map(|v| top_level_fields(&v)).unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(BackendResponse { status, headers, body: Bytes::from(body), persons: Vec::new(), data_items })
}

fn describe(base_url: &str, error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("{base_url} did not answer in time")
    } else if error.is_connect() {
        format!("cannot connect to {base_url}")
    } else {
        format!("{base_url}: {error}")
    }
}
