//! SEND's wire types for a new notification (`NewNotificationRequestV26` and its parts) and the
//! synchronous checks of its schema, each failure naming the element at fault as SEND does
//! (`body.recipients[0].taxId`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One entry of a Problem's `errors`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProblemError {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ProblemError {
    pub fn new(code: &str, element: impl Into<String>, detail: impl Into<String>) -> Self {
        ProblemError { code: code.into(), element: Some(element.into()), detail: Some(detail.into()) }
    }
}

pub const REQUIRED: &str = "PN_GENERIC_INVALIDPARAMETER_REQUIRED";
pub const PATTERN: &str = "PN_GENERIC_INVALIDPARAMETER_PATTERN";
pub const TOO_LONG: &str = "PN_PARAMETER_TOO_LONG";
pub const TOO_SHORT: &str = "PN_PARAMETER_TOO_SHORT";
pub const INVALID: &str = "PN_GENERIC_INVALIDPARAMETER";
pub const DUPLICATE: &str = "PN_DUPLICATE_ENTRY";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewNotificationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotence_token: Option<String>,
    pub pa_protocol_number: String,
    pub subject: String,
    #[serde(default, rename = "abstract", skip_serializing_if = "Option::is_none")]
    pub abstract_: Option<String>,
    pub recipients: Vec<Recipient>,
    pub documents: Vec<Document>,
    pub notification_fee_policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_iun: Option<String>,
    pub physical_communication_type: String,
    pub sender_denomination: String,
    pub sender_tax_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_expiration_date: Option<String>,
    pub taxonomy_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pa_fee: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pago_pa_int_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_communication_priority: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub recipient_type: String,
    pub tax_id: String,
    pub denomination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digital_domicile: Option<DigitalAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_address: Option<PhysicalAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<Value>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DigitalAddress {
    #[serde(rename = "type")]
    pub kind: String,
    pub address: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    pub municipality: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality_details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_state: Option<String>,
}

impl PhysicalAddress {
    /// The lines printed on the envelope, after the addressee's name.
    pub fn lines(&self, denomination: &str) -> Vec<String> {
        let mut lines = vec![denomination.to_string()];
        lines.extend(self.at.clone().filter(|s| !s.trim().is_empty()).map(|at| format!("c/o {at}")));
        lines.push(self.address.clone());
        lines.extend(self.address_details.clone().filter(|s| !s.trim().is_empty()));
        let town = [self.zip.as_deref(), Some(self.municipality.as_str()), self.municipality_details.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let town = match self.province.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => format!("{town} ({p})"),
            None => town,
        };
        lines.push(town);
        lines.extend(self.foreign_state.clone().filter(|s| !s.trim().is_empty()));
        lines
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub digests: Digests,
    pub content_type: String,
    #[serde(rename = "ref")]
    pub reference: FileRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_idx: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Digests {
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRef {
    pub key: String,
    pub version_token: String,
}

impl FileRef {
    /// The key without SEND's optional `safestorage://` prefix.
    pub fn bare_key(&self) -> &str {
        self.key.strip_prefix("safestorage://").unwrap_or(&self.key)
    }
}

/// A PDF or JSON file a request refers to: documents and payment attachments.
pub struct Attachment<'a> {
    pub element: String,
    pub digests: &'a str,
    pub key: &'a str,
    pub version_token: &'a str,
    pub json: bool,
}

impl NewNotificationRequest {
    /// Every file the request refers to, with the element naming it.
    pub fn attachments(&self) -> Vec<Attachment<'_>> {
        let mut out: Vec<Attachment<'_>> = self
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| Attachment {
                element: format!("documents[{i}]"),
                digests: &d.digests.sha256,
                key: d.reference.bare_key(),
                version_token: &d.reference.version_token,
                json: false,
            })
            .collect();
        for (r, recipient) in self.recipients.iter().enumerate() {
            for (p, payment) in recipient.payments.iter().flatten().enumerate() {
                for (kind, field, json) in [("pagoPa", "attachment", false), ("f24", "metadataAttachment", true)] {
                    let a = &payment[kind][field];
                    if let (Some(sha), Some(key), Some(version)) =
                        (a["digests"]["sha256"].as_str(), a["ref"]["key"].as_str(), a["ref"]["versionToken"].as_str())
                    {
                        out.push(Attachment {
                            element: format!("recipients[{r}].payments[{p}].{kind}.{field}"),
                            digests: sha,
                            key: key.strip_prefix("safestorage://").unwrap_or(key),
                            version_token: version,
                            json,
                        });
                    }
                }
            }
        }
        out
    }

