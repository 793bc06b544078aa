//! Timeline elements and the notification status they imply, replayed as SEND does: the
//! status after each element, the status history with the elements that led to each status,
//! and the elements' JSON (`TimelineElementV28`).

use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A legal fact named by a timeline element.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LegalFactId {
    pub key: String,
    pub category: String,
}

/// A timeline element as stored.
#[derive(Clone, Debug)]
pub struct Element {
    pub seq: i64,
    pub element_id: String,
    pub iun: String,
    pub category: String,
    pub rec_index: Option<i32>,
    /// When the event happened (on the service's clock).
    pub at: Timestamp,
    pub ingested_at: Timestamp,
    pub details: Value,
    pub legal_facts: Vec<LegalFactId>,
    pub new_status: Option<String>,
}

impl Element {
    /// SEND's `TimelineElementV28`.
    pub fn to_json(&self, sent_at: Timestamp) -> Value {
        json!({
            "elementId": self.element_id,
            "timestamp": self.at,
            "ingestionTimestamp": self.ingested_at,
            "eventTimestamp": self.at,
            "notificationSentAt": sent_at,
            "legalFactsIds": self.legal_facts.iter().map(|l| json!({"key": format!("safestorage://{}", l.key), "category": l.category})).collect::<Vec<_>>(),
            "category": self.category,
            "details": self.details,
        })
    }
}

/// Categories whose element ends a recipient's delivery workflow.
const WORKFLOW_ENDS: [&str; 4] =
    ["DIGITAL_SUCCESS_WORKFLOW", "DIGITAL_FAILURE_WORKFLOW", "ANALOG_SUCCESS_WORKFLOW", "COMPLETELY_UNREACHABLE"];
/// Categories that mean a delivery attempt started.
const ATTEMPTS: [&str; 5] = [
    "SEND_DIGITAL_DOMICILE",
    "SEND_ANALOG_DOMICILE",
    "SEND_SIMPLE_REGISTERED_LETTER",
    "PREPARE_ANALOG_DOMICILE_FAILURE",
    "SEND_COURTESY_MESSAGE",
];

/// Statuses from which a payment makes the notification PAID (SEND's original state map: not
/// while in validation, refused or unreachable).
const PAYABLE: [&str; 5] = ["ACCEPTED", "DELIVERING", "DELIVERED", "EFFECTIVE_DATE", "VIEWED"];

/// The status of a notification with `recipients` recipients after `elements` (category and
/// recipient index, in order). A payment (`PAYMENT`) in a payable status makes it PAID, which
/// only a cancellation ends.
pub fn status_of<'a>(
    elements: impl IntoIterator<Item = (&'a str, Option<i32>)> + Clone,
    recipients: usize,
) -> &'static str {
    let all: Vec<(&str, Option<i32>)> = elements.into_iter().collect();
    let base = delivery_status(&all, recipients);
    if base == "CANCELLED" {
        return base;
    }
    let paid = all
        .iter()
        .enumerate()
        .any(|(i, (cat, _))| *cat == "PAYMENT" && PAYABLE.contains(&delivery_status(&all[..i], recipients)));
    if paid { "PAID" } else { base }
}

/// The status without payments.
fn delivery_status(elements: &[(&str, Option<i32>)], recipients: usize) -> &'static str {
    let elements = elements.iter().copied();
    let has = |c: &str| elements.clone().any(|(cat, _)| cat == c);
    let every = |cats: &[&str]| {
        (0..recipients).all(|r| elements.clone().any(|(cat, rec)| rec == Some(r as i32) && cats.contains(&cat)))
    };
    if has("NOTIFICATION_CANCELLED") {
        "CANCELLED"
    } else if has("REQUEST_REFUSED") {
        "REFUSED"
    } else if !has("REQUEST_ACCEPTED") {
        "IN_VALIDATION"
    } else if has("NOTIFICATION_VIEWED") {
        "VIEWED"
    } else if recipients > 0 && every(&["REFINEMENT"]) {
        "EFFECTIVE_DATE"
    } else if recipients > 0 && every(&WORKFLOW_ENDS) {
        if every(&["COMPLETELY_UNREACHABLE"]) { "UNREACHABLE" } else { "DELIVERED" }
    } else if ATTEMPTS.iter().any(|c| has(c)) {
        "DELIVERING"
    } else {
        "ACCEPTED"
    }
}

/// `notificationStatusHistory`: each status with when it began and the elements under it.
pub fn history(elements: &[Element], recipients: usize) -> Vec<Value> {
    let mut out: Vec<(String, Timestamp, Vec<String>)> = Vec::new();
    for (i, e) in elements.iter().enumerate() {
        let status = status_of(elements[..=i].iter().map(|e| (e.category.as_str(), e.rec_index)), recipients);
        match out.last_mut() {
            Some((s, _, related)) if s == status => related.push(e.element_id.clone()),
            _ => out.push((status.to_string(), e.at, vec![e.element_id.clone()])),
        }
    }
    out.into_iter()
        .map(
            |(status, from, related)| json!({"status": status, "activeFrom": from, "relatedTimelineElements": related}),
        )
        .collect()
}

