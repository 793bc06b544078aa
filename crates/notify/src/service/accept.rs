//! Accepting a notification: Notify's checks in Notify's order (template, recipient, content,
//! limits), then a durable commit through the group committer before the caller is answered.

use std::sync::Arc;

use publica_kernel::db::Timestamp;
use publica_kernel::error::Result;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Notify;
use crate::api::auth::Caller;
use crate::api::error::NotifyError;
use crate::domain::kinds::{Channel, KeyType};
use crate::domain::template;
use crate::service::NewNotification;
use crate::store::{FileRow, NotificationRow, TemplateVersion};

/// Notify's simulated recipients: accepted with a 201 but never stored nor sent.
pub const SIMULATED_EMAILS: &[&str] = &[
    "simulate-delivered@notifications.service.gov.uk",
    "simulate-delivered-2@notifications.service.gov.uk",
    "simulate-delivered-3@notifications.service.gov.uk",
];
pub const SIMULATED_PHONES: &[&str] = &["+447700900000", "+447700900111", "+447700900222"];

/// A request to send, after the schema checks of the API layer.
pub struct SendRequest {
    pub channel: Channel,
    /// The recipient as given (email or phone), and normalised (lower-case email, E.164 phone).
    pub to: Option<(String, String)>,
    pub template_id: Uuid,
    pub personalisation: template::Personalisation,
    pub reference: Option<String>,
    pub scheduled_for: Option<Timestamp>,
    pub one_click_unsubscribe_url: Option<String>,
    pub precompiled: Option<Precompiled>,
    pub created_by_name: Option<String>,
    pub job: Option<(Uuid, i64)>,
}

/// An uploaded letter.
pub struct Precompiled {
    pub pdf: Vec<u8>,
    pub postage: String,
}

/// What the caller is told: Notify's 201 response is built from this.
pub struct Accepted {
    pub id: Uuid,
    pub reference: Option<String>,
    pub template: Option<Arc<TemplateVersion>>,
    pub body: String,
    pub subject: Option<String>,
    pub from_email: Option<String>,
    pub from_number: Option<String>,
    pub postage: Option<String>,
    pub one_click_unsubscribe_url: Option<String>,
    pub scheduled_for: Option<Timestamp>,
}

/// The sealed part of a stored notification: what is purged after the retention period.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct Content {
    #[serde(default)]
    pub personalisation: template::Personalisation,
    pub body: String,
    pub subject: Option<String>,
    #[serde(default)]
    pub address: Vec<String>,
    pub one_click_unsubscribe_url: Option<String>,
}

