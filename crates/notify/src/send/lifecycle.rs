//! After delivery: refinement ("perfezionamento") by lapse of time, applied by a sweep that
//! compares due dates with the service's clock; refinement by viewing, with the recipient's
//! access legal fact; and cancellation by the sender.

use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::NewJob;
use serde_json::json;

use super::jobs::{CANCEL, VIEWED};
use super::record::{NewElement, Plan};
use super::store;
use super::{Send, legal_facts};

/// SEND's cost unit per recipient not yet refined (eurocent).
const COST_PER_RECIPIENT: i64 = 100;
/// Refinements applied per sweep before it hands over to the next one.
const BATCH: i64 = 200;

/// What a cancellation request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    Accepted,
    AlreadyCancelled,
}

impl Send {
    /// Refine every recipient whose refinement is due on the service's clock.
    pub(crate) async fn sweep(&self) -> Result<()> {
        let db = self.kernel.db();
        let due = store::due_refinements(db, self.now(), BATCH).await?;
        for r in &due {
            let Some(n) = store::notification(db, &r.iun).await? else {
                continue;
            };
            let Some(at) = r.refinement_due else {
                continue;
            };
            let mut plan = Plan::default();
            if n.cancel_requested || r.viewed_at.is_some() {
                plan.due.push((r.rec_index, None));
            } else {
                plan.elements.push(NewElement::new(
                    "REFINEMENT",
                    &r.iun,
                    Some(r.rec_index),
                    "",
                    at,
                    json!({"notificationCost": COST_PER_RECIPIENT, "eventTimestamp": at}),
                ));
                plan.refined.push((r.rec_index, at));
            }
            self.commit(&n, plan).await?;
        }
        let next = if due.len() as i64 == BATCH { Some(self.now()) } else { store::next_refinement(db).await? };
        if let Some(next) = next {
            let mut tx = db.begin().await?;
            self.kernel.enqueue(&mut tx, self.sweep_job_at(next)).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Record the first access of recipient `rec` at `at` (from the viewing job).
    pub(crate) async fn record_view(&self, iun: &str, rec: i32, at: publica_kernel::db::Timestamp) -> Result<()> {
        let db = self.kernel.db();
        let Some(n) = store::notification(db, iun).await? else {
            return Ok(());
        };
        let Some(r) = store::recipients(db, iun).await?.into_iter().find(|r| r.rec_index == rec) else {
            return Ok(());
        };
        if r.viewed_at.is_some() || n.cancel_requested {
            return Ok(());
        }
        let req: super::model::NewNotificationRequest =
            serde_json::from_value(n.request.clone()).map_err(Error::internal)?;
        let fact = self.party(&n, &req, rec).access(at).seal(&*self.seal().await?, at)?;
        let cost = r.refined_at.is_none().then_some(COST_PER_RECIPIENT);
        let mut plan = Plan::default();
        plan.elements.push(
            NewElement::new(
                "NOTIFICATION_VIEWED",
                iun,
                Some(rec),
                "",
                at,
                json!({"notificationCost": cost, "eventTimestamp": at}),
            )
            .with_legal_fact((legal_facts::RECIPIENT_ACCESS, fact.0, fact.1)),
        );
        plan.viewed.push((rec, at));
        if r.refined_at.is_none() {
            plan.refined.push((rec, at));
        }
        self.commit(&n, plan).await?;
        Ok(())
    }

    /// Queue the recording of a recipient's access now (only the first one counts).
    pub(crate) async fn viewed_now(&self, iun: &str, rec: i32) -> Result<()> {
        let mut tx = self.kernel.db().begin().await?;
        let job = NewJob::new(VIEWED, format!("{iun}:{rec}"), json!({"iun": iun, "rec": rec, "at": self.now()}));
        self.kernel.enqueue(&mut tx, job).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The sender cancels a notification: the request is recorded now, the cancellation
    /// (legal fact, end of the workflow) by a job.
    pub async fn request_cancel(&self, sender_id: uuid::Uuid, iun: &str) -> Result<Cancellation> {
        let db = self.kernel.db();
        let n = store::notification(db, iun)
            .await?
            .filter(|n| n.sender_id == sender_id && !["IN_VALIDATION", "REFUSED"].contains(&n.status.as_str()))
            .ok_or_else(|| Error::not_found(format!("notification {iun}")))?;
        if n.cancel_requested || n.status == "CANCELLED" {
            return Ok(Cancellation::AlreadyCancelled);
        }
        let mut tx = db.begin().await?;
        if !store::request_cancel(&mut tx, iun).await? {
            return Ok(Cancellation::AlreadyCancelled);
        }
        tx.commit().await?;
        let mut plan = Plan::default();
        plan.elements.push(NewElement::new(
            "NOTIFICATION_CANCELLATION_REQUEST",
            iun,
            None,
            "",
            self.now(),
            json!({"cancellationRequestId": uuid::Uuid::now_v7()}),
        ));
        plan.jobs.push(NewJob::new(CANCEL, iun.to_string(), json!({"iun": iun})));
        self.commit(&n, plan).await?;
        Ok(Cancellation::Accepted)
    }

    /// Complete a cancellation: NOTIFICATION_CANCELLED with its legal fact; refinements stop.
    pub(crate) async fn cancel(&self, iun: &str) -> Result<()> {
        let db = self.kernel.db();
        let Some(n) = store::notification(db, iun).await? else {
            return Ok(());
        };
        if n.status == "CANCELLED" {
            return Ok(());
        }
        let recipients = store::recipients(db, iun).await?;
        let not_refined: Vec<i32> = recipients.iter().filter(|r| r.refined_at.is_none()).map(|r| r.rec_index).collect();
        let now = self.now();
        let fact = legal_facts::cancelled(iun, &n.request, now).seal(&*self.seal().await?, now)?;
        let mut plan = Plan::default();
        plan.elements.push(
            NewElement::new(
                "NOTIFICATION_CANCELLED",
                iun,
                None,
                "",
                now,
                json!({"notificationCost": COST_PER_RECIPIENT * not_refined.len() as i64, "notRefinedRecipientIndexes": not_refined}),
            )
            .with_legal_fact((legal_facts::NOTIFICATION_CANCELLED, fact.0, fact.1)),
        );
        plan.due = recipients.iter().map(|r| (r.rec_index, None)).collect();
        self.commit(&n, plan).await?;
        Ok(())
    }
}
