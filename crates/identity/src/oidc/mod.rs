//! The OpenID Connect provider: discovery, clients, the authorization endpoint and its
//! interactions, the token endpoint, userinfo, introspection, revocation and logout.

use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::error::Result;
use publica_kernel::jobs::JobHandler;

use crate::config::IdentityConfig;
use crate::service::Identity;

/// Run-time state of the provider (caches of clients, …).
pub struct State {}

impl State {
    pub fn new(_kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        Ok(State {})
    }
}

/// The provider's protocol endpoints (no CSRF: they are called by clients and by browsers
/// redirected from clients).
pub fn routes(_identity: Arc<Identity>) -> axum::Router {
    axum::Router::new()
}

/// The OpenAPI document of the client-management API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApiBuilder::new()
        .info(utoipa::openapi::InfoBuilder::new().title("Publica identity").version("1").build())
        .build()
}

pub fn job_handlers(_identity: &Arc<Identity>) -> Vec<Arc<dyn JobHandler>> {
    Vec::new()
}

pub async fn housekeeping(_identity: &Identity) -> Result<()> {
    Ok(())
}
