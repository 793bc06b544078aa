//! Legal facts ("attestazioni opponibili a terzi"): the text of each kind, laid out as a letter
//! by the block's PDF writer (addressed to the party it concerns), sealed with a PAdES
//! signature. Their SHA-256 goes into the audit log when they are stored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};

use super::pades;
use super::seal::Seal;
use crate::domain::template::{Letter, LetterLanguage, Personalisation, letter_pdf};

/// `LegalFactCategoryV20` values Publica generates.
pub const SENDER_ACK: &str = "SENDER_ACK";
pub const DIGITAL_DELIVERY: &str = "DIGITAL_DELIVERY";
pub const ANALOG_DELIVERY: &str = "ANALOG_DELIVERY";
pub const RECIPIENT_ACCESS: &str = "RECIPIENT_ACCESS";
pub const ANALOG_FAILURE_DELIVERY: &str = "ANALOG_FAILURE_DELIVERY";
pub const NOTIFICATION_CANCELLED: &str = "NOTIFICATION_CANCELLED";

pub const CATEGORIES: [&str; 6] =
    [SENDER_ACK, DIGITAL_DELIVERY, ANALOG_DELIVERY, RECIPIENT_ACCESS, ANALOG_FAILURE_DELIVERY, NOTIFICATION_CANCELLED];

const CERTIFIES: &str = "Pursuant to article 26 of decree-law 76/2020, the operator of the digital notification \
platform\n\n# certifies that\n\n";

/// A legal fact to produce: its category, who it concerns and its text.
pub struct Draft {
    pub category: &'static str,
    pub title: &'static str,
    /// The party named in the address block: name, tax id, then the IUN.
    pub party: (String, String),
    pub iun: String,
    /// Markdown with `((placeholders))` filled from `values`.
    pub text: String,
    pub values: Value,
}

/// `2025-01-08 14:07:18 UTC`.
pub fn when(at: Timestamp) -> String {
    let t = at.inner();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Draft {
    /// Render, then seal at `at`. Returns the signed PDF and its base64 SHA-256.
    pub fn seal(&self, seal: &Seal, at: Timestamp) -> Result<(Vec<u8>, String)> {
        let mut p: Personalisation = self.values.as_object().cloned().unwrap_or_default();
        p.insert("address_line_1".into(), json!(self.party.0));
        p.insert("address_line_2".into(), json!(format!("Tax code {}", self.party.1)));
        p.insert("address_line_3".into(), json!(format!("IUN {}", self.iun)));
        let letter = Letter {
            subject: self.title,
            content: &self.text,
            personalisation: &p,
            contact_block: Some("Publica\nDigital notifications\nLegal fact"),
            date: at.inner().date(),
            language: LetterLanguage::English,
        };
        let pdf = letter_pdf(&letter).map_err(|e| Error::internal(format!("legal fact {}: {e}", self.category)))?;
        let reason = format!("{} {}", self.category, self.iun);
        let signed = pades::sign(&pdf, seal, at, &reason).map_err(Error::internal)?;
        let digest = STANDARD.encode(publica_kernel::crypto::sha256(&signed));
        Ok((signed, digest))
    }
}

pub fn sender_ack(
    iun: &str,
    sent_at: Timestamp,
    request: &Value,
    documents: Vec<String>,
    recipients: Vec<String>,
) -> Draft {
    Draft {
        category: SENDER_ACK,
        title: "Legal fact: notification taken in charge",
        party: (str_of(&request["senderDenomination"]), str_of(&request["senderTaxId"])),
        iun: iun.into(),
        text: format!(
            "{CERTIFIES}on ((sent_at)) the sender ((sender)), tax code ((sender_tax_id)), made available to the operator \
the digital documents of the notification with IUN ((iun)), identified uniquely by these SHA-256 hashes:\n\n\
((documents))\n\nSubject: ((subject))\n\n# Recipients\n\n((recipients))"
        ),
        values: json!({
            "sent_at": when(sent_at), "sender": request["senderDenomination"], "sender_tax_id": request["senderTaxId"],
            "iun": iun, "documents": documents, "subject": request["subject"], "recipients": recipients,
        }),
    }
}

/// Who a per-recipient legal fact concerns.
pub struct Party<'a> {
    pub iun: &'a str,
    pub sender: String,
    pub name: String,
    pub tax_id: String,
}

