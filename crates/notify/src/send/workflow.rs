//! The delivery workflow: submission, asynchronous validation (documents' hashes, addresses),
//! acceptance with the sender's legal fact, then for each recipient courtesy messages, the
//! digital domiciles in SEND's order (registered on the platform, then the one the sender gave),
//! and the paper fallback; the outcome of each attempt is read back from the notify block.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::NewJob;
use serde_json::{Value, json};
use uuid::Uuid;

use super::jobs::{FEEDBACK, RECIPIENT, REFINE, VALIDATE};
use super::legal_facts::{self, Party};
use super::model::{self, NewNotificationRequest, ProblemError};
use super::notices::Outgoing;
use super::record::{NewElement, Plan};
use super::store::{self, NotificationRow, RecipientRow};
use super::{Send, iun};
use crate::domain::template::{self, Letter, LetterLanguage, Personalisation};

/// The answer to an accepted submission.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub iun: String,
    pub request_id: String,
    pub pa_protocol_number: String,
    pub idempotence_token: Option<String>,
}

/// Why a submission was refused at once.
#[derive(Debug)]
pub enum SubmitError {
    /// The request breaks the schema (400).
    Invalid(Vec<ProblemError>),
    /// A notification with the same protocol number and token, or the same payment, exists (409).
    Duplicate(Vec<ProblemError>),
    Other(Error),
}

impl From<Error> for SubmitError {
    fn from(e: Error) -> Self {
        SubmitError::Other(e)
    }
}

pub(super) const DIGITAL_SOURCES: [&str; 2] = ["PLATFORM", "SPECIAL"];

pub(super) fn parse(n: &NotificationRow) -> Result<NewNotificationRequest> {
    serde_json::from_value(n.request.clone()).map_err(|e| Error::internal(format!("stored request {}: {e}", n.iun)))
}

impl Send {
    /// Check a new notification request and store it for validation; nothing is sent yet.
    pub async fn submit(&self, sender_id: Uuid, actor: &Actor, body: Value) -> Result<Submitted, SubmitError> {
        let errors = model::check_request(&body);
        if !errors.is_empty() {
            return Err(SubmitError::Invalid(errors));
        }
        let req: NewNotificationRequest = serde_json::from_value(body)
            .map_err(|e| SubmitError::Invalid(vec![ProblemError::new(model::INVALID, "body", e.to_string())]))?;
        let db = self.kernel.db();
        let token = req.idempotence_token.clone().unwrap_or_default();
        if let Some(existing) = store::by_protocol(db, sender_id, &req.pa_protocol_number, &token).await?
            && !existing.cancel_requested
            && !["CANCELLED", "REFUSED"].contains(&existing.status.as_str())
        {
            return Err(SubmitError::Duplicate(vec![ProblemError::new(
                model::DUPLICATE,
                "body.paProtocolNumber",
                format!(
                    "notification {} has this paProtocolNumber and idempotenceToken; change the idempotenceToken to send again",
                    existing.iun
                ),
            )]));
        }
        let mut duplicates = Vec::new();
        for (creditor, notice, rec) in req.notices() {
            if store::notice_in_use(db, &creditor, &notice).await? {
                duplicates.push(ProblemError::new(
                    model::DUPLICATE,
                    format!("body.recipients[{rec}].payments"),
                    format!("payment notice {notice} of {creditor} is used by another notification"),
                ));
            }
        }
        if !duplicates.is_empty() {
            return Err(SubmitError::Duplicate(duplicates));
        }
        if let Some(cancelled) = &req.cancelled_iun {
            let ok = store::notification(db, cancelled).await?.is_some_and(|c| c.sender_id == sender_id);
            if !ok {
                return Err(SubmitError::Invalid(vec![ProblemError::new(
                    model::INVALID,
                    "body.cancelledIun",
                    "none of your notifications has this IUN",
                )]));
            }
        }
        let now = self.now();
        let request = serde_json::to_value(&req).map_err(Error::internal)?;
        let recipients = |iun: &str| -> Vec<RecipientRow> {
            req.recipients
                .iter()
                .enumerate()
                .map(|(i, r)| RecipientRow {
                    iun: iun.into(),
                    rec_index: i as i32,
                    tax_id: r.tax_id.clone(),
                    denomination: r.denomination.clone(),
                    viewed_at: None,
                    refined_at: None,
                    refinement_due: None,
                })
                .collect()
        };
        // An IUN is random; on the rare collision draw another.
        for _ in 0..5 {
            let iun = iun::generate(now);
            let row = NotificationRow {
                iun: iun.clone(),
                sender_id,
                request_id: iun::request_id(&iun),
                pa_protocol_number: req.pa_protocol_number.clone(),
                idempotence_token: token.clone(),
                request: request.clone(),
                status: "IN_VALIDATION".into(),
                errors: None,
                cancel_requested: false,
                cancelled_by_iun: None,
                sent_at: now,
                updated_at: Timestamp::now(),
            };
            if store::notification(db, &iun).await?.is_some() {
                continue;
            }
            let mut tx = db.begin().await.map_err(Error::from)?;
            store::insert_notification(&mut tx, &row, &recipients(&iun), &req.notices()).await?;
            self.kernel.enqueue(&mut tx, NewJob::new(VALIDATE, iun.clone(), json!({ "iun": iun }))).await?;
            self.kernel
                .audit(
                    &mut tx,
                    Event::new(actor, "notify.send.notification.submitted", "notification", &iun)
                        .org(sender_id)
                        .details(
                            json!({"paProtocolNumber": req.pa_protocol_number, "recipients": req.recipients.len()}),
                        ),
                )
                .await?;
            tx.commit().await.map_err(Error::from)?;
            return Ok(Submitted {
                iun,
                request_id: row.request_id,
                pa_protocol_number: req.pa_protocol_number,
                idempotence_token: req.idempotence_token,
            });
        }
        Err(SubmitError::Other(Error::internal("could not draw a free IUN")))
    }

