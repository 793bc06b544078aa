//! What the pages show instead of ids: organisation names, subsystems' and e-services' X-Road
//! identifiers and titles, and who took a lifecycle step, each looked up once per page.

use std::collections::HashMap;

use publica_kernel::error::{Error, Result};
use publica_kernel::web::PageCtx;
use uuid::Uuid;

use super::PagesState;
use crate::domain::{EService, Subsystem};

/// Lookups remembered for the rendering of one page.
pub(crate) struct Names<'a> {
    state: &'a PagesState,
    orgs: HashMap<Uuid, String>,
    subsystems: HashMap<Uuid, Option<Subsystem>>,
    eservices: HashMap<Uuid, Option<EService>>,
    members: HashMap<Uuid, String>,
}

impl<'a> Names<'a> {
    pub fn new(state: &'a PagesState) -> Names<'a> {
        Names {
            state,
            orgs: HashMap::new(),
            subsystems: HashMap::new(),
            eservices: HashMap::new(),
            members: HashMap::new(),
        }
    }

    /// An organisation's name.
    pub async fn org(&mut self, id: Uuid) -> Result<String> {
        if let Some(name) = self.orgs.get(&id) {
            return Ok(name.clone());
        }
        let name = match self.state.kernel.organisation(id).await {
            Ok(org) => org.name,
            Err(Error::NotFound(_)) => id.to_string(),
            Err(e) => return Err(e),
        };
        self.orgs.insert(id, name.clone());
        Ok(name)
    }

    /// A subsystem, if it exists.
    pub async fn subsystem(&mut self, id: Uuid) -> Result<Option<Subsystem>> {
        if let Some(found) = self.subsystems.get(&id) {
            return Ok(found.clone());
        }
        let found =
            crate::store::members::subsystem(self.state.kernel.db(), self.state.exchange.instance(), id).await?;
        self.subsystems.insert(id, found.clone());
        Ok(found)
    }

    /// A subsystem's X-Road identifier (its id when it no longer exists).
    pub async fn subsystem_id(&mut self, id: Uuid) -> Result<String> {
        Ok(self.subsystem(id).await?.map_or_else(|| id.to_string(), |s| s.xroad_id))
    }

    /// An e-service, if it exists.
    pub async fn eservice(&mut self, id: Uuid) -> Result<Option<EService>> {
        if let Some(found) = self.eservices.get(&id) {
            return Ok(found.clone());
        }
        let found = match self.state.exchange.eservice(id).await {
            Ok(e) => Some(e),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        self.eservices.insert(id, found.clone());
        Ok(found)
    }

    /// Remember e-services already read (the catalogue), saving a query each.
    pub fn know_eservices(&mut self, list: &[EService]) {
        for e in list {
            self.eservices.insert(e.id, Some(e.clone()));
        }
    }

    /// An e-service's title and X-Road identifier (its id when it no longer exists).
    pub async fn eservice_label(&mut self, id: Uuid) -> Result<(String, String)> {
        Ok(self.eservice(id).await?.map_or_else(|| (id.to_string(), id.to_string()), |e| (e.title, e.xroad_id)))
    }

    /// Who took a step, as recorded (`member:<id>`, `api-key:<id>`, `system:<what>`): a staff
    /// member's name and organisation, or what kind of actor it was.
    pub async fn actor(&mut self, ctx: &PageCtx, actor: &str) -> Result<String> {
        let (kind, rest) = actor.split_once(':').unwrap_or((actor, ""));
        match kind {
            "member" => {
                let Ok(id) = Uuid::try_parse(rest) else { return Ok(actor.to_string()) };
                if let Some(label) = self.members.get(&id) {
                    return Ok(label.clone());
                }
                let label = match self.state.kernel.member(id).await {
                    Ok(member) => format!("{} ({})", member.name, self.org(member.org_id).await?),
                    Err(Error::NotFound(_)) => actor.to_string(),
                    Err(e) => return Err(e),
                };
                self.members.insert(id, label.clone());
                Ok(label)
            }
            "api-key" => Ok(ctx.t("exchange-actor-api-key")),
            "system" => Ok(ctx.t("exchange-actor-system")),
            "operator" => Ok(ctx.t("exchange-actor-operator")),
            _ => Ok(actor.to_string()),
        }
    }
}
