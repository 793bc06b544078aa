//! The gateway `ANY /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}/{path…}`: the X-Road
//! Message Protocol for REST with a PDND-style voucher. A call goes through when its voucher
//! (signature, issuer, audience, expiry) names the client of the `X-Road-Client` subsystem and
//! a purpose and agreement still active for this e-service, and the day's quotas have room.
//! The back end answers; the exchange is appended to the message log (with a usage record for
//! every person concerned) before the answer leaves — if it cannot be logged, the call is
//! refused and no data is returned.

pub mod xroad;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::Timestamp;
use publica_registry::IdScheme;
use uuid::Uuid;

use self::xroad::{XRoadError, kind};
use crate::backend::{self, BackendCall, BackendResponse};
use crate::domain::ids::{SubsystemId, percent_decode};
use crate::domain::{AgreementState, Backend, EServiceState, PurposeState};
use crate::log::{LogEntry, UsageRecord};
use crate::service::Exchange;
use crate::service::quota::{Decision, Limit, Scope};
use crate::service::state::{PurposeEntry, ServiceEntry};
use crate::token::voucher::VoucherClaims;

pub fn routes(exchange: Arc<Exchange>) -> Router {
    Router::new().route("/r1/{*rest}", any(call)).with_state(exchange)
}

async fn call(State(exchange): State<Arc<Exchange>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = exchange.kernel().config().http.body_limit_bytes;
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(_) => {
            return XRoadError::bad_request(format!("the request body is larger than {limit} bytes"))
                .with_status(StatusCode::PAYLOAD_TOO_LARGE)
                .into_response();
        }
    };
    match handle(&exchange, &parts, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// The parts of a service path.
pub(crate) struct Target {
    pub(crate) instance: String,
    pub(crate) class: String,
    pub(crate) member: String,
    pub(crate) subsystem: String,
    pub(crate) service: String,
    /// The raw rest of the path, `""` or starting with `/`.
    pub(crate) rest: String,
}

pub(crate) fn parse_target(path: &str) -> Result<Target, XRoadError> {
    let usage = || {
        XRoadError::bad_request(format!(
            "`{path}` is not a service path: use /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path]"
        ))
    };
    let rest = path.strip_prefix("/r1/").ok_or_else(usage)?;
    let mut parts = rest.splitn(6, '/');
    let mut next = || -> Result<String, XRoadError> {
        let raw = parts.next().filter(|p| !p.is_empty()).ok_or_else(usage)?;
        percent_decode(raw)
            .ok_or_else(|| XRoadError::bad_request(format!("`{raw}` is not valid percent-encoded UTF-8")))
    };
    let (instance, class, member, subsystem, service) = (next()?, next()?, next()?, next()?, next()?);
    let rest = parts.next().map(|p| format!("/{p}")).unwrap_or_default();
    Ok(Target { instance, class, member, subsystem, service, rest })
}

fn header_text(parts: &Parts, name: &HeaderName) -> Result<Option<String>, XRoadError> {
    match parts.headers.get(name) {
        None => Ok(None),
        Some(v) => {
            let text =
                v.to_str().map_err(|_| XRoadError::bad_request(format!("the {name} header is not visible ASCII")))?;
            let text = text.trim();
            if text.is_empty() || text.len() > 255 {
                return Err(XRoadError::bad_request(format!("the {name} header must be 1 to 255 characters")));
            }
            Ok(Some(text.to_string()))
        }
    }
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn rate_headers(decision: &Decision) -> [(HeaderName, HeaderValue); 3] {
    [
        (HeaderName::from_static("ratelimit-limit"), HeaderValue::from(decision.limit)),
        (HeaderName::from_static("ratelimit-remaining"), HeaderValue::from(decision.remaining)),
        (HeaderName::from_static("ratelimit-reset"), HeaderValue::from(decision.reset_seconds)),
    ]
}

/// The national id in an `X-Road-UserId` (bare, or after a two-letter country prefix as the
/// protocol recommends: `DL69435151530`), if it is a valid one.
pub fn user_national_id(user_id: &str) -> Option<String> {
    let bare = match user_id.as_bytes() {
        [a, b, ..] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => &user_id[2..],
        _ => user_id,
    };
    IdScheme::NationalId.validate(bare).ok().map(|_| bare.to_string())
}

async fn handle(exchange: &Exchange, parts: &Parts, body: Bytes) -> Result<Response, XRoadError> {
    let target = parse_target(parts.uri.path())?;
    let sent_id = header_text(parts, &xroad::X_ROAD_ID)?;
    // Time-ordered, so that the log's index of request ids grows at its end.
    let generated_id = sent_id.is_none().then(|| Uuid::now_v7().to_string());
    let request_id = sent_id.clone().or_else(|| generated_id.clone()).unwrap_or_default();
    let with_id = |e: XRoadError| e.with_header(xroad::X_ROAD_ID, value(&request_id));

    let client_header = header_text(parts, &xroad::X_ROAD_CLIENT)?.ok_or_else(|| {
        with_id(XRoadError::bad_request("the X-Road-Client header is missing: send INSTANCE/CLASS/MEMBER/SUBSYSTEM"))
    })?;
    let client_id = SubsystemId::parse_header(&client_header).map_err(|m| with_id(XRoadError::bad_request(m)))?;
    let service_id =
        format!("{}/{}/{}/{}/{}", target.instance, target.class, target.member, target.subsystem, target.service);
    if target.instance != exchange.instance() {
        return Err(with_id(XRoadError::new(
            kind::UNKNOWN_SERVICE,
            format!("no service {service_id}: this is instance {}", exchange.instance()),
        )));
    }
    let entry = exchange
        .state()
        .service(&target.class, &target.member, &target.subsystem, &target.service)
        .await
        .map_err(|e| with_id(XRoadError::new(kind::INTERNAL_ERROR, format!("cannot read the catalogue: {e}"))))?
        .ok_or_else(|| with_id(XRoadError::new(kind::UNKNOWN_SERVICE, format!("no service {service_id}"))))?;
    if entry.eservice.state != EServiceState::Active {
        return Err(with_id(XRoadError::new(
            kind::SERVICE_DISABLED,
            format!("the service {service_id} is suspended by its provider"),
        )));
    }
    let grant = authorise(exchange, parts, &entry, &client_id).await.map_err(with_id)?;

    let mut limits =
        vec![Limit { scope: Scope::Purpose, subject: grant.purpose.id, per_day: grant.purpose.daily_calls }];
    if let (Some(per_day), Some(agreement)) = (entry.eservice.daily_quota_per_consumer, &grant.agreement) {
        limits.push(Limit { scope: Scope::Agreement, subject: agreement.id, per_day });
    }
    if let Some(per_day) = entry.eservice.daily_quota_total {
        limits.push(Limit { scope: Scope::EService, subject: entry.eservice.id, per_day });
    }
    let decision = exchange.quotas().take(&limits).await.map_err(|e| {
        with_id(XRoadError::new(kind::INTERNAL_ERROR, format!("cannot read the day's call counts: {e}")))
    })?;
    if !decision.allowed {
        let which = match decision.exceeded {
            Some(Scope::Purpose) => "the purpose's daily calls",
            Some(Scope::Agreement) => "the e-service's daily quota for each consumer",
            _ => "the e-service's daily quota",
        };
        let mut error = XRoadError::new(
            kind::QUOTA_EXCEEDED,
            format!("{which} ({}) are used up until UTC midnight", decision.limit),
        )
        .with_status(StatusCode::TOO_MANY_REQUESTS)
        .with_header(header::RETRY_AFTER, HeaderValue::from(decision.reset_seconds));
        for (name, v) in rate_headers(&decision) {
            error = error.with_header(name, v);
        }
        return Err(with_id(error));
    }

    // A built-in back end answers within a register read: the log's committer waits for this
    // call instead of committing a batch without it (an HTTP back end may take its time).
    let announced = match entry.eservice.backend {
        Backend::Http { .. } => None,
        _ => Some(exchange.log().announce()),
    };
    let user_id = header_text(parts, &xroad::X_ROAD_USER_ID).map_err(with_id)?;
    let issue = header_text(parts, &xroad::X_ROAD_ISSUE).map_err(with_id)?;
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let request_hash =
        xroad::request_hash(parts.method.as_str(), path_and_query, &parts.headers, generated_id.as_deref(), &body);
    let log_bodies = exchange.config().log_bodies;
    let request_body = (log_bodies && !body.is_empty()).then(|| body.to_vec());

    let call = BackendCall {
        method: &parts.method,
        path: &target.rest,
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    let answer = match backend::call(exchange, &entry.eservice.backend, call).await {
        Ok(answer) => Ok(answer),
        Err(failed) => Err(XRoadError::new(kind::SERVICE_FAILED, failed.0)),
    };
    let (status, response_body) = match &answer {
        Ok(a) => (a.status, a.body.clone()),
        Err(e) => (e.status, Bytes::from(serde_json::json!({ "type": e.kind, "message": e.message }).to_string())),
    };
    let usage = match &answer {
        Ok(a) if a.status.is_success() => usage_records(&entry, &grant, a, user_id.as_deref()),
        _ => Vec::new(),
    };
    let log_entry = LogEntry {
        request_id: request_id.clone(),
        at: Timestamp::now(),
        client: client_header.clone(),
        service: entry.eservice.xroad_id.clone(),
        eservice_id: entry.eservice.id,
        agreement_id: grant.agreement.as_ref().map(|a| a.id).unwrap_or_default(),
        purpose_id: grant.purpose.id,
        method: parts.method.to_string(),
        path: path_and_query.to_string(),
        user_id,
        issue,
        status: status.as_u16(),
        request_hash: request_hash.clone(),
        response_hash: xroad::sha512(&response_body),
        request_body,
        response_body: log_bodies.then(|| response_body.to_vec()),
        usage,
    };
    let logged = match announced {
        Some(announced) => exchange.log().record_announced(announced, log_entry).await,
        None => exchange.log().record(log_entry).await,
    };
    if let Err(e) = logged {
        return Err(with_id(XRoadError::new(
            kind::LOGGING_FAILED,
            format!("the exchange could not be written to the message log, so it is refused: {e}"),
        )));
    }

    let mut response = match answer {
        Ok(answer) => provider_response(answer),
        Err(error) => error.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(xroad::X_ROAD_CLIENT, value(&client_header));
    headers.insert(xroad::X_ROAD_SERVICE, value(&entry.eservice.xroad_id));
    headers.insert(xroad::X_ROAD_ID, value(&request_id));
    headers.insert(xroad::X_ROAD_REQUEST_HASH, value(&STANDARD.encode(&request_hash)));
    for (name, v) in rate_headers(&decision) {
        headers.insert(name, v);
    }
    Ok(response)
}

fn provider_response(answer: BackendResponse) -> Response {
    let mut response = (answer.status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, v) in answer.headers {
        headers.append(name, v);
    }
    response
}

/// Check the voucher against the call and the current state; the grant it carries.
pub(crate) async fn authorise(
    exchange: &Exchange,
    parts: &Parts,
    entry: &ServiceEntry,
    client_id: &SubsystemId,
) -> Result<Arc<PurposeEntry>, XRoadError> {
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            XRoadError::denied("send a voucher from the token endpoint as `Authorization: Bearer <voucher>`")
                .with_status(StatusCode::UNAUTHORIZED)
                .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
        })?;
    let claims = verified_voucher(exchange, token)?;
    let eservice = &entry.eservice;
    if claims.aud != eservice.audience || claims.eservice_id != eservice.id {
        return Err(XRoadError::denied(format!("the voucher is for another e-service, not {}", eservice.xroad_id)));
    }
    let internal = |e: publica_kernel::error::Error| {
        XRoadError::new(kind::INTERNAL_ERROR, format!("cannot read the authorisations: {e}"))
    };
    let client_uuid =
        Uuid::try_parse(&claims.client_id).map_err(|_| XRoadError::denied("the voucher's client_id is malformed"))?;
    let client = exchange
        .state()
        .client(client_uuid)
        .await
        .map_err(internal)?
        .ok_or_else(|| XRoadError::denied("the voucher's client no longer exists"))?;
    if client.subsystem.xroad_id != client_id.to_string() {
        return Err(XRoadError::denied(format!(
            "the voucher was issued to a client of {}, not of {client_id} (X-Road-Client)",
            client.subsystem.xroad_id
        )));
    }
    let grant = exchange
        .state()
        .purpose(claims.purpose_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| XRoadError::denied("the voucher's purpose no longer exists"))?;
    if grant.purpose.eservice_id != eservice.id || grant.purpose.consumer_subsystem_id != client.subsystem.id {
        return Err(XRoadError::denied("the voucher's purpose is not for this e-service and client"));
    }
    match &grant.agreement {
        Some(a) if a.id == claims.agreement_id && a.state == AgreementState::Active => {}
        Some(a) if a.id == claims.agreement_id => {
            return Err(XRoadError::denied(format!("the agreement for {} is {}", eservice.xroad_id, a.state.as_str())));
        }
        _ => {
            return Err(XRoadError::denied(format!(
                "the voucher's agreement for {} is no longer in force",
                eservice.xroad_id
            )));
        }
    }
    if grant.purpose.state != PurposeState::Active {
        return Err(XRoadError::denied(format!(
            "the purpose \"{}\" is {}",
            grant.purpose.title,
            grant.purpose.state.as_str()
        )));
    }
    Ok(grant)
}

/// The voucher's claims once its signature, issuer and times are checked; a voucher seen before
/// is found by its SHA-256 (see [`crate::service::state`]) and only its times are checked again.
fn verified_voucher(exchange: &Exchange, token: &str) -> Result<Arc<VoucherClaims>, XRoadError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let digest = publica_kernel::crypto::sha256(token.as_bytes());
    if let Some(claims) = exchange.state().verified_voucher(&digest, now) {
        return Ok(claims);
    }
    let claims = Arc::new(
        exchange.voucher_keys().verify(exchange.kernel(), token, exchange.issuer(), now).map_err(XRoadError::denied)?,
    );
    exchange.state().remember_voucher(digest, claims.clone(), now);
    Ok(claims)
}

/// One usage record per person concerned: the user behind the call (`X-Road-UserId`, when it
/// is a national id) and the persons in the answer.
fn usage_records(
    entry: &ServiceEntry,
    grant: &PurposeEntry,
    answer: &BackendResponse,
    user_id: Option<&str>,
) -> Vec<UsageRecord> {
    let mut persons: Vec<String> = Vec::new();
    for id in user_id.and_then(user_national_id).into_iter().chain(answer.persons.iter().cloned()) {
        if !persons.contains(&id) {
            persons.push(id);
        }
    }
    let embargo_until = grant.purpose.confidential_days.map(|days| Timestamp::now().plus(time::Duration::days(days)));
    persons
        .into_iter()
        .map(|national_id| UsageRecord {
            national_id,
            consumer_org: grant.consumer.org_id,
            consumer_name: grant.consumer_name.clone(),
            client: grant.consumer.xroad_id.clone(),
            eservice_id: entry.eservice.id,
            eservice_title: entry.eservice.title.clone(),
            purpose_id: grant.purpose.id,
            purpose_title: grant.purpose.title.clone(),
            legal_basis: grant.purpose.legal_basis.clone(),
            data_items: answer.data_items.clone(),
            embargo_until,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_paths_parse_with_encoded_parts() {
        let t = parse_target("/r1/DL/GOV/70000001/popu%6Cation/persons/69435151530").expect("parse");
        assert_eq!((t.instance.as_str(), t.subsystem.as_str(), t.service.as_str()), ("DL", "population", "persons"));
        assert_eq!(t.rest, "/69435151530");
        let t = parse_target("/r1/DL/GOV/70000001/population/persons").expect("parse");
        assert_eq!(t.rest, "");
        assert!(parse_target("/r1/DL/GOV/70000001/population").is_err());
        assert!(parse_target("/r1/DL//70000001/population/persons").is_err());
    }
}