impl Notify {
    /// Check and store a notification; returns once it is durably committed with its job.
    pub async fn accept(&self, caller: &Caller, req: SendRequest) -> Result<Accepted, NotifyError> {
        let service = &caller.service;
        if req.channel == Channel::Letter {
            if caller.key_type == KeyType::Team {
                return Err(NotifyError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "BadRequestError",
                    "Cannot send letters with a team api key",
                ));
            }
            if service.restricted && caller.key_type != KeyType::Test {
                return Err(NotifyError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "BadRequestError",
                    "Cannot send letters when service is in trial mode",
                ));
            }
        }
        let id = Uuid::now_v7();
        let now = Timestamp::now();
        if let Some(pre) = req.precompiled {
            return self.accept_precompiled(caller, id, now, req.reference, pre).await;
        }
        let template = self.checked_template(service.id, req.template_id, req.channel).await?;
        if let Some((_, normalised)) = &req.to {
            self.check_recipient(caller, req.channel, normalised).await?;
        }
        let mut personalisation = req.personalisation;
        let files =
            self.take_files(caller, id, &mut personalisation, req.to.as_ref().map(|t| t.1.as_str()), now).await?;
        // The HTML and plain-text renderings are made at delivery; here, check and fill in.
        let options = template::RenderOptions {
            sms_prefix: service.sms_prefix.then_some(service.name.as_str()),
            body_only: true,
            ..Default::default()
        };
        let rendered = render(&template, &personalisation, options)?;
        let mut address = Vec::new();
        let billable = match req.channel {
            Channel::Sms => rendered.sms.as_ref().map(|s| s.fragments as i64).unwrap_or(1),
            Channel::Letter => {
                address =
                    template::postal_address(&personalisation).map_err(|e| NotifyError::validation(e.to_string()))?;
                1
            }
            Channel::Email => 0,
        };
        if caller.key_type != KeyType::Test {
            self.limits.take_daily(self.kernel.db(), service, req.channel).await?.map_err(NotifyError::daily_limit)?;
        }
        let from_email =
            (req.channel == Channel::Email).then(|| format!("{}@{}", service.email_from, self.config.email_domain));
        let from_number = (req.channel == Channel::Sms).then(|| service.sms_sender.clone());
        let postage =
            (req.channel == Channel::Letter).then(|| template.postage.clone().unwrap_or_else(|| "second".into()));
        let accepted = Accepted {
            id,
            reference: req.reference.clone(),
            template: Some(template.clone()),
            body: rendered.body.clone(),
            subject: rendered.subject.clone(),
            from_email,
            from_number,
            postage: postage.clone(),
            one_click_unsubscribe_url: req.one_click_unsubscribe_url.clone(),
            scheduled_for: req.scheduled_for,
        };
        let simulated = req
            .to
            .as_ref()
            .is_some_and(|(_, n)| SIMULATED_EMAILS.contains(&n.as_str()) || SIMULATED_PHONES.contains(&n.as_str()));
        if simulated {
            return Ok(accepted);
        }
        let initial = Initial::of(caller, now, req.scheduled_for);
        let content = Content {
            personalisation,
            body: rendered.body,
            subject: rendered.subject,
            address,
            one_click_unsubscribe_url: req.one_click_unsubscribe_url,
        };
        let row = NotificationRow {
            id,
            service_id: service.id,
            api_key_id: Some(caller.key_id),
            key_type: caller.key_type.as_str().into(),
            kind: req.channel.as_str().into(),
            template_id: template.id,
            template_version: template.version,
            status: initial.status.into(),
            recipient: req.to.as_ref().map(|t| t.0.clone()),
            normalised_to: req.to.map(|t| t.1),
            client_reference: req.reference,
            content: Some(self.seal_content(id, &content)?),
            postage,
            billable_units: billable,
            provider_reference: None,
            status_reason: None,
            job_id: req.job.map(|j| j.0),
            job_row: req.job.map(|j| j.1),
            created_by_name: req.created_by_name,
            created_at: now,
            scheduled_for: req.scheduled_for,
            sent_at: initial.done,
            completed_at: initial.done,
            updated_at: initial.done,
        };
        self.accepted.submit(NewNotification { row, files, callback: initial.callback }).await?;
        Ok(accepted)
    }

    /// The template, checked as Notify checks it for this kind of notification.
    pub async fn checked_template(
        &self,
        service_id: Uuid,
        id: Uuid,
        channel: Channel,
    ) -> Result<Arc<TemplateVersion>, NotifyError> {
        let template = self
            .latest_template(service_id, id)
            .await?
            .ok_or_else(|| NotifyError::bad_request("Template not found"))?;
        if template.kind != channel.as_str() {
            return Err(NotifyError::bad_request(format!(
                "{} template is not suitable for {} notification",
                template.kind,
                channel.as_str()
            )));
        }
        if template.archived {
            return Err(NotifyError::bad_request("Template has been deleted"));
        }
        Ok(template)
    }

    async fn check_recipient(&self, caller: &Caller, channel: Channel, normalised: &str) -> Result<(), NotifyError> {
        let service = &caller.service;
        if caller.key_type == KeyType::Test {
            return Ok(());
        }
        if caller.key_type == KeyType::Team || service.restricted {
            let allowed = self.allowed_recipients(service).await?;
            if !allowed.iter().any(|a| a == normalised) {
                return Err(NotifyError::bad_request(if caller.key_type == KeyType::Team {
                    "Can’t send to this recipient using a team-only API key"
                } else {
                    "Can’t send to this recipient when service is in trial mode – see https://www.notifications.service.gov.uk/trial-mode"
                }));
            }
        }
        if channel == Channel::Sms && !normalised.starts_with("+44") && !service.international_sms {
            return Err(NotifyError::bad_request("Cannot send to international mobile numbers"));
        }
        Ok(())
    }

    async fn accept_precompiled(
        &self,
        caller: &Caller,
        id: Uuid,
        now: Timestamp,
        reference: Option<String>,
        pre: Precompiled,
    ) -> Result<Accepted, NotifyError> {
        let pages = template::check_precompiled(&pre.pdf).map_err(|e| NotifyError::bad_request(e.to_string()))?;
        if pages > template::LETTER_MAX_PAGE_COUNT {
            return Err(NotifyError::bad_request(format!(
                "Letters must be {} pages or less. Your letter is {pages} pages.",
                template::LETTER_MAX_PAGE_COUNT
            )));
        }
        if caller.key_type != KeyType::Test {
            self.limits
                .take_daily(self.kernel.db(), &caller.service, Channel::Letter)
                .await?
                .map_err(NotifyError::daily_limit)?;
        }
        let template_id = precompiled_template_id(caller.service.id);
        let initial = Initial::of(caller, now, None);
        let content = Content { body: String::new(), ..Content::default() };
        let row = NotificationRow {
            id,
            service_id: caller.service.id,
            api_key_id: Some(caller.key_id),
            key_type: caller.key_type.as_str().into(),
            kind: "letter".into(),
            template_id,
            template_version: 1,
            status: initial.status.into(),
            recipient: reference.clone(),
            normalised_to: None,
            client_reference: reference.clone(),
            content: Some(self.seal_content(id, &content)?),
            postage: Some(pre.postage.clone()),
            billable_units: pages.div_ceil(2) as i64,
            provider_reference: None,
            status_reason: None,
            job_id: None,
            job_row: None,
            created_by_name: None,
            created_at: now,
            scheduled_for: None,
            sent_at: initial.done,
            completed_at: initial.done,
            updated_at: initial.done,
        };
        let file = FileRow {
            id: Uuid::new_v4(),
            service_id: caller.service.id,
            notification_id: Some(id),
            purpose: "letter".into(),
            filename: None,
            mime_type: "application/pdf".into(),
            confirm_email: false,
            recipient_hash: None,
            sealed: self.kernel.keys().master().encrypt(id.as_bytes(), &pre.pdf),
            created_at: now,
            expires_at: now.plus(time::Duration::days(caller.service.retention_days.max(1))),
        };
        self.accepted.submit(NewNotification { row, files: vec![file], callback: initial.callback }).await?;
        Ok(Accepted {
            id,
            reference,
            template: None,
            body: String::new(),
            subject: None,
            from_email: None,
            from_number: None,
            postage: Some(pre.postage),
            one_click_unsubscribe_url: None,
            scheduled_for: None,
        })
    }

    pub fn seal_content(&self, id: Uuid, content: &Content) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(content).map_err(publica_kernel::error::Error::internal)?;
        Ok(self.kernel.keys().master().encrypt(id.as_bytes(), &json))
    }

    pub fn open_content(&self, row: &NotificationRow) -> Result<Option<Content>> {
        let Some(sealed) = &row.content else {
            return Ok(None);
        };
        let json = self.kernel.keys().master().decrypt(row.id.as_bytes(), sealed).map_err(|_| {
            publica_kernel::error::Error::internal("notification content cannot be opened with this master key")
        })?;
        Ok(Some(serde_json::from_slice(&json).map_err(publica_kernel::error::Error::internal)?))
    }
}

