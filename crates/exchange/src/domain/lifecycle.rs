//! What agreements and purposes share: a state that both parties move through steps, with one
//! suspension flag per party (a suspended row is active again once neither holds it).

use publica_kernel::db::Timestamp;
use uuid::Uuid;

use super::{Agreement, Party, Purpose};

/// An agreement or a purpose, as the steps of its lifecycle see it.
pub trait Lifecycle: Clone {
    /// What the audit log, errors and table names call it: `agreement`, `purpose`. Its rows
    /// are in `exchange_{KIND}s`, its steps in `exchange_{KIND}_history` keyed by `{KIND}_id`.
    const KIND: &'static str;

    fn id(&self) -> Uuid;

    /// The state as the `state` column holds it.
    fn state_name(&self) -> &'static str;

    fn updated_at(&self) -> Timestamp;

    /// The suspension flags: by the provider, by the consumer.
    fn suspended(&self) -> (bool, bool);

    /// The suspension flag of `party`.
    fn suspended_by(&mut self, party: Party) -> &mut bool;

    /// `party` suspends it: `false` when that party has suspended it already.
    fn suspend_by(&mut self, party: Party) -> bool {
        let flag = self.suspended_by(party);
        !std::mem::replace(flag, true)
    }

    /// `party` lifts its suspension: `None` when that party holds none (only the other party
    /// can lift theirs), else whether the row stays suspended by the other party.
    fn lift_by(&mut self, party: Party) -> Option<bool> {
        let flag = self.suspended_by(party);
        if !std::mem::replace(flag, false) {
            return None;
        }
        let (by_provider, by_consumer) = self.suspended();
        Some(by_provider || by_consumer)
    }
}

macro_rules! lifecycle {
    ($type:ty, $kind:literal) => {
        impl Lifecycle for $type {
            const KIND: &'static str = $kind;

            fn id(&self) -> Uuid {
                self.id
            }

            fn state_name(&self) -> &'static str {
                self.state.as_str()
            }

            fn updated_at(&self) -> Timestamp {
                self.updated_at
            }

            fn suspended(&self) -> (bool, bool) {
                (self.suspended_by_provider, self.suspended_by_consumer)
            }

            fn suspended_by(&mut self, party: Party) -> &mut bool {
                match party {
                    Party::Provider => &mut self.suspended_by_provider,
                    Party::Consumer => &mut self.suspended_by_consumer,
                }
            }
        }
    };
}

lifecycle!(Agreement, "agreement");
lifecycle!(Purpose, "purpose");
