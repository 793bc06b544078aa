//! Payments reported by the sender, as SEND's `POST /delivery/events/payment/pagopa` (and the
//! deprecated `…/f24`): each event is matched to the recipient whose payment it is and recorded
//! once as a `PAYMENT` timeline element with SEND's id
//! (`NOTIFICATION_PAID.IUN_<iun>.CODE_PPA<noticeCode><creditorTaxId>`), which makes the
//! notification PAID (see `status`). A request is checked whole before anything is recorded.

use publica_kernel::audit::Actor;
use publica_kernel::crypto::sha256;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use serde_json::{Value, json};
use uuid::Uuid;

use super::model::{self, ProblemError};
use super::record::{NewElement, Plan};
use super::store::{self, NotificationRow};
use super::{Send, iun};

/// SEND's `paymentSourceChannel` for payments the sender reports.
const SOURCE_SENDER: &str = "PA";
/// The audit action of a recorded payment.
const AUDIT_ACTION: &str = "notify.send.payment.recorded";

/// Why payment events were refused.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The body breaks the schema (400), each error naming its element.
    #[error("invalid payment events")]
    Invalid(Vec<ProblemError>),
    /// No notification of the sender has this payment (404), as SEND answers.
    #[error("{detail}")]
    NotFound { element: String, detail: String },
    #[error(transparent)]
    Other(#[from] Error),
}

/// One pagoPA payment event (`PaymentEventPagoPa`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagoPaEvent {
    pub notice_code: String,
    pub creditor_tax_id: String,
    /// Optional: when given, they must name the recipient the notice belongs to.
    pub recipient_type: Option<String>,
    pub recipient_tax_id: Option<String>,
    pub payment_date: Timestamp,
    pub uncertain_payment_date: bool,
    /// Eurocent.
    pub amount: i64,
}

/// One F24 payment event (`PaymentEventF24`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct F24Event {
    pub iun: String,
    pub recipient_type: String,
    pub recipient_tax_id: String,
    pub payment_date: Timestamp,
    pub amount: i64,
}

/// Reads the fields of one event, collecting failures with their element paths.
struct Fields<'a> {
    event: &'a Value,
    at: String,
    errors: &'a mut Vec<ProblemError>,
}

impl Fields<'_> {
    fn fail(&mut self, code: &str, field: &str, detail: String) {
        self.errors.push(ProblemError::new(code, format!("{}.{field}", self.at), detail));
    }

    /// A string that must pass `ok`; `None` (and an error) otherwise, or when absent and required.
    fn string(&mut self, field: &str, required: bool, ok: impl Fn(&str) -> bool, shape: &str) -> Option<String> {
        let event = self.event;
        match &event[field] {
            Value::Null if required => self.fail(model::REQUIRED, field, format!("{field} is required")),
            Value::Null => {}
            Value::String(s) if ok(s) => return Some(s.clone()),
            _ => self.fail(model::PATTERN, field, format!("{field} must be {shape}")),
        }
        None
    }

    fn date_time(&mut self, field: &str) -> Option<Timestamp> {
        let text = self.string(field, true, |s| Timestamp::parse(s).is_ok(), "an ISO 8601 date-time")?;
        Timestamp::parse(&text).ok()
    }

    fn amount(&mut self) -> Option<i64> {
        let event = self.event;
        match &event["amount"] {
            Value::Null => self.fail(model::REQUIRED, "amount", "amount is required (eurocent)".into()),
            Value::Number(n) => match n.as_i64() {
                Some(x) if (0..=i64::from(i32::MAX)).contains(&x) => return Some(x),
                _ => self.fail(model::INVALID, "amount", "amount must be a whole number of eurocent".into()),
            },
            _ => self.fail(model::INVALID, "amount", "amount must be a whole number of eurocent".into()),
        }
        None
    }
}

