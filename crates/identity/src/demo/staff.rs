//! Staff accounts for the demo organisations' members: each signs in with a password and an
//! authenticator app (staff enter the back office at aal2) as its kernel member.

use publica_kernel::Kernel;
use publica_kernel::error::Result;
use serde_json::{Value, json};

use super::{has_totp, password, totp_secret};
use crate::accounts::NewAccount;
use crate::domain::AccountKind;
use crate::service::Identity;

pub async fn seed(kernel: &Kernel, identity: &Identity) -> Result<Value> {
    let mut orgs = kernel.organisations().await?;
    orgs.sort_by(|a, b| a.slug.cmp(&b.slug));
    let mut out = Vec::new();
    for org in orgs {
        let mut members = kernel.members(org.id).await?;
        members.sort_by(|a, b| a.email.cmp(&b.email));
        for member in members.into_iter().filter(|m| m.disabled_at.is_none()) {
            let label = format!("staff:{}:{}", org.slug, member.email);
            let (secret, pass) = (totp_secret(kernel, &label), password(kernel, &label));
            let account = identity
                .create_account(NewAccount {
                    kind: AccountKind::Staff,
                    email: member.email.clone(),
                    email_verified: true,
                    password: pass.clone(),
                    name: Some(member.name.clone()),
                    phone: None,
                    member_id: Some(member.id),
                })
                .await?;
            if !has_totp(kernel, account).await? {
                identity.enrol_totp_secret(account, &secret).await?;
            }
            out.push(json!({ "email": member.email, "password": pass, "totp_secret": secret, "org": org.slug }));
        }
    }
    Ok(Value::Array(out))
}
