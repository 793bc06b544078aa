//! Members, their attributes, subsystems, OAuth clients and the clients' public keys.

use publica_kernel::audit::Event;
use publica_kernel::db::Timestamp;
use publica_kernel::domain::OrgKind;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Caller, Exchange, text};
use crate::domain::ids::{MemberClass, check_code, code};
use crate::domain::keys::parse_client_key;
use crate::domain::{Client, ClientKey, Member, Subsystem};
use crate::store::members as store;

impl Exchange {
    /// The organisation's member record, registering it (with the next member code) on first use.
    pub async fn ensure_member(&self, org_id: Uuid) -> Result<Member> {
        for _ in 0..5 {
            if let Some(row) = store::member(self.kernel.db(), org_id).await? {
                let attributes = store::attributes(self.kernel.db(), org_id).await?;
                return Ok(row.into_member(self.instance(), attributes));
            }
            let org = self.kernel.organisation(org_id).await?;
            let class = MemberClass::of(org.kind);
            let mut tx = self.kernel.db().begin().await?;
            if store::insert_member(&mut tx, org_id, class.as_str(), Timestamp::now()).await? {
                let event = Event::new(
                    &publica_kernel::audit::Actor::system("exchange"),
                    "exchange.member.registered",
                    "member",
                    org_id,
                )
                .org(org_id)
                .details(json!({ "member_class": class.as_str() }));
                self.kernel.audit(&mut tx, event).await?;
                tx.commit().await?;
            }
        }
        Err(Error::Unavailable("could not allocate a member code; retry".into()))
    }

    /// Every member, by member code.
    pub async fn members(&self) -> Result<Vec<Member>> {
        let mut out = Vec::new();
        for row in store::members(self.kernel.db()).await? {
            let attributes = store::attributes(self.kernel.db(), row.org_id).await?;
            out.push(row.into_member(self.instance(), attributes));
        }
        Ok(out)
    }

    /// Grant an attribute to an organisation (the platform operator certifies attributes).
    pub async fn grant_attribute(&self, caller: &Caller, org_id: Uuid, attribute: &str) -> Result<Member> {
        require_platform(caller)?;
        check_code(attribute).map_err(|m| Error::invalid("attribute", m))?;
        self.ensure_member(org_id).await?;
        let mut tx = self.kernel.db().begin().await?;
        if store::grant_attribute(&mut tx, org_id, attribute, &caller.actor.0, Timestamp::now()).await? {
            let event = Event::new(&caller.actor, "exchange.attribute.granted", "member", org_id)
                .org(org_id)
                .details(json!({ "attribute": attribute }));
            self.commit_change(tx, event).await?;
        }
        self.ensure_member(org_id).await
    }

    /// Revoke an attribute from an organisation (platform operator only).
    pub async fn revoke_attribute(&self, caller: &Caller, org_id: Uuid, attribute: &str) -> Result<Member> {
        require_platform(caller)?;
        let mut tx = self.kernel.db().begin().await?;
        if !store::revoke_attribute(&mut tx, org_id, attribute).await? {
            return Err(Error::not_found(format!("attribute `{attribute}` of organisation {org_id}")));
        }
        let event = Event::new(&caller.actor, "exchange.attribute.revoked", "member", org_id)
            .org(org_id)
            .details(json!({ "attribute": attribute }));
        self.commit_change(tx, event).await?;
        self.ensure_member(org_id).await
    }

    /// Register one of the caller's information systems.
    pub async fn create_subsystem(&self, caller: &Caller, subsystem_code: &str, title: &str) -> Result<Subsystem> {
        let subsystem_code = code("code", subsystem_code)?;
        let title = text("title", title, 200)?;
        let member = self.ensure_member(caller.org_id).await?;
        let subsystem = Subsystem {
            id: Uuid::now_v7(),
            org_id: caller.org_id,
            xroad_id: format!("{}/{subsystem_code}", member.xroad_id),
            code: subsystem_code,
            title,
            created_at: Timestamp::now(),
        };
        let mut tx = self.kernel.db().begin().await?;
        store::insert_subsystem(&mut tx, &subsystem).await?;
        let event = Event::new(&caller.actor, "exchange.subsystem.created", "subsystem", subsystem.id)
            .org(caller.org_id)
            .details(json!({ "code": subsystem.code, "xroad_id": subsystem.xroad_id }));
        self.commit_change(tx, event).await?;
        Ok(subsystem)
    }

    pub async fn subsystems(&self, org_id: Uuid) -> Result<Vec<Subsystem>> {
        store::subsystems_of(self.kernel.db(), self.instance(), org_id).await
    }

