//! Demo data for legal notifications: a sender key for the tax office, one person with a
//! registered digital domicile and courtesy email, and one with nothing registered (reached by
//! post). Recipients read their notifications signed in through the identity provider (see
//! `docs/notify-send.md`). Tokens are derived from the master key, so re-seeding finds the
//! same ones.

use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};

use super::{AddressChannel, Send};

pub const WITH_DOMICILE: (&str, &str) = ("RSSMRA80A01H501U", "Mario Rossi");
pub const DOMICILE: &str = "mario.rossi@pec.demoland.example";
pub const COURTESY_EMAIL: &str = "mario.rossi@mail.demoland.example";
pub const WITHOUT_DOMICILE: (&str, &str) = ("VRDLGU75C41F205X", "Luigia Verdi");
pub const SENDER_TAX_ID: &str = "80012345678";

async fn key(kernel: &Kernel, slug: &str, name: &str) -> Result<String> {
    let org = kernel
        .organisation_by_slug(slug)
        .await?
        .ok_or_else(|| Error::internal(format!("the kernel's demo ({slug}) must be seeded first")))?;
    publica_kernel::demo::api_key(kernel, org.id, "notify", name, &format!("notify-send:{slug}")).await
}

pub async fn seed(kernel: &Kernel) -> Result<Value> {
    let send = kernel.get::<Send>().ok_or_else(|| Error::internal("legal notifications have not started"))?;
    let sender = key(kernel, "tax-office", "Legal notifications (demo sender)").await?;
    let actor = Actor::system("demo");
    send.register_address(&actor, WITH_DOMICILE.0, AddressChannel::Pec, DOMICILE).await?;
    send.register_address(&actor, WITH_DOMICILE.0, AddressChannel::Email, COURTESY_EMAIL).await?;
    Ok(json!({
        "sender_api_key": sender,
        "sender_tax_id": SENDER_TAX_ID,
        "recipient_with_domicile": {"taxId": WITH_DOMICILE.0, "denomination": WITH_DOMICILE.1, "digitalDomicile": DOMICILE, "courtesyEmail": COURTESY_EMAIL},
        "recipient_without_domicile": {"taxId": WITHOUT_DOMICILE.0, "denomination": WITHOUT_DOMICILE.1},
    }))
}
