//! Who calls the data API: an API key of the `registry` block, and the caller's
//! `Information-Mediator-Client` header (its X-Road identifier, required by GovStack). Only the
//! organisation that owns a register reads or writes it here; other organisations read it
//! through the exchange.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::error::Error;
use publica_kernel::orgs::ApiPrincipal;
use uuid::Uuid;

use super::error::GovError;
use crate::{RegisterInfo, Registry};

/// The header GovStack requires on every call: `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
pub const CLIENT_HEADER: &str = "Information-Mediator-Client";

/// An authenticated caller that sent a well-formed `Information-Mediator-Client`.
pub struct Caller {
    pub principal: ApiPrincipal,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        self.principal.actor()
    }

    pub fn org(&self) -> Uuid {
        self.principal.org_id
    }
}

impl FromRequestParts<Kernel> for Caller {
    type Rejection = GovError;

    async fn from_request_parts(parts: &mut Parts, kernel: &Kernel) -> Result<Caller, GovError> {
        let principal = publica_kernel::api::authenticate(kernel, parts, "registry").await?;
        let client = parts.headers.get(CLIENT_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
        if client.is_empty() {
            return Err(GovError::invalid(
                CLIENT_HEADER,
                "send this header with your X-Road identifier INSTANCE/CLASS/MEMBER/SUBSYSTEM, e.g. DL/GOV/70000001/civil-registry",
            ));
        }
        if !valid_client(client) {
            return Err(GovError::invalid(
                CLIENT_HEADER,
                "must be INSTANCE/CLASS/MEMBER/SUBSYSTEM: four non-empty parts of letters, digits, '-', '_' or '.'",
            ));
        }
        tracing::debug!(client, org = %principal.org_id, "registry data API call");
        Ok(Caller { principal })
    }
}

fn valid_client(value: &str) -> bool {
    let parts: Vec<&str> = value.split('/').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 64
                && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

/// What the caller wants to do with a register.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The registry service.
pub fn registry(kernel: &Kernel) -> Result<Arc<Registry>, GovError> {
    kernel.get::<Registry>().ok_or_else(|| Error::Unavailable("the registry block is not running".into()).into())
}

/// The register `name` at `version`, if the caller may `access` it.
pub async fn register(
    registry: &Registry,
    caller: &Caller,
    name: &str,
    version: &str,
    access: Access,
) -> Result<RegisterInfo, GovError> {
    let info = registry.register(name).await?;
    if info.version != version {
        return Err(Error::NotFound(format!(
            "register {name} version {version} (the current version is {})",
            info.version
        ))
        .into());
    }
    if info.owner_org != caller.org() {
        let message = match access {
            Access::Write => {
                format!("only the organisation that owns register {name} (its authoritative source) writes to it")
            }
            Access::Read => format!(
                "this API serves register {name} to the organisation that owns it; other organisations read it \
                 through the exchange, with an agreement on its e-service and a declared purpose"
            ),
        };
        return Err(Error::Forbidden(message).into());
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_identifiers_have_four_parts() {
        assert!(valid_client("DL/GOV/70000001/civil-registry"));
        assert!(valid_client("eGovStack/GOV/90000009/digitalregistries"));
        assert!(!valid_client("DL/GOV/70000001"));
        assert!(!valid_client("DL/GOV//x"));
        assert!(!valid_client("DL/GOV/7 1/x"));
    }
}