fn digits(n: usize) -> impl Fn(&str) -> bool {
    move |s: &str| s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn recipient_type(s: &str) -> bool {
    s == "PF" || s == "PG"
}

/// The `events` array of a body.
fn events(body: &Value) -> Result<&[Value], Vec<ProblemError>> {
    match &body["events"] {
        Value::Array(items) => Ok(items),
        Value::Null => Err(vec![ProblemError::new(model::REQUIRED, "body.events", "events is required")]),
        _ => Err(vec![ProblemError::new(model::INVALID, "body.events", "events must be an array")]),
    }
}

/// The schema checks of `POST /delivery/events/payment/pagopa`.
pub fn check_pagopa(body: &Value) -> Result<Vec<PagoPaEvent>, Vec<ProblemError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, event) in events(body)?.iter().enumerate() {
        let mut f = Fields { event, at: format!("body.events[{i}]"), errors: &mut errors };
        let notice_code = f.string("noticeCode", true, digits(18), "18 digits");
        let creditor_tax_id = f.string("creditorTaxId", true, digits(11), "11 digits");
        let recipient_type = f.string("recipientType", false, recipient_type, "PF or PG");
        let recipient_tax_id = f.string("recipientTaxId", false, model::tax_id, "a codice fiscale or tax number");
        let payment_date = f.date_time("paymentDate");
        let amount = f.amount();
        let uncertain = match &event["uncertainPaymentDate"] {
            Value::Null => Some(false),
            Value::Bool(b) => Some(*b),
            _ => {
                f.fail(model::INVALID, "uncertainPaymentDate", "uncertainPaymentDate must be true or false".into());
                None
            }
        };
        if let (Some(notice_code), Some(creditor_tax_id), Some(payment_date), Some(amount), Some(uncertain)) =
            (notice_code, creditor_tax_id, payment_date, amount, uncertain)
        {
            out.push(PagoPaEvent {
                notice_code,
                creditor_tax_id,
                recipient_type,
                recipient_tax_id,
                payment_date,
                uncertain_payment_date: uncertain,
                amount,
            });
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The schema checks of `POST /delivery/events/payment/f24`.
pub fn check_f24(body: &Value) -> Result<Vec<F24Event>, Vec<ProblemError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, event) in events(body)?.iter().enumerate() {
        let mut f = Fields { event, at: format!("body.events[{i}]"), errors: &mut errors };
        let iun = f.string("iun", true, iun::is_well_formed, "an IUN");
        let recipient_type = f.string("recipientType", true, recipient_type, "PF or PG");
        let recipient_tax_id = f.string("recipientTaxId", true, model::tax_id, "a codice fiscale or tax number");
        let payment_date = f.date_time("paymentDate");
        let amount = f.amount();
        if let (Some(iun), Some(recipient_type), Some(recipient_tax_id), Some(payment_date), Some(amount)) =
            (iun, recipient_type, recipient_tax_id, payment_date, amount)
        {
            out.push(F24Event { iun, recipient_type, recipient_tax_id, payment_date, amount });
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// A payment matched to its notification and recipient, ready to record.
struct Matched {
    notification: NotificationRow,
    rec_index: i32,
    element_id: String,
    at: Timestamp,
    details: Value,
}

fn recipient_of(n: &NotificationRow, rec: i32) -> &Value {
    &n.request["recipients"][rec as usize]
}

impl Send {
    /// Record pagoPA payments the sender reports; returns how many were new (a payment already
    /// recorded is not recorded again).
    pub async fn record_pagopa_payments(
        &self,
        sender_id: Uuid,
        actor: &Actor,
        body: &Value,
    ) -> Result<usize, PaymentError> {
        let events = check_pagopa(body).map_err(PaymentError::Invalid)?;
        let db = self.kernel.db();
        let mut matched = Vec::new();
        for (i, e) in events.into_iter().enumerate() {
            let (n, rec) = store::notice_owner(db, &e.creditor_tax_id, &e.notice_code)
                .await?
                .filter(|(n, _)| n.sender_id == sender_id)
                .ok_or_else(|| PaymentError::NotFound {
                    element: format!("body.events[{i}].noticeCode"),
                    detail: format!(
                        "No notification by creditorTaxId={} noticeCode={}",
                        e.creditor_tax_id, e.notice_code
                    ),
                })?;
            let recipient = recipient_of(&n, rec);
            for (field, given, key) in [
                ("recipientTaxId", &e.recipient_tax_id, "taxId"),
                ("recipientType", &e.recipient_type, "recipientType"),
            ] {
                if let Some(given) = given
                    && recipient[key].as_str() != Some(given.as_str())
                {
                    return Err(PaymentError::Invalid(vec![ProblemError::new(
                        model::INVALID,
                        format!("body.events[{i}].{field}"),
                        format!("notice {} of notification {} is another recipient's", e.notice_code, n.iun),
                    )]));
                }
            }
            let details = json!({
                "recIndex": rec, "recipientType": recipient["recipientType"], "amount": e.amount,
                "creditorTaxId": e.creditor_tax_id, "noticeCode": e.notice_code,
                "paymentSourceChannel": SOURCE_SENDER, "uncertainPaymentDate": e.uncertain_payment_date,
                "eventTimestamp": e.payment_date,
            });
            matched.push(Matched {
                element_id: format!("NOTIFICATION_PAID.IUN_{}.CODE_PPA{}{}", n.iun, e.notice_code, e.creditor_tax_id),
                notification: n,
                rec_index: rec,
                at: e.payment_date,
                details,
            });
        }
        self.record_payments(actor, matched).await
    }

    /// Record F24 payments the sender reports (SEND's deprecated variant: the notification by
    /// IUN, the recipient by tax id). The payment's id is derived from the recipient, date and
    /// amount, so the same event reported twice is recorded once.
    pub async fn record_f24_payments(
        &self,
        sender_id: Uuid,
        actor: &Actor,
        body: &Value,
    ) -> Result<usize, PaymentError> {
        let events = check_f24(body).map_err(PaymentError::Invalid)?;
        let db = self.kernel.db();
        let mut matched = Vec::new();
        for (i, e) in events.into_iter().enumerate() {
            let not_found = |field: &str, detail: String| PaymentError::NotFound {
                element: format!("body.events[{i}].{field}"),
                detail,
            };
            let n = store::notification(db, &e.iun)
                .await?
                .filter(|n| {
                    n.sender_id == sender_id
                        && !n.cancel_requested
                        && !["IN_VALIDATION", "REFUSED", "CANCELLED"].contains(&n.status.as_str())
                })
                .ok_or_else(|| not_found("iun", format!("No notification by iun={}", e.iun)))?;
            let rec = (0..)
                .map_while(|r| {
                    let recipient = recipient_of(&n, r);
                    (!recipient.is_null()).then_some((r, recipient))
                })
                .find(|(_, r)| {
                    r["taxId"].as_str() == Some(e.recipient_tax_id.as_str())
                        && r["recipientType"].as_str() == Some(e.recipient_type.as_str())
                })
                .map(|(r, _)| r)
                .ok_or_else(|| {
                    not_found("recipientTaxId", format!("No notification by iun={} with this recipient", e.iun))
                })?;
            let hash = sha256(format!("{rec}|{}|{}", e.payment_date.to_fixed(), e.amount).as_bytes());
            let id_f24: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
            let details = json!({
                "recIndex": rec, "recipientType": e.recipient_type, "amount": e.amount, "idF24": id_f24,
                "paymentSourceChannel": SOURCE_SENDER, "uncertainPaymentDate": false,
                "eventTimestamp": e.payment_date,
            });
            matched.push(Matched {
                element_id: format!("NOTIFICATION_PAID.IUN_{}.CODE_F24{id_f24}", n.iun),
                notification: n,
                rec_index: rec,
                at: e.payment_date,
                details,
            });
        }
        self.record_payments(actor, matched).await
    }

    async fn record_payments(&self, actor: &Actor, matched: Vec<Matched>) -> Result<usize, PaymentError> {
        let mut added = 0;
        for m in matched {
            let element = NewElement {
                element_id: m.element_id,
                category: "PAYMENT",
                rec_index: Some(m.rec_index),
                at: m.at,
                details: m.details,
                legal_fact: None,
                audit: None,
            }
            .audited(actor, AUDIT_ACTION);
            let plan = Plan { elements: vec![element], ..Plan::default() };
            added += self.commit(&m.notification, plan).await?;
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Value {
        json!({"noticeCode": "302000100000019421", "creditorTaxId": "77777777777",
               "paymentDate": "2025-01-08T14:07:18.123+01:00", "amount": 1500})
    }

    #[test]
    fn a_pagopa_event_parses() {
        let parsed = check_pagopa(&json!({"events": [event()]})).expect("valid");
        assert_eq!(parsed[0].notice_code, "302000100000019421");
        assert_eq!(parsed[0].payment_date.to_fixed(), "2025-01-08T13:07:18.123000Z");
        assert!(!parsed[0].uncertain_payment_date);
        assert_eq!(parsed[0].recipient_tax_id, None);
    }

    #[test]
    fn failures_name_their_element() {
        let mut bad = event();
        bad["noticeCode"] = json!("123");
        bad["amount"] = json!(-1);
        bad["recipientType"] = json!("XX");
        let mut missing = event();
        missing["paymentDate"] = Value::Null;
        let errors = check_pagopa(&json!({"events": [bad, missing]})).expect_err("invalid");
        let elements: Vec<&str> = errors.iter().map(|e| e.element.as_deref().unwrap_or("")).collect();
        assert_eq!(
            elements,
            vec![
                "body.events[0].noticeCode",
                "body.events[0].recipientType",
                "body.events[0].amount",
                "body.events[1].paymentDate"
            ]
        );
        assert_eq!(check_pagopa(&json!({})).expect_err("no events")[0].code, model::REQUIRED);
    }

    #[test]
    fn an_f24_event_needs_the_iun_and_the_recipient() {
        let good = json!({"events": [{"iun": "DPDA-LVZM-JREL-202501-N-1", "recipientType": "PF",
            "recipientTaxId": "RSSMRA80A01H501U", "paymentDate": "2025-01-08T14:07:18Z", "amount": 100}]});
        assert_eq!(check_f24(&good).expect("valid")[0].recipient_tax_id, "RSSMRA80A01H501U");
        let errors = check_f24(&json!({"events": [{"iun": "nope", "amount": 1}]})).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.element.as_deref().unwrap_or("")).collect();
        assert_eq!(
            fields,
            vec![
                "body.events[0].iun",
                "body.events[0].recipientType",
                "body.events[0].recipientTaxId",
                "body.events[0].paymentDate"
            ]
        );
    }
}
