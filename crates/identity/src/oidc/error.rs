//! OAuth 2.0 error answers of the back-channel endpoints (token, PAR, introspection,
//! revocation): `{"error", "error_description"}` (RFC 6749 §5.2) with the status the code
//! calls for, and `WWW-Authenticate` on 401; userinfo's bearer-token errors (RFC 6750 §3).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An OAuth error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
}

/// The OAuth error envelope.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope` …
    pub error: String,
    pub error_description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError { error, description: description.into() }
    }
    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_request", description)
    }
    pub fn invalid_client(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_client", description)
    }
    pub fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_grant", description)
    }
    /// The provider itself failed (logged; the client may retry).
    pub fn server(error: publica_kernel::error::Error) -> OAuthError {
        tracing::error!(error = %error, "identity provider endpoint");
        let retry = matches!(error, publica_kernel::error::Error::Unavailable(_));
        OAuthError::new(
            if retry { "temporarily_unavailable" } else { "server_error" },
            "the identity provider cannot answer right now; retry shortly",
        )
    }

    pub fn status(&self) -> StatusCode {
        match self.error {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<publica_kernel::db::DbError> for OAuthError {
    fn from(error: publica_kernel::db::DbError) -> Self {
        OAuthError::server(error.into())
    }
}

impl From<publica_kernel::error::Error> for OAuthError {
    fn from(error: publica_kernel::error::Error) -> Self {
        OAuthError::server(error)
    }
}

/// An `error_description` in the characters RFC 6749 allows (§5.2: printable ASCII but `"`
/// and `\`), whatever a description quotes from the request.
pub fn description_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '\u{2018}' | '\u{2019}' | '\u{201c}' | '\u{201d}' => out.push('\''),
            '\\' => out.push('/'),
            '\u{2026}' => out.push_str("..."),
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Headers every answer of a token-bearing endpoint carries (RFC 6749 §5.1).
pub fn no_store(response: &mut Response) {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody { error: self.error.to_string(), error_description: description_text(&self.description) };
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"publica-identity\""));
        }
        no_store(&mut response);
        response
    }
}

/// A bearer-token error of userinfo (RFC 6750 §3.1): 401 with the error in `WWW-Authenticate`.
pub fn bearer_error(status: StatusCode, error: &'static str, description: &str) -> Response {
    let description = description_text(description);
    let challenge =
        format!("Bearer realm=\"publica-identity\", error=\"{error}\", error_description=\"{description}\"");
    let body = ErrorBody { error: error.to_string(), error_description: description };
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    no_store(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_keep_to_the_characters_rfc_6749_allows() {
        let text = description_text("vtr must be e.g. [\"Cl\"] \\ the person\u{2019}s \u{e9}t\u{e9}\u{2026}\n");
        assert_eq!(text, "vtr must be e.g. ['Cl'] / the person's ?t?...?");
        assert!(text.bytes().all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)));
    }
}
