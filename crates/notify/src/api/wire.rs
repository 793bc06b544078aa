//! Notify's JSON shapes: notifications, templates, received texts and callback bodies, field for
//! field as GOV.UK Notify serialises them (timestamps `2024-01-01T12:00:00.123456Z`).

use publica_kernel::db::Timestamp;
use serde_json::{Value, json};

use crate::service::{Accepted, Content};
use crate::store::{NotificationRow, ReceivedText, TemplateVersion};

pub fn ts(t: Timestamp) -> String {
    t.to_fixed()
}

fn ts_opt(t: Option<Timestamp>) -> Value {
    t.map(|t| Value::String(ts(t))).unwrap_or(Value::Null)
}

/// Letters show `accepted` until handed over and `received` after, as Notify's API does.
pub fn public_status(kind: &str, status: &str) -> String {
    if kind == "letter" {
        match status {
            "created" | "sending" => return "accepted".into(),
            "delivered" | "returned-letter" => return "received".into(),
            _ => {}
        }
    }
    status.into()
}

/// A notification as `GET /v2/notifications/{id}` shows it.
pub fn notification(base: &str, n: &NotificationRow, content: Option<&Content>) -> Value {
    let address = content.map(|c| c.address.as_slice()).unwrap_or_default();
    let personalisation = content.map(|c| &c.personalisation);
    let line = |i: usize| -> Value {
        if n.kind != "letter" {
            return Value::Null;
        }
        personalisation
            .and_then(|p| p.iter().find(|(k, _)| k.eq_ignore_ascii_case(&format!("address_line_{i}"))))
            .map(|(_, v)| v.clone())
            .or_else(|| address.get(i - 1).map(|s| Value::String(s.clone())))
            .unwrap_or(Value::Null)
    };
    let postcode = if n.kind == "letter" {
        personalisation
            .and_then(|p| p.iter().find(|(k, _)| k.eq_ignore_ascii_case("postcode")))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let status = public_status(&n.kind, &n.status);
    let completed = crate::domain::kinds::is_final(&n.status).then_some(n.updated_at.or(n.completed_at)).flatten();
    let (cost_ready, cost, details) = cost(n);
    let mut body = json!({
        "id": n.id,
        "reference": n.client_reference,
        "email_address": if n.kind == "email" { json!(n.recipient) } else { Value::Null },
        "phone_number": if n.kind == "sms" { json!(n.recipient) } else { Value::Null },
        "line_1": line(1), "line_2": line(2), "line_3": line(3), "line_4": line(4), "line_5": line(5), "line_6": line(6),
        "postcode": postcode,
        "type": n.kind,
        "status": status,
        "template": {
            "id": n.template_id,
            "version": n.template_version,
            "uri": format!("{base}/v2/template/{}/version/{}", n.template_id, n.template_version),
        },
        "body": content.map(|c| c.body.clone()).unwrap_or_default(),
        "subject": content.and_then(|c| c.subject.clone()),
        "created_at": ts(n.created_at),
        "created_by_name": n.created_by_name,
        "sent_at": ts_opt(n.sent_at),
        "completed_at": ts_opt(completed),
        "scheduled_for": ts_opt(n.scheduled_for),
        "postage": n.postage,
        "one_click_unsubscribe_url": content.and_then(|c| c.one_click_unsubscribe_url.clone()),
        "is_cost_data_ready": cost_ready,
        "cost_in_pounds": cost,
        "cost_details": details,
    });
    if n.kind == "letter" {
        body["estimated_delivery"] = json!(ts(estimated_delivery(n)));
    }
    body
}

/// Public bodies pay nothing to Publica; the cost fields say so in Notify's shape.
fn cost(n: &NotificationRow) -> (bool, Value, Value) {
    match n.kind.as_str() {
        "sms" => (
            true,
            json!(0.0),
            json!({"billable_sms_fragments": n.billable_units, "international_rate_multiplier": 1, "sms_rate": 0.0}),
        ),
        "letter" => (true, json!(0.0), json!({"billable_sheets_of_paper": n.billable_units, "postage": n.postage})),
        _ => (true, json!(0.0), json!({})),
    }
}

/// Letters are printed on working days and arrive two (first class) or three (second) working
/// days later, by 16:00.
fn estimated_delivery(n: &NotificationRow) -> Timestamp {
    let days = match n.postage.as_deref() {
        Some("first") => 2,
        Some("economy") => 6,
        Some("europe") | Some("rest-of-world") => 5,
        _ => 3,
    };
    let mut date = n.created_at.inner().date();
    let mut left = days + 1;
    while left > 0 {
        date = date.next_day().unwrap_or(date);
        if !matches!(date.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
            left -= 1;
        }
    }
    Timestamp::from(date.with_hms(16, 0, 0).unwrap_or(date.midnight()).assume_utc())
}

/// Notify's 201 body.
pub fn accepted(base: &str, service_id: uuid::Uuid, a: &Accepted, kind: &str) -> Value {
    let Some(t) = &a.template else {
        return json!({"id": a.id, "reference": a.reference, "postage": a.postage});
    };
    let content = match kind {
        "email" => json!({
            "from_email": a.from_email, "body": a.body, "subject": a.subject,
            "one_click_unsubscribe_url": a.one_click_unsubscribe_url,
        }),
        "sms" => json!({"from_number": a.from_number, "body": a.body}),
        _ => json!({"body": a.body, "subject": a.subject}),
    };
    json!({
        "id": a.id,
        "reference": a.reference,
        "uri": format!("{base}/v2/notifications/{}", a.id),
        "template": {
            "id": t.id,
            "version": t.version,
            "uri": format!("{base}/services/{service_id}/templates/{}", t.id),
        },
        "scheduled_for": ts_opt(a.scheduled_for),
        "content": content,
    })
}

/// A template as `GET /v2/template/{id}` shows it.
pub fn template(t: &TemplateVersion) -> Value {
    let personalisation: serde_json::Map<String, Value> =
        crate::service::placeholders_of(t).into_iter().map(|name| (name, json!({"required": true}))).collect();
    json!({
        "id": t.id,
        "name": t.name,
        "type": t.kind,
        "created_at": ts(t.created_at),
        "updated_at": if t.version > 1 { json!(ts(t.version_created_at)) } else { Value::Null },
        "created_by": t.created_by,
        "version": t.version,
        "body": t.content,
        "subject": if t.kind == "sms" { Value::Null } else { json!(t.subject) },
        "personalisation": personalisation,
        "postage": if t.kind == "letter" { json!(t.postage.clone().unwrap_or_else(|| "second".into())) } else { Value::Null },
        "letter_contact_block": if t.kind == "letter" { json!(t.letter_contact_block) } else { Value::Null },
    })
}

pub fn received_text(t: &ReceivedText) -> Value {
    json!({
        "id": t.id,
        "created_at": ts(t.created_at),
        "service_id": t.service_id,
        "notify_number": t.notify_number,
        "user_number": t.user_number,
        "content": t.content,
    })
}

/// The body of a delivery-receipt callback.
pub fn receipt(n: &NotificationRow) -> Value {
    json!({
        "id": n.id,
        "reference": n.client_reference,
        "to": n.recipient,
        "status": public_status(&n.kind, &n.status),
        "created_at": ts(n.created_at),
        "completed_at": ts_opt(n.completed_at.or(n.updated_at)),
        "sent_at": ts_opt(n.sent_at),
        "notification_type": n.kind,
        "template_id": n.template_id,
        "template_version": n.template_version,
    })
}
