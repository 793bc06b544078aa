//! Errors of the GovStack data API. The specification defines one error body, the read's
//! `404 {"detail": "no record found"}`, answered as it is; every other error is problem+json
//! (whose `detail` is the message), with invalid input answered `400` as GovStack's
//! descriptions and conformance tests expect, and the field at fault named in `errors`.

use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::error::{Error, Problem, parse_json};

/// An error answered by the GovStack data API.
#[derive(Debug)]
pub enum GovError {
    Error(Error),
    /// `read` found nothing: the specification's own body.
    NoRecord,
}

impl<E: Into<Error>> From<E> for GovError {
    fn from(error: E) -> Self {
        GovError::Error(error.into())
    }
}

impl GovError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> GovError {
        GovError::Error(Error::invalid(field, message))
    }

    /// Name a field of a record relative to the request body: `/national_id` in `write.content`
    /// becomes `write.content/national_id`.
    pub fn within(self, prefix: &str) -> GovError {
        match self {
            GovError::Error(Error::Invalid { field, message }) if field.starts_with('/') => {
                GovError::Error(Error::Invalid { field: format!("{prefix}{field}"), message })
            }
            other => other,
        }
    }
}

impl IntoResponse for GovError {
    fn into_response(self) -> Response {
        let error = match self {
            GovError::NoRecord => {
                return (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({"detail": "no record found"})))
                    .into_response();
            }
            GovError::Error(error) => error,
        };
        if matches!(error, Error::Internal(_)) {
            tracing::error!(error = %error, "internal error");
        }
        let mut problem = Problem::from_error(&error);
        let status = match error {
            Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            ref other => other.status(),
        };
        problem.status = status.as_u16();
        problem.title = status.canonical_reason().unwrap_or("Error").to_string();
        let mut response = (status, axum::Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if matches!(error, Error::Unavailable(_)) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

/// A JSON request body; a body that does not parse is a `400` naming the field at fault.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = GovError;

    async fn from_request(req: Request, state: &S) -> Result<Self, GovError> {
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::TooLarge("the body is larger than this server accepts (http.body_limit_bytes)".into())
            } else {
                Error::invalid("body", e.body_text())
            }
        })?;
        if bytes.is_empty() {
            return Err(GovError::invalid("body", "send a JSON body"));
        }
        Ok(Body(parse_json(&bytes)?))
    }
}
