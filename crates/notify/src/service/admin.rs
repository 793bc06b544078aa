//! Managing services: creating them, their templates (each save a new version), API keys in
//! Notify's format, the guest list and callbacks. Every change is audited.

use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::sealed_keys::SealedKeySpec;
use serde_json::json;
use uuid::Uuid;

use super::Notify;
use super::accept::precompiled_template_id;
use crate::domain::kinds::{Channel, KeyType};
use crate::domain::recipient;
use crate::store::{self, CallbackKind, Service, TemplateContent};

/// What a new service needs; the rest takes Notify's defaults for a live service.
pub struct NewService<'a> {
    pub org_id: Uuid,
    pub name: &'a str,
    pub email_from: &'a str,
    pub sms_sender: &'a str,
    pub restricted: bool,
    /// The number people can text the service on.
    pub inbound_number: Option<&'a str>,
    /// Put the service name before every text message (`Name: …`), as Notify does by default.
    pub sms_prefix: bool,
}

/// A template as a service team writes it.
pub struct TemplateInput<'a> {
    pub channel: Channel,
    pub name: &'a str,
    pub subject: Option<&'a str>,
    pub content: &'a str,
    pub postage: Option<&'a str>,
}

impl Notify {
    pub async fn create_service(&self, actor: &Actor, id: Uuid, s: NewService<'_>) -> Result<Service> {
        let name = s.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(Error::invalid("name", "give the service a name of 1 to 255 characters"));
        }
        let local_ok =
            !s.email_from.is_empty() && s.email_from.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
        if !local_ok {
            return Err(Error::invalid("email_from", "use letters, digits, '.', '-' or '_' (the part before @)"));
        }
        self.kernel.organisation(s.org_id).await?;
        let service = Service {
            id,
            org_id: s.org_id,
            name: name.into(),
            restricted: s.restricted,
            active: true,
            email_from: s.email_from.into(),
            email_reply_to: None,
            sms_sender: s.sms_sender.into(),
            sms_prefix: s.sms_prefix,
            letter_contact_block: None,
            message_limit: 250_000,
            sms_daily_limit: 250_000,
            letter_daily_limit: 20_000,
            retention_days: self.config.retention_days,
            rate_limit: self.config.rate_limit_per_minute as i64,
            international_sms: true,
            delivery_callback_url: None,
            delivery_callback_token: None,
            inbound_callback_url: None,
            inbound_callback_token: None,
            inbound_number: s.inbound_number.map(str::to_string),
            created_at: Timestamp::now(),
        };
        let mut tx = self.kernel.db().begin().await?;
        store::insert_service(&mut tx, &service).await?;
        // The hidden template uploaded PDFs are recorded against, as Notify has.
        let precompiled = TemplateContent {
            name: "Pre-compiled PDF",
            subject: Some("Pre-compiled PDF"),
            content: "",
            postage: Some("second"),
            letter_contact_block: None,
            created_by: &actor.0,
        };
        store::create_template(&mut tx, precompiled_template_id(id), id, "letter", &precompiled).await?;
        store::archive_template(&mut tx, precompiled_template_id(id)).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(actor, "notify.service.created", "notify_service", id)
                    .org(s.org_id)
                    .details(json!({"name": name})),
            )
            .await?;
        tx.commit().await?;
        Ok(service)
    }

    /// Create a template (version 1) or, with `id` of an existing one, save its next version.
    pub async fn save_template(
        &self,
        actor: &Actor,
        service: &Service,
        id: Option<Uuid>,
        t: TemplateInput<'_>,
    ) -> Result<(Uuid, i64)> {
        let name = t.name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "give the template a name"));
        }
        if t.content.trim().is_empty() {
            return Err(Error::invalid("content", "write the message"));
        }
        let subject = t.subject.map(str::trim).filter(|s| !s.is_empty());
        if t.channel != Channel::Sms && subject.is_none() {
            return Err(Error::invalid("subject", "email and letter templates need a subject"));
        }
        if let Some(p) = t.postage
            && !["first", "second", "economy"].contains(&p)
        {
            return Err(Error::invalid("postage", "use first, second or economy"));
        }
        let content = TemplateContent {
            name,
            subject: if t.channel == Channel::Sms { None } else { subject },
            content: t.content,
            postage: if t.channel == Channel::Letter { Some(t.postage.unwrap_or("second")) } else { None },
            letter_contact_block: if t.channel == Channel::Letter {
                service.letter_contact_block.as_deref()
            } else {
                None
            },
            created_by: &actor.0,
        };
        let mut tx = self.kernel.db().begin().await?;
        let (id, version) = match id {
            None => {
                let id = Uuid::now_v7();
                store::create_template(&mut tx, id, service.id, t.channel.as_str(), &content).await?;
                (id, 1)
            }
            Some(id) => {
                let existing = store::template(self.kernel.db(), service.id, id, None).await?;
                if existing.is_none_or(|e| e.kind != t.channel.as_str()) {
                    return Err(Error::not_found(format!("{} template {id}", t.channel.as_str())));
                }
                (id, store::update_template(&mut tx, id, &content).await?)
            }
        };
        self.kernel
            .audit(
                &mut tx,
                Event::new(actor, "notify.template.saved", "notify_template", id)
                    .org(service.org_id)
                    .details(json!({"service_id": service.id, "version": version, "name": name})),
            )
            .await?;
        tx.commit().await?;
        self.forget_template(id);
        Ok((id, version))
    }

    /// Create an API key; the whole key (`{name}-{service_id}-{secret}`) is returned once.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        service: &Service,
        name: &str,
        key_type: KeyType,
    ) -> Result<String> {
        self.insert_api_key(actor, service, name, key_type, &Uuid::new_v4().to_string()).await
    }

    /// Store a key with a chosen secret (demo data derives it from the master key).
    pub async fn insert_api_key(
        &self,
        actor: &Actor,
        service: &Service,
        name: &str,
        key_type: KeyType,
        secret: &str,
    ) -> Result<String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(Error::invalid("name", "give the key a name of 1 to 255 characters"));
        }
        let spec = SealedKeySpec {
            org_id: service.org_id,
            block: "notify",
            subject: &service.id.to_string(),
            kind: key_type.as_str(),
            name,
        };
        self.kernel.insert_sealed_api_key(actor, spec, secret).await?;
        self.forget_service(service.id);
        let key_name = name.to_lowercase().replace(' ', "_");
        Ok(format!("{key_name}-{}-{secret}", service.id))
    }

    pub async fn add_guest(&self, actor: &Actor, service: &Service, recipient: &str) -> Result<()> {
        let (kind, value) = if recipient.contains('@') {
            ("email", recipient::validate_email(recipient).map_err(|m| Error::invalid("recipient", m))?)
        } else {
            ("mobile", recipient::validate_phone(recipient, true).map_err(|m| Error::invalid("recipient", m))?)
        };
        let mut tx = self.kernel.db().begin().await?;
        if store::add_guest(&mut tx, service.id, kind, &value).await? {
            self.kernel
                .audit(
                    &mut tx,
                    Event::new(actor, "notify.guest_list.added", "notify_service", service.id)
                        .org(service.org_id)
                        .details(json!({"type": kind})),
                )
                .await?;
        }
        tx.commit().await.map_err(Error::from)
    }

    pub async fn remove_guest(&self, actor: &Actor, service: &Service, kind: &str, recipient: &str) -> Result<()> {
        let mut tx = self.kernel.db().begin().await?;
        if store::remove_guest(&mut tx, service.id, kind, recipient).await? {
            self.kernel
                .audit(
                    &mut tx,
                    Event::new(actor, "notify.guest_list.removed", "notify_service", service.id)
                        .org(service.org_id)
                        .details(json!({"type": kind})),
                )
                .await?;
        }
        tx.commit().await.map_err(Error::from)
    }

    /// Set (or with `None`, remove) a callback URL and its bearer token.
    pub async fn set_callback(
        &self,
        actor: &Actor,
        service: &Service,
        kind: CallbackKind,
        callback: Option<(&str, &str)>,
    ) -> Result<()> {
        if let Some((url, token)) = callback {
            if !url.starts_with("https://")
                && !url.starts_with("http://127.0.0.1")
                && !url.starts_with("http://localhost")
            {
                return Err(Error::invalid("url", "use an https:// URL"));
            }
            if token.len() < 10 {
                return Err(Error::invalid("bearer_token", "use a token of at least 10 characters"));
            }
        }
        let sealed = callback.map(|(_, token)| self.seal_secret(service.id, token));
        let mut tx = self.kernel.db().begin().await?;
        store::set_callback(&mut tx, service.id, kind, callback.map(|(url, _)| url), sealed.as_deref()).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(actor, "notify.callback.set", "notify_service", service.id)
                    .org(service.org_id)
                    .details(json!({"kind": format!("{kind:?}"), "set": callback.is_some()})),
            )
            .await?;
        tx.commit().await?;
        self.forget_service(service.id);
        Ok(())
    }
}
