//! What legal notifications send through the notify block's own channels: the notice to the
//! digital domicile (email), courtesy messages (email, SMS) and the notice of receipt by post
//! (a letter for the print provider). A platform-owned Notify service with its templates is
//! created on first use; messages are stored and queued in the caller's transaction, so a
//! timeline element and the message it records commit together.

use publica_kernel::audit::Actor;
use publica_kernel::crypto::hmac_sha256;
use publica_kernel::db::{Timestamp, Tx};
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::NewJob;
use serde_json::json;
use uuid::Uuid;

use crate::domain::kinds::Channel;
use crate::domain::template::{self, Personalisation};
use crate::service::admin::{NewService, TemplateInput};
use crate::service::{Content, Notify, precompiled_template_id, render_version};
use crate::store::{self, FileRow, NotificationRow};

const LEGAL_EMAIL: (&str, &str, &str) = (
    "Legal notification (digital domicile)",
    "Legal notification ((iun)) from ((sender))",
    "Dear ((recipient)),\n\n((sender)) has served you a legal notification through Publica.\n\n\
* Subject: ((subject))\n* IUN: ((iun))\n\n\
This message is the notice of receipt delivered to your digital domicile. Read the notification and its \
documents at ((link)), quoting its IUN.\n\n\
The notification takes legal effect for you when you first open it, or ((days)) days after this message was \
delivered, whichever comes first.",
);
const COURTESY_EMAIL: (&str, &str, &str) = (
    "Legal notification (courtesy email)",
    "You have a new legal notification from ((sender))",
    "Dear ((recipient)),\n\n((sender)) has sent you a legal notification (IUN ((iun))) about: ((subject)).\n\n\
Read it at ((link)).\n\n^ This courtesy message has no legal value: the notification reaches you at your \
digital domicile or by post.",
);
const COURTESY_SMS: &str = "((sender)) has sent you a legal notification, IUN ((iun)). Read it at ((link))";

/// The Notify service and templates legal notifications are sent with.
pub struct Channels {
    pub service_id: Uuid,
    pub legal_email: Uuid,
    pub courtesy_email: Uuid,
    pub courtesy_sms: Uuid,
}

impl Channels {
    /// Find or create the service (owned by the platform organisation) and its templates.
    pub async fn ensure(notify: &Notify) -> Result<Channels> {
        let kernel = notify.kernel();
        let mac = hmac_sha256(&kernel.keys().master().derive("publica-notify-send-v1"), b"service");
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&mac[..16]);
        let service_id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let actor = Actor::system("notify.send");
        let service = match store::service(kernel.db(), service_id).await? {
            Some(s) => s,
            None => {
                let platform =
                    kernel.organisations().await?.into_iter().find(|o| o.kind == OrgKind::Platform).ok_or_else(
                        || Error::Unavailable("legal notifications need the platform organisation".into()),
                    )?;
                let new = NewService {
                    org_id: platform.id,
                    name: "Legal notifications",
                    email_from: "legal-notifications",
                    sms_sender: "Publica",
                    restricted: false,
                    inbound_number: None,
                    sms_prefix: true,
                };
                match notify.create_service(&actor, service_id, new).await {
                    Ok(s) => s,
                    // Another process created it at the same moment.
                    Err(_) => store::service(kernel.db(), service_id)
                        .await?
                        .ok_or_else(|| Error::internal("cannot create the legal notifications service"))?,
                }
            }
        };
        let mut ids = Vec::new();
        for (channel, name, subject, content) in [
            (Channel::Email, LEGAL_EMAIL.0, Some(LEGAL_EMAIL.1), LEGAL_EMAIL.2),
            (Channel::Email, COURTESY_EMAIL.0, Some(COURTESY_EMAIL.1), COURTESY_EMAIL.2),
            (Channel::Sms, "Legal notification (courtesy SMS)", None, COURTESY_SMS),
        ] {
            let existing = store::templates(kernel.db(), service.id, Some(channel.as_str())).await?;
            let id = match existing.iter().filter(|t| t.name == name).min_by_key(|t| t.created_at) {
                Some(t) => t.id,
                None => {
                    let input = TemplateInput { channel, name, subject, content, postage: None };
                    notify.save_template(&actor, &service, None, input).await?.0
                }
            };
            ids.push(id);
        }
        Ok(Channels { service_id, legal_email: ids[0], courtesy_email: ids[1], courtesy_sms: ids[2] })
    }
}

