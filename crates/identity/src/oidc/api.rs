//! The client-management API (`/api/identity/v1/clients`), authenticated by API keys of the
//! `identity` block: an organisation manages its own clients (the platform operator's keys
//! every organisation's). Errors are problem+json naming the field. The OpenAPI document also
//! describes the provider's protocol endpoints.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use publica_kernel::error::{ApiError, Json, Problem};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::authorize::PushedResponse;
use super::client::{AuthMethod, Client, ClientSettings, GrantType, NewClient, Simulate, SubjectType};
use super::clients::Manager;
use super::error::ErrorBody;
use super::store::clients::StoredClient;
use super::token::TokenResponse;
use crate::service::Identity;

pub const PREFIX: &str = "/api/identity/v1";

pub fn routes(identity: Arc<Identity>) -> Router {
    let p = |path: &str| format!("{PREFIX}{path}");
    Router::new()
        .route(&p("/clients"), get(list).post(create))
        .route(&p("/clients/{client_id}"), get(show).put(update).delete(remove))
        .route(&p("/clients/{client_id}/secret"), post(rotate))
        .with_state(identity)
}

/// The caller, from its `identity` API key.
pub struct Caller(pub Manager);

impl FromRequestParts<Arc<Identity>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, identity: &Arc<Identity>) -> Result<Caller, ApiError> {
        let key = publica_kernel::api::authenticate(identity.kernel(), parts, "identity").await?;
        Ok(Caller(Manager::of_org(key.actor(), key.org_id, key.org_kind)))
    }
}

/// A client as the API shows it: its settings and the resources it may ask its own tokens for.
#[derive(Serialize, ToSchema)]
pub struct ClientView {
    #[serde(flatten)]
    pub client: Client,
    /// Resource servers (RFC 8707) the client may name in `resource` when it asks a token for
    /// itself (`client_credentials`); that token's `aud`.
    pub resources: Vec<String>,
}

impl From<StoredClient> for ClientView {
    fn from(stored: StoredClient) -> ClientView {
        ClientView { client: stored.client, resources: stored.resources }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClientsBody {
    pub clients: Vec<ClientView>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientBody {
    pub client: ClientView,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedClient {
    pub client: ClientView,
    /// The secret, shown this once (clients that authenticate with one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SecretBody {
    pub client_id: String,
    /// The new secret, shown this once; the old one no longer works.
    pub client_secret: String,
}

/// A client to register: its settings, optionally a chosen client id and secret (to move a
/// client from another provider), and for the platform operator's keys the organisation it
/// is for.
#[derive(Deserialize, ToSchema)]
pub struct CreateClient {
    #[serde(flatten)]
    pub settings: ClientSettings,
    /// A chosen client id (letters, digits, `-._~`, 3 to 100 characters); random otherwise.
    #[serde(default)]
    pub client_id: Option<String>,
    /// A chosen secret (at least 32 characters); random otherwise.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The owning organisation (platform operator only; by default the caller's).
    #[serde(default)]
    pub org_id: Option<Uuid>,
    /// Resource servers (RFC 8707: absolute URIs, no fragment, at most 20) the client may ask
    /// its own access tokens for (`client_credentials` with `resource`); none by default.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Anything else, refused.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// New settings for a client, and (when present) its resources.
#[derive(Deserialize, ToSchema)]
pub struct UpdateClient {
    #[serde(flatten)]
    pub settings: ClientSettings,
    /// Resource servers the client may ask its own access tokens for; unchanged when absent.
    #[serde(default)]
    pub resources: Option<Vec<String>>,
    /// Anything else, refused.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// The caller's clients (every client for the platform operator).
#[utoipa::path(get, path = "/api/identity/v1/clients", tag = "clients", operation_id = "list_clients",
    responses((status = 200, description = "Clients", body = ClientsBody), (status = 401, description = "No or bad API key", body = Problem)))]
async fn list(State(identity): State<Arc<Identity>>, Caller(by): Caller) -> Result<axum::Json<ClientsBody>, ApiError> {
    let clients = identity.stored_clients(&by).await?.into_iter().map(ClientView::from).collect();
    Ok(axum::Json(ClientsBody { clients }))
}

/// Register a client; the response is the only time its secret is shown.
#[utoipa::path(post, path = "/api/identity/v1/clients", tag = "clients", operation_id = "create_client", request_body = CreateClient,
    responses((status = 201, description = "Registered", body = CreatedClient), (status = 409, description = "The client_id is taken", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)))]
async fn create(
    State(identity): State<Arc<Identity>>,
    Caller(by): Caller,
    Json(body): Json<CreateClient>,
) -> Result<impl IntoResponse, ApiError> {
    let org_id = match (body.org_id, by.org_id) {
        (Some(org), _) => org,
        (None, Some(own)) => own,
        (None, None) => {
            return Err(publica_kernel::error::Error::invalid("org_id", "name the owning organisation").into());
        }
    };
    if let Some(field) = body.unknown.keys().next() {
        return Err(publica_kernel::error::Error::invalid(field.as_str(), "is not a field of a client").into());
    }
    let new = NewClient { settings: body.settings, client_id: body.client_id, client_secret: body.client_secret };
    let (client, client_secret) = identity.register_client_with_resources(&by, org_id, new, &body.resources).await?;
    let client = identity.managed_stored_client(&by, &client.client_id).await?.into();
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(CreatedClient { client, client_secret }),
    ))
}

