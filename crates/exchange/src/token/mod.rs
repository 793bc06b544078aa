//! The token endpoint `POST /exchange/token.oauth2` (PDND style): a client authenticates with
//! a signed client assertion (RFC 7521/7523) naming a purpose and receives a voucher for that
//! purpose's e-service, if the agreement, the e-service and the purpose are all active.
//! Failures answer the OAuth 2.0 error envelope (RFC 6749 §5.2) with a description naming
//! the problem.

pub mod assertion;
pub mod voucher;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use uuid::Uuid;

use publica_kernel::jose as jws;

use self::assertion::Refusal;
use self::voucher::VoucherClaims;
use crate::domain::{AgreementState, EServiceState, PurposeState};
use crate::service::Exchange;
use crate::store;

/// The only `client_assertion_type` accepted (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/exchange/token.oauth2";

pub fn routes(exchange: Arc<Exchange>) -> Router {
    Router::new().route(TOKEN_PATH, post(token)).with_state(exchange)
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// The voucher: a JWT to send as `Authorization: Bearer …` to the gateway.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the voucher is valid.
    pub expires_in: i64,
}

/// An OAuth error response (RFC 6749 §5.2).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client` or
    /// `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
}

async fn token(State(exchange): State<Arc<Exchange>>, headers: HeaderMap, body: Bytes) -> Response {
    let form_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let outcome = if !form_type.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        Err(Refusal::new("invalid_request", "send the parameters as application/x-www-form-urlencoded"))
    } else {
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        issue(&exchange, &fields, time::OffsetDateTime::now_utc().unix_timestamp()).await
    };
    let mut response = match outcome {
        Ok(tokens) => (StatusCode::OK, axum::Json(tokens)).into_response(),
        Err(refusal) => {
            let status =
                if refusal.error == "server_error" { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::BAD_REQUEST };
            let body = TokenError { error: refusal.error.to_string(), error_description: refusal.description };
            (status, axum::Json(body)).into_response()
        }
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn server_error(e: publica_kernel::error::Error) -> Refusal {
    tracing::error!(error = %e, "exchange token endpoint");
    Refusal::new("server_error", "the exchange cannot issue vouchers right now; retry shortly")
}

/// One form field, which must appear at most once (RFC 6749 §3.2).
fn field<'a>(fields: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Refusal> {
    let mut found = fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(Refusal::new("invalid_request", format!("`{name}` is sent more than once")));
    }
    Ok(first)
}

fn required<'a>(fields: &'a [(String, String)], name: &str) -> Result<&'a str, Refusal> {
    field(fields, name)?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::new("invalid_request", format!("`{name}` is missing")))
}

/// Check a token request and issue the voucher.
pub async fn issue(exchange: &Exchange, fields: &[(String, String)], now: i64) -> Result<TokenResponse, Refusal> {
    let grant_type = required(fields, "grant_type")?;
    if grant_type != "client_credentials" {
        return Err(Refusal::new(
            "unsupported_grant_type",
            format!("`{grant_type}` is not supported; use client_credentials"),
        ));
    }
    let assertion_type = required(fields, "client_assertion_type")?;
    if assertion_type != ASSERTION_TYPE {
        return Err(Refusal::new("invalid_request", format!("client_assertion_type must be {ASSERTION_TYPE}")));
    }
    let token = required(fields, "client_assertion")?;
    let form_client_id = field(fields, "client_id")?.filter(|v| !v.is_empty());
    let jws = jws::decode(token).map_err(|m| Refusal::new("invalid_request", format!("client_assertion: {m}")))?;
    let checked = assertion::check(&jws, &exchange.token_url(), form_client_id, now)?;

    let db = exchange.kernel().db();
    let client = exchange
        .state()
        .client(checked.client_id)
        .await
        .map_err(server_error)?
        .ok_or_else(|| Refusal::new("invalid_client", format!("no client {} is registered", checked.client_id)))?;
    let key = store::members::key(db, checked.client_id, &checked.kid)
        .await
        .map_err(server_error)?
        .ok_or_else(|| Refusal::new("invalid_client", format!("the client has no key `{}`", checked.kid)))?;
    assertion::verify_signature(&jws, &checked, &key)?;
    let expires_at = time::OffsetDateTime::from_unix_timestamp(checked.exp)
        .map(publica_kernel::db::Timestamp::from)
        .map_err(|_| Refusal::new("invalid_client", "the assertion's `exp` is out of range"))?;
    if !store::runtime::use_assertion(db, checked.client_id, &checked.jti, expires_at).await.map_err(server_error)? {
        return Err(Refusal::new(
            "invalid_client",
            format!("the assertion `{}` was used already: sign a new one with a fresh jti", checked.jti),
        ));
    }

    let grant = exchange
        .state()
        .purpose(checked.purpose_id)
        .await
        .map_err(server_error)?
        .filter(|p| p.purpose.consumer_subsystem_id == client.subsystem.id)
        .ok_or_else(|| {
            Refusal::new(
                "invalid_grant",
                format!(
                    "purpose {} is not a purpose of the client's subsystem {}",
                    checked.purpose_id, client.subsystem.xroad_id
                ),
            )
        })?;
    let eservice = exchange.eservice(grant.purpose.eservice_id).await.map_err(server_error)?;
    let unauthorized = |what: String| Refusal::new("unauthorized_client", what);
    if eservice.state != EServiceState::Active {
        return Err(unauthorized(format!("the e-service {} is suspended", eservice.xroad_id)));
    }
    let agreement = match &grant.agreement {
        Some(a) if a.state == AgreementState::Active => a,
        Some(a) => {
            return Err(unauthorized(format!("the agreement for {} is {}", eservice.xroad_id, a.state.as_str())));
        }
        None => return Err(unauthorized(format!("the subsystem has no agreement for {}", eservice.xroad_id))),
    };
    if grant.purpose.state != PurposeState::Active {
        return Err(unauthorized(format!(
            "the purpose \"{}\" is {}",
            grant.purpose.title,
            grant.purpose.state.as_str()
        )));
    }

    let claims = VoucherClaims {
        iss: exchange.issuer().to_string(),
        aud: eservice.audience.clone(),
        sub: checked.client_id.to_string(),
        client_id: checked.client_id.to_string(),
        purpose_id: grant.purpose.id,
        agreement_id: agreement.id,
        eservice_id: eservice.id,
        producer_id: eservice.provider_org,
        consumer_id: grant.consumer.org_id,
        jti: Uuid::now_v7(),
        iat: now,
        nbf: now,
        exp: now + eservice.voucher_lifetime_seconds,
    };
    let access_token = voucher::issue(exchange.kernel(), &claims).map_err(server_error)?;
    Ok(TokenResponse { access_token, token_type: "Bearer".into(), expires_in: eservice.voucher_lifetime_seconds })
}