    /// `(creditorTaxId, noticeCode, recIndex)` of every pagoPA payment.
    pub fn notices(&self) -> Vec<(String, String, i32)> {
        let mut out = Vec::new();
        for (r, recipient) in self.recipients.iter().enumerate() {
            for payment in recipient.payments.iter().flatten() {
                if let (Some(creditor), Some(notice)) =
                    (payment["pagoPa"]["creditorTaxId"].as_str(), payment["pagoPa"]["noticeCode"].as_str())
                {
                    out.push((creditor.to_string(), notice.to_string(), r as i32));
                }
            }
        }
        out
    }
}

/// A pattern check and the shape it asks for, e.g. "11 digits".
type Pattern<'a> = Option<(&'a dyn Fn(&str) -> bool, &'a str)>;

/// Collects schema failures with their element paths.
struct Check {
    errors: Vec<ProblemError>,
}

impl Check {
    fn fail(&mut self, code: &str, element: &str, detail: impl Into<String>) {
        self.errors.push(ProblemError::new(code, format!("body.{element}"), detail));
    }

    /// A string field: required or not, with length bounds and a pattern check.
    fn string(&mut self, v: &Value, element: &str, required: bool, (min, max): (usize, usize), pattern: Pattern<'_>) {
        match v {
            Value::Null => {
                if required {
                    self.fail(REQUIRED, element, format!("{element} is required"));
                }
            }
            Value::String(s) => {
                let n = s.chars().count();
                if n < min {
                    self.fail(TOO_SHORT, element, format!("{element} must have at least {min} characters"));
                } else if n > max {
                    self.fail(TOO_LONG, element, format!("{element} must have at most {max} characters"));
                } else if let Some((ok, shape)) = pattern
                    && !ok(s)
                {
                    self.fail(PATTERN, element, format!("{element} must be {shape}"));
                }
            }
            _ => self.fail(INVALID, element, format!("{element} must be a string")),
        }
    }

    fn one_of(&mut self, v: &Value, element: &str, required: bool, values: &[&str]) {
        let shape = format!("one of {}", values.join(", "));
        self.string(v, element, required, (0, 64), Some((&|s: &str| values.contains(&s), &shape)));
    }

    fn integer(&mut self, v: &Value, element: &str, range: Option<(i64, i64)>) {
        match v {
            Value::Null => {}
            Value::Number(n) => match (n.as_i64(), range) {
                (None, _) => self.fail(INVALID, element, format!("{element} must be an integer")),
                (Some(x), Some((lo, hi))) if x < lo || x > hi => {
                    self.fail(INVALID, element, format!("{element} must be between {lo} and {hi}"))
                }
                _ => {}
            },
            _ => self.fail(INVALID, element, format!("{element} must be an integer")),
        }
    }

    fn array<'a>(&mut self, v: &'a Value, element: &str, required: bool, min: usize, max: usize) -> &'a [Value] {
        match v {
            Value::Null if required => {
                self.fail(REQUIRED, element, format!("{element} is required"));
                &[]
            }
            Value::Array(items) if items.len() < min => {
                self.fail(TOO_SHORT, element, format!("{element} must have at least {min} items"));
                items
            }
            Value::Array(items) if items.len() > max => {
                self.fail(TOO_LONG, element, format!("{element} must have at most {max} items"));
                items
            }
            Value::Array(items) => items,
            Value::Null => &[],
            _ => {
                self.fail(INVALID, element, format!("{element} must be an array"));
                &[]
            }
        }
    }
}

fn printable_ascii(s: &str) -> bool {
    s.chars().all(|c| (' '..='~').contains(&c))
}

