//! Demoland's Notify service: the "Demoland Tax Office" service with email, SMS and letter
//! templates, a guest list and one API key of each type. Ids and secrets are derived from the
//! master key, so re-seeding finds the same ones and `demo-credentials.json` stays valid.

use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::error::{Error, Result};
use serde_json::json;
use uuid::Uuid;

use crate::domain::kinds::{Channel, KeyType};
use crate::service::Notify;
use crate::service::admin::{NewService, TemplateInput};
use crate::store;

pub const TEAM_EMAIL: &str = "inspector@tax.demoland.example";
pub const TEAM_PHONE: &str = "+447700900123";
pub const INBOUND_NUMBER: &str = "07700900456";

const EMAIL: &str = "Dear ((name)),\n\nWe have received your tax return.\n\n\
Reference: ((reference))\n\n\
# What happens next\n\n\
* we check your return within 10 working days\n\
* we write to you if we need anything else\n\n\
^ Keep your reference: you will need it if you contact us.\n\n\
Demoland Tax Office";
const SMS: &str = "Demoland Tax Office: ((name)), your code is ((code)).";
const LETTER: &str = "Dear ((name)),\n\n\
We have received your tax return. Your reference is ((reference)).\n\n\
# What happens next\n\n\
* we check your return within 10 working days\n\
* we write to you if we need anything else\n\n\
Yours sincerely,\n\nDemoland Tax Office";

fn derived(kernel: &Kernel, what: &str) -> [u8; 16] {
    let mac = publica_kernel::demo::derived(kernel, &format!("notify:{what}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac[..16]);
    bytes
}

fn derived_id(kernel: &Kernel, what: &str) -> Uuid {
    uuid::Builder::from_random_bytes(derived(kernel, what)).into_uuid()
}

pub async fn seed(kernel: &Kernel) -> Result<serde_json::Value> {
    let notify = kernel.get::<Notify>().ok_or_else(|| Error::internal("the notify block has not started"))?;
    let actor = Actor::system("demo");
    let org = kernel
        .organisation_by_slug("tax-office")
        .await?
        .ok_or_else(|| Error::internal("the kernel's demo (tax-office) must be seeded first"))?;
    let service_id = derived_id(kernel, "service");
    let service = match store::service(kernel.db(), service_id).await? {
        Some(s) => s,
        None => {
            let new = NewService {
                org_id: org.id,
                name: "Demoland Tax Office",
                email_from: "tax-office",
                sms_sender: "DemoTax",
                restricted: false,
                inbound_number: Some(INBOUND_NUMBER),
                // The templates name the office themselves.
                sms_prefix: false,
            };
            let service = notify.create_service(&actor, service_id, new).await?;
            notify.add_guest(&actor, &service, TEAM_PHONE).await?;
            service
        }
    };
    let mut templates = serde_json::Map::new();
    for (channel, name, subject, content) in [
        (Channel::Email, "Tax return received", Some("Your tax return ((reference))"), EMAIL),
        (Channel::Sms, "Sign-in code", None, SMS),
        (Channel::Letter, "Tax return received (letter)", Some("Your tax return ((reference))"), LETTER),
    ] {
        let existing = store::templates(kernel.db(), service.id, Some(channel.as_str())).await?;
        let id = match existing.iter().find(|t| t.name == name) {
            Some(t) => t.id,
            None => {
                let input = TemplateInput { channel, name, subject, content, postage: Some("second") };
                notify.save_template(&actor, &service, None, input).await?.0
            }
        };
        templates.insert(channel.as_str().into(), json!(id));
    }
    let mut keys = serde_json::Map::new();
    for (label, key_type) in [("live", KeyType::Normal), ("team", KeyType::Team), ("test", KeyType::Test)] {
        let secret = uuid::Builder::from_random_bytes(derived(kernel, &format!("key:{label}"))).into_uuid().to_string();
        let name = format!("demo {label}");
        let key = match notify.insert_api_key(&actor, &service, &name, key_type, &secret).await {
            Ok(key) => key,
            Err(Error::Conflict(_)) => format!("{}-{}-{secret}", name.replace(' ', "_"), service.id),
            Err(e) => return Err(e),
        };
        keys.insert(label.into(), json!(key));
    }
    Ok(json!({
        "service_id": service.id,
        "service_name": service.name,
        "api_keys": keys,
        "templates": templates,
        "team_email": TEAM_EMAIL,
        "team_phone": TEAM_PHONE,
        "inbound_number": INBOUND_NUMBER,
        "base_url": notify.public_base(),
    }))
}
