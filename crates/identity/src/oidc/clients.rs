//! Registering and managing clients: by staff of the owning organisation (pages), by its API
//! keys (API), by the operator (CLI), and by the demo with a chosen id and secret. Every
//! change is audited; a secret is shown once and stored as its SHA-256 hash (it is 256 random
//! bits, or a chosen one of at least 32 characters).

use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::{b64url, random_bytes, random_token, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use serde_json::json;
use uuid::Uuid;

use super::client::{self, Client, ClientSettings, NewClient, SubjectType};
use super::store;
use crate::service::Identity;

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
        if !by.platform && by.org_id != Some(org_id) {
            return Err(Error::Forbidden("an organisation registers clients for itself only".into()));
        }
        self.kernel.organisation(org_id).await?;
        let checked = client::check(&new.settings, &self.config.acr, by.platform)?;
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
        store::clients::insert(&mut tx, &client_id, org_id, &checked, hash.as_deref(), now).await?;
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
                    }),
                ),
            )
            .await?;
        tx.commit().await?;
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

    /// The clients a manager sees: their organisation's, or all for the platform.
    pub async fn clients(&self, by: &Manager) -> Result<Vec<Client>> {
        store::clients::list(self.kernel.db(), if by.platform { None } else { by.org_id }).await
    }

    /// Replace a client's settings.
    pub async fn update_client(&self, by: &Manager, client_id: &str, settings: ClientSettings) -> Result<Client> {
        let current = self.managed_client(by, client_id).await?;
        // A client registered with public identifiers by the operator keeps them.
        let may_be_public = by.platform || current.subject_type == SubjectType::Public;
        let checked = client::check(&settings, &self.config.acr, may_be_public)?;
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        store::clients::update(&mut tx, client_id, &checked, now).await?;
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
                    }),
                ),
            )
            .await?;
        tx.commit().await?;
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
        Ok(())
    }
}
