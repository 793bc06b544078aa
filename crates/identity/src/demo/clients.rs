//! The "Demoland Tax Office" web app's two clients: a confidential one (`client_secret_basic`,
//! refresh tokens, back-channel logout) and a public one (PKCE, no secret), with fixed ids and a
//! secret derived from the master key. The confidential client's back-channel logout URI is on
//! 127.0.0.1, which the provider calls only where local URIs are allowed: the demo
//! (`publica serve --demo`) allows them (see `Identity::allows_local_uris`).

use publica_kernel::Kernel;
use publica_kernel::crypto::b64url;
use publica_kernel::demo::derived;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};

use crate::oidc::{ClientSettings, Manager, NewClient};
use crate::service::Identity;

pub const OWNER: &str = "tax-office";
pub const CONFIDENTIAL_ID: &str = "demoland-tax-office-web";
pub const CONFIDENTIAL_REDIRECT: &str = "http://127.0.0.1:8400/callback";
pub const CONFIDENTIAL_LOGOUT: &str = "http://127.0.0.1:8400/backchannel-logout";
pub const CONFIDENTIAL_POST_LOGOUT: &str = "http://127.0.0.1:8400/logged-out";
pub const PUBLIC_ID: &str = "demoland-tax-office-spa";
pub const PUBLIC_REDIRECT: &str = "http://127.0.0.1:8401/callback";
pub const PUBLIC_POST_LOGOUT: &str = "http://127.0.0.1:8401/logged-out";
/// Every scope, so that the sandbox can ask for any claim.
const SCOPES: [&str; 6] = ["openid", "profile", "email", "phone", "address", "national_id"];

fn settings(name: &str, redirect: &str, post_logout: &str) -> ClientSettings {
    let mut s = ClientSettings::new(name, &[redirect]);
    s.post_logout_redirect_uris = vec![post_logout.into()];
    s.scopes = Some(SCOPES.iter().map(|s| s.to_string()).collect());
    s
}

/// Register a client unless it exists (a client's settings are left as their owner changed them).
async fn ensure(identity: &Identity, org_id: uuid::Uuid, new: NewClient) -> Result<()> {
    let Some(id) = new.client_id.clone() else {
        return Err(Error::internal("demo clients have chosen ids"));
    };
    match identity.client(&id).await {
        Ok(_) => Ok(()),
        Err(Error::NotFound(_)) => match identity.register_client(&Manager::operator(), org_id, new).await {
            Ok(_) | Err(Error::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

pub async fn seed(kernel: &Kernel, identity: &Identity) -> Result<Value> {
    let owner = kernel
        .organisation_by_slug(OWNER)
        .await?
        .ok_or_else(|| Error::Unavailable(format!("the kernel demo has no organisation `{OWNER}`: seed it first")))?;
    let secret = b64url(&derived(kernel, &format!("identity:client-secret:{CONFIDENTIAL_ID}")));

    let mut confidential = settings("Demoland Tax Office", CONFIDENTIAL_REDIRECT, CONFIDENTIAL_POST_LOGOUT);
    confidential.token_endpoint_auth_method = Some("client_secret_basic".into());
    confidential.offline_access = true;
    confidential.backchannel_logout_uri = Some(CONFIDENTIAL_LOGOUT.into());
    let mut new = NewClient::new(confidential);
    new.client_id = Some(CONFIDENTIAL_ID.into());
    new.client_secret = Some(secret.clone());
    ensure(identity, owner.id, new).await?;

    let mut public = settings("Demoland Tax Office (browser app)", PUBLIC_REDIRECT, PUBLIC_POST_LOGOUT);
    public.token_endpoint_auth_method = Some("none".into());
    let mut new = NewClient::new(public);
    new.client_id = Some(PUBLIC_ID.into());
    ensure(identity, owner.id, new).await?;

    Ok(json!({
        "confidential": {
            "client_id": CONFIDENTIAL_ID,
            "client_secret": secret,
            "redirect_uri": CONFIDENTIAL_REDIRECT,
            "post_logout_redirect_uri": CONFIDENTIAL_POST_LOGOUT,
            "backchannel_logout_uri": CONFIDENTIAL_LOGOUT,
        },
        "public": {
            "client_id": PUBLIC_ID,
            "redirect_uri": PUBLIC_REDIRECT,
            "post_logout_redirect_uri": PUBLIC_POST_LOGOUT,
        },
    }))
}
