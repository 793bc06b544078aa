//! Proofing for the demo: the platform operator `demoland-digital` becomes a consumer of the
//! civil registry's person lookup, and the civil registry approves its agreement (and its
//! purpose, should it wait) the way a provider does on its agreements page.

use publica_exchange::Exchange;
use publica_exchange::service::Caller;
use publica_exchange::service::agreements::AgreementStep;
use publica_exchange::service::purposes::PurposeStep;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};

use crate::proofing::{ProofingSetupSpec, ProofingSetupStatus};
use crate::service::Identity;

pub const OPERATOR: &str = "demoland-digital";
pub const REGISTRAR: &str = "civil-registry";
pub const LEGAL_BASIS: &str = "Demoland Digital Identity Act, s. 7";
const WHY: &str = "Identity proofing for the national sign-in";

async fn caller(kernel: &Kernel, slug: &str) -> Result<Caller> {
    let org = kernel.organisation_by_slug(slug).await?.ok_or_else(|| {
        Error::Unavailable(format!("the kernel demo has no organisation `{slug}`: seed the kernel first"))
    })?;
    Ok(Caller::new(org.id, org.kind, Actor::system("demo")))
}

/// Set up proofing and approve what waits for the registry; what the credentials say of it.
pub async fn seed(kernel: &Kernel, identity: &Identity) -> Result<Value> {
    let exchange =
        kernel.get::<Exchange>().ok_or_else(|| Error::Unavailable("the exchange block has not started".into()))?;
    let operator = caller(kernel, OPERATOR).await?;
    if operator.org_kind != OrgKind::Platform {
        return Err(Error::internal(format!("{OPERATOR} is not the platform operator")));
    }
    let registrar = caller(kernel, REGISTRAR).await?;
    let service = exchange
        .eservices(Some(registrar.org_id))
        .await?
        .into_iter()
        .find(|e| e.code == "persons")
        .ok_or_else(|| Error::Unavailable("the exchange demo has no person lookup: seed the exchange first".into()))?
        .xroad_id;
    let spec = ProofingSetupSpec::national_sign_in(operator.org_id, &service, LEGAL_BASIS);
    let actor = Actor::system("demo");
    let mut status = identity.setup_proofing(&actor, &spec).await?;
    for _ in 0..2 {
        if status.ready() {
            break;
        }
        approve(&exchange, &registrar, &status).await?;
        status = identity.setup_proofing(&actor, &spec).await?;
    }
    if !status.ready() {
        return Err(Error::internal(format!("the demo's proofing is not ready: {status:?}")));
    }
    Ok(json!({
        "client_header": status.client_header,
        "service": status.service,
        "purpose_id": status.purpose_id,
    }))
}

async fn approve(exchange: &Exchange, registrar: &Caller, status: &ProofingSetupStatus) -> Result<()> {
    if status.agreement_state == "pending" {
        exchange.agreement_step(registrar, status.agreement_id, AgreementStep::Approve, Some(WHY)).await?;
    }
    if let (Some(id), Some("waiting-for-approval")) = (status.purpose_id, status.purpose_state) {
        exchange.purpose_step(registrar, id, PurposeStep::Approve, Some(WHY)).await?;
    }
    Ok(())
}
