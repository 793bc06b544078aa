//! The identity block's pages, gathered from its parts: sign-up, sign-in, MFA and the account
//! page (accounts), consent and client management (oidc), identity proofing and staff
//! sign-in (proofing).

use std::sync::Arc;

use crate::service::Identity;

pub fn routes(identity: Arc<Identity>) -> axum::Router {
    crate::accounts::page_routes(identity.clone())
        .merge(crate::oidc::page_routes(identity.clone()))
        .merge(crate::proofing::page_routes(identity))
}