    /// Validation (SEND's asynchronous checks), then acceptance or refusal.
    pub(crate) async fn validate(&self, iun: &str) -> Result<()> {
        let db = self.kernel.db();
        let Some(n) = store::notification(db, iun).await? else {
            return Ok(());
        };
        if n.status != "IN_VALIDATION" {
            return Ok(());
        }
        let req = parse(&n)?;
        let mut reasons = Vec::new();
        let mut hashes = Vec::new();
        for a in req.attachments() {
            let file = store::file(db, a.key).await?.filter(|f| f.sender_id == n.sender_id);
            let content = match file.as_ref().and_then(|f| f.content.as_ref().map(|c| (f, c))) {
                Some((f, sealed)) if f.version_token.as_deref() == Some(a.version_token) => {
                    self.open_file(&f.key, sealed)?
                }
                _ => {
                    reasons.push(json!({"errorCode": "FILE_NOTFOUND", "detail": format!("{}: no upload with key {} and this versionToken", a.element, a.key)}));
                    continue;
                }
            };
            let digest = STANDARD.encode(publica_kernel::crypto::sha256(&content));
            if digest != a.digests {
                reasons.push(json!({"errorCode": "FILE_SHA_ERROR", "detail": format!("{}: the file's SHA-256 is {digest}, not {}", a.element, a.digests)}));
            } else if a.json && serde_json::from_slice::<Value>(&content).is_err() {
                reasons
                    .push(json!({"errorCode": "F24_METADATA_NOT_VALID", "detail": format!("{}: not JSON", a.element)}));
            } else if !a.json && template::pdf_page_count(&content).is_none() {
                reasons.push(json!({"errorCode": "FILE_PDF_INVALID_ERROR", "detail": format!("{}: not a readable PDF", a.element)}));
            } else if a.element.starts_with("documents") {
                hashes.push(a.element.clone());
            }
        }
        for (i, r) in req.recipients.iter().enumerate() {
            if let Some(address) = &r.physical_address
                && let Err(e) = template::postal_address(&address_personalisation(&address.lines(&r.denomination)))
            {
                reasons.push(json!({"errorCode": "NOT_VALID_ADDRESS", "detail": format!("recipients[{i}].physicalAddress: {e}"), "recIndex": i}));
            }
        }
        let now = self.now();
        let base = json!({
            "notificationRequestId": n.request_id, "paProtocolNumber": n.pa_protocol_number,
            "idempotenceToken": req.idempotence_token,
        });
        if !reasons.is_empty() {
            let mut details = base;
            details["refusalReasons"] = json!(reasons);
            let mut tx = db.begin().await?;
            store::set_errors(&mut tx, iun, &json!(reasons)).await?;
            tx.commit().await?;
            let plan = Plan {
                elements: vec![NewElement::new("REQUEST_REFUSED", iun, None, "", now, details)],
                ..Plan::default()
            };
            self.commit(&n, plan).await?;
            return Ok(());
        }
        let documents: Vec<String> = req
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| {
                format!("{}: {}", d.title.clone().unwrap_or_else(|| format!("document {}", i + 1)), d.digests.sha256)
            })
            .collect();
        let recipients: Vec<String> = req
            .recipients
            .iter()
            .map(|r| {
                let domicile =
                    r.digital_domicile.as_ref().map_or("not given by the sender".to_string(), |d| d.address.clone());
                let physical = r
                    .physical_address
                    .as_ref()
                    .map_or("not given by the sender".to_string(), |a| a.lines(&r.denomination)[1..].join(", "));
                format!(
                    "{}, tax code {}; digital domicile: {domicile}; physical address: {physical}",
                    r.denomination, r.tax_id
                )
            })
            .collect();
        let seal = self.seal().await?;
        let fact = legal_facts::sender_ack(iun, n.sent_at, &n.request, documents, recipients).seal(&seal, now)?;
        let mut plan = Plan::default();
        plan.elements.push(NewElement::new("REQUEST_ACCEPTED", iun, None, "", now, base).with_legal_fact((
            legal_facts::SENDER_ACK,
            fact.0,
            fact.1,
        )));
        for i in 0..req.recipients.len() {
            plan.jobs.push(NewJob::new(RECIPIENT, format!("{iun}:{i}"), json!({"iun": iun, "rec": i})));
        }
        self.commit(&n, plan).await?;
        if let Some(old) = &req.cancelled_iun {
            let mut tx = db.begin().await?;
            store::set_cancelled_by(&mut tx, old, iun).await?;
            tx.commit().await?;
            self.request_cancel(n.sender_id, old).await?;
        }
        Ok(())
    }

    pub(crate) fn open_file(&self, key: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        self.kernel
            .keys()
            .master()
            .decrypt(key.as_bytes(), sealed)
            .map_err(|_| Error::internal("a document cannot be opened with this master key"))
    }

    /// Start a recipient's workflow: courtesy messages, then the first digital domicile, or post.
    pub(crate) async fn start_recipient(&self, iun: &str, rec: i32) -> Result<()> {
        let db = self.kernel.db();
        let Some(n) = store::notification(db, iun).await? else {
            return Ok(());
        };
        if n.cancel_requested || store::timeline(db, iun).await?.iter().any(|e| e.rec_index == Some(rec)) {
            return Ok(());
        }
        let req = parse(&n)?;
        let Some(r) = req.recipients.get(rec as usize) else {
            return Ok(());
        };
        let channels = self.channels().await?;
        let link = self.notify()?.public_base();
        let now = self.now();
        let addresses = store::addresses(db, &r.tax_id).await?;
        let mut plan = Plan::default();
        let values = json!({
            "recipient": r.denomination, "sender": req.sender_denomination, "iun": iun, "subject": req.subject,
            "link": link, "days": self.config.digital_refinement_days.to_string(),
        });
        let personalisation: Personalisation = values.as_object().cloned().unwrap_or_default();
        for (channel, address) in &addresses {
            let (template, message) = match channel.as_str() {
                "EMAIL" => (channels.courtesy_email, true),
                "SMS" => (channels.courtesy_sms, false),
                _ => continue,
            };
            let (id, p, to, reference) = (Uuid::now_v7(), personalisation.clone(), address.clone(), iun.to_string());
            plan.messages.push(if message {
                Outgoing::Email { id, template, to, personalisation: p, reference }
            } else {
                Outgoing::Sms { id, template, to, personalisation: p, reference }
            });
            plan.elements.push(NewElement::new(
                "SEND_COURTESY_MESSAGE",
                iun,
                Some(rec),
                &format!(".COURTESYADDRESSTYPE_{channel}"),
                now,
                json!({"digitalAddress": {"type": channel, "address": address}, "sendDate": now}),
            ));
        }
        let sources = self.digital_sources(&req, rec, &addresses);
        for (source, address) in &sources {
            plan.elements.push(NewElement::new(
                "GET_ADDRESS",
                iun,
                Some(rec),
                &format!(".SOURCE_{source}.ATTEMPT_0"),
                now,
                json!({"digitalAddressSource": source, "isAvailable": address.is_some(), "attemptDate": now}),
            ));
        }
        match sources.iter().find_map(|(s, a)| a.as_ref().map(|a| (*s, a.clone()))) {
            Some((source, address)) => {
                self.digital_attempt(&mut plan, &n, rec, source, &address, personalisation, now).await?
            }
            None => self.paper(&mut plan, &n, &req, rec, now, false).await?,
        }
        self.commit(&n, plan).await?;
        Ok(())
    }

    /// SEND's digital sources in order, with the address each gives (if any).
    pub(super) fn digital_sources(
        &self,
        req: &NewNotificationRequest,
        rec: i32,
        registered: &[(String, String)],
    ) -> Vec<(&'static str, Option<String>)> {
        let platform = registered.iter().find(|(c, _)| c == "PEC").map(|(_, a)| a.clone());
        let special =
            req.recipients.get(rec as usize).and_then(|r| r.digital_domicile.as_ref()).map(|d| d.address.clone());
        vec![(DIGITAL_SOURCES[0], platform), (DIGITAL_SOURCES[1], special)]
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn digital_attempt(
        &self,
        plan: &mut Plan,
        n: &NotificationRow,
        rec: i32,
        source: &str,
        address: &str,
        personalisation: Personalisation,
        now: Timestamp,
    ) -> Result<()> {
        let channels = self.channels().await?;
        let id = Uuid::now_v7();
        plan.elements.push(NewElement::new(
            "SEND_DIGITAL_DOMICILE",
            &n.iun,
            Some(rec),
            &format!(".SOURCE_{source}.REPEAT_false.ATTEMPT_0"),
            now,
            json!({"digitalAddress": {"type": "PEC", "address": address}, "digitalAddressSource": source, "retryNumber": 0}),
        ));
        plan.messages.push(Outgoing::Email {
            id,
            template: channels.legal_email,
            to: address.into(),
            personalisation,
            reference: n.iun.clone(),
        });
        plan.jobs.push(feedback_job(json!({
            "iun": n.iun, "rec": rec, "message": id, "kind": "digital", "source": source, "address": address, "polls": 0,
        })));
        Ok(())
    }

    /// The notice by post: registered letter (`simple` false) or simple registered letter after
    /// digital failure. Without a physical address the recipient is unreachable.
    pub(super) async fn paper(
        &self,
        plan: &mut Plan,
        n: &NotificationRow,
        req: &NewNotificationRequest,
        rec: i32,
        now: Timestamp,
        simple: bool,
    ) -> Result<()> {
        let r = &req.recipients[rec as usize];
        let Some(address) = &r.physical_address else {
            if simple {
                return Ok(());
            }
            plan.elements.push(NewElement::new(
                "PREPARE_ANALOG_DOMICILE_FAILURE",
                &n.iun,
                Some(rec),
                ".ATTEMPT_0",
                now,
                json!({"failureCause": "D00"}),
            ));
            return self.unreachable(plan, n, req, rec, now).await;
        };
        let (product, level) = match (simple, req.physical_communication_type.as_str()) {
            (true, _) => ("RS", "SIMPLE_REGISTERED_LETTER"),
            (false, "REGISTERED_LETTER_890") => ("890", "REGISTERED_LETTER_890"),
            (false, _) => ("AR", "AR_REGISTERED_LETTER"),
        };
        let lines = address.lines(&r.denomination);
        let pdf = self.notice_letter(n, req, rec, &lines, now)?;
        let pages = template::pdf_page_count(&pdf).unwrap_or(1);
        let sha: String = publica_kernel::crypto::sha256(&pdf).iter().map(|b| format!("{b:02x}")).collect();
        let id = Uuid::now_v7();
        let physical = serde_json::to_value(address).map_err(Error::internal)?;
        plan.messages.push(Outgoing::Letter { id, pdf, address: lines.clone(), reference: n.iun.clone() });
        if simple {
            plan.elements.push(NewElement::new(
                "SEND_SIMPLE_REGISTERED_LETTER",
                &n.iun,
                Some(rec),
                "",
                now,
                json!({"physicalAddress": physical, "productType": product, "numberOfPages": pages}),
            ));
            return Ok(());
        }
        plan.elements.push(NewElement::new(
            "SEND_ANALOG_DOMICILE",
            &n.iun,
            Some(rec),
            ".ATTEMPT_0",
            now,
            json!({"physicalAddress": physical, "serviceLevel": level, "sentAttemptMade": 0, "productType": product, "numberOfPages": pages}),
        ));
        plan.jobs.push(feedback_job(json!({
            "iun": n.iun, "rec": rec, "message": id, "kind": "analog", "product": product, "serviceLevel": level,
            "letterSha256": sha, "polls": 0,
        })));
        Ok(())
    }

    /// The notice of receipt on paper, addressed to the recipient.
    fn notice_letter(
        &self,
        n: &NotificationRow,
        req: &NewNotificationRequest,
        rec: i32,
        lines: &[String],
        now: Timestamp,
    ) -> Result<Vec<u8>> {
        let r = &req.recipients[rec as usize];
        let mut p = address_personalisation(lines);
        for (k, v) in [
            ("sender", req.sender_denomination.clone()),
            ("iun", n.iun.clone()),
            ("subject", req.subject.clone()),
            ("recipient", r.denomination.clone()),
            ("link", self.notify()?.public_base()),
            ("days", self.config.analog_refinement_days.to_string()),
        ] {
            p.insert(k.into(), json!(v));
        }
        let content = "Dear ((recipient)),\n\n((sender)) has served you a legal notification.\n\n\
* Subject: ((subject))\n* IUN: ((iun))\n\n\
Read the notification and its documents at ((link)), quoting its IUN.\n\n\
The notification takes legal effect for you on the ((days))th day after this letter was delivered, or on the \
day you first open it online if that is earlier.";
        let contact = format!("{}\nvia Publica", req.sender_denomination);
        let letter = Letter {
            subject: "Notice of receipt of a legal notification",
            content,
            personalisation: &p,
            contact_block: Some(&contact),
            date: now.inner().date(),
            language: LetterLanguage::English,
        };
        template::letter_pdf(&letter).map_err(|e| Error::internal(format!("notice letter: {e}")))
    }

    pub(super) async fn unreachable(
        &self,
        plan: &mut Plan,
        n: &NotificationRow,
        req: &NewNotificationRequest,
        rec: i32,
        now: Timestamp,
    ) -> Result<()> {
        let days = self.config.analog_refinement_days;
        let fact = self.party(n, req, rec).unreachable(now, days).seal(&*self.seal().await?, now)?;
        plan.elements.push(NewElement::new("ANALOG_FAILURE_WORKFLOW", &n.iun, Some(rec), "", now, json!({})));
        plan.elements.push(
            NewElement::new(
                "COMPLETELY_UNREACHABLE",
                &n.iun,
                Some(rec),
                "",
                now,
                json!({"legalFactGenerationDate": now}),
            )
            .with_legal_fact((legal_facts::ANALOG_FAILURE_DELIVERY, fact.0, fact.1)),
        );
        self.schedule_refinement(plan, n, rec, now, days).await
    }

    pub(crate) fn party<'a>(&self, n: &'a NotificationRow, req: &NewNotificationRequest, rec: i32) -> Party<'a> {
        let r = &req.recipients[rec as usize];
        Party {
            iun: &n.iun,
            sender: req.sender_denomination.clone(),
            name: r.denomination.clone(),
            tax_id: r.tax_id.clone(),
        }
    }

    /// SCHEDULE_REFINEMENT `days` after `base` (one more when `base` is after the local
    /// non-visibility hour), unless the recipient already viewed it.
    pub(super) async fn schedule_refinement(
        &self,
        plan: &mut Plan,
        n: &NotificationRow,
        rec: i32,
        base: Timestamp,
        days: i64,
    ) -> Result<()> {
        let r = store::recipients(self.kernel.db(), &n.iun).await?.into_iter().find(|r| r.rec_index == rec);
        if r.is_none_or(|r| r.viewed_at.is_some() || r.refined_at.is_some()) {
            return Ok(());
        }
        let due = self.refinement_date(base, days);
        plan.elements.push(NewElement::new(
            "SCHEDULE_REFINEMENT",
            &n.iun,
            Some(rec),
            "",
            base,
            json!({"schedulingDate": due}),
        ));
        plan.due.push((rec, Some(due)));
        plan.jobs.push(self.sweep_job_at(due));
        Ok(())
    }

    pub fn refinement_date(&self, base: Timestamp, days: i64) -> Timestamp {
        let offset =
            time::UtcOffset::from_whole_seconds(self.config.utc_offset_minutes * 60).unwrap_or(time::UtcOffset::UTC);
        let local = base.inner().to_offset(offset);
        let late = (local.hour(), local.minute(), local.second()) > (self.config.non_visibility_hour, 0, 0);
        base.plus(time::Duration::days(days + i64::from(late)))
    }

    /// A sweep job that runs when the service's clock reaches `due`.
    pub(crate) fn sweep_job_at(&self, due: Timestamp) -> NewJob {
        let wait = due.inner() - self.now().inner();
        let run_at = Timestamp::now().plus(wait.max(time::Duration::ZERO));
        NewJob { run_at: Some(run_at), ..NewJob::new(REFINE, format!("at:{due}"), json!({})) }
    }
}

pub(super) fn feedback_job(payload: Value) -> NewJob {
    let key = format!("{}:{}", payload["message"].as_str().unwrap_or_default(), payload["polls"]);
    NewJob::new(FEEDBACK, key, payload)
}

/// Address lines as the letter writer takes them.
pub(crate) fn address_personalisation(lines: &[String]) -> Personalisation {
    let mut p = Personalisation::new();
    for (i, line) in lines.iter().take(7).enumerate() {
        p.insert(format!("address_line_{}", i + 1), json!(line));
    }
    p
}
