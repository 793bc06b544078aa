//! Notify's error envelope, `{"status_code": 400, "errors": [{"error": "ValidationError",
//! "message": "…"}]}`, and the one mapping from kernel errors to it.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use publica_kernel::error::Error;
use serde_json::json;

/// An error as Notify reports it: a status and one or more `(error, message)` pairs.
#[derive(Debug, Clone)]
pub struct NotifyError {
    pub status: StatusCode,
    pub errors: Vec<(&'static str, String)>,
    /// Seconds to wait, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl NotifyError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        NotifyError { status, errors: vec![(error, message.into())], retry_after: None }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }
    /// Several schema failures at once, as jsonschema reports them (duplicates removed).
    pub fn validations(messages: Vec<String>) -> Self {
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        for m in messages {
            if !errors.iter().any(|(_, e)| *e == m) {
                errors.push(("ValidationError", m));
            }
        }
        NotifyError { status: StatusCode::BAD_REQUEST, errors, retry_after: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequestError", message)
    }
    pub fn auth(status: StatusCode, message: impl Into<String>) -> Self {
        Self::new(status, "AuthError", message)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NoResultFound", "No result found")
    }
    pub fn rate_limited(message: impl Into<String>) -> Self {
        NotifyError { retry_after: Some(60), ..Self::new(StatusCode::TOO_MANY_REQUESTS, "RateLimitError", message) }
    }
    pub fn daily_limit(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsError", message)
    }
    pub fn message(&self) -> &str {
        self.errors.first().map(|(_, m)| m.as_str()).unwrap_or_default()
    }
}

impl From<Error> for NotifyError {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid { field, message } => NotifyError::validation(format!("{field} {message}")),
            Error::NotFound(_) => NotifyError::not_found(),
            Error::Unauthenticated(m) => NotifyError::auth(StatusCode::FORBIDDEN, m),
            Error::Forbidden(m) => NotifyError::new(StatusCode::FORBIDDEN, "BadRequestError", m),
            Error::Conflict(m) => NotifyError::bad_request(m),
            Error::TooManyRequests(m) => NotifyError::daily_limit(m),
            Error::TooLarge(m) => NotifyError::new(StatusCode::PAYLOAD_TOO_LARGE, "BadRequestError", m),
            Error::Unavailable(m) => NotifyError {
                retry_after: Some(5),
                ..NotifyError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", m)
            },
            Error::Internal(m) => {
                tracing::error!(error = %m, "notify API internal error");
                NotifyError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "Internal server error")
            }
        }
    }
}

impl From<publica_kernel::db::DbError> for NotifyError {
    fn from(error: publica_kernel::db::DbError) -> Self {
        NotifyError::from(Error::from(error))
    }
}

impl IntoResponse for NotifyError {
    fn into_response(self) -> Response {
        let errors: Vec<_> = self.errors.iter().map(|(e, m)| json!({"error": e, "message": m})).collect();
        let body = json!({"status_code": self.status.as_u16(), "errors": errors});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, NotifyError>;
