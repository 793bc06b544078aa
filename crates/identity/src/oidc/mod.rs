//! The OpenID Connect provider: discovery, clients, the authorization endpoint and its
//! interactions, the token endpoint, userinfo, introspection, revocation and logout.
//!
//! For the other parts of the block:
//! - accounts: [`Identity::connected_services`], [`Identity::revoke_connected_service`] and
//!   [`Identity::oidc_data_of`] for the account page; [`Identity::backchannel_logout`] to call
//!   when a browser session ends (sign-out, sign out everywhere), so that the clients it signed
//!   in to hear of it; [`Identity::form_action_origins`] for the sign-in page's
//!   `Content-Security-Policy` (a form whose answer redirects to a client must list its origin
//!   in `form-action`). The sign-in page receives `return_to`, `force`, `aal`, `login_hint` and
//!   `ui_locales` (space-separated language tags, the first Publica speaks should be the page's
//!   language) from [`flow`].
//! - the demo: [`Identity::register_client`] with [`clients::Manager::operator`] and a
//!   [`NewClient`] whose `client_id` and `client_secret` are chosen:
//!
//! ```no_run
//! # async fn demo(identity: &publica_identity::Identity, org: uuid::Uuid) -> publica_kernel::error::Result<()> {
//! use publica_identity::oidc::{ClientSettings, Manager, NewClient};
//! let mut new = NewClient::new(ClientSettings::new("Demoland Tax Office", &["http://127.0.0.1:8400/callback"]));
//! new.client_id = Some("demo-tax-office".into());
//! new.client_secret = Some("a chosen secret of at least 32 characters".into());
//! let (client, secret) = identity.register_client(&Manager::operator(), org, new).await?;
//! # Ok(()) }
//! ```
//!
//! Registering the same `client_id` twice is a `Conflict`; the demo can read it back with
//! [`Identity::client`] first.

pub mod api;
pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_auth;
mod client_pages;
pub mod clients;
mod consent;
pub mod decide;
pub mod discovery;
pub mod error;
pub mod flow;
pub mod introspect;
pub mod jwt;
pub mod levels;
pub mod logout;
pub mod pages;
pub mod request;
pub mod store;
pub mod token;
pub mod userinfo;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use publica_kernel::Kernel;
use publica_kernel::audit::Event;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::JobHandler;
use serde_json::json;
use uuid::Uuid;

pub use client::{AuthMethod, Client, ClientSettings, GrantType, NewClient, Simulate, SubjectType};
pub use clients::Manager;

use crate::accounts::Origin;
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
    /// The clients this account has consented to, oldest first.
    pub async fn connected_services(&self, account_id: Uuid) -> Result<Vec<ConnectedService>> {
        let mut out = Vec::new();
        for consent in store::people::consents_of(self.kernel.db(), account_id).await? {
            let Some(client) = store::clients::get(self.kernel.db(), &consent.client_id).await? else { continue };
            out.push(ConnectedService {
                client_id: consent.client_id,
                client_name: client.client.name,
                scopes: consent.scopes,
                granted_at: consent.granted_at,
            });
        }
        Ok(out)
    }

    /// Withdraw consent for a client: its refresh and access tokens for this account stop
    /// working, and the next sign-in asks for consent again.
    pub async fn revoke_connected_service(&self, account_id: Uuid, client_id: &str) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        let had_consent = store::people::delete_consent(&mut tx, account_id, client_id).await?;
        let revoked = store::tokens::revoke_account_client(&mut tx, account_id, client_id, now).await?;
        if !had_consent && revoked == 0 {
            return Err(Error::not_found(format!("a connection to {client_id}")));
        }
        let org = store::clients::get(self.kernel.db(), client_id).await?.map(|c| c.client.org_id);
        let mut event = Event::new(&flow::person(account_id), "identity.consent.revoked", "oidc_client", client_id)
            .details(json!({ "tokens_revoked": revoked }));
        if let Some(org) = org {
            event = event.org(org);
        }
        self.kernel.audit(&mut tx, event).await?;
        tx.commit().await?;
        self.record_activity(account_id, "oidc.consent-revoked", json!({ "client_id": client_id }), &Origin::default())
            .await
    }

    /// What the provider holds about this account, for the person's data download: consents,
    /// the subject identifier each client knows them by, recent sign-ins to clients, and live
    /// refresh tokens (never the tokens themselves).
    pub async fn oidc_data_of(&self, account_id: Uuid) -> Result<serde_json::Value> {
        let db = self.kernel.db();
        let mut consents = Vec::new();
        for c in store::people::consents_of(db, account_id).await? {
            let client = store::clients::get(db, &c.client_id).await?.map(|s| s.client);
            consents.push(json!({
                "client_id": c.client_id,
                "client_name": client.as_ref().map(|c| c.name.clone()),
                "subject": client.as_ref().map(|cl| self.subject_for(cl, account_id)),
                "scopes": c.scopes,
                "claims": c.claims,
                "granted_at": c.granted_at,
                "updated_at": c.updated_at,
            }));
        }
        let sign_ins: Vec<serde_json::Value> = store::people::logins_of(db, account_id)
            .await?
            .into_iter()
            .map(|l| json!({ "client_id": l.client_id, "at": l.created_at }))
            .collect();
        let refresh_tokens: Vec<serde_json::Value> = store::tokens::live_refresh_of(db, account_id, Timestamp::now())
            .await?
            .into_iter()
            .map(|(client_id, created_at, expires_at)| json!({ "client_id": client_id, "created_at": created_at, "expires_at": expires_at }))
            .collect();
        Ok(json!({ "consents": consents, "sign_ins": sign_ins, "refresh_tokens": refresh_tokens }))
    }

    /// The client origins a page's `form-action` must allow when its form's answer continues
    /// to `return_to` (an authorization in progress ends with a redirect to the client).
    /// A page of the sign-in flow (sign-in, second factor, set-up, proofing) whose form ends,
    /// through `return_to`, at a client's redirect URI: let its forms lead there.
    pub async fn leading_to_client(
        &self,
        return_to: &str,
        mut response: axum::response::Response,
    ) -> axum::response::Response {
        let origins = self.form_action_origins(return_to).await;
        if !origins.is_empty() {
            pages::allow_form_targets(&mut response, &origins);
        }
        response
    }

    pub async fn form_action_origins(&self, return_to: &str) -> Vec<String> {
        let Some(id) = return_to.strip_prefix("/identity/authorize/continue/") else { return Vec::new() };
        let Ok(Some(interaction)) = store::flow::interaction(self.kernel.db(), id).await else { return Vec::new() };
        match store::clients::get(self.kernel.db(), &interaction.client_id).await {
            Ok(Some(stored)) => stored.client.redirect_origins(),
            _ => Vec::new(),
        }
    }
}

