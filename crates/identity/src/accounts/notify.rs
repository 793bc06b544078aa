//! Codes leave through the notify block, like any other service's messages: the identity block
//! owns a Notify service of the platform operator's organisation ("Publica sign-in") with an
//! API key and one email and one SMS template per language, made on the first send (and a new
//! template version saved when the wording in `accounts.ftl` changed). Each code is accepted
//! by `Notify::accept` and delivered by notify's durable job queue.

use std::collections::HashMap;

use publica_kernel::audit::Actor;
use publica_kernel::crypto::{b64url, hmac_sha256};
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use publica_kernel::i18n::Lang;
use publica_notify::Notify;
use publica_notify::api::auth::Caller;
use publica_notify::domain::kinds::{Channel, KeyType};
use publica_notify::service::SendRequest;
use publica_notify::service::admin::{NewService, TemplateInput};
use uuid::Uuid;

use super::domain::{CodeChannel, CodePurpose};
use crate::service::Identity;

const SERVICE_NAME: &str = "Publica sign-in";
const KEY_NAME: &str = "identity codes";

/// The service, its key and templates, found or made once per process.
pub struct Channels {
    caller: Caller,
    templates: HashMap<(Lang, &'static str), Uuid>,
}

/// The id of the identity block's Notify service: derived from the master key, so every
/// process (and every restart) finds the same one.
pub fn service_id(identity: &Identity) -> Uuid {
    let mac = hmac_sha256(&identity.kernel.keys().master().derive("publica-identity-notify-v1"), b"service");
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn notify(identity: &Identity) -> Result<std::sync::Arc<Notify>> {
    identity
        .kernel
        .get::<Notify>()
        .ok_or_else(|| Error::Unavailable("sending codes needs the notify block; serve it with identity".into()))
}

/// The template texts of a language and channel: (name, subject, body), from `accounts.ftl`.
fn wording(identity: &Identity, lang: Lang, channel: Channel) -> (String, Option<String>, String) {
    let t = |id: &str| identity.kernel.i18n().t(lang, id);
    match channel {
        Channel::Sms => (format!("Security code, SMS ({})", lang.code()), None, t("acc-notify-sms-body")),
        _ => (
            format!("Security code, email ({})", lang.code()),
            Some(t("acc-notify-email-subject")),
            t("acc-notify-email-body"),
        ),
    }
}

async fn ensure(identity: &Identity) -> Result<Channels> {
    let notify = notify(identity)?;
    let kernel = &identity.kernel;
    let actor = Actor::system("identity");
    let service_id = service_id(identity);
    let mut keys = notify.service_keys(service_id).await?;
    if keys.service.is_none() {
        let platform = kernel
            .organisations()
            .await?
            .into_iter()
            .find(|o| o.kind == OrgKind::Platform)
            .ok_or_else(|| Error::Unavailable("sending codes needs the platform operator's organisation".into()))?;
        let new = NewService {
            org_id: platform.id,
            name: SERVICE_NAME,
            email_from: "sign-in",
            sms_sender: "Publica",
            restricted: false,
            inbound_number: None,
            sms_prefix: false,
        };
        // Another process may create it at the same moment: then read theirs.
        if let Err(e) = notify.create_service(&actor, service_id, new).await {
            tracing::debug!(error = %e, "the identity block's notify service exists already");
        }
        notify.forget_service(service_id);
        keys = notify.service_keys(service_id).await?;
    }
    let service = keys.service.clone().ok_or_else(|| Error::internal("cannot create the identity notify service"))?;
    if !keys.keys.iter().any(|k| k.key.revoked_at.is_none()) {
        let secret = b64url(&hmac_sha256(&kernel.keys().master().derive("publica-identity-notify-v1"), b"api key"));
        match notify.insert_api_key(&actor, &service, KEY_NAME, KeyType::Normal, &secret).await {
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        notify.forget_service(service_id);
        keys = notify.service_keys(service_id).await?;
    }
    let key = keys
        .keys
        .iter()
        .find(|k| k.key.revoked_at.is_none())
        .ok_or_else(|| Error::internal("the identity notify service has no usable API key"))?;
    let caller = Caller {
        service: service.clone(),
        key_id: key.key.id,
        key_type: KeyType::Normal,
        key_name: key.key.name.clone(),
    };
    let mut templates = HashMap::new();
    for channel in [Channel::Email, Channel::Sms] {
        let existing = publica_notify::store::templates(kernel.db(), service_id, Some(channel.as_str())).await?;
        for lang in Lang::ALL {
            let (name, subject, content) = wording(identity, lang, channel);
            let found = existing.iter().filter(|t| t.name == name).min_by_key(|t| t.created_at);
            let id = match found {
                Some(t) if t.content == content && t.subject == subject => t.id,
                other => {
                    let input = TemplateInput {
                        channel,
                        name: &name,
                        subject: subject.as_deref(),
                        content: &content,
                        postage: None,
                    };
                    notify.save_template(&actor, &service, other.map(|t| t.id), input).await?.0
                }
            };
            templates.insert((lang, channel.as_str()), id);
        }
    }
    Ok(Channels { caller, templates })
}

impl Identity {
    async fn channels(&self) -> Result<&Channels> {
        self.accounts.channels.get_or_try_init(|| ensure(self)).await
    }

    /// Hand a code to notify for `to` (an email address or a phone number).
    pub(crate) async fn send_through_notify(
        &self,
        channel: CodeChannel,
        to: &str,
        lang: Lang,
        code: &str,
        purpose: CodePurpose,
    ) -> Result<Uuid> {
        let channels = self.channels().await?;
        let notify = notify(self)?;
        let (kind, normalised) = match channel {
            CodeChannel::Email => (Channel::Email, publica_notify::domain::recipient::normalise_email(to)),
            CodeChannel::Sms => (
                Channel::Sms,
                publica_notify::domain::recipient::validate_phone(to, true)
                    .map_err(|m| Error::invalid("phone", m.to_string()))?,
            ),
        };
        let template_id = *channels
            .templates
            .get(&(lang, kind.as_str()))
            .ok_or_else(|| Error::internal("a code template is missing"))?;
        let mut personalisation = serde_json::Map::new();
        personalisation.insert("code".into(), code.into());
        let reason = self.kernel.i18n().t(lang, &format!("acc-notify-reason-{}", purpose.as_str()));
        personalisation.insert("reason".into(), reason.into());
        let request = SendRequest {
            channel: kind,
            to: Some((to.to_string(), normalised)),
            template_id,
            personalisation,
            reference: Some(format!("identity-{}", purpose.as_str())),
            scheduled_for: None,
            one_click_unsubscribe_url: None,
            precompiled: None,
            created_by_name: Some(SERVICE_NAME.into()),
            job: None,
        };
        let accepted = notify.accept(&channels.caller, request).await.map_err(|e| match e.status.as_u16() {
            400 => Error::invalid(if kind == Channel::Sms { "phone" } else { "email" }, e.message().to_string()),
            429 => Error::TooManyRequests(e.message().to_string()),
            _ => Error::Unavailable(format!("notify refused the code: {}", e.message())),
        })?;
        Ok(accepted.id)
    }

    /// The id of the Notify service codes are sent with (to find them in notify's records).
    pub fn codes_notify_service(&self) -> Uuid {
        service_id(self)
    }
}
