//! Agreements: a consumer subsystem asks to use an e-service; the provider approves or
//! rejects (or the policy approves at once); either side may suspend and reactivate; the
//! consumer archives. Every step is kept in the agreement's history and in the audit log.

use publica_kernel::audit::Event;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde_json::json;
use uuid::Uuid;

use super::steps::{self, Taken};
use super::{Caller, Exchange, reason};
use crate::domain::{Agreement, AgreementState, Approval, EServiceState, Lifecycle, Party, Transition};
use crate::store::{agreements as store, lifecycle, members};

/// What a party asks of an agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgreementStep {
    Approve,
    Reject,
    Suspend,
    Reactivate,
    Archive,
}

impl AgreementStep {
    fn action(self) -> &'static str {
        match self {
            AgreementStep::Approve => "exchange.agreement.approved",
            AgreementStep::Reject => "exchange.agreement.rejected",
            AgreementStep::Suspend => "exchange.agreement.suspended",
            AgreementStep::Reactivate => "exchange.agreement.reactivated",
            AgreementStep::Archive => "exchange.agreement.archived",
        }
    }
}

/// The agreement after `step` by `party`, or why the step is not possible now.
pub fn next_agreement(current: &Agreement, step: AgreementStep, party: Party, now: Timestamp) -> Result<Agreement> {
    use AgreementState::*;
    let mut next = current.clone();
    next.updated_at = now;
    let refuse = |why: &str| {
        Err(Error::Conflict(
            format!("cannot {step:?} an agreement that is {}: {why}", current.state.as_str()).to_lowercase(),
        ))
    };
    match step {
        AgreementStep::Approve | AgreementStep::Reject => {
            if party != Party::Provider {
                return Err(Error::Forbidden("only the provider approves or rejects agreements".into()));
            }
            if current.state != Pending {
                return refuse("only pending agreements are decided");
            }
            next.state = if step == AgreementStep::Approve { Active } else { Rejected };
        }
        AgreementStep::Suspend => {
            if !matches!(current.state, Active | Suspended) {
                return refuse("only active agreements are suspended");
            }
            if !next.suspend_by(party) {
                return refuse("you have suspended it already");
            }
            next.state = Suspended;
        }
        AgreementStep::Reactivate => {
            if current.state != Suspended {
                return refuse("only suspended agreements are reactivated");
            }
            let Some(still) = next.lift_by(party) else {
                return refuse("the other party suspended it; only they can reactivate it");
            };
            next.state = if still { Suspended } else { Active };
        }
        AgreementStep::Archive => {
            if party != Party::Consumer {
                return Err(Error::Forbidden("only the consumer archives its agreement".into()));
            }
            if !matches!(current.state, Pending | Active | Suspended) {
                return refuse("it is closed already");
            }
            next.state = Archived;
        }
    }
    Ok(next)
}