/// Run-time state of the provider: keys derived from the master key.
pub struct State {
    /// The salt of pairwise subject identifiers.
    pub(crate) pairwise_salt: [u8; 32],
    /// The key of per-client session ids (`sid`).
    pub(crate) sid_key: [u8; 32],
}

impl State {
    pub fn new(kernel: &Kernel, _config: &IdentityConfig) -> Result<State> {
        let master = kernel.keys().master();
        Ok(State {
            pairwise_salt: master.derive("publica-identity-pairwise-v1"),
            sid_key: master.derive("publica-identity-sid-v1"),
        })
    }
}

/// The provider's protocol endpoints and client-management API (no CSRF: they are called
/// by clients, and by browsers posting forms from clients).
pub fn routes(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/identity/.well-known/openid-configuration", get(discovery::configuration))
        .route("/identity/trustmark", get(discovery::trustmark))
        .route("/identity/authorize", post(authorize::post))
        .route("/identity/par", post(authorize::par))
        .route("/identity/token", post(token::endpoint))
        .route("/identity/userinfo", get(userinfo::endpoint).post(userinfo::endpoint))
        .route("/identity/introspect", post(introspect::introspect_endpoint))
        .route("/identity/revoke", post(introspect::revoke_endpoint))
        .route("/identity/logout", post(logout::post))
        .with_state(identity.clone())
        .merge(api::routes(identity))
}

/// The provider's pages (the page layer gives them the language and checks CSRF on POST):
/// the authorization endpoint's GET (its errors are pages), the consent page, logout
/// confirmation, and staff management of clients.
pub fn page_routes(identity: Arc<Identity>) -> Router {
    Router::new()
        .route("/identity/authorize", get(authorize::get))
        .route("/identity/authorize/problem", get(authorize::problem))
        .route("/identity/authorize/continue/{interaction}", get(authorize::resume))
        .route("/identity/consent/{interaction}", get(consent::show).post(consent::decide))
        .route("/identity/logout", get(logout::get))
        .route("/identity/logout/confirm", post(logout::confirm))
        .route("/identity/clients", get(client_pages::list).post(client_pages::create))
        .route("/identity/clients/new", get(client_pages::new))
        .route("/identity/clients/{client_id}", get(client_pages::edit).post(client_pages::update))
        .route("/identity/clients/{client_id}/rotate", post(client_pages::rotate))
        .route("/identity/clients/{client_id}/delete", post(client_pages::delete))
        .with_state(pages::Pages::new(identity))
}

/// The OpenAPI document of the client-management API and the protocol endpoints.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <api::IdentityApi as utoipa::OpenApi>::openapi()
}

pub fn job_handlers(identity: &Arc<Identity>) -> Vec<Arc<dyn JobHandler>> {
    vec![Arc::new(logout::BackchannelJob::new(identity.clone()))]
}

/// Purge expired interactions, pushed requests, codes, tokens and used assertions, and the
/// sessions' client lists past the sessions' absolute timeout.
pub async fn housekeeping(identity: &Identity) -> Result<()> {
    let db = identity.kernel.db();
    let now = Timestamp::now();
    let mut purged = store::flow::purge(db, now).await?;
    purged += store::tokens::purge(db, now).await?;
    let sessions_over = now.plus(time::Duration::minutes(-identity.config.session_absolute_minutes - 60));
    purged += store::people::purge_logins(db, sessions_over).await?;
    if purged > 0 {
        tracing::debug!(purged, "identity provider housekeeping");
    }
    Ok(())
}
