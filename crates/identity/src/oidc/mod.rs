//! The OpenID Connect provider: discovery, clients, the authorization endpoint and its
//! interactions, the token endpoint, userinfo, introspection, revocation and logout.

use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::error::Result;
use publica_kernel::jobs::JobHandler;

use uuid::Uuid;

use crate::config::IdentityConfig;
use crate::service::Identity;

/// A client the person has granted access to, for their account page.
#[derive(Clone, Debug)]
pub struct ConnectedService {
    pub client_id: String,
    pub client_name: String,
    /// The claims or scopes consented to.
    pub scopes: Vec<String>,
    pub granted_at: publica_kernel::db::Timestamp,
}

impl Identity {
    /// The clients this account has consented to.
    pub async fn connected_services(&self, _account_id: Uuid) -> Result<Vec<ConnectedService>> {
        Ok(Vec::new())
    }

    /// Withdraw consent for a client: its refresh and access tokens for this account stop
    /// working, and the next sign-in asks for consent again.
    pub async fn revoke_connected_service(&self, _account_id: Uuid, _client_id: &str) -> Result<()> {
        Ok(())
    }

    /// What the provider holds about this account, for the person's data download.
    pub async fn oidc_data_of(&self, _account_id: Uuid) -> Result<serde_json::Value> {
        Ok(serde_json::json!({}))
    }
}

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

/// This part's pages (cookie sessions, CSRF-checked by the kernel's page layer).
pub fn page_routes(_identity: std::sync::Arc<Identity>) -> axum::Router {
    axum::Router::new()
}
