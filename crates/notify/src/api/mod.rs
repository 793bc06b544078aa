//! The GOV.UK Notify API v2 at the root paths `/v2/...` (the official clients drop any path
//! prefix of their base URL), GC Notify's bulk extension, and the endpoints providers call back.

pub mod auth;
pub mod error;
pub mod notifications;
pub mod openapi;
mod providers;
pub mod schema;
mod templates;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};
use publica_kernel::Kernel;

use self::auth::Caller;
use self::error::NotifyError;
use crate::service::Notify;

/// The state of every handler.
pub type State = Arc<Notify>;

pub fn routes(kernel: &Kernel) -> Router {
    let Some(notify) = kernel.get::<Notify>() else {
        return Router::new();
    };
    Router::new()
        .route("/v2/notifications/email", post(notifications::send_email))
        .route("/v2/notifications/sms", post(notifications::send_sms))
        .route("/v2/notifications/letter", post(notifications::send_letter))
        .route("/v2/notifications/bulk", post(notifications::bulk))
        .route("/v2/notifications", get(notifications::list))
        .route("/v2/notifications/{id}", get(notifications::get_one))
        .route("/v2/notifications/{id}/pdf", get(notifications::pdf))
        .route("/v2/template/{id}", get(templates::get_latest))
        .route("/v2/template/{id}/version/{version}", get(templates::get_version))
        .route("/v2/template/{id}/preview", post(templates::preview))
        .route("/v2/templates", get(templates::list))
        .route("/v2/received-text-messages", get(templates::received_texts))
        .route("/notify/providers/sms/receipts", post(providers::sms_receipt))
        .route("/notify/providers/sms/inbound", post(providers::sms_inbound))
        .with_state(notify)
}

impl FromRequestParts<State> for Caller {
    type Rejection = NotifyError;

    async fn from_request_parts(parts: &mut Parts, notify: &State) -> Result<Caller, NotifyError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        auth::authenticate(notify, header, now).await
    }
}

/// The root the client called, for the `uri` and `links` fields (as Notify's `url_root`).
pub struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Base, Self::Rejection> {
        let host = parts.headers.get(axum::http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
        let proto = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .filter(|p| *p == "https")
            .unwrap_or("http");
        Ok(Base(format!("{proto}://{host}")))
    }
}