/// One client.
#[utoipa::path(get, path = "/api/identity/v1/clients/{client_id}", tag = "clients", operation_id = "get_client",
    params(("client_id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The client", body = ClientBody), (status = 404, description = "No such client of the caller", body = Problem)))]
async fn show(
    State(identity): State<Arc<Identity>>,
    Caller(by): Caller,
    Path(client_id): Path<String>,
) -> Result<axum::Json<ClientBody>, ApiError> {
    Ok(axum::Json(ClientBody { client: identity.managed_stored_client(&by, &client_id).await?.into() }))
}

/// Replace a client's settings.
#[utoipa::path(put, path = "/api/identity/v1/clients/{client_id}", tag = "clients", operation_id = "update_client",
    params(("client_id" = String, Path, description = "The client id")), request_body = UpdateClient,
    responses((status = 200, description = "Updated", body = ClientBody), (status = 404, description = "No such client of the caller", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)))]
async fn update(
    State(identity): State<Arc<Identity>>,
    Caller(by): Caller,
    Path(client_id): Path<String>,
    Json(body): Json<UpdateClient>,
) -> Result<axum::Json<ClientBody>, ApiError> {
    if let Some(field) = body.unknown.keys().next() {
        return Err(publica_kernel::error::Error::invalid(field.as_str(), "is not a field of a client").into());
    }
    identity.update_client(&by, &client_id, body.settings, body.resources.as_deref()).await?;
    Ok(axum::Json(ClientBody { client: identity.managed_stored_client(&by, &client_id).await?.into() }))
}

/// Delete a client with every token and consent issued to it.
#[utoipa::path(delete, path = "/api/identity/v1/clients/{client_id}", tag = "clients", operation_id = "delete_client",
    params(("client_id" = String, Path, description = "The client id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such client of the caller", body = Problem)))]
async fn remove(
    State(identity): State<Arc<Identity>>,
    Caller(by): Caller,
    Path(client_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity.delete_client(&by, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give the client a new secret (shown this once).
#[utoipa::path(post, path = "/api/identity/v1/clients/{client_id}/secret", tag = "clients", operation_id = "rotate_client_secret",
    params(("client_id" = String, Path, description = "The client id")),
    responses((status = 200, description = "The new secret", body = SecretBody), (status = 404, description = "No such client of the caller", body = Problem),
        (status = 409, description = "The client uses no secret", body = Problem)))]
async fn rotate(
    State(identity): State<Arc<Identity>>,
    Caller(by): Caller,
    Path(client_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let client_secret = identity.rotate_client_secret(&by, &client_id).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(SecretBody { client_id, client_secret })))
}

