//! Jobs of the notify block: delivering accepted notifications (in batches, many at once) and
//! posting delivery receipts and received texts to services' callback URLs.

use std::sync::Arc;

use futures::StreamExt;
use publica_kernel::Kernel;
use publica_kernel::db::Timestamp;
use publica_kernel::jobs::{JobContext, JobFailure, JobHandler};
use uuid::Uuid;

use crate::delivery::{DeliveryError, OutgoingEmail, OutgoingLetter, OutgoingSms};
use crate::domain::template;
use crate::service::{Notify, StatusChange};
use crate::store::{self, NotificationRow, StatusUpdate};

pub const DELIVER: &str = "notify.deliver";
pub const CALLBACK: &str = "notify.callback";
pub const INBOUND_CALLBACK: &str = "notify.inbound-callback";

fn notify(kernel: &Kernel) -> Result<Arc<Notify>, JobFailure> {
    kernel.get::<Notify>().ok_or_else(|| JobFailure::Retry("the notify block has not started".into()))
}

fn retry(e: impl std::fmt::Display) -> JobFailure {
    JobFailure::Retry(e.to_string())
}

/// Delivers the notifications of one batch that are still waiting.
pub struct DeliverJob {
    pub kernel: Kernel,
}

#[async_trait::async_trait]
impl JobHandler for DeliverJob {
    fn kind(&self) -> &'static str {
        DELIVER
    }

    async fn run(&self, job: &JobContext) -> Result<(), JobFailure> {
        let notify = notify(&self.kernel)?;
        let ids: Vec<Uuid> = serde_json::from_value(job.payload["ids"].clone())
            .map_err(|e| JobFailure::Permanent(format!("bad payload: {e}")))?;
        let waiting = store::pending_of(self.kernel.db(), &ids).await.map_err(retry)?;
        let last_attempt = job.attempt >= self.kernel.config().jobs.max_attempts;
        let concurrency = notify.config().delivery_concurrency.max(1);
        let outcomes: Vec<Result<(), String>> = futures::stream::iter(waiting)
            .map(|n| {
                let notify = notify.clone();
                async move { deliver_one(&notify, n, last_attempt).await }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let failures: Vec<String> = outcomes.into_iter().filter_map(Result::err).collect();
        match failures.first() {
            None => Ok(()),
            Some(first) => Err(JobFailure::Retry(format!("{} to retry; first: {first}", failures.len()))),
        }
    }
}

/// Send one notification and record what happened. `Err` means "try again later".
async fn deliver_one(notify: &Notify, n: NotificationRow, last_attempt: bool) -> Result<(), String> {
    let service = notify.service_keys(n.service_id).await.map_err(|e| e.to_string())?;
    let Some(service) = service.service.clone() else {
        return Ok(());
    };
    let callback = service.delivery_callback_url.is_some();
    let record = |status: &str, reason: Option<String>, reference: Option<String>, sent: bool| StatusChange {
        update: StatusUpdate {
            id: n.id,
            status: status.into(),
            reason,
            provider_reference: reference,
            sent,
            at: Timestamp::now(),
        },
        callback,
    };
    if n.key_type == "test" {
        // Test keys: realistic answers, nothing leaves the building.
        return notify.change_status(record("delivered", None, None, true)).await.map_err(|e| e.to_string());
    }
    let outcome = match n.kind.as_str() {
        "email" => send_email(notify, &service, &n).await,
        "sms" => send_sms(notify, &service, &n).await,
        _ => send_letter(notify, &n).await,
    };
    let change = match outcome {
        Ok((status, reference)) => record(status, None, Some(reference), true),
        Err(DeliveryError::Temporary(reason)) if !last_attempt => return Err(reason),
        Err(e) => record(e.status(), Some(e.detail().to_string()), None, false),
    };
    notify.change_status(change).await.map_err(|e| e.to_string())
}

async fn send_email(
    notify: &Notify,
    service: &store::Service,
    n: &NotificationRow,
) -> Result<(&'static str, String), DeliveryError> {
    let Some(sender) = notify.delivery.email.clone() else {
        return Err(DeliveryError::Temporary("no SMTP relay is configured: set PUBLICA_NOTIFY__SMTP_URL".into()));
    };
    let (t, content) = load(notify, n).await?;
    let options = template::RenderOptions {
        brand_name: Some(&service.name),
        unsubscribe_link: content.one_click_unsubscribe_url.as_deref(),
        ..Default::default()
    };
    let rendered = crate::service::render_version(&t, &content.personalisation, options)
        .map_err(|e| DeliveryError::Technical(format!("cannot render: {e}")))?;
    let email = OutgoingEmail {
        notification_id: n.id,
        from_name: service.name.clone(),
        from_address: format!("{}@{}", service.email_from, notify.config().email_domain),
        reply_to: service.email_reply_to.clone(),
        to: n.normalised_to.clone().unwrap_or_default(),
        subject: rendered.subject.clone().unwrap_or_default(),
        text: rendered.text.clone(),
        html: rendered.html.clone().unwrap_or_default(),
        one_click_unsubscribe_url: content.one_click_unsubscribe_url.clone(),
    };
    // The relay accepting the message is the last news a plain SMTP relay gives.
    sender.send(&email).await.map(|reference| ("delivered", reference))
}

async fn send_sms(
    notify: &Notify,
    service: &store::Service,
    n: &NotificationRow,
) -> Result<(&'static str, String), DeliveryError> {
    let Some(provider) = notify.delivery.sms.clone() else {
        return Err(DeliveryError::Temporary("no SMS gateway is configured: set PUBLICA_NOTIFY__SMS__URL".into()));
    };
    let (_, content) = load(notify, n).await?;
    let sms = OutgoingSms {
        notification_id: n.id,
        to: n.normalised_to.clone().unwrap_or_default(),
        body: content.body.clone(),
        sender: Some(service.sms_sender.clone()),
    };
    // Delivered or not is told later by the gateway's receipt.
    provider.send(&sms).await.map(|reference| ("sending", reference))
}

async fn send_letter(notify: &Notify, n: &NotificationRow) -> Result<(&'static str, String), DeliveryError> {
    let Some(printer) = notify.delivery.print.clone() else {
        return Err(DeliveryError::Temporary("no print provider is configured".into()));
    };
    let pdf = notify.letter_pdf(n).await.map_err(|e| DeliveryError::Technical(e.to_string()))?;
    let address = match notify.open_content(n) {
        Ok(Some(c)) => c.address,
        _ => Vec::new(),
    };
    let letter = OutgoingLetter {
        notification_id: n.id,
        reference: n.client_reference.clone(),
        postage: n.postage.clone().unwrap_or_else(|| "second".into()),
        address_lines: address,
        pdf,
    };
    // Handed to the print provider: Notify calls this "received".
    printer.send(&letter).await.map(|reference| ("delivered", reference))
}

async fn load(
    notify: &Notify,
    n: &NotificationRow,
) -> Result<(store::TemplateVersion, crate::service::Content), DeliveryError> {
    let technical = |m: String| DeliveryError::Technical(m);
    let t = store::template(notify.kernel().db(), n.service_id, n.template_id, Some(n.template_version))
        .await
        .map_err(|e| DeliveryError::Temporary(e.to_string()))?
        .ok_or_else(|| technical(format!("template {} version {} is gone", n.template_id, n.template_version)))?;
    let content = notify
        .open_content(n)
        .map_err(|e| technical(e.to_string()))?
        .ok_or_else(|| technical("the content was purged before delivery".into()))?;
    Ok((t, content))
}

/// Posts a delivery receipt to the service's callback URL with its bearer token.
pub struct CallbackJob {
    pub kernel: Kernel,
}

#[async_trait::async_trait]
impl JobHandler for CallbackJob {
    fn kind(&self) -> &'static str {
        CALLBACK
    }

    async fn run(&self, job: &JobContext) -> Result<(), JobFailure> {
        let notify = notify(&self.kernel)?;
        let id: Uuid = serde_json::from_value(job.payload["id"].clone())
            .map_err(|e| JobFailure::Permanent(format!("bad payload: {e}")))?;
        let Some(n) = store::notification(self.kernel.db(), None, id).await.map_err(retry)? else {
            return Ok(());
        };
        let Some(service) = store::service(self.kernel.db(), n.service_id).await.map_err(retry)? else {
            return Ok(());
        };
        let (Some(url), Some(token)) = (&service.delivery_callback_url, &service.delivery_callback_token) else {
            return Ok(());
        };
        let token = notify.open_secret(service.id, token).map_err(|e| JobFailure::Permanent(e.to_string()))?;
        let body = crate::api::wire::receipt(&n);
        post_callback(&notify, url, &token, &body).await
    }
}