    pub async fn subsystem(&self, id: Uuid) -> Result<Subsystem> {
        store::subsystem(self.kernel.db(), self.instance(), id)
            .await?
            .ok_or_else(|| Error::not_found(format!("subsystem {id}")))
    }

    /// One of the caller's subsystems; `field` names where the id came from.
    pub(crate) async fn own_subsystem(&self, caller: &Caller, id: Uuid, field: &str) -> Result<Subsystem> {
        match store::subsystem(self.kernel.db(), self.instance(), id).await? {
            Some(s) if s.org_id == caller.org_id => Ok(s),
            Some(_) => Err(Error::invalid(field, "the subsystem belongs to another organisation")),
            None => Err(Error::invalid(field, format!("no subsystem {id}"))),
        }
    }

    /// A subsystem by its organisation and code (the demo and tests find theirs this way).
    pub async fn subsystem_by_code(&self, org_id: Uuid, subsystem_code: &str) -> Result<Option<Subsystem>> {
        store::subsystem_by_code(self.kernel.db(), self.instance(), org_id, subsystem_code).await
    }

    /// Create an OAuth client for one of the caller's subsystems.
    pub async fn create_client(&self, caller: &Caller, subsystem_id: Uuid, name: &str) -> Result<Client> {
        let name = text("name", name, 200)?;
        self.own_subsystem(caller, subsystem_id, "subsystem_id").await?;
        let client = Client { id: Uuid::now_v7(), subsystem_id, name, created_at: Timestamp::now() };
        let mut tx = self.kernel.db().begin().await?;
        store::insert_client(&mut tx, &client).await?;
        let event = Event::new(&caller.actor, "exchange.client.created", "client", client.id)
            .org(caller.org_id)
            .details(json!({ "subsystem_id": subsystem_id, "name": client.name }));
        self.commit_change(tx, event).await?;
        Ok(client)
    }

    /// The caller's clients.
    pub async fn clients(&self, caller: &Caller) -> Result<Vec<Client>> {
        store::clients_of(self.kernel.db(), caller.org_id).await
    }

    /// One of the caller's clients.
    pub async fn own_client(&self, caller: &Caller, id: Uuid) -> Result<Client> {
        let client =
            store::client(self.kernel.db(), id).await?.ok_or_else(|| Error::not_found(format!("client {id}")))?;
        self.own_subsystem(caller, client.subsystem_id, "client_id")
            .await
            .map_err(|_| Error::not_found(format!("client {id}")))?;
        Ok(client)
    }

    /// Register a public key (PEM or JWK) for one of the caller's clients.
    pub async fn add_client_key(
        &self,
        caller: &Caller,
        client_id: Uuid,
        pem: Option<&str>,
        jwk: Option<&Value>,
        kid: Option<&str>,
    ) -> Result<ClientKey> {
        self.own_client(caller, client_id).await?;
        let parsed = parse_client_key(pem, jwk, kid)?;
        let key = ClientKey {
            client_id,
            kid: parsed.kid,
            alg: parsed.alg.as_str().to_string(),
            jwk: parsed.jwk,
            created_at: Timestamp::now(),
        };
        let mut tx = self.kernel.db().begin().await?;
        store::insert_key(&mut tx, &key).await?;
        let event = Event::new(&caller.actor, "exchange.client_key.added", "client", client_id)
            .org(caller.org_id)
            .details(json!({ "kid": key.kid, "alg": key.alg }));
        self.commit_change(tx, event).await?;
        Ok(key)
    }

    pub async fn client_keys(&self, caller: &Caller, client_id: Uuid) -> Result<Vec<ClientKey>> {
        self.own_client(caller, client_id).await?;
        store::keys_of(self.kernel.db(), client_id).await
    }

    /// Remove a key: assertions signed with it are refused from now on.
    pub async fn remove_client_key(&self, caller: &Caller, client_id: Uuid, kid: &str) -> Result<()> {
        self.own_client(caller, client_id).await?;
        let mut tx = self.kernel.db().begin().await?;
        if !store::delete_key(&mut tx, client_id, kid).await? {
            return Err(Error::not_found(format!("key `{kid}` of client {client_id}")));
        }
        let event = Event::new(&caller.actor, "exchange.client_key.removed", "client", client_id)
            .org(caller.org_id)
            .details(json!({ "kid": kid }));
        self.commit_change(tx, event).await
    }
}

fn require_platform(caller: &Caller) -> Result<()> {
    if caller.org_kind == OrgKind::Platform {
        Ok(())
    } else {
        Err(Error::Forbidden("only the platform operator certifies attributes".into()))
    }
}