/// The token request (`application/x-www-form-urlencoded`): `grant_type` and its parameters,
/// with client authentication (Basic, `client_secret`, or `client_assertion` with
/// `client_assertion_type`).
#[derive(ToSchema)]
#[allow(dead_code)]
struct TokenRequest {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// Issue tokens (OpenID Connect Core §3.1.3, RFC 6749 §4.1.3, §6 and §4.4).
#[utoipa::path(post, path = "/identity/token", tag = "openid-connect", operation_id = "token", security(()),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Tokens", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`", body = ErrorBody),
        (status = 401, description = "`invalid_client`", body = ErrorBody)))]
#[allow(dead_code)]
fn token_endpoint() {}

/// Push an authorization request (RFC 9126); use the `request_uri` at `/identity/authorize`.
#[utoipa::path(post, path = "/identity/par", tag = "openid-connect", operation_id = "push_authorization_request", security(()),
    responses((status = 201, description = "Stored for 60 seconds, single use", body = PushedResponse),
        (status = 400, description = "The request is invalid", body = ErrorBody), (status = 401, description = "`invalid_client`", body = ErrorBody)))]
#[allow(dead_code)]
fn par_endpoint() {}

/// The claims of the access token's person (`Authorization: Bearer`); JSON, or a JWT when the
/// client registered `userinfo_signed_response_alg`.
#[utoipa::path(get, path = "/identity/userinfo", tag = "openid-connect", operation_id = "userinfo", security(()),
    responses((status = 200, description = "Claims (`sub` and those the scopes and claims parameter ask for)"),
        (status = 401, description = "`invalid_token` (see `WWW-Authenticate`)", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody)))]
#[allow(dead_code)]
fn userinfo_endpoint() {}

/// Introspect a token of the calling client (RFC 7662).
#[utoipa::path(post, path = "/identity/introspect", tag = "openid-connect", operation_id = "introspect", security(()),
    responses((status = 200, description = "`{\"active\": true, …}` or `{\"active\": false}`"), (status = 401, description = "`invalid_client`", body = ErrorBody)))]
#[allow(dead_code)]
fn introspect_endpoint() {}

/// Revoke a token of the calling client (RFC 7009): always 200.
#[utoipa::path(post, path = "/identity/revoke", tag = "openid-connect", operation_id = "revoke", security(()),
    responses((status = 200, description = "Revoked, or unknown"), (status = 401, description = "`invalid_client`", body = ErrorBody)))]
#[allow(dead_code)]
fn revoke_endpoint() {}

/// The provider's configuration (OpenID Connect Discovery 1.0).
#[utoipa::path(get, path = "/identity/.well-known/openid-configuration", tag = "openid-connect", operation_id = "discovery", security(()),
    responses((status = 200, description = "The discovery document")))]
#[allow(dead_code)]
fn discovery_endpoint() {}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Publica identity API",
        description = "Client management for the OpenID Connect provider, and the provider's protocol endpoints."
    ),
    paths(list, create, show, update, remove, rotate, discovery_endpoint, token_endpoint, par_endpoint, userinfo_endpoint,
        introspect_endpoint, revoke_endpoint),
    components(schemas(Problem, Client, ClientView, ClientsBody, ClientBody, CreatedClient, SecretBody, CreateClient, UpdateClient, ClientSettings,
        AuthMethod, SubjectType, GrantType, Simulate, TokenRequest, TokenResponse, PushedResponse, ErrorBody)),
    modifiers(&BearerAuth),
    security(("api_key" = []))
)]
pub struct IdentityApi;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key of the identity block"))
                    .build(),
            ),
        );
    }
}
