//! Reading back what became of a message handed to the notify block (a notice to a digital
//! domicile, or a notice on paper) and going on from it: success with its legal fact and the
//! refinement schedule, the next digital domicile, the digital failure with a simple letter,
//! or the recipient found unreachable.

use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::NewJob;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Send;
use super::legal_facts;
use super::model::NewNotificationRequest;
use super::record::{NewElement, Plan};
use super::store::{self, NotificationRow};
use super::workflow::{DIGITAL_SOURCES, feedback_job, parse};

/// What a feedback job learnt.
pub enum Feedback {
    /// No outcome yet: another look is queued.
    Pending,
    Done,
}

impl Send {
    /// Read back the outcome of a message handed to the notify block and go on from it.
    pub(crate) async fn feedback(&self, payload: &Value) -> Result<Feedback> {
        let db = self.kernel.db();
        let field = |k: &str| payload[k].as_str().unwrap_or_default().to_string();
        let iun = field("iun");
        let rec = payload["rec"].as_i64().unwrap_or(0) as i32;
        let message: Uuid = serde_json::from_value(payload["message"].clone()).map_err(Error::internal)?;
        let Some(n) = store::notification(db, &iun).await? else {
            return Ok(Feedback::Done);
        };
        if n.cancel_requested {
            return Ok(Feedback::Done);
        }
        let notify = self.notify()?;
        let outcome = match super::notices::status(&notify, message).await? {
            None => Err("the message is gone".to_string()),
            Some((status, _, _)) if status == "delivered" => Ok(()),
            Some((status, reason, _)) if crate::domain::kinds::is_final(&status) || status == "validation-failed" => {
                Err(reason.unwrap_or(status))
            }
            Some(_) => {
                let created = crate::store::notification(db, None, message).await?.map(|m| m.created_at);
                let limit = time::Duration::hours(self.config.digital_no_response_hours);
                if created.is_some_and(|c| c.plus(limit) < Timestamp::now()) {
                    Err("no answer in time".to_string())
                } else {
                    let polls = payload["polls"].as_i64().unwrap_or(0) + 1;
                    let mut next = payload.clone();
                    next["polls"] = json!(polls);
                    let wait = time::Duration::seconds(1i64 << polls.clamp(0, 8));
                    let job = NewJob { run_at: Some(Timestamp::now().plus(wait)), ..feedback_job(next) };
                    let mut tx = db.begin().await?;
                    self.kernel.enqueue(&mut tx, job).await?;
                    tx.commit().await?;
                    return Ok(Feedback::Pending);
                }
            }
        };
        let req = parse(&n)?;
        let now = self.now();
        let mut plan = Plan::default();
        if field("kind") == "digital" {
            let (source, address) = (field("source"), field("address"));
            let suffix = format!(".SOURCE_{source}.REPEAT_false.ATTEMPT_0");
            let digital = json!({"type": "PEC", "address": address});
            match outcome {
                Ok(()) => {
                    plan.elements.push(NewElement::new(
                        "SEND_DIGITAL_FEEDBACK",
                        &iun,
                        Some(rec),
                        &suffix,
                        now,
                        json!({
                            "digitalAddress": digital, "digitalAddressSource": source, "responseStatus": "OK",
                            "notificationDate": now, "deliveryDetailCode": "C003",
                        }),
                    ));
                    let fact = self
                        .party(&n, &req, rec)
                        .digital_delivery(&address, &source, now)
                        .seal(&*self.seal().await?, now)?;
                    plan.elements.push(
                        NewElement::new(
                            "DIGITAL_SUCCESS_WORKFLOW",
                            &iun,
                            Some(rec),
                            "",
                            now,
                            json!({"digitalAddress": digital}),
                        )
                        .with_legal_fact((legal_facts::DIGITAL_DELIVERY, fact.0, fact.1)),
                    );
                    self.schedule_refinement(&mut plan, &n, rec, now, self.config.digital_refinement_days).await?;
                }
                Err(reason) => {
                    plan.elements.push(NewElement::new(
                        "SEND_DIGITAL_FEEDBACK",
                        &iun,
                        Some(rec),
                        &suffix,
                        now,
                        json!({
                            "digitalAddress": digital, "digitalAddressSource": source, "responseStatus": "KO",
                            "notificationDate": now, "deliveryDetailCode": "C004", "deliveryFailureCause": reason,
                        }),
                    ));
                    let registered = store::addresses(db, &req.recipients[rec as usize].tax_id).await?;
                    let sources = self.digital_sources(&req, rec, &registered);
                    let position = DIGITAL_SOURCES.iter().position(|s| *s == source).unwrap_or(DIGITAL_SOURCES.len());
                    let next = sources
                        .iter()
                        .skip(position + 1)
                        .find_map(|(s, a)| a.as_ref().filter(|a| **a != address).map(|a| (*s, a.clone())));
                    match next {
                        Some((s, a)) => {
                            let r = &req.recipients[rec as usize];
                            let p = json!({
                                "recipient": r.denomination, "sender": req.sender_denomination, "iun": iun, "subject": req.subject,
                                "link": notify.public_base(), "days": self.config.digital_refinement_days.to_string(),
                            });
                            let p = p.as_object().cloned().unwrap_or_default();
                            self.digital_attempt(&mut plan, &n, rec, s, &a, p, now).await?;
                        }
                        None => self.digital_failure(&mut plan, &n, &req, rec, now).await?,
                    }
                }
            }
        } else {
            let base = json!({
                "physicalAddress": req.recipients[rec as usize].physical_address, "serviceLevel": payload["serviceLevel"],
                "sentAttemptMade": 0, "notificationDate": now,
            });
            match outcome {
                Ok(()) => {
                    let mut details = base.clone();
                    details["responseStatus"] = json!("OK");
                    plan.elements.push(NewElement::new(
                        "SEND_ANALOG_FEEDBACK",
                        &iun,
                        Some(rec),
                        ".ATTEMPT_0",
                        now,
                        details,
                    ));
                    let r = &req.recipients[rec as usize];
                    let lines = r.physical_address.as_ref().map(|a| a.lines(&r.denomination)).unwrap_or_default();
                    let product = field("product");
                    let fact = self
                        .party(&n, &req, rec)
                        .analog_delivery(&lines, &product, &field("letterSha256"), now)
                        .seal(&*self.seal().await?, now)?;
                    plan.elements.push(
                        NewElement::new(
                            "ANALOG_SUCCESS_WORKFLOW",
                            &iun,
                            Some(rec),
                            "",
                            now,
                            json!({"physicalAddress": base["physicalAddress"]}),
                        )
                        .with_legal_fact((legal_facts::ANALOG_DELIVERY, fact.0, fact.1)),
                    );
                    self.schedule_refinement(&mut plan, &n, rec, now, self.config.analog_refinement_days).await?;
                }
                Err(reason) => {
                    let mut details = base;
                    details["responseStatus"] = json!("KO");
                    details["deliveryFailureCause"] = json!(reason);
                    plan.elements.push(NewElement::new(
                        "SEND_ANALOG_FEEDBACK",
                        &iun,
                        Some(rec),
                        ".ATTEMPT_0",
                        now,
                        details,
                    ));
                    self.unreachable(&mut plan, &n, &req, rec, now).await?;
                }
            }
        }
        self.commit(&n, plan).await?;
        Ok(Feedback::Done)
    }

