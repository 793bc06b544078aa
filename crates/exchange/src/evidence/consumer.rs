//! Who may create and fetch evidence requests: a consumer calling as it calls the gateway,
//! with a voucher of the e-service and its `X-Road-Client` header. The checks are the
//! gateway's own (`gateway::authorise`); its X-Road errors become problem+json here.

use std::sync::Arc;

use axum::http::header;
use axum::http::request::Parts;
use publica_kernel::error::{Error, Result};

use crate::domain::EServiceState;
use crate::domain::ids::SubsystemId;
use crate::gateway::xroad::{self, XRoadError, kind};
use crate::gateway::{self, Target};
use crate::service::Exchange;
use crate::service::quota::{Limit, Scope};
use crate::service::state::{PurposeEntry, ServiceEntry};

/// A consumer's call let through: the e-service and the grant its voucher carries.
pub struct Authorised {
    pub entry: Arc<ServiceEntry>,
    pub grant: Arc<PurposeEntry>,
}

/// An X-Road error of the gateway's checks, in this API's terms.
pub fn problem(error: XRoadError) -> Error {
    match error.kind {
        kind::BAD_REQUEST => Error::invalid("X-Road-Client", error.message),
        kind::UNKNOWN_SERVICE => Error::invalid("service_path", error.message),
        kind::SERVICE_DISABLED => Error::Conflict(error.message),
        kind::QUOTA_EXCEEDED => Error::TooManyRequests(error.message),
        kind::ACCESS_DENIED => Error::Forbidden(error.message),
        _ => Error::Unavailable(error.message),
    }
}

/// The parsed `X-Road-Client` header (required).
pub fn client_header(parts: &Parts) -> Result<SubsystemId> {
    let text = parts
        .headers
        .get(xroad::X_ROAD_CLIENT)
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| Error::invalid("X-Road-Client", "the header is not visible ASCII"))?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid("X-Road-Client", "required: send INSTANCE/CLASS/MEMBER/SUBSYSTEM"))?;
    SubsystemId::parse_header(text).map_err(|m| Error::invalid("X-Road-Client", m))
}

/// A bearer token must be there at all before the voucher is checked.
fn require_bearer(parts: &Parts) -> Result<()> {
    let present = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    if present {
        Ok(())
    } else {
        Err(Error::Unauthenticated(
            "send a voucher from the token endpoint as `Authorization: Bearer <voucher>`".into(),
        ))
    }
}

/// The e-service at a parsed service path, which must be on this instance.
pub async fn service_at(exchange: &Exchange, target: &Target) -> Result<Arc<ServiceEntry>> {
    let id = format!("{}/{}/{}/{}/{}", target.instance, target.class, target.member, target.subsystem, target.service);
    if target.instance != exchange.instance() {
        return Err(Error::invalid(
            "service_path",
            format!("no service {id}: this is instance {}", exchange.instance()),
        ));
    }
    exchange
        .state()
        .service(&target.class, &target.member, &target.subsystem, &target.service)
        .await?
        .ok_or_else(|| Error::invalid("service_path", format!("no service {id}")))
}

/// Check the caller's voucher and `X-Road-Client` for `entry`, as the gateway does.
pub async fn authorise(exchange: &Exchange, parts: &Parts, entry: Arc<ServiceEntry>) -> Result<Authorised> {
    let client = client_header(parts)?;
    require_bearer(parts)?;
    let grant = gateway::authorise(exchange, parts, &entry, &client).await.map_err(problem)?;
    Ok(Authorised { entry, grant })
}

/// The e-service must be answering.
pub fn require_active(entry: &ServiceEntry) -> Result<()> {
    if entry.eservice.state == EServiceState::Active {
        Ok(())
    } else {
        Err(Error::Conflict(format!("the service {} is suspended by its provider", entry.eservice.xroad_id)))
    }
}

/// Count one call against the day's quotas of the purpose, the agreement and the e-service
/// (the quotas a gateway call counts against), or refuse it.
pub async fn take_quota(exchange: &Exchange, authorised: &Authorised) -> Result<()> {
    let (eservice, grant) = (&authorised.entry.eservice, &authorised.grant);
    let mut limits =
        vec![Limit { scope: Scope::Purpose, subject: grant.purpose.id, per_day: grant.purpose.daily_calls }];
    if let (Some(per_day), Some(agreement)) = (eservice.daily_quota_per_consumer, &grant.agreement) {
        limits.push(Limit { scope: Scope::Agreement, subject: agreement.id, per_day });
    }
    if let Some(per_day) = eservice.daily_quota_total {
        limits.push(Limit { scope: Scope::EService, subject: eservice.id, per_day });
    }
    let decision = exchange.quotas().take(&limits).await?;
    if decision.allowed {
        Ok(())
    } else {
        Err(Error::TooManyRequests(format!(
            "the daily quota ({}) is used up; it starts over in {} seconds (UTC midnight)",
            decision.limit, decision.reset_seconds
        )))
    }
}
