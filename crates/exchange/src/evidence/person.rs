//! Who may see an evidence request and decide: the person it is about, signed in through
//! Publica's identity provider with a verified identity (proofed against the population
//! register) whose national identifier is the request's, at [`NEED`]. The exchange does not
//! depend on the identity block: it asks the kernel's [`publica_kernel::citizen`] interface,
//! which the identity block provides when it runs. The link the consumer's service gives the
//! person only names the request; it opens nothing by itself.

use axum::http::HeaderMap;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::citizen::{self, Aal, Access, Citizen, Need};
use publica_kernel::error::Result;

use super::model::EvidenceRequest;

/// What the person must have to see their data and release it: a verified identity and two
/// authentication factors (eIDAS "substantial").
pub const NEED: Need = Need::verified(Aal::Aal2);

/// How decisions are marked in the audit log: the person signed in at the identity provider.
pub const METHOD: &str = "identity";

/// Who the visitor is, for one request.
#[derive(Debug)]
pub enum Visitor {
    /// No identity provider runs in this deployment: nobody can be recognised.
    SignInUnavailable,
    /// Not signed in, signed in too weakly, or not verified yet: send the browser there first;
    /// it comes back to `back`.
    SignIn(String),
    /// Signed in with a verified identity that is not the person's.
    SomeoneElse,
    /// The person the request is about.
    Person(Citizen),
}

/// Decide whether the visitor of `back` (the request's page) is the person `request` is about.
pub async fn identify(kernel: &Kernel, request: &EvidenceRequest, headers: &HeaderMap, back: &str) -> Result<Visitor> {
    Ok(match citizen::require(kernel, headers, back, &NEED).await? {
        Access::Unavailable => Visitor::SignInUnavailable,
        Access::Redirect(to) => Visitor::SignIn(to),
        Access::Granted(c) if c.verified_national_id() == Some(request.national_id.as_str()) => Visitor::Person(c),
        Access::Granted(_) => Visitor::SomeoneElse,
    })
}

/// Who decided, for the audit log.
pub fn actor(national_id: &str) -> Actor {
    Actor(format!("person:{national_id}"))
}
