//! The exchange's records: members, subsystems, clients and their keys, e-services,
//! agreements and purposes with their states, and the history rows of their lifecycles.

use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// An organisation taking part in the exchange, with its X-Road member identifier.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Member {
    pub org_id: Uuid,
    pub name: String,
    /// `GOV` for public bodies, `COM` for businesses.
    pub member_class: String,
    /// Eight digits, e.g. `70000001`.
    pub member_code: String,
    /// `INSTANCE/CLASS/CODE`.
    pub xroad_id: String,
    /// Attributes the organisation holds (e.g. `tax-authority`); e-services may require them.
    pub attributes: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A member's information system: it provides e-services, consumes them, or both.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Subsystem {
    pub id: Uuid,
    pub org_id: Uuid,
    pub code: String,
    pub title: String,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM`: the `X-Road-Client` header of its calls.
    pub xroad_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// An OAuth client of a consumer subsystem: it signs client assertions with its keys.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Client {
    /// The `client_id` of the token endpoint and the `iss`/`sub` of its assertions.
    pub id: Uuid,
    pub subsystem_id: Uuid,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A client's registered public key.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClientKey {
    pub client_id: Uuid,
    pub kid: String,
    /// `RS256` or `ES256`.
    pub alg: String,
    #[schema(value_type = Object)]
    pub jwk: Value,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// How a provider answers agreement requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    /// Active at once when the consumer holds the required attributes.
    Automatic,
    /// The provider approves or rejects each request.
    Manual,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Automatic => "automatic",
            Approval::Manual => "manual",
        }
    }
    pub fn parse(text: &str) -> Option<Approval> {
        match text {
            "automatic" => Some(Approval::Automatic),
            "manual" => Some(Approval::Manual),
            _ => None,
        }
    }
}

/// What answers an e-service's calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Backend {
    /// `GET /{national id}`: the person's current record in the population register.
    RegistryPerson,
    /// `GET /{business id}`: the business's current record in the business register.
    RegistryBusiness,
    /// `GET /{national id}/over-18` and `GET /{national id}/resident?municipality=…`: only
    /// `{"result": true|false}`, never the data behind it.
    PersonChecks,
    /// The provider's own service at `base_url`; the path after the service code is appended.
    Http { base_url: String },
}

impl Backend {
    /// Check a back end a provider registers, naming the field at fault.
    pub fn check(&self) -> Result<(), Error> {
        if let Backend::Http { base_url } = self {
            let url = url::Url::parse(base_url).map_err(|e| {
                Error::invalid("backend/base_url", format!("not a URL ({e}), e.g. https://svc.example/api"))
            })?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(Error::invalid("backend/base_url", "use an http or https URL with a host"));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(Error::invalid("backend/base_url", "a base URL has no query or fragment"));
            }
        }
        Ok(())
    }
}

/// Whether an e-service answers calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EServiceState {
    Active,
    Suspended,
}

impl EServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            EServiceState::Active => "active",
            EServiceState::Suspended => "suspended",
        }
    }
    pub fn parse(text: &str) -> EServiceState {
        if text == "active" { EServiceState::Active } else { EServiceState::Suspended }
    }
}

/// A service a provider subsystem publishes in the catalogue.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EService {
    pub id: Uuid,
    pub subsystem_id: Uuid,
    /// The provider organisation.
    pub provider_org: Uuid,
    pub code: String,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
    pub xroad_id: String,
    pub title: String,
    pub description: String,
    /// The OpenAPI description of the service (the paths after the service code).
    #[schema(value_type = Object)]
    pub openapi: Value,
    /// The `aud` of this e-service's vouchers.
    pub audience: String,
    pub voucher_lifetime_seconds: i64,
    /// Calls per UTC day each consumer subsystem may make; none means unlimited.
    pub daily_quota_per_consumer: Option<i64>,
    /// Calls per UTC day all consumers together may make; none means unlimited.
    pub daily_quota_total: Option<i64>,
    pub approval: Approval,
    /// Attributes the consumer organisation must hold for automatic approval.
    pub required_attributes: Vec<String>,
    pub backend: Backend,
    pub state: EServiceState,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// Where an agreement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AgreementState {
    Pending,
    Active,
    Suspended,
    Rejected,
    Archived,
}

impl AgreementState {
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementState::Pending => "pending",
            AgreementState::Active => "active",
            AgreementState::Suspended => "suspended",
            AgreementState::Rejected => "rejected",
            AgreementState::Archived => "archived",
        }
    }
    pub fn parse(text: &str) -> Option<AgreementState> {
        [
            AgreementState::Pending,
            AgreementState::Active,
            AgreementState::Suspended,
            AgreementState::Rejected,
            AgreementState::Archived,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A consumer subsystem's right to use an e-service.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Agreement {
    pub id: Uuid,
    pub eservice_id: Uuid,
    pub consumer_subsystem_id: Uuid,
    pub consumer_org: Uuid,
    pub provider_org: Uuid,
    pub state: AgreementState,
    /// A suspension by either party holds until that party reactivates.
    pub suspended_by_provider: bool,
    pub suspended_by_consumer: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// Where a purpose stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PurposeState {
    WaitingForApproval,
    Active,
    Suspended,
    Archived,
}

impl PurposeState {
    pub fn as_str(self) -> &'static str {
        match self {
            PurposeState::WaitingForApproval => "waiting-for-approval",
            PurposeState::Active => "active",
            PurposeState::Suspended => "suspended",
            PurposeState::Archived => "archived",
        }
    }
    pub fn parse(text: &str) -> Option<PurposeState> {
        [PurposeState::WaitingForApproval, PurposeState::Active, PurposeState::Suspended, PurposeState::Archived]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Why a consumer uses an e-service, on which legal basis, and how often.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Purpose {
    pub id: Uuid,
    pub eservice_id: Uuid,
    pub consumer_subsystem_id: Uuid,
    pub consumer_org: Uuid,
    pub provider_org: Uuid,
    pub title: String,
    pub description: String,
    pub legal_basis: String,
    /// Calls per UTC day the consumer expects to make, and may make, for this purpose.
    pub daily_calls: i64,
    /// Days during which the people concerned do not see these calls in their data-usage log
    /// (an investigation that must not be tipped off); none means they see them at once.
    pub confidential_days: Option<i64>,
    pub state: PurposeState,
    pub suspended_by_provider: bool,
    pub suspended_by_consumer: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// One step of an agreement's or a purpose's lifecycle.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Transition {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who: `api-key:<id>`, `member:<id>`, `system:<what>`.
    pub actor: String,
    /// The state before; none for the creation.
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
}

/// Which side of an agreement or purpose an organisation is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Provider,
    Consumer,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Provider => "provider",
            Party::Consumer => "consumer",
        }
    }
}