/// How a notification starts. Test keys never send: their notifications are stored already
/// `delivered` (as Notify's fake receipt would leave them), with no delivery job, and only a
/// callback when the service has one. Scheduled ones go through the queue at their time.
struct Initial {
    status: &'static str,
    done: Option<Timestamp>,
    callback: bool,
}

impl Initial {
    fn of(caller: &Caller, now: Timestamp, scheduled_for: Option<Timestamp>) -> Initial {
        if caller.key_type == KeyType::Test && scheduled_for.is_none() {
            Initial { status: "delivered", done: Some(now), callback: caller.service.delivery_callback_url.is_some() }
        } else {
            Initial { status: "created", done: None, callback: false }
        }
    }
}

/// The hidden letter template every service has for uploaded PDFs (as Notify's).
pub fn precompiled_template_id(service_id: Uuid) -> Uuid {
    let digest = publica_kernel::crypto::sha256(&[b"precompiled-letter:".as_slice(), service_id.as_bytes()].concat());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Render for sending; Notify's messages for what is wrong (missing personalisation, too long).
pub fn render(
    t: &TemplateVersion,
    personalisation: &template::Personalisation,
    options: template::RenderOptions<'_>,
) -> Result<template::Rendered, NotifyError> {
    crate::service::render_version(t, personalisation, options).map_err(|e| match e {
        template::RenderError::Address(a) => NotifyError::validation(a.to_string()),
        other => NotifyError::bad_request(other.to_string()),
    })
}