/// Categories of SEND's `DEFAULT` stream filter.
pub const DEFAULT_FILTER: [&str; 21] = [
    "REQUEST_REFUSED",
    "REQUEST_ACCEPTED",
    "SEND_DIGITAL_DOMICILE",
    "SEND_DIGITAL_FEEDBACK",
    "DIGITAL_SUCCESS_WORKFLOW",
    "DIGITAL_FAILURE_WORKFLOW",
    "SEND_SIMPLE_REGISTERED_LETTER",
    "SIMPLE_REGISTERED_LETTER_PROGRESS",
    "SEND_ANALOG_DOMICILE",
    "SEND_ANALOG_PROGRESS",
    "SEND_ANALOG_FEEDBACK",
    "ANALOG_SUCCESS_WORKFLOW",
    "ANALOG_FAILURE_WORKFLOW",
    "COMPLETELY_UNREACHABLE",
    "REFINEMENT",
    "NOTIFICATION_VIEWED",
    "NOTIFICATION_CANCELLED",
    "NOTIFICATION_RADD_RETRIEVED",
    "ANALOG_WORKFLOW_RECIPIENT_DECEASED",
    "PUBLIC_REGISTRY_VALIDATION_CALL",
    "PUBLIC_REGISTRY_VALIDATION_RESPONSE",
];

/// Statuses a `STATUS` stream may filter on.
pub const STATUSES: [&str; 11] = [
    "ACCEPTED",
    "REFUSED",
    "DELIVERING",
    "DELIVERED",
    "VIEWED",
    "EFFECTIVE_DATE",
    "UNREACHABLE",
    "CANCELLED",
    "RETURNED_TO_SENDER",
    "IN_VALIDATION",
    "PAID",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_workflow() {
        let mut timeline: Vec<(&str, Option<i32>)> = vec![];
        assert_eq!(status_of(timeline.clone(), 2), "IN_VALIDATION");
        timeline.push(("REQUEST_ACCEPTED", None));
        assert_eq!(status_of(timeline.clone(), 2), "ACCEPTED");
        timeline.push(("SEND_DIGITAL_DOMICILE", Some(0)));
        assert_eq!(status_of(timeline.clone(), 2), "DELIVERING");
        timeline.push(("DIGITAL_SUCCESS_WORKFLOW", Some(0)));
        assert_eq!(status_of(timeline.clone(), 2), "DELIVERING", "one recipient still to go");
        timeline.push(("COMPLETELY_UNREACHABLE", Some(1)));
        assert_eq!(status_of(timeline.clone(), 2), "DELIVERED");
        timeline.push(("REFINEMENT", Some(0)));
        timeline.push(("REFINEMENT", Some(1)));
        assert_eq!(status_of(timeline.clone(), 2), "EFFECTIVE_DATE");
        timeline.push(("NOTIFICATION_VIEWED", Some(1)));
        assert_eq!(status_of(timeline.clone(), 2), "VIEWED");
        timeline.push(("NOTIFICATION_CANCELLED", None));
        assert_eq!(status_of(timeline, 2), "CANCELLED");
        assert_eq!(status_of(vec![("COMPLETELY_UNREACHABLE", Some(0)), ("REQUEST_ACCEPTED", None)], 1), "UNREACHABLE");
    }

    #[test]
    fn a_payment_makes_it_paid_until_cancelled() {
        let mut timeline: Vec<(&str, Option<i32>)> =
            vec![("REQUEST_ACCEPTED", None), ("SEND_DIGITAL_DOMICILE", Some(0)), ("DIGITAL_SUCCESS_WORKFLOW", Some(0))];
        assert_eq!(status_of(timeline.clone(), 1), "DELIVERED");
        timeline.push(("PAYMENT", Some(0)));
        assert_eq!(status_of(timeline.clone(), 1), "PAID");
        timeline.push(("REFINEMENT", Some(0)));
        timeline.push(("NOTIFICATION_VIEWED", Some(0)));
        assert_eq!(status_of(timeline.clone(), 1), "PAID", "PAID is final");
        timeline.push(("NOTIFICATION_CANCELLED", None));
        assert_eq!(status_of(timeline, 1), "CANCELLED");
        // Paid while unreachable: the status stays, and a later view does not make it PAID.
        let unreachable = vec![
            ("REQUEST_ACCEPTED", None),
            ("COMPLETELY_UNREACHABLE", Some(0)),
            ("PAYMENT", Some(0)),
            ("NOTIFICATION_VIEWED", Some(0)),
        ];
        assert_eq!(status_of(unreachable[..3].to_vec(), 1), "UNREACHABLE");
        assert_eq!(status_of(unreachable, 1), "VIEWED");
        assert_eq!(status_of(vec![("PAYMENT", Some(0))], 1), "IN_VALIDATION");
    }
}