impl Party<'_> {
    fn draft(&self, category: &'static str, title: &'static str, text: String, mut values: Value) -> Draft {
        if let Some(v) = values.as_object_mut() {
            v.insert("iun".into(), json!(self.iun));
            v.insert("sender".into(), json!(self.sender));
            v.insert("recipient".into(), json!(self.name));
            v.insert("tax_id".into(), json!(self.tax_id));
        }
        Draft {
            category,
            title,
            party: (self.name.clone(), self.tax_id.clone()),
            iun: self.iun.into(),
            text: format!("{CERTIFIES}{text}"),
            values,
        }
    }

    pub fn digital_delivery(&self, address: &str, source: &str, delivered_at: Timestamp) -> Draft {
        self.draft(
            DIGITAL_DELIVERY,
            "Legal fact: digital notification",
            "the notice of receipt of the notification with IUN ((iun)), sent by ((sender)), to ((recipient)), tax \
code ((tax_id)), was delivered to the digital domicile ((address)) (((source))) on ((date))."
                .into(),
            json!({"address": address, "source": source_text(source), "date": when(delivered_at)}),
        )
    }

    pub fn digital_failure(&self, attempts: Vec<String>, at: Timestamp) -> Draft {
        self.draft(
            DIGITAL_DELIVERY,
            "Legal fact: failed digital delivery",
            "the notice of receipt of the notification with IUN ((iun)), sent by ((sender)), to ((recipient)), tax \
code ((tax_id)), could not be delivered to any digital domicile:\n\n((attempts))\n\nOn ((date)) the notice of \
failed delivery was made available on the platform (art. 26, paragraph 6) and the notice is sent by simple \
registered letter."
                .into(),
            json!({"attempts": attempts, "date": when(at)}),
        )
    }

    pub fn analog_delivery(&self, address: &[String], product: &str, letter_sha256: &str, at: Timestamp) -> Draft {
        self.draft(
            ANALOG_DELIVERY,
            "Legal fact: notice sent by post",
            "on ((date)) the notice of receipt of the notification with IUN ((iun)), sent by ((sender)), to \
((recipient)), tax code ((tax_id)), was handed to the postal operator for delivery by ((product)) to:\n\n((address))\
\n\nThe letter handed over has the SHA-256 hash ((letter_sha256))."
                .into(),
            json!({"date": when(at), "product": product, "address": address, "letter_sha256": letter_sha256}),
        )
    }

    pub fn unreachable(&self, at: Timestamp, days: i64) -> Draft {
        self.draft(
            ANALOG_FAILURE_DELIVERY,
            "Legal fact: notice of receipt deposited",
            "the recipient ((recipient)), tax code ((tax_id)), of the notification with IUN ((iun)) sent by \
((sender)) could not be reached at any address (art. 26, paragraph 7). On ((date)) the notice of receipt was \
deposited on the platform. The notification is perfected on the ((days))th day after that date, unless the \
recipient accesses it earlier."
                .into(),
            json!({"date": when(at), "days": days.to_string()}),
        )
    }

    pub fn access(&self, at: Timestamp) -> Draft {
        self.draft(
            RECIPIENT_ACCESS,
            "Legal fact: access to the notification",
            "on ((date)) the recipient ((recipient)), tax code ((tax_id)), accessed the digital documents of the \
notification with IUN ((iun)) sent by ((sender)).\n\nThis date is not necessarily the date on which the \
notification was perfected for the recipient."
                .into(),
            json!({"date": when(at)}),
        )
    }
}

pub fn cancelled(iun: &str, request: &Value, at: Timestamp) -> Draft {
    Draft {
        category: NOTIFICATION_CANCELLED,
        title: "Legal fact: notification cancelled",
        party: (str_of(&request["senderDenomination"]), str_of(&request["senderTaxId"])),
        iun: iun.into(),
        text: format!(
            "{CERTIFIES}on ((date)) the sender ((sender)), tax code ((sender_tax_id)), cancelled the notification \
with IUN ((iun)). Its delivery stopped and it has no further effect for its recipients."
        ),
        values: json!({"date": when(at), "sender": request["senderDenomination"], "sender_tax_id": request["senderTaxId"], "iun": iun}),
    }
}

fn source_text(source: &str) -> &'static str {
    match source {
        "PLATFORM" => "domicile registered on the platform, art. 26, paragraph 5, letter c",
        "SPECIAL" => "domicile elected with the sender, art. 26, paragraph 5, letter b",
        _ => "domicile from a public register, art. 26, paragraph 5, letter a",
    }
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
