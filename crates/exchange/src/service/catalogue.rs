//! The catalogue: providers publish e-services, with a back end, an OpenAPI description,
//! quotas and an approval policy; consumers browse it.

use publica_kernel::audit::Event;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Caller, Exchange, text};
use crate::domain::ids::{check_code, code};
use crate::domain::{Approval, Backend, EService, EServiceState};
use crate::store::catalogue as store;

/// Shortest and longest voucher lifetimes a provider may choose.
const VOUCHER_LIFETIME: std::ops::RangeInclusive<i64> = 60..=86_400;

/// What a provider publishes.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEService {
    /// The provider subsystem (one of the caller's).
    pub subsystem_id: Uuid,
    /// The service code in the path: `/r1/{instance}/{class}/{member}/{subsystem}/{code}/…`.
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// OpenAPI 3 description of the paths after the service code; built-in back ends have one
    /// by default.
    #[schema(value_type = Option<Object>)]
    pub openapi: Option<Value>,
    /// The `aud` of the vouchers; by default the service's gateway URL.
    pub audience: Option<String>,
    /// Seconds a voucher is valid (60 to 86,400; default 600).
    pub voucher_lifetime_seconds: Option<i64>,
    pub daily_quota_per_consumer: Option<i64>,
    pub daily_quota_total: Option<i64>,
    /// `automatic` or `manual` (the default).
    pub approval: Option<Approval>,
    #[serde(default)]
    pub required_attributes: Vec<String>,
    pub backend: Backend,
}

impl Exchange {
    /// Publish an e-service of one of the caller's subsystems. Built-in back ends read a base
    /// register, so only the register's owner may publish them.
    pub async fn publish(&self, caller: &Caller, new: NewEService) -> Result<EService> {
        let subsystem = self.own_subsystem(caller, new.subsystem_id, "subsystem_id").await?;
        let service_code = code("code", &new.code)?;
        let title = text("title", &new.title, 200)?;
        let description = new.description.trim().to_string();
        if description.chars().count() > 10_000 {
            return Err(Error::invalid("description", "at most 10,000 characters"));
        }
        new.backend.check()?;
        self.check_register_owner(caller, &new.backend).await?;
        let lifetime = new.voucher_lifetime_seconds.unwrap_or(600);
        if !VOUCHER_LIFETIME.contains(&lifetime) {
            return Err(Error::invalid("voucher_lifetime_seconds", "between 60 and 86400 seconds"));
        }
        for (field, quota) in
            [("daily_quota_per_consumer", new.daily_quota_per_consumer), ("daily_quota_total", new.daily_quota_total)]
        {
            if quota.is_some_and(|q| q < 1) {
                return Err(Error::invalid(field, "a daily quota is at least 1 call; leave it out for no limit"));
            }
        }
        if let (Some(each), Some(total)) = (new.daily_quota_per_consumer, new.daily_quota_total)
            && each > total
        {
            return Err(Error::invalid("daily_quota_per_consumer", "cannot exceed daily_quota_total"));
        }
        let mut attributes = Vec::new();
        for (i, attribute) in new.required_attributes.iter().enumerate() {
            check_code(attribute).map_err(|m| Error::invalid(format!("required_attributes/{i}"), m))?;
            if !attributes.contains(attribute) {
                attributes.push(attribute.clone());
            }
        }
        let xroad_id = format!("{}/{service_code}", subsystem.xroad_id);
        let audience = match new.audience {
            Some(a) => text("audience", &a, 500)?,
            None => format!("{}/r1/{xroad_id}", self.public_base()),
        };
        let openapi = match new.openapi {
            Some(doc) => check_openapi(doc)?,
            None => default_openapi(&new.backend, &title),
        };
        let now = Timestamp::now();
        let eservice = EService {
            id: Uuid::now_v7(),
            subsystem_id: subsystem.id,
            provider_org: caller.org_id,
            code: service_code,
            xroad_id,
            title,
            description,
            openapi,
            audience,
            voucher_lifetime_seconds: lifetime,
            daily_quota_per_consumer: new.daily_quota_per_consumer,
            daily_quota_total: new.daily_quota_total,
            approval: new.approval.unwrap_or(Approval::Manual),
            required_attributes: attributes,
            backend: new.backend,
            state: EServiceState::Active,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.kernel.db().begin().await?;
        store::insert(&mut tx, &eservice).await?;
        let event = Event::new(&caller.actor, "exchange.eservice.published", "eservice", eservice.id)
            .org(caller.org_id)
            .details(
                json!({ "xroad_id": eservice.xroad_id, "backend": eservice.backend, "approval": eservice.approval }),
            );
        self.commit_change(tx, event).await?;
        Ok(eservice)
    }

    async fn check_register_owner(&self, caller: &Caller, backend: &Backend) -> Result<()> {
        let register = match backend {
            Backend::RegistryPerson | Backend::PersonChecks => publica_registry::POPULATION,
            Backend::RegistryBusiness => publica_registry::BUSINESSES,
            Backend::Http { .. } => return Ok(()),
        };
        let registry = self
            .kernel
            .get::<publica_registry::Registry>()
            .ok_or_else(|| Error::invalid("backend/kind", "the registry block is not running here"))?;
        registry.ensure_builtin().await?;
        let info = registry.register(register).await?;
        if info.owner_org != caller.org_id {
            return Err(Error::invalid(
                "backend/kind",
                format!("only the keeper of the `{register}` register may publish it as an e-service"),
            ));
        }
        Ok(())
    }

    /// The catalogue, or one provider's part of it.
    pub async fn eservices(&self, provider_org: Option<Uuid>) -> Result<Vec<EService>> {
        store::list(self.kernel.db(), self.instance(), provider_org).await
    }

    pub async fn eservice(&self, id: Uuid) -> Result<EService> {
        store::get(self.kernel.db(), self.instance(), id)
            .await?
            .ok_or_else(|| Error::not_found(format!("e-service {id}")))
    }

    /// Stop (or resume) answering an e-service's calls: vouchers already issued are refused.
    pub async fn set_eservice_state(&self, caller: &Caller, id: Uuid, to: EServiceState) -> Result<EService> {
        let eservice = self.eservice(id).await?;
        if eservice.provider_org != caller.org_id {
            return Err(Error::Forbidden("only the provider suspends or activates its e-service".into()));
        }
        if eservice.state == to {
            return Err(Error::Conflict(format!("the e-service is already {}", to.as_str())));
        }
        let mut tx = self.kernel.db().begin().await?;
        if !store::set_state(&mut tx, id, eservice.state, to, Timestamp::now()).await? {
            return Err(Error::Conflict("the e-service changed meanwhile; read it again and retry".into()));
        }
        let action = match to {
            EServiceState::Active => "exchange.eservice.activated",
            EServiceState::Suspended => "exchange.eservice.suspended",
        };
        let event = Event::new(&caller.actor, action, "eservice", id).org(caller.org_id);
        self.commit_change(tx, event).await?;
        self.eservice(id).await
    }
}

/// An OpenAPI description must at least say its version and have paths.
fn check_openapi(doc: Value) -> Result<Value> {
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        return Err(Error::invalid("openapi/openapi", "an OpenAPI 3 document, e.g. {\"openapi\": \"3.1.0\", …}"));
    }
    if !doc.get("paths").is_some_and(Value::is_object) {
        return Err(Error::invalid("openapi/paths", "the document must describe its paths"));
    }
    if doc.to_string().len() > 1_000_000 {
        return Err(Error::invalid("openapi", "at most 1 MB"));
    }
    Ok(doc)
}