    async fn digital_failure(
        &self,
        plan: &mut Plan,
        n: &NotificationRow,
        req: &NewNotificationRequest,
        rec: i32,
        now: Timestamp,
    ) -> Result<()> {
        let mut attempts: Vec<String> = store::timeline(self.kernel.db(), &n.iun)
            .await?
            .iter()
            .filter(|e| e.rec_index == Some(rec) && e.category == "SEND_DIGITAL_FEEDBACK")
            .map(|e| {
                format!(
                    "{}: {}",
                    e.details["digitalAddress"]["address"].as_str().unwrap_or(""),
                    e.details["deliveryFailureCause"].as_str().unwrap_or("delivered")
                )
            })
            .collect();
        if let Some(last) = plan.elements.iter().rev().find(|e| e.category == "SEND_DIGITAL_FEEDBACK") {
            attempts.push(format!(
                "{}: {}",
                last.details["digitalAddress"]["address"].as_str().unwrap_or(""),
                last.details["deliveryFailureCause"].as_str().unwrap_or("")
            ));
        }
        let fact = self.party(n, req, rec).digital_failure(attempts, now).seal(&*self.seal().await?, now)?;
        plan.elements.push(
            NewElement::new("DIGITAL_FAILURE_WORKFLOW", &n.iun, Some(rec), "", now, json!({})).with_legal_fact((
                legal_facts::DIGITAL_DELIVERY,
                fact.0,
                fact.1,
            )),
        );
        self.schedule_refinement(plan, n, rec, now, self.config.digital_failure_refinement_days).await?;
        self.paper(plan, n, req, rec, now, true).await
    }
}
