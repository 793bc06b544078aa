//! The X-Road Message Protocol for REST (r1) as the gateway speaks it: header names, the error
//! envelope and the request hash.
//!
//! Errors raised by the exchange itself carry `X-Road-Error: <type>` and the JSON body
//! `{"type", "message", "detail"}` (`detail` a UUID to find the error in the logs), with X-Road's
//! types. The HTTP status says who is at fault (X-Road answers every `Server.*` type with 500;
//! see [`XRoadError::new`]). Exceeded daily quotas are answered 429 with
//! `Server.ServerProxy.QuotaExceeded` (an extension: X-Road has no quotas).
//!
//! `X-Road-Request-Hash` is, as X-Road computes it, base64 of SHA-512(SHA-512(message) ‖
//! SHA-512(body)), or of SHA-512(message) when the body is empty, where the message is
//! `METHOD CRLF path[?query] CRLF` followed by `name:value CRLF` for each request header in
//! the order received (names in lowercase), without the hop-by-hop headers X-Road skips and
//! without any `X-Road-Request-Hash`, and with `x-road-id:<id>` appended when the client sent
//! no `X-Road-Id`.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

/// The message log's hash, which X-Road's request hash is built from.
pub use crate::log::chain::sha512;

pub const X_ROAD_CLIENT: HeaderName = HeaderName::from_static("x-road-client");
pub const X_ROAD_SERVICE: HeaderName = HeaderName::from_static("x-road-service");
pub const X_ROAD_ID: HeaderName = HeaderName::from_static("x-road-id");
pub const X_ROAD_USER_ID: HeaderName = HeaderName::from_static("x-road-userid");
pub const X_ROAD_ISSUE: HeaderName = HeaderName::from_static("x-road-issue");
pub const X_ROAD_REQUEST_HASH: HeaderName = HeaderName::from_static("x-road-request-hash");
pub const X_ROAD_ERROR: HeaderName = HeaderName::from_static("x-road-error");

/// Error types of the exchange (X-Road's names, plus `QuotaExceeded`).
pub mod kind {
    pub const BAD_REQUEST: &str = "Client.BadRequest";
    pub const ACCESS_DENIED: &str = "Server.ServerProxy.AccessDenied";
    pub const UNKNOWN_SERVICE: &str = "Server.ServerProxy.UnknownService";
    pub const SERVICE_DISABLED: &str = "Server.ServerProxy.ServiceDisabled";
    pub const SERVICE_FAILED: &str = "Server.ServerProxy.ServiceFailed";
    pub const LOGGING_FAILED: &str = "Server.ServerProxy.LoggingFailed";
    pub const INTERNAL_ERROR: &str = "Server.ServerProxy.InternalError";
    pub const QUOTA_EXCEEDED: &str = "Server.ServerProxy.QuotaExceeded";
}

/// An error the exchange answers in X-Road's format.
#[derive(Debug)]
pub struct XRoadError {
    pub kind: &'static str,
    pub message: String,
    pub status: StatusCode,
    /// Extra headers (rate limits, `Retry-After`, the X-Road ids known so far).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl XRoadError {
    /// The HTTP status follows the error type. X-Road itself answers every `Server.*` error
    /// with 500; Publica keeps X-Road's types (header and body, which is what clients read) but
    /// never answers 500 for a client's mistake: refused access is 403, an unknown service 404,
    /// a failed or unavailable back end 502/503.
    pub fn new(kind: &'static str, message: impl Into<String>) -> XRoadError {
        let status = match kind {
            kind::ACCESS_DENIED => StatusCode::FORBIDDEN,
            kind::UNKNOWN_SERVICE => StatusCode::NOT_FOUND,
            kind::SERVICE_DISABLED | kind::LOGGING_FAILED => StatusCode::SERVICE_UNAVAILABLE,
            kind::SERVICE_FAILED => StatusCode::BAD_GATEWAY,
            kind::QUOTA_EXCEEDED => StatusCode::TOO_MANY_REQUESTS,
            k if k.starts_with("Client.") => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        XRoadError { kind, message: message.into(), status, headers: Vec::new() }
    }

    pub fn bad_request(message: impl Into<String>) -> XRoadError {
        XRoadError::new(kind::BAD_REQUEST, message)
    }

    pub fn denied(message: impl Into<String>) -> XRoadError {
        XRoadError::new(kind::ACCESS_DENIED, message)
    }

    pub fn with_status(mut self, status: StatusCode) -> XRoadError {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> XRoadError {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for XRoadError {
    fn into_response(self) -> Response {
        let detail = Uuid::new_v4().to_string();
        if self.status.is_server_error() {
            tracing::warn!(kind = self.kind, detail, message = %self.message, "exchange gateway error");
        }
        let body = json!({ "type": self.kind, "message": self.message, "detail": detail });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
        if let Ok(kind) = HeaderValue::from_str(self.kind) {
            headers.insert(X_ROAD_ERROR, kind);
        }
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// Headers X-Road leaves out of the request message it hashes.
fn skipped(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "transfer-encoding"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "upgrade"
            | "connection"
            | "pragma"
            | "user-agent"
            | "host"
            | "content-length"
            | "server"
            | "expect"
            | "x-road-request-hash"
    )
}

/// The request hash (see the module documentation); `generated_id` is the `X-Road-Id` the
/// exchange made up when the client sent none.
pub fn request_hash(
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    generated_id: Option<&str>,
    body: &[u8],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(256);
    message.extend_from_slice(method.as_bytes());
    message.extend_from_slice(b"\r\n");
    message.extend_from_slice(path_and_query.as_bytes());
    message.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if !skipped(name) {
            message.extend_from_slice(name.as_str().as_bytes());
            message.push(b':');
            message.extend_from_slice(value.as_bytes());
            message.extend_from_slice(b"\r\n");
        }
    }
    if let Some(id) = generated_id {
        message.extend_from_slice(b"x-road-id:");
        message.extend_from_slice(id.as_bytes());
        message.extend_from_slice(b"\r\n");
    }
    let head = sha512(&message);
    if body.is_empty() {
        return head;
    }
    let mut both = head;
    both.extend_from_slice(&sha512(body));
    sha512(&both)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_hash_covers_line_headers_and_body() {
        let mut headers = HeaderMap::new();
        headers.insert("x-road-client", HeaderValue::from_static("DL/GOV/70000003/tax-assessment"));
        headers.insert("host", HeaderValue::from_static("gateway.example"));
        let message = b"GET\r\n/r1/DL/GOV/70000001/population/persons/1?x=1\r\nx-road-client:DL/GOV/70000003/tax-assessment\r\nx-road-id:abc\r\n";
        let hash = request_hash("GET", "/r1/DL/GOV/70000001/population/persons/1?x=1", &headers, Some("abc"), b"");
        assert_eq!(hash, sha512(message), "host is skipped, the generated id appended");
        let with_body =
            request_hash("GET", "/r1/DL/GOV/70000001/population/persons/1?x=1", &headers, Some("abc"), b"{}");
        let mut both = sha512(message);
        both.extend_from_slice(&sha512(b"{}"));
        assert_eq!(with_body, sha512(&both));
        assert_eq!(hash.len(), 64);
    }

    #[test]
    fn client_errors_are_400_and_server_errors_500() {
        assert_eq!(XRoadError::bad_request("x").status, StatusCode::BAD_REQUEST);
        assert_eq!(XRoadError::denied("x").status, StatusCode::FORBIDDEN);
    }
}