/// Posts a received text to the service's inbound callback URL.
pub struct InboundCallbackJob {
    pub kernel: Kernel,
}

#[async_trait::async_trait]
impl JobHandler for InboundCallbackJob {
    fn kind(&self) -> &'static str {
        INBOUND_CALLBACK
    }

    async fn run(&self, job: &JobContext) -> Result<(), JobFailure> {
        let notify = notify(&self.kernel)?;
        let service_id: Uuid = serde_json::from_value(job.payload["service_id"].clone())
            .map_err(|e| JobFailure::Permanent(format!("bad payload: {e}")))?;
        let Some(service) = store::service(self.kernel.db(), service_id).await.map_err(retry)? else {
            return Ok(());
        };
        let (Some(url), Some(token)) = (&service.inbound_callback_url, &service.inbound_callback_token) else {
            return Ok(());
        };
        let token = notify.open_secret(service.id, token).map_err(|e| JobFailure::Permanent(e.to_string()))?;
        post_callback(&notify, url, &token, &job.payload["body"]).await
    }
}

/// As Notify: retried on network errors, 5xx and 429; other 4xx are the service's to fix.
async fn post_callback(notify: &Notify, url: &str, token: &str, body: &serde_json::Value) -> Result<(), JobFailure> {
    let response = notify.http.post(url).bearer_auth(token).json(body).send().await.map_err(retry)?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error() || status.as_u16() == 429 {
        Err(JobFailure::Retry(format!("callback answered {status}")))
    } else {
        Err(JobFailure::Permanent(format!("callback answered {status}")))
    }
}
