//! The lifecycle step of an agreement or a purpose, once decided: the optimistic write of the
//! new state, its history row and its audit event, in one transaction.

use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Tx;
use publica_kernel::error::{Error, Result};
use serde_json::json;

use super::{Caller, Exchange};
use crate::domain::{Lifecycle, Party};
use crate::store::lifecycle as store;

/// Who took a step, and why.
pub(super) struct Taken<'a> {
    pub actor: &'a Actor,
    pub why: Option<&'a str>,
}

/// Write `next` over `current` inside `tx` with its history row; a conflict if someone else
/// changed the row meanwhile (`meanwhile` says so to the caller).
pub(super) async fn write<T: Lifecycle>(
    tx: &mut Tx,
    current: &T,
    next: &T,
    taken: &Taken<'_>,
    meanwhile: &str,
) -> Result<()> {
    if !store::update(tx, current, next).await? {
        return Err(Error::Conflict(meanwhile.into()));
    }
    store::add_history(tx, next, &taken.actor.0, Some(current.state_name()), taken.why).await
}

impl Exchange {
    /// Take a step that `party` asked for and the lifecycle allowed: `current` becomes `next`,
    /// with its history row and the audit event `action`, then the cached authorisations go.
    pub(super) async fn commit_step<T: Lifecycle>(
        &self,
        caller: &Caller,
        party: Party,
        action: &str,
        (current, next): (&T, &T),
        why: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.kernel.db().begin().await?;
        let meanwhile = format!("the {} changed meanwhile; read it again and retry", T::KIND);
        write(&mut tx, current, next, &Taken { actor: &caller.actor, why }, &meanwhile).await?;
        let event = Event::new(&caller.actor, action, T::KIND, next.id()).org(caller.org_id).details(json!({
            "from": current.state_name(), "to": next.state_name(), "by": party.as_str(), "reason": why,
        }));
        self.commit_change(tx, event).await
    }
}
