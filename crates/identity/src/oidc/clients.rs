//! Registering and managing clients: by staff of the owning organisation (pages), by its API
//! keys (API), by the operator (CLI), and by the demo with a chosen id and secret. Every
//! change is audited; a secret is shown once and stored as its SHA-256 hash (it is 256 random
//! bits, or a chosen one of at least 32 characters). A client may be given the resource
//! servers (RFC 8707) it may ask its own access tokens for. A change is forgotten at once by
//! this process's client cache (`store::hot`), by other processes within its time to live.

use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::{b64url, random_bytes, random_token, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use serde_json::json;
use uuid::Uuid;

use super::client::{self, Client, ClientSettings, NewClient, SubjectType};
use super::store;
use super::store::clients::StoredClient;
use crate::service::Identity;

/// Most resources a client may register.
const MAX_RESOURCES: usize = 20;

/// Resource indicators (RFC 8707 §2): absolute URIs without a fragment, at most
/// [`MAX_RESOURCES`], each at most 2,000 characters; duplicates dropped, order kept.
pub fn check_resources(resources: &[String]) -> Result<Vec<String>> {
    if resources.len() > MAX_RESOURCES {
        return Err(Error::invalid("resources", format!("at most {MAX_RESOURCES} resources")));
    }
    let mut out: Vec<String> = Vec::with_capacity(resources.len());
    for (i, r) in resources.iter().enumerate() {
        let absolute = r.len() <= 2000
            && url::Url::parse(r).is_ok_and(|u| u.fragment().is_none() && !u.cannot_be_a_base())
            && r.contains("://");
        if !absolute {
            return Err(Error::invalid(
                format!("resources[{i}]"),
                "must be an absolute URI (such as https://api.example.gov/) without a fragment",
            ));
        }
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
    Ok(out)
}

/// Who manages clients, and what they may see and do.
#[derive(Clone, Debug)]
pub struct Manager {
    pub actor: Actor,
    /// The organisation acting; `None` for the operator on the command line.
    pub org_id: Option<Uuid>,
    /// The platform operator (or the command line) manages every organisation's clients and
    /// may register clients with public subject identifiers.
    pub platform: bool,
}

impl Manager {
    pub fn operator() -> Manager {
        Manager { actor: Actor::operator(), org_id: None, platform: true }
    }
    pub fn of_org(actor: Actor, org_id: Uuid, kind: OrgKind) -> Manager {
        Manager { actor, org_id: Some(org_id), platform: kind == OrgKind::Platform }
    }
    fn may_manage(&self, client: &Client) -> bool {
        self.platform || self.org_id == Some(client.org_id)
    }
}

impl Identity {
    /// Register a client for `org_id`. Returns it and its secret (when it authenticates with
    /// one), which is shown this once. `new.client_id` and `new.client_secret` choose them
    /// (the demo's clients); otherwise they are random.
    pub async fn register_client(
        &self,
        by: &Manager,
        org_id: Uuid,
        new: NewClient,
    ) -> Result<(Client, Option<String>)> {
        self.register_client_with_resources(by, org_id, new, &[]).await
    }

    /// The same, with the resource servers the client may ask its own tokens for.
    pub async fn register_client_with_resources(
        &self,
        by: &Manager,
        org_id: Uuid,
        new: NewClient,
        resources: &[String],
    ) -> Result<(Client, Option<String>)> {
        let resources = check_resources(resources)?;
        if !by.platform && by.org_id != Some(org_id) {
            return Err(Error::Forbidden("an organisation registers clients for itself only".into()));
        }
        self.kernel.organisation(org_id).await?;
        let checked = client::check(&new.settings, &self.config.acr, by.platform)?;
        self.check_client_urls(&checked).await?;
        let client_id = match &new.client_id {
            Some(id) => client::check_client_id(id)?,
            None => b64url(&random_bytes::<16>()),
        };
        let secret = match (&new.client_secret, checked.auth_method.uses_secret()) {
            (Some(_), false) => {
                return Err(Error::invalid("client_secret", "only clients that authenticate with a secret have one"));
            }
            (Some(chosen), true) => Some(client::check_secret(chosen)?),
            (None, true) => Some(random_token()),
            (None, false) => None,
        };
        let hash = secret.as_ref().map(|s| sha256(s.as_bytes()).to_vec());
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        store::clients::insert(&mut tx, &client_id, org_id, &checked, hash.as_deref(), &resources, now).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(&by.actor, "identity.client.registered", "oidc_client", &client_id).org(org_id).details(
                    json!({
                        "name": checked.name,
                        "redirect_uris": checked.redirect_uris,
                        "token_endpoint_auth_method": checked.auth_method.as_str(),
                        "subject_type": checked.subject_type.as_str(),
                        "simulate": checked.simulate.as_str(),
                        "resources": resources,
                    }),
                ),
            )
            .await?;
        tx.commit().await?;
        self.hot().forget(&client_id);
        Ok((self.client(&client_id).await?, secret))
    }

    /// A client by id, whoever owns it.
    pub async fn client(&self, client_id: &str) -> Result<Client> {
        store::clients::get(self.kernel.db(), client_id)
            .await?
            .map(|s| s.client)
            .ok_or_else(|| Error::not_found(format!("client {client_id}")))
    }

    /// A client the manager may see.
    pub async fn managed_client(&self, by: &Manager, client_id: &str) -> Result<Client> {
        let client = self.client(client_id).await?;
        if by.may_manage(&client) { Ok(client) } else { Err(Error::not_found(format!("client {client_id}"))) }
    }

    /// A client the manager may see, with its registered resources.
    pub async fn managed_stored_client(&self, by: &Manager, client_id: &str) -> Result<StoredClient> {
        let stored = store::clients::get(self.kernel.db(), client_id).await?;
        match stored {
            Some(s) if by.may_manage(&s.client) => Ok(s),
            _ => Err(Error::not_found(format!("client {client_id}"))),
        }
    }

    /// The clients a manager sees, with their registered resources.
    pub async fn stored_clients(&self, by: &Manager) -> Result<Vec<StoredClient>> {
        store::clients::list_stored(self.kernel.db(), if by.platform { None } else { by.org_id }).await
    }

    /// The clients a manager sees: their organisation's, or all for the platform.
    pub async fn clients(&self, by: &Manager) -> Result<Vec<Client>> {
        store::clients::list(self.kernel.db(), if by.platform { None } else { by.org_id }).await
    }

    /// Replace a client's settings and, when given, its registered resources.
    pub async fn update_client(
        &self,
        by: &Manager,
        client_id: &str,
        settings: ClientSettings,
        resources: Option<&[String]>,
    ) -> Result<Client> {
        let resources = resources.map(check_resources).transpose()?;
        let current = self.managed_client(by, client_id).await?;
        // A client registered with public identifiers by the operator keeps them.
        let may_be_public = by.platform || current.subject_type == SubjectType::Public;
        let checked = client::check(&settings, &self.config.acr, may_be_public)?;
        self.check_client_urls(&checked).await?;
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        store::clients::update(&mut tx, client_id, &checked, now).await?;
        if let Some(resources) = &resources {
            store::clients::set_resources(&mut tx, client_id, resources, now).await?;
        }
        // A client that stops using a secret loses it; one that starts needs a rotation.
        if !checked.auth_method.uses_secret() && current.has_secret {
            store::clients::set_secret(&mut tx, client_id, None, now).await?;
        }
        self.kernel
            .audit(
                &mut tx,
                Event::new(&by.actor, "identity.client.updated", "oidc_client", client_id).org(current.org_id).details(
                    json!({
                        "name": checked.name,
                        "redirect_uris": checked.redirect_uris,
                        "token_endpoint_auth_method": checked.auth_method.as_str(),
                        "simulate": checked.simulate.as_str(),
                        "resources": resources,
                    }),
                ),
            )
            .await?;
        tx.commit().await?;
        self.hot().forget(client_id);
        self.client(client_id).await
    }

    /// Give a client a new random secret, returned this once; the old one stops working.
    pub async fn rotate_client_secret(&self, by: &Manager, client_id: &str) -> Result<String> {
        let current = self.managed_client(by, client_id).await?;
        if !current.token_endpoint_auth_method.uses_secret() {
            return Err(Error::Conflict(format!(
                "the client authenticates with {}, which uses no secret",
                current.token_endpoint_auth_method.as_str()
            )));
        }
        let secret = random_token();
        let mut tx = self.kernel.db().begin().await?;
        store::clients::set_secret(&mut tx, client_id, Some(&sha256(secret.as_bytes())), Timestamp::now()).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(&by.actor, "identity.client.secret_rotated", "oidc_client", client_id).org(current.org_id),
            )
            .await?;
        tx.commit().await?;
        self.hot().forget(client_id);
        Ok(secret)
    }

    /// Delete a client with every code, token and consent issued to it.
    pub async fn delete_client(&self, by: &Manager, client_id: &str) -> Result<()> {
        let current = self.managed_client(by, client_id).await?;
        let mut tx = self.kernel.db().begin().await?;
        store::clients::delete(&mut tx, client_id).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(&by.actor, "identity.client.deleted", "oidc_client", client_id)
                    .org(current.org_id)
                    .details(json!({ "name": current.name })),
            )
            .await?;
        tx.commit().await?;
        self.hot().forget(client_id);
        Ok(())
    }
}