/// SEND's `Denomination`: ISO-8859-1 characters, no `|` and no control characters.
fn denomination(s: &str) -> bool {
    s.chars().all(|c| (c as u32) <= 0xff && c != '|' && !c.is_control())
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// A codice fiscale (16 characters, omocodia letters allowed) or an 11-digit tax number.
pub fn tax_id(s: &str) -> bool {
    if digits(s, 11) {
        return true;
    }
    let b = s.as_bytes();
    let letter = |i: usize| b[i].is_ascii_uppercase();
    let digit = |i: usize| b[i].is_ascii_digit() || b"LMNPQRSTUV".contains(&b[i]);
    b.len() == 16
        && (0..6).all(letter)
        && (6..8).all(digit)
        && letter(8)
        && (9..11).all(digit)
        && letter(11)
        && (12..15).all(digit)
        && letter(15)
}

/// Base64 of 32 bytes (44 characters).
pub fn sha256_b64(s: &str) -> bool {
    use base64::Engine;
    s.len() == 44 && base64::engine::general_purpose::STANDARD.decode(s).is_ok_and(|b| b.len() == 32)
}

fn file_key(s: &str) -> bool {
    let bare = s.strip_prefix("safestorage://").unwrap_or(s);
    !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

fn date(s: &str) -> bool {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok() && s.len() == 10
}

fn email(s: &str) -> bool {
    crate::domain::recipient::validate_email(s).is_ok()
}

fn attachment(c: &mut Check, a: &Value, element: &str, content_type: &str) {
    if !a.is_object() {
        c.fail(REQUIRED, element, format!("{element} must be an object"));
        return;
    }
    c.string(
        &a["digests"]["sha256"],
        &format!("{element}.digests.sha256"),
        true,
        (44, 44),
        Some((&sha256_b64, "the base64 of a SHA-256 digest")),
    );
    let shape = format!("`{content_type}`");
    c.string(
        &a["contentType"],
        &format!("{element}.contentType"),
        true,
        (0, 32),
        Some((&|s: &str| s == content_type, &shape)),
    );
    c.string(
        &a["ref"]["key"],
        &format!("{element}.ref.key"),
        true,
        (1, 512),
        Some((&file_key, "a key returned by the preload")),
    );
    c.string(&a["ref"]["versionToken"], &format!("{element}.ref.versionToken"), true, (1, 256), None);
}

/// The schema checks of `POST /delivery/v2.6/requests`, in field order.
pub fn check_request(body: &Value) -> Vec<ProblemError> {
    let mut c = Check { errors: Vec::new() };
    if !body.is_object() {
        c.fail(INVALID, "", "the body must be a JSON object");
        return c.errors;
    }
    let ascii = (&printable_ascii as &dyn Fn(&str) -> bool, "printable ASCII");
    c.string(&body["idempotenceToken"], "idempotenceToken", false, (0, 256), Some(ascii));
    c.string(&body["paProtocolNumber"], "paProtocolNumber", true, (1, 256), None);
    c.string(&body["subject"], "subject", true, (1, 134), None);
    c.string(&body["abstract"], "abstract", false, (0, 1024), None);
    for (i, r) in c.array(&body["recipients"], "recipients", true, 1, usize::MAX).to_vec().iter().enumerate() {
        let e = |f: &str| format!("recipients[{i}].{f}");
        c.one_of(&r["recipientType"], &e("recipientType"), true, &["PF", "PG"]);
        c.string(
            &r["taxId"],
            &e("taxId"),
            true,
            (11, 16),
            Some((&tax_id, "a codice fiscale or an 11-digit tax number")),
        );
        c.string(
            &r["denomination"],
            &e("denomination"),
            true,
            (1, 88),
            Some((&denomination, "ISO-8859-1 text without `|`")),
        );
        let dd = &r["digitalDomicile"];
        if !dd.is_null() {
            c.one_of(&dd["type"], &e("digitalDomicile.type"), true, &["PEC"]);
            c.string(&dd["address"], &e("digitalDomicile.address"), true, (1, 320), Some((&email, "an email address")));
        }
        let pa = &r["physicalAddress"];
        if !pa.is_null() {
            c.string(&pa["at"], &e("physicalAddress.at"), false, (0, 256), None);
            c.string(&pa["address"], &e("physicalAddress.address"), true, (2, 1024), None);
            c.string(&pa["addressDetails"], &e("physicalAddress.addressDetails"), false, (0, 1024), None);
            let zip = |s: &str| s.chars().all(|ch| ch.is_alphanumeric() || ch == '_' || ch == ' ' || ch == '-');
            c.string(
                &pa["zip"],
                &e("physicalAddress.zip"),
                false,
                (0, 15),
                Some((&zip, "letters, digits, spaces and hyphens")),
            );
            c.string(&pa["municipality"], &e("physicalAddress.municipality"), true, (2, 256), None);
            c.string(&pa["municipalityDetails"], &e("physicalAddress.municipalityDetails"), false, (0, 256), None);
            c.string(&pa["province"], &e("physicalAddress.province"), false, (0, 256), None);
            c.string(&pa["foreignState"], &e("physicalAddress.foreignState"), false, (0, 256), None);
        }
        for (p, payment) in c.array(&r["payments"], &e("payments"), false, 0, usize::MAX).to_vec().iter().enumerate() {
            let pe = |f: &str| e(&format!("payments[{p}].{f}"));
            if payment.as_object().is_none_or(|o| o.is_empty()) {
                c.fail(REQUIRED, &e(&format!("payments[{p}]")), "a payment needs pagoPa or f24");
                continue;
            }
            let pago = &payment["pagoPa"];
            if !pago.is_null() {
                c.string(
                    &pago["noticeCode"],
                    &pe("pagoPa.noticeCode"),
                    true,
                    (18, 18),
                    Some((&|s: &str| digits(s, 18), "18 digits")),
                );
                c.string(
                    &pago["creditorTaxId"],
                    &pe("pagoPa.creditorTaxId"),
                    true,
                    (11, 11),
                    Some((&|s: &str| digits(s, 11), "11 digits")),
                );
                if !pago["applyCost"].is_boolean() {
                    c.fail(REQUIRED, &pe("pagoPa.applyCost"), "applyCost must be true or false");
                }
                if !pago["attachment"].is_null() {
                    attachment(&mut c, &pago["attachment"], &pe("pagoPa.attachment"), "application/pdf");
                }
            }
            let f24 = &payment["f24"];
            if !f24.is_null() {
                c.string(&f24["title"], &pe("f24.title"), true, (1, 512), None);
                if !f24["applyCost"].is_boolean() {
                    c.fail(REQUIRED, &pe("f24.applyCost"), "applyCost must be true or false");
                }
                attachment(&mut c, &f24["metadataAttachment"], &pe("f24.metadataAttachment"), "application/json");
            }
        }
    }
    for (i, d) in c.array(&body["documents"], "documents", true, 1, usize::MAX).to_vec().iter().enumerate() {
        attachment(&mut c, d, &format!("documents[{i}]"), "application/pdf");
        c.string(&d["title"], &format!("documents[{i}].title"), false, (1, 512), None);
        c.string(
            &d["docIdx"],
            &format!("documents[{i}].docIdx"),
            false,
            (1, 3),
            Some((&|s: &str| s.bytes().all(|b| b.is_ascii_digit()), "digits")),
        );
    }
    let policy = body["notificationFeePolicy"].as_str();
    c.one_of(&body["notificationFeePolicy"], "notificationFeePolicy", true, &["FLAT_RATE", "DELIVERY_MODE"]);
    c.string(&body["cancelledIun"], "cancelledIun", false, (25, 25), Some((&super::iun::is_well_formed, "an IUN")));
    c.one_of(
        &body["physicalCommunicationType"],
        "physicalCommunicationType",
        true,
        &["AR_REGISTERED_LETTER", "REGISTERED_LETTER_890"],
    );
    c.string(
        &body["senderDenomination"],
        "senderDenomination",
        true,
        (1, 88),
        Some((&denomination, "ISO-8859-1 text without `|`")),
    );
    c.string(&body["senderTaxId"], "senderTaxId", true, (11, 11), Some((&|s: &str| digits(s, 11), "11 digits")));
    c.string(&body["group"], "group", false, (0, 1024), Some(ascii));
    c.integer(&body["amount"], "amount", Some((0, i64::from(i32::MAX))));
    c.string(
        &body["paymentExpirationDate"],
        "paymentExpirationDate",
        false,
        (10, 10),
        Some((&date, "a date YYYY-MM-DD")),
    );
    let taxonomy =
        |s: &str| s.len() == 7 && s[..6].bytes().all(|b| b.is_ascii_digit()) && s.as_bytes()[6].is_ascii_uppercase();
    c.string(
        &body["taxonomyCode"],
        "taxonomyCode",
        true,
        (7, 7),
        Some((&taxonomy, "six digits and a capital letter, e.g. 010101P")),
    );
    c.integer(&body["paFee"], "paFee", Some((0, 100)));
    c.integer(&body["vat"], "vat", Some((0, 100)));
    if policy == Some("DELIVERY_MODE") {
        for field in ["paFee", "vat"] {
            if body[field].is_null() {
                c.fail(REQUIRED, field, format!("{field} is required when notificationFeePolicy is DELIVERY_MODE"));
            }
        }
    }
    c.one_of(&body["pagoPaIntMode"], "pagoPaIntMode", false, &["NONE", "SYNC", "ASYNC"]);
    for (i, l) in c.array(&body["additionalLanguages"], "additionalLanguages", false, 0, 1).to_vec().iter().enumerate()
    {
        c.one_of(l, &format!("additionalLanguages[{i}]"), true, &["DE", "SL", "FR"]);
    }
    c.integer(&body["physicalCommunicationPriority"], "physicalCommunicationPriority", Some((0, 100)));
    // The same person twice would be notified twice for one act.
    let ids: Vec<&str> =
        body["recipients"].as_array().into_iter().flatten().filter_map(|r| r["taxId"].as_str()).collect();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            c.fail(DUPLICATE, &format!("recipients[{i}].taxId"), "this recipient is already in the list");
        }
    }
    c.errors
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn valid() -> Value {
        json!({
            "paProtocolNumber": "2025/001", "subject": "Fine", "senderDenomination": "Comune di Prova",
            "senderTaxId": "01199250158", "taxonomyCode": "010101P", "notificationFeePolicy": "FLAT_RATE",
            "physicalCommunicationType": "AR_REGISTERED_LETTER",
            "recipients": [{"recipientType": "PF", "taxId": "RSSMRA80A01H501U", "denomination": "Mario Rossi"}],
            "documents": [{"digests": {"sha256": "jezIVxlG1M1woCSUngM6KipUN3/p8cG5RMIPnuEanlE="},
                "contentType": "application/pdf", "ref": {"key": "PN_NOTIFICATION_ATTACHMENTS-1", "versionToken": "v1"}}],
        })
    }

    #[test]
    fn a_valid_request_passes_and_parses() {
        assert_eq!(check_request(&valid()), vec![]);
        let parsed: NewNotificationRequest = serde_json::from_value(valid()).expect("parses");
        assert_eq!(parsed.recipients[0].tax_id, "RSSMRA80A01H501U");
    }

    #[test]
    fn failures_name_their_element() {
        let mut body = valid();
        body["recipients"][0]["taxId"] = json!("not-a-tax-id");
        body["subject"] = json!("x".repeat(135));
        body["senderTaxId"] = Value::Null;
        body["notificationFeePolicy"] = json!("DELIVERY_MODE");
        let errors = check_request(&body);
        let elements: Vec<(&str, &str)> =
            errors.iter().map(|e| (e.code.as_str(), e.element.as_deref().unwrap_or(""))).collect();
        assert_eq!(
            elements,
            vec![
                (TOO_LONG, "body.subject"),
                (PATTERN, "body.recipients[0].taxId"),
                (REQUIRED, "body.senderTaxId"),
                (REQUIRED, "body.paFee"),
                (REQUIRED, "body.vat"),
            ]
        );
    }

    #[test]
    fn tax_ids_follow_sends_pattern() {
        assert!(tax_id("RSSMRA80A01H501U"));
        assert!(tax_id("RSSMRA8LA01H5M1U"), "omocodia letters");
        assert!(tax_id("01199250158"));
        assert!(!tax_id("RSSMRA80A01H501"));
        assert!(!tax_id("rssmra80a01h501u"));
    }
}