impl Exchange {
    /// Ask for an agreement between one of the caller's subsystems and an e-service. With
    /// automatic approval and the required attributes held, it is active at once.
    pub async fn request_agreement(
        &self,
        caller: &Caller,
        eservice_id: Uuid,
        consumer_subsystem_id: Uuid,
    ) -> Result<Agreement> {
        let consumer = self.own_subsystem(caller, consumer_subsystem_id, "consumer_subsystem_id").await?;
        let eservice = self
            .eservice(eservice_id)
            .await
            .map_err(|_| Error::invalid("eservice_id", format!("no e-service {eservice_id}")))?;
        if eservice.state != EServiceState::Active {
            return Err(Error::invalid("eservice_id", "the e-service is suspended; it accepts no new agreements"));
        }
        let held = members::attributes(self.kernel.db(), caller.org_id).await?;
        let missing: Vec<&String> = eservice.required_attributes.iter().filter(|a| !held.contains(a)).collect();
        let now = Timestamp::now();
        let mut agreement = Agreement {
            id: Uuid::now_v7(),
            eservice_id,
            consumer_subsystem_id: consumer.id,
            consumer_org: caller.org_id,
            provider_org: eservice.provider_org,
            state: AgreementState::Pending,
            suspended_by_provider: false,
            suspended_by_consumer: false,
            created_at: now,
            updated_at: now,
        };
        let automatic = eservice.approval == Approval::Automatic && missing.is_empty();
        let mut tx = self.kernel.db().begin().await?;
        store::insert(&mut tx, &agreement).await?;
        let note = (!missing.is_empty()).then(|| {
            format!(
                "the consumer lacks {}: the provider decides",
                missing.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
            )
        });
        lifecycle::add_history(&mut tx, &agreement, &caller.actor.0, None, note.as_deref()).await?;
        let requested = Event::new(&caller.actor, "exchange.agreement.requested", "agreement", agreement.id)
            .org(caller.org_id)
            .details(json!({ "eservice_id": eservice_id, "consumer_subsystem_id": consumer.id, "consumer": consumer.xroad_id }));
        if !automatic {
            self.commit_change(tx, requested).await?;
            return Ok(agreement);
        }
        self.kernel.audit(&mut tx, requested).await?;
        let before = agreement.clone();
        agreement.state = AgreementState::Active;
        let why = "automatic approval: the consumer holds every required attribute";
        let system = publica_kernel::audit::Actor::system("exchange");
        let taken = Taken { actor: &system, why: Some(why) };
        steps::write(&mut tx, &before, &agreement, &taken, "the agreement changed meanwhile").await?;
        let approved = Event::new(&system, "exchange.agreement.approved", "agreement", agreement.id)
            .org(caller.org_id)
            .details(json!({ "from": "pending", "to": "active", "reason": why }));
        self.commit_change(tx, approved).await?;
        Ok(agreement)
    }

    /// An agreement and its history, for either party.
    pub async fn agreement(&self, caller: &Caller, id: Uuid) -> Result<(Agreement, Vec<Transition>)> {
        let agreement = self.agreement_for(caller, id).await?;
        let history = lifecycle::history::<Agreement>(self.kernel.db(), id).await?;
        Ok((agreement, history))
    }

    async fn agreement_for(&self, caller: &Caller, id: Uuid) -> Result<Agreement> {
        match store::get(self.kernel.db(), id).await? {
            Some(a) if a.provider_org == caller.org_id || a.consumer_org == caller.org_id => Ok(a),
            _ => Err(Error::not_found(format!("agreement {id}"))),
        }
    }

    /// The caller's agreements as provider (its inbox) or as consumer.
    pub async fn agreements(
        &self,
        caller: &Caller,
        party: Party,
        state: Option<AgreementState>,
    ) -> Result<Vec<Agreement>> {
        store::list(self.kernel.db(), caller.org_id, party, state).await
    }

    /// Take one lifecycle step; `reason` is required to reject.
    pub async fn agreement_step(
        &self,
        caller: &Caller,
        id: Uuid,
        step: AgreementStep,
        why: Option<&str>,
    ) -> Result<Agreement> {
        let current = self.agreement_for(caller, id).await?;
        let why = reason(why)?;
        if step == AgreementStep::Reject && why.is_none() {
            return Err(Error::invalid("reason", "say why the agreement is rejected"));
        }
        let party = party_for(caller, current.provider_org, current.consumer_org, step == AgreementStep::Archive);
        let next = next_agreement(&current, step, party, Timestamp::now())?;
        self.commit_step(caller, party, step.action(), (&current, &next), why.as_deref()).await?;
        Ok(next)
    }
}

/// Which side the caller acts on. An organisation consuming its own e-service is provider for
/// provider steps and consumer for consumer steps (`consumer_first`).
pub(crate) fn party_for(caller: &Caller, provider_org: Uuid, consumer_org: Uuid, consumer_first: bool) -> Party {
    let is_provider = caller.org_id == provider_org;
    let is_consumer = caller.org_id == consumer_org;
    match (is_provider, is_consumer) {
        (true, true) if consumer_first => Party::Consumer,
        (true, _) => Party::Provider,
        _ => Party::Consumer,
    }
}
