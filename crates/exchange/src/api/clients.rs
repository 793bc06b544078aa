//! OAuth clients of consumer subsystems and their public keys.

use axum::Json as AxumJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use publica_kernel::error::{ApiError, Json, Problem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{Client, ClientKey};
use crate::service::Caller;

#[derive(Serialize, ToSchema)]
pub struct ClientBody {
    pub client: Client,
}

#[derive(Serialize, ToSchema)]
pub struct ClientsBody {
    pub clients: Vec<Client>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientDetail {
    pub client: Client,
    pub keys: Vec<ClientKey>,
}

#[derive(Serialize, ToSchema)]
pub struct KeyBody {
    pub key: ClientKey,
}

#[derive(Serialize, ToSchema)]
pub struct KeysBody {
    pub keys: Vec<ClientKey>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// The consumer subsystem the client calls for (one of the caller's).
    pub subsystem_id: Uuid,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`): RSA of 2048 bits or more, or P-256.
    pub pem: Option<String>,
    /// Or the public key as a JWK (`kty` RSA or EC with `crv` P-256).
    #[schema(value_type = Option<Object>)]
    pub jwk: Option<Value>,
    /// The key id assertions name in their header; by default the JWK thumbprint (RFC 7638).
    pub kid: Option<String>,
}

/// The caller's clients.
#[utoipa::path(get, path = "/api/exchange/v1/clients", tag = "clients", operation_id = "list_clients",
    responses((status = 200, description = "The caller's clients", body = ClientsBody),
        (status = 401, description = "No or bad API key", body = Problem)))]
pub async fn list_clients(
    State(exchange): State<super::State>,
    caller: Caller,
) -> Result<AxumJson<ClientsBody>, ApiError> {
    Ok(AxumJson(ClientsBody { clients: exchange.clients(&caller).await? }))
}

/// Create a client for one of the caller's subsystems.
#[utoipa::path(post, path = "/api/exchange/v1/clients", tag = "clients", operation_id = "create_client",
    request_body = NewClient,
    responses((status = 201, description = "Created", body = ClientBody),
        (status = 422, description = "Invalid field", body = Problem)))]
pub async fn create_client(
    State(exchange): State<super::State>,
    caller: Caller,
    Json(body): Json<NewClient>,
) -> Result<impl IntoResponse, ApiError> {
    let client = exchange.create_client(&caller, body.subsystem_id, &body.name).await?;
    Ok((StatusCode::CREATED, AxumJson(ClientBody { client })))
}

/// One of the caller's clients with its keys.
#[utoipa::path(get, path = "/api/exchange/v1/clients/{id}", tag = "clients", operation_id = "get_client",
    params(("id" = Uuid, Path, description = "The client id")),
    responses((status = 200, description = "The client", body = ClientDetail),
        (status = 404, description = "No such client of the caller", body = Problem)))]
pub async fn get_client(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<ClientDetail>, ApiError> {
    let client = exchange.own_client(&caller, id).await?;
    let keys = exchange.client_keys(&caller, id).await?;
    Ok(AxumJson(ClientDetail { client, keys }))
}

/// A client's public keys.
#[utoipa::path(get, path = "/api/exchange/v1/clients/{id}/keys", tag = "clients", operation_id = "list_client_keys",
    params(("id" = Uuid, Path, description = "The client id")),
    responses((status = 200, description = "The keys", body = KeysBody),
        (status = 404, description = "No such client of the caller", body = Problem)))]
pub async fn list_keys(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<AxumJson<KeysBody>, ApiError> {
    Ok(AxumJson(KeysBody { keys: exchange.client_keys(&caller, id).await? }))
}

/// Register a public key for a client (PEM or JWK; RS256 or ES256).
#[utoipa::path(post, path = "/api/exchange/v1/clients/{id}/keys", tag = "clients", operation_id = "add_client_key",
    params(("id" = Uuid, Path, description = "The client id")),
    request_body = NewKey,
    responses((status = 201, description = "Registered", body = KeyBody),
        (status = 409, description = "The kid is taken", body = Problem),
        (status = 422, description = "Not an acceptable public key", body = Problem)))]
pub async fn add_key(
    State(exchange): State<super::State>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewKey>,
) -> Result<impl IntoResponse, ApiError> {
    let key = exchange.add_client_key(&caller, id, body.pem.as_deref(), body.jwk.as_ref(), body.kid.as_deref()).await?;
    Ok((StatusCode::CREATED, AxumJson(KeyBody { key })))
}

/// Remove a key: assertions signed with it are refused from now on.
#[utoipa::path(delete, path = "/api/exchange/v1/clients/{id}/keys/{kid}", tag = "clients", operation_id = "remove_client_key",
    params(("id" = Uuid, Path, description = "The client id"), ("kid" = String, Path, description = "The key id")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such key", body = Problem)))]
pub async fn remove_key(
    State(exchange): State<super::State>,
    caller: Caller,
    Path((id, kid)): Path<(Uuid, String)>,
) -> Result<StatusCode, ApiError> {
    exchange.remove_client_key(&caller, id, &kid).await?;
    Ok(StatusCode::NO_CONTENT)
}
