//! The kernel's JSON API (`/api/kernel/v1`): an organisation manages its members and API keys
//! and reads its audit log; the platform operator manages organisations. Authenticated by an
//! API key of the `kernel` block; errors are problem+json.

use axum::extract::{FromRef, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json as AxumJson, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

use crate::Kernel;
use crate::audit::Entry;
use crate::domain::{Email, OrgKind, Roles, Slug};
use crate::error::{ApiError, Error, Json, Problem};
use crate::orgs::{ApiKey, ApiPrincipal, Member, Organisation};

#[derive(OpenApi)]
#[openapi(
    info(title = "Publica kernel API", description = "Organisations, members, API keys and the audit log."),
    paths(own_organisation, list_organisations, create_organisation, list_members, add_member, list_api_keys, create_api_key, revoke_api_key, list_audit),
    components(schemas(Organisation, Member, ApiKey, Entry, Problem, NewOrganisation, NewMember, NewApiKey, CreatedApiKey)),
    modifiers(&BearerAuth),
    security(("api_key" = []))
)]
pub struct KernelApi;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        openapi.components.get_or_insert_with(Default::default).add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key of the kernel block"))
                    .build(),
            ),
        );
    }
}

pub fn routes(kernel: Kernel) -> Router {
    Router::new()
        .route("/api/kernel/v1/organisation", get(own_organisation))
        .route("/api/kernel/v1/organisations", get(list_organisations).post(create_organisation))
        .route("/api/kernel/v1/members", get(list_members).post(add_member))
        .route("/api/kernel/v1/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api/kernel/v1/api-keys/{id}", delete(revoke_api_key))
        .route("/api/kernel/v1/audit", get(list_audit))
        .with_state(kernel)
}

/// The caller of a block's API, authenticated by `Authorization: Bearer <API key>`.
pub struct BearerKey(pub ApiPrincipal);

/// Authenticate a bearer API key for `block`; every block's API uses this.
pub async fn authenticate(kernel: &Kernel, parts: &Parts, block: &str) -> Result<ApiPrincipal, Error> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| Error::Unauthenticated("send `Authorization: Bearer <API key>`".into()))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Unauthenticated("the Authorization header must be `Bearer <API key>`".into()))?;
    kernel.authenticate_api_key(token, block).await
}

impl<S: Send + Sync> FromRequestParts<S> for BearerKey
where
    Kernel: FromRef<S>,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let kernel = Kernel::from_ref(state);
        Ok(BearerKey(authenticate(&kernel, parts, "kernel").await?))
    }
}

fn require_platform(key: &ApiPrincipal) -> Result<(), Error> {
    if key.org_kind == OrgKind::Platform {
        Ok(())
    } else {
        Err(Error::Forbidden("only the platform operator's keys manage organisations".into()))
    }
}

#[derive(Serialize, ToSchema)]
struct OrganisationBody {
    organisation: Organisation,
}

/// The organisation the API key belongs to.
#[utoipa::path(get, path = "/api/kernel/v1/organisation", tag = "organisations", operation_id = "get_own_organisation",
    responses((status = 200, description = "The key's organisation", body = OrganisationBody), (status = 401, description = "No or bad API key", body = Problem)))]
async fn own_organisation(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
) -> Result<AxumJson<OrganisationBody>, ApiError> {
    Ok(AxumJson(OrganisationBody { organisation: kernel.organisation(key.org_id).await? }))
}

#[derive(Serialize, ToSchema)]
struct OrganisationsBody {
    organisations: Vec<Organisation>,
}

/// Every organisation (platform operator only).
#[utoipa::path(get, path = "/api/kernel/v1/organisations", tag = "organisations", operation_id = "list_organisations",
    responses((status = 200, description = "All organisations", body = OrganisationsBody), (status = 403, description = "Not the platform operator", body = Problem)))]
