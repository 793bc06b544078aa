//! Purposes: why a consumer calls an e-service, on which legal basis, and how many calls a
//! day it expects. Active at once when those calls fit in what remains of the e-service's
//! quotas; otherwise waiting for the provider's approval. Either side may suspend; the party
//! that suspended activates again; the consumer archives.

use publica_kernel::audit::Event;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::agreements::party_for;
use super::{Caller, Exchange, reason, text};
use crate::domain::{AgreementState, Lifecycle, Party, Purpose, PurposeState, Transition};
use crate::store::{agreements, lifecycle, purposes as store};

/// What a consumer declares.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurpose {
    pub eservice_id: Uuid,
    /// The consumer subsystem (one of the caller's), which must hold an active agreement.
    pub consumer_subsystem_id: Uuid,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The law that allows the processing, e.g. `Demoland Income Tax Act, s. 12`.
    pub legal_basis: String,
    /// Calls per UTC day expected (and allowed) for this purpose.
    pub daily_calls: i64,
    /// Days the people concerned do not see these calls in their data-usage log (1 to 3650).
    pub confidential_days: Option<i64>,
}

/// What a party asks of a purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurposeStep {
    Approve,
    Suspend,
    Activate,
    Archive,
}

impl PurposeStep {
    fn action(self) -> &'static str {
        match self {
            PurposeStep::Approve => "exchange.purpose.approved",
            PurposeStep::Suspend => "exchange.purpose.suspended",
            PurposeStep::Activate => "exchange.purpose.activated",
            PurposeStep::Archive => "exchange.purpose.archived",
        }
    }
}

/// The purpose after `step` by `party`, or why the step is not possible now.
pub fn next_purpose(current: &Purpose, step: PurposeStep, party: Party, now: Timestamp) -> Result<Purpose> {
    use PurposeState::*;
    let mut next = current.clone();
    next.updated_at = now;
    let refuse = |why: &str| {
        Err(Error::Conflict(format!(
            "cannot {} a purpose that is {}: {why}",
            format!("{step:?}").to_lowercase(),
            current.state.as_str()
        )))
    };
    match step {
        PurposeStep::Approve => {
            if party != Party::Provider {
                return Err(Error::Forbidden("only the provider approves purposes".into()));
            }
            if current.state != WaitingForApproval {
                return refuse("only purposes waiting for approval are approved");
            }
            next.state = Active;
        }
        PurposeStep::Suspend => {
            if !matches!(current.state, Active | Suspended) {
                return refuse("only active purposes are suspended");
            }
            if !next.suspend_by(party) {
                return refuse("you have suspended it already");
            }
            next.state = Suspended;
        }
        PurposeStep::Activate => {
            if current.state != Suspended {
                return refuse("only suspended purposes are activated");
            }
            let Some(still) = next.lift_by(party) else {
                return refuse("the other party suspended it; only they can activate it");
            };
            next.state = if still { Suspended } else { Active };
        }
        PurposeStep::Archive => {
            if party != Party::Consumer {
                return Err(Error::Forbidden("only the consumer archives its purpose".into()));
            }
            if current.state == Archived {
                return refuse("it is archived already");
            }
            next.state = Archived;
        }
    }
    Ok(next)
}