/// The description of a built-in back end's paths.
fn default_openapi(backend: &Backend, title: &str) -> Value {
    let boolean = json!({"description": "The answer, and nothing else",
        "content": {"application/json": {"schema": {"type": "object", "required": ["result"],
            "properties": {"result": {"type": "boolean"}}, "additionalProperties": false}}}});
    let id_param = |name: &str, description: &str| json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string"}});
    let not_found = json!({"description": "No such record"});
    let paths = match backend {
        Backend::RegistryPerson => json!({"/{national_id}": {"get": {
            "summary": "A person's current record in the population register",
            "parameters": [id_param("national_id", "11 digits with a check digit")],
            "responses": {"200": {"description": "The person's record", "content": {"application/json": {"schema": {"type": "object"}}}},
                "404": not_found}}}}),
        Backend::RegistryBusiness => json!({"/{business_id}": {"get": {
            "summary": "A business's current record in the business register",
            "parameters": [id_param("business_id", "DL, 8 digits and 2 check digits")],
            "responses": {"200": {"description": "The business's record", "content": {"application/json": {"schema": {"type": "object"}}}},
                "404": not_found}}}}),
        Backend::PersonChecks => json!({
            "/{national_id}/over-18": {"get": {
                "summary": "Whether the person is 18 or older today",
                "parameters": [id_param("national_id", "11 digits with a check digit")],
                "responses": {"200": boolean.clone(), "404": not_found.clone()}}},
            "/{national_id}/resident": {"get": {
                "summary": "Whether the person lives in the municipality",
                "parameters": [id_param("national_id", "11 digits with a check digit"),
                    {"name": "municipality", "in": "query", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": boolean, "404": not_found}}}}),
        Backend::Http { .. } => json!({}),
    };
    json!({"openapi": "3.1.0", "info": {"title": title, "version": "1"}, "paths": paths})
}
