//! The exchange block's OpenAPI document: the management API, the token endpoint and the
//! gateway's call shape.

use publica_kernel::error::{FieldError, Problem};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use super::agreements::{AgreementBody, AgreementDetail, AgreementsBody, NewAgreement};
use super::clients::{ClientBody, ClientDetail, ClientsBody, KeyBody, KeysBody, NewClient, NewKey};
use super::eservices::{EServiceBody, EServicesBody};
use super::members::{MemberBody, MembersBody, NewSubsystem, SubsystemBody, SubsystemsBody};
use super::purposes::{PurposeBody, PurposeDetail, PurposesBody};
use super::{StepRequest, agreements, clients, eservices, members, purposes};
use crate::domain::{
    Agreement, AgreementState, Approval, Backend, Client, ClientKey, EService, EServiceState, Member, Purpose,
    PurposeState, Subsystem, Transition,
};
use crate::service::{NewEService, NewPurpose};
use crate::token::{TokenError, TokenResponse};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Publica exchange API",
        description = "Once-only data exchange: members, subsystems, clients and keys, the e-service catalogue, agreements and purposes; the token endpoint that issues purpose-bound vouchers; and the X-Road REST gateway."
    ),
    paths(
        members::own_member, members::list_members, members::grant_attribute, members::revoke_attribute,
        members::list_subsystems, members::create_subsystem,
        clients::list_clients, clients::create_client, clients::get_client, clients::list_keys, clients::add_key,
        clients::remove_key,
        eservices::catalogue, eservices::publish, eservices::get_eservice, eservices::openapi_document,
        eservices::suspend, eservices::activate,
        agreements::list, agreements::request, agreements::get_one, agreements::approve, agreements::reject,
        agreements::suspend, agreements::reactivate, agreements::archive,
        purposes::list, purposes::create, purposes::get_one, purposes::approve, purposes::suspend,
        purposes::activate, purposes::archive,
        token_endpoint, gateway_call,
        crate::evidence::api::create_request, crate::evidence::api::get_request,
    ),
    components(schemas(
        Problem, FieldError, Member, Subsystem, Client, ClientKey, EService, EServiceState, Approval, Backend,
        Agreement, AgreementState, Purpose, PurposeState, Transition, MemberBody, MembersBody, NewSubsystem,
        SubsystemBody, SubsystemsBody, ClientBody, ClientsBody, ClientDetail, KeyBody, KeysBody, NewClient, NewKey,
        EServiceBody, EServicesBody, NewEService, NewAgreement, AgreementBody, AgreementsBody, AgreementDetail,
        NewPurpose, PurposeBody, PurposesBody, PurposeDetail, StepRequest, TokenRequest, TokenResponse, TokenError,
        XRoadErrorBody,
    )),
    modifiers(&BearerAuth),
    security(("api_key" = []))
)]
pub struct ExchangeApi;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key of the exchange block"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "voucher",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A voucher from the token endpoint"))
                    .build(),
            ),
        );
    }
}

/// The token request (`application/x-www-form-urlencoded`, RFC 6749 §4.4 with RFC 7523 client
/// authentication).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// `client_credentials`.
    grant_type: String,
    /// The client id (the assertion's `iss` and `sub`).
    client_id: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    client_assertion_type: String,
    /// A JWT signed with a registered key: header `kid`, `alg` (RS256 or ES256), `typ` JWT;
    /// claims `iss`, `sub`, `aud` (this endpoint's URL), `jti`, `iat`, `exp` (at most 10 minutes
    /// after `iat`) and `purposeId`.
    client_assertion: String,
}

/// An error raised by the gateway itself (X-Road's REST error body; the `X-Road-Error` header
/// carries the type).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct XRoadErrorBody {
    /// e.g. `Server.ServerProxy.AccessDenied`, `Client.BadRequest`.
    #[schema(rename = "type")]
    kind: String,
    message: String,
    /// A UUID to find the error in the server's logs.
    detail: String,
}

/// Exchange a client assertion for a voucher bound to a purpose.
#[utoipa::path(post, path = "/exchange/token.oauth2", tag = "token", operation_id = "issue_voucher", security(()),
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The voucher", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client` or `unsupported_grant_type`", body = TokenError)))]
#[allow(dead_code)]
fn token_endpoint() {}

/// Call an e-service through the gateway (any method; shown as GET). Headers: `X-Road-Client`
/// (required), `X-Road-Id`, `X-Road-UserId`, `X-Road-Issue`; the answer carries
/// `X-Road-Client`, `X-Road-Service`, `X-Road-Id`, `X-Road-Request-Hash` and `RateLimit-*`.
#[utoipa::path(get, path = "/r1/{instance}/{class}/{member}/{subsystem}/{service}/{path}", tag = "gateway",
    operation_id = "call_service", security(("voucher" = [])),
    params(("instance" = String, Path, description = "X-Road instance, e.g. DL"),
        ("class" = String, Path, description = "Member class: GOV or COM"),
        ("member" = String, Path, description = "Member code (8 digits)"),
        ("subsystem" = String, Path, description = "Provider subsystem code"),
        ("service" = String, Path, description = "Service code"),
        ("path" = String, Path, description = "The rest of the path, passed to the service"),
        ("X-Road-Client" = String, Header, description = "INSTANCE/CLASS/MEMBER/SUBSYSTEM of the caller")),
    responses((status = 200, description = "The provider's answer, as it is"),
        (status = 400, description = "`Client.BadRequest`", body = XRoadErrorBody),
        (status = 429, description = "`Server.ServerProxy.QuotaExceeded`", body = XRoadErrorBody),
        (status = 500, description = "`Server.ServerProxy.AccessDenied`, `UnknownService`, `ServiceDisabled`, `ServiceFailed`, `LoggingFailed`", body = XRoadErrorBody)))]
#[allow(dead_code)]
fn gateway_call() {}