impl Exchange {
    /// Declare a purpose for one of the caller's subsystems, which needs an active agreement.
    pub async fn create_purpose(&self, caller: &Caller, new: NewPurpose) -> Result<Purpose> {
        let consumer = self.own_subsystem(caller, new.consumer_subsystem_id, "consumer_subsystem_id").await?;
        let eservice = self
            .eservice(new.eservice_id)
            .await
            .map_err(|_| Error::invalid("eservice_id", format!("no e-service {}", new.eservice_id)))?;
        let title = text("title", &new.title, 200)?;
        let description = new.description.trim().to_string();
        if description.chars().count() > 10_000 {
            return Err(Error::invalid("description", "at most 10,000 characters"));
        }
        let legal_basis = text("legal_basis", &new.legal_basis, 500)?;
        if !(1..=1_000_000_000).contains(&new.daily_calls) {
            return Err(Error::invalid("daily_calls", "between 1 and 1,000,000,000 calls a day"));
        }
        if new.confidential_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(Error::invalid("confidential_days", "between 1 and 3650 days, or leave it out"));
        }
        match agreements::live(self.kernel.db(), eservice.id, consumer.id).await? {
            Some(a) if a.state == AgreementState::Active => {}
            Some(a) => {
                return Err(Error::invalid(
                    "eservice_id",
                    format!("the subsystem's agreement for this e-service is {}; it must be active", a.state.as_str()),
                ));
            }
            None => {
                return Err(Error::invalid(
                    "eservice_id",
                    "the subsystem has no agreement for this e-service; request one first",
                ));
            }
        }
        let id = Uuid::now_v7();
        let (granted_total, granted_here) =
            store::granted_calls(self.kernel.db(), eservice.id, consumer.id, id).await?;
        let mut short = Vec::new();
        if let Some(quota) = eservice.daily_quota_per_consumer
            && granted_here + new.daily_calls > quota
        {
            short.push(format!("{} of the {quota} calls a day each consumer may make", (quota - granted_here).max(0)));
        }
        if let Some(quota) = eservice.daily_quota_total
            && granted_total + new.daily_calls > quota
        {
            short.push(format!("{} of the e-service's {quota} calls a day", (quota - granted_total).max(0)));
        }
        let now = Timestamp::now();
        let purpose = Purpose {
            id,
            eservice_id: eservice.id,
            consumer_subsystem_id: consumer.id,
            consumer_org: caller.org_id,
            provider_org: eservice.provider_org,
            title,
            description,
            legal_basis,
            daily_calls: new.daily_calls,
            confidential_days: new.confidential_days,
            state: if short.is_empty() { PurposeState::Active } else { PurposeState::WaitingForApproval },
            suspended_by_provider: false,
            suspended_by_consumer: false,
            created_at: now,
            updated_at: now,
        };
        let why = if short.is_empty() {
            "the expected calls fit within the remaining quotas".to_string()
        } else {
            format!(
                "{} calls a day expected, but only {} remain: the provider decides",
                new.daily_calls,
                short.join(" and ")
            )
        };
        let mut tx = self.kernel.db().begin().await?;
        store::insert(&mut tx, &purpose).await?;
        lifecycle::add_history(&mut tx, &purpose, &caller.actor.0, None, Some(&why)).await?;
        let event =
            Event::new(&caller.actor, "exchange.purpose.created", "purpose", id).org(caller.org_id).details(json!({
                "eservice_id": eservice.id, "consumer": consumer.xroad_id, "state": purpose.state.as_str(),
                "daily_calls": purpose.daily_calls, "reason": why,
            }));
        self.commit_change(tx, event).await?;
        Ok(purpose)
    }

    /// A purpose and its history, for either party.
    pub async fn purpose(&self, caller: &Caller, id: Uuid) -> Result<(Purpose, Vec<Transition>)> {
        let purpose = self.purpose_for(caller, id).await?;
        let history = lifecycle::history::<Purpose>(self.kernel.db(), id).await?;
        Ok((purpose, history))
    }

    async fn purpose_for(&self, caller: &Caller, id: Uuid) -> Result<Purpose> {
        match store::get(self.kernel.db(), id).await? {
            Some(p) if p.provider_org == caller.org_id || p.consumer_org == caller.org_id => Ok(p),
            _ => Err(Error::not_found(format!("purpose {id}"))),
        }
    }

    /// The caller's purposes as provider or as consumer.
    pub async fn purposes(&self, caller: &Caller, party: Party, state: Option<PurposeState>) -> Result<Vec<Purpose>> {
        store::list(self.kernel.db(), caller.org_id, party, state).await
    }

    /// Take one lifecycle step.
    pub async fn purpose_step(
        &self,
        caller: &Caller,
        id: Uuid,
        step: PurposeStep,
        why: Option<&str>,
    ) -> Result<Purpose> {
        let current = self.purpose_for(caller, id).await?;
        let why = reason(why)?;
        let party = party_for(caller, current.provider_org, current.consumer_org, step == PurposeStep::Archive);
        let next = next_purpose(&current, step, party, Timestamp::now())?;
        self.commit_step(caller, party, step.action(), (&current, &next), why.as_deref()).await?;
        Ok(next)
    }
}