/// A message to hand to the notify block.
pub enum Outgoing {
    Email { id: Uuid, template: Uuid, to: String, personalisation: Personalisation, reference: String },
    Sms { id: Uuid, template: Uuid, to: String, personalisation: Personalisation, reference: String },
    Letter { id: Uuid, pdf: Vec<u8>, address: Vec<String>, reference: String },
}

/// Store `message` as a notification of the legal-notifications service and queue its
/// delivery, in the caller's transaction.
pub async fn enqueue(notify: &Notify, channels: &Channels, tx: &mut Tx, message: Outgoing) -> Result<()> {
    let kernel = notify.kernel();
    let now = Timestamp::now();
    let base = |id: Uuid, kind: &str, template: (Uuid, i64), reference: String| NotificationRow {
        id,
        service_id: channels.service_id,
        api_key_id: None,
        key_type: "normal".into(),
        kind: kind.into(),
        template_id: template.0,
        template_version: template.1,
        status: "created".into(),
        recipient: None,
        normalised_to: None,
        client_reference: Some(reference),
        content: None,
        postage: None,
        billable_units: 0,
        provider_reference: None,
        status_reason: None,
        job_id: None,
        job_row: None,
        created_by_name: Some("legal notifications".into()),
        created_at: now,
        scheduled_for: None,
        sent_at: None,
        completed_at: None,
        updated_at: None,
    };
    let (row, file) = match message {
        Outgoing::Email { id, template, to, personalisation, reference }
        | Outgoing::Sms { id, template, to, personalisation, reference } => {
            let t = notify
                .latest_template(channels.service_id, template)
                .await?
                .ok_or_else(|| Error::internal("a legal notification template is missing"))?;
            let rendered = render_version(&t, &personalisation, template::RenderOptions::default())
                .map_err(|e| Error::internal(format!("cannot render a legal notification message: {e}")))?;
            let (kind, normalised, units) = if t.kind == Channel::Sms.as_str() {
                let phone = crate::domain::recipient::validate_phone(&to, true)
                    .map_err(|e| Error::invalid("address", e.to_string()))?;
                (Channel::Sms, phone, rendered.sms.as_ref().map_or(1, |s| s.fragments as i64))
            } else {
                (Channel::Email, crate::domain::recipient::normalise_email(&to), 0)
            };
            let content = Content {
                personalisation,
                body: rendered.body,
                subject: rendered.subject,
                address: Vec::new(),
                one_click_unsubscribe_url: None,
            };
            let mut row = base(id, kind.as_str(), (t.id, t.version), reference);
            row.recipient = Some(to);
            row.normalised_to = Some(normalised);
            row.billable_units = units;
            row.content = Some(notify.seal_content(id, &content)?);
            (row, None)
        }
        Outgoing::Letter { id, pdf, address, reference } => {
            let pages = template::pdf_page_count(&pdf).unwrap_or(1);
            let content = Content { address, ..Content::default() };
            let mut row = base(id, "letter", (precompiled_template_id(channels.service_id), 1), reference.clone());
            row.recipient = Some(reference);
            row.postage = Some("first".into());
            row.billable_units = pages.div_ceil(2) as i64;
            row.content = Some(notify.seal_content(id, &content)?);
            let file = FileRow {
                id: Uuid::new_v4(),
                service_id: channels.service_id,
                notification_id: Some(id),
                purpose: "letter".into(),
                filename: None,
                mime_type: "application/pdf".into(),
                confirm_email: false,
                recipient_hash: None,
                sealed: kernel.keys().master().encrypt(id.as_bytes(), &pdf),
                created_at: now,
                expires_at: now.plus(time::Duration::days(30)),
            };
            (row, Some(file))
        }
    };
    store::insert_notifications(tx, &[&row]).await?;
    if let Some(file) = file {
        store::insert_file(tx, &file).await?;
    }
    kernel.enqueue(tx, NewJob::new(crate::jobs::DELIVER, row.id.to_string(), json!({ "ids": [row.id] }))).await?;
    Ok(())
}

/// A message's status in the notify block: `(status, reason, provider reference)`.
pub async fn status(notify: &Notify, id: Uuid) -> Result<Option<(String, Option<String>, Option<String>)>> {
    Ok(store::notification(notify.kernel().db(), None, id)
        .await?
        .map(|n| (n.status, n.status_reason, n.provider_reference)))
}
