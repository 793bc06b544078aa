//! The identity block's pages: sign-up, sign-in, MFA, the account page (accounts), consent
//! and client management (oidc), identity proofing (proofing), and staff sign-in.

use std::sync::Arc;

use crate::service::Identity;

pub fn routes(_identity: Arc<Identity>) -> axum::Router {
    axum::Router::new()
}