async fn list_organisations(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
) -> Result<AxumJson<OrganisationsBody>, ApiError> {
    require_platform(&key)?;
    Ok(AxumJson(OrganisationsBody { organisations: kernel.organisations().await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOrganisation {
    /// Lowercase handle, e.g. `tax-office`.
    slug: String,
    name: String,
    /// `agency` or `business` (`platform` is reserved for the operator).
    kind: String,
}

/// Create an organisation (platform operator only).
#[utoipa::path(post, path = "/api/kernel/v1/organisations", tag = "organisations", operation_id = "create_organisation", request_body = NewOrganisation,
    responses((status = 201, description = "Created", body = OrganisationBody), (status = 409, description = "Slug taken", body = Problem), (status = 422, description = "Invalid field", body = Problem)))]
async fn create_organisation(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
    Json(body): Json<NewOrganisation>,
) -> Result<impl IntoResponse, ApiError> {
    require_platform(&key)?;
    let slug = Slug::parse("slug", &body.slug)?;
    let kind = OrgKind::parse("kind", &body.kind)?;
    if kind == OrgKind::Platform {
        return Err(Error::invalid("kind", "there is one platform operator; use agency or business").into());
    }
    let organisation = kernel.create_organisation(&key.actor(), &slug, &body.name, kind).await?;
    Ok((StatusCode::CREATED, AxumJson(OrganisationBody { organisation })))
}

#[derive(Serialize, ToSchema)]
struct MembersBody {
    members: Vec<Member>,
}

/// The organisation's members.
#[utoipa::path(get, path = "/api/kernel/v1/members", tag = "members", operation_id = "list_members",
    responses((status = 200, description = "Members", body = MembersBody)))]
async fn list_members(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
) -> Result<AxumJson<MembersBody>, ApiError> {
    Ok(AxumJson(MembersBody { members: kernel.members(key.org_id).await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewMember {
    email: String,
    name: String,
    /// e.g. `["member", "admin"]`
    roles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct MemberBody {
    member: Member,
}

/// Add a member to the organisation.
#[utoipa::path(post, path = "/api/kernel/v1/members", tag = "members", operation_id = "add_member", request_body = NewMember,
    responses((status = 201, description = "Added", body = MemberBody), (status = 409, description = "Already a member", body = Problem), (status = 422, description = "Invalid field", body = Problem)))]
async fn add_member(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
    Json(body): Json<NewMember>,
) -> Result<impl IntoResponse, ApiError> {
    let email = Email::parse("email", &body.email)?;
    let roles = Roles::parse_list("roles", &body.roles)?;
    let member = kernel.add_member(&key.actor(), key.org_id, &email, &body.name, &roles).await?;
    Ok((StatusCode::CREATED, AxumJson(MemberBody { member })))
}

#[derive(Serialize, ToSchema)]
struct ApiKeysBody {
    api_keys: Vec<ApiKey>,
}

/// The organisation's API keys (never their tokens).
#[utoipa::path(get, path = "/api/kernel/v1/api-keys", tag = "api-keys", operation_id = "list_api_keys",
    responses((status = 200, description = "API keys", body = ApiKeysBody)))]
async fn list_api_keys(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
) -> Result<AxumJson<ApiKeysBody>, ApiError> {
    Ok(AxumJson(ApiKeysBody { api_keys: kernel.api_keys(key.org_id).await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewApiKey {
    name: String,
    /// The block the key opens, e.g. `kernel`.
    block: String,
}

#[derive(Serialize, ToSchema)]
struct CreatedApiKey {
    api_key: ApiKey,
    /// The secret token, shown this once.
    token: String,
}

/// Create an API key; the response is the only time its token is shown.
#[utoipa::path(post, path = "/api/kernel/v1/api-keys", tag = "api-keys", operation_id = "create_api_key", request_body = NewApiKey,
    responses((status = 201, description = "Created", body = CreatedApiKey), (status = 422, description = "Invalid field", body = Problem)))]
async fn create_api_key(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
    Json(body): Json<NewApiKey>,
) -> Result<impl IntoResponse, ApiError> {
    let (api_key, token) = kernel.create_api_key(&key.actor(), key.org_id, &body.block, &body.name).await?;
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], AxumJson(CreatedApiKey { api_key, token })))
}

/// Revoke an API key of the organisation.
#[utoipa::path(delete, path = "/api/kernel/v1/api-keys/{id}", tag = "api-keys", operation_id = "revoke_api_key",
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such active key", body = Problem)))]
async fn revoke_api_key(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| Error::invalid("id", "not a UUID"))?;
    kernel.revoke_api_key(&key.actor(), key.org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Entries with a sequence number below this one (for the next page).
    before: Option<i64>,
    /// At most this many entries (1 to 500, default 100).
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct AuditBody {
    entries: Vec<Entry>,
}

/// The organisation's audit log, newest first.
#[utoipa::path(get, path = "/api/kernel/v1/audit", tag = "audit", operation_id = "list_audit", params(AuditQuery),
    responses((status = 200, description = "Entries", body = AuditBody)))]
async fn list_audit(
    State(kernel): State<Kernel>,
    BearerKey(key): BearerKey,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<AxumJson<AuditBody>, ApiError> {
    let Query(query) = query.map_err(|e| Error::invalid("query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500").into());
    }
    Ok(AxumJson(AuditBody { entries: crate::audit::list(kernel.db(), Some(key.org_id), query.before, limit).await? }))
}
