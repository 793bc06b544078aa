//! The identity block's demo, seeded after the kernel's, notify's, the registry's and the
//! exchange's: proofing set up for the platform operator (its agreement approved by the civil
//! registry), staff accounts for the demo organisations' members, citizens of the population
//! register with accounts at each level (the verified ones proofed through the exchange, so the
//! read is in their data-usage log), and two clients of the "Demoland Tax Office" web app.
//! Passwords, TOTP secrets and client secrets are derived from the master key: a re-seed finds
//! the same ones and `demo-credentials.json` stays valid.

mod citizens;
mod clients;
mod proofing;
mod staff;

use publica_kernel::Kernel;
use publica_kernel::crypto::b64url;
use publica_kernel::demo::derived;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};

use crate::accounts::totp;
use crate::service::Identity;

/// A demo password: 24 characters derived from the master key for `label` (letters, digits,
/// `-` and `_`: long enough to be the only factor, and in no list of common passwords).
fn password(kernel: &Kernel, label: &str) -> String {
    b64url(&derived(kernel, &format!("identity:password:{label}"))).chars().take(24).collect()
}

/// A demo TOTP secret: 160 bits derived from the master key for `label`, in base32.
fn totp_secret(kernel: &Kernel, label: &str) -> String {
    totp::base32(&derived(kernel, &format!("identity:totp:{label}"))[..20])
}

/// Whether the account has a confirmed authenticator app already (a re-seed leaves it as it is).
async fn has_totp(kernel: &Kernel, account_id: uuid::Uuid) -> Result<bool> {
    Ok(crate::accounts::store::auth::totp(kernel.db(), account_id).await?.is_some_and(|t| t.confirmed_at.is_some()))
}

pub async fn seed(kernel: &Kernel) -> Result<Value> {
    let identity =
        kernel.get::<Identity>().ok_or_else(|| Error::Unavailable("the identity block has not started".into()))?;
    let proofing = proofing::seed(kernel, &identity).await?;
    let staff = staff::seed(kernel, &identity).await?;
    let citizens = citizens::seed(kernel, &identity).await?;
    let clients = clients::seed(kernel, &identity).await?;
    Ok(json!({
        "issuer": identity.issuer(),
        "clients": clients,
        "citizens": citizens,
        "staff": staff,
        "proofing": proofing,
    }))
}
