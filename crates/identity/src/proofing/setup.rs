//! Setting up proofing as an ordinary consumer of the exchange: the operator organisation
//! becomes a member with an `identity` subsystem, asks for an agreement on the population
//! register's person lookup, declares its purpose once the agreement is active, and holds a
//! client with its own ES256 key, whose private half is sealed under the master key in
//! `identity_proofing_setup`. Every step goes through the exchange's public service API, as
//! the exchange's API and pages would; running it again finishes what is missing and changes
//! nothing else.

use publica_exchange::Exchange;
use publica_exchange::domain::{Agreement, AgreementState, Party, Purpose, PurposeState, Subsystem};
use publica_exchange::service::{Caller, NewPurpose};
use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::{Alg, PrivateKey, jwk_thumbprint};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::store::{self, SetupRow};
use crate::service::Identity;

/// The purpose's title, as people see it in their data-usage log.
pub const PURPOSE_TITLE: &str = "Identity proofing for the national sign-in";
/// The name of the identity provider's exchange client.
pub const CLIENT_NAME: &str = "Identity proofing";

/// What to set up.
#[derive(Clone, Debug)]
pub struct ProofingSetupSpec {
    /// The kernel organisation that operates the identity provider (the platform operator).
    pub operator_org: Uuid,
    /// The code of its exchange subsystem.
    pub subsystem: String,
    /// The person lookup e-service's X-Road identifier, `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
    pub service: String,
    pub purpose_title: String,
    pub purpose_description: String,
    /// The law that allows the identity provider to read the register.
    pub legal_basis: String,
    /// Proofings expected per day (the purpose's daily calls).
    pub daily_calls: i64,
}

impl ProofingSetupSpec {
    /// The usual setup: subsystem `identity`, the purpose [`PURPOSE_TITLE`].
    pub fn national_sign_in(operator_org: Uuid, service: &str, legal_basis: &str) -> ProofingSetupSpec {
        ProofingSetupSpec {
            operator_org,
            subsystem: "identity".into(),
            service: service.into(),
            purpose_title: PURPOSE_TITLE.into(),
            purpose_description: "Checking the national identifier, names and date of birth that a person gives \
                when they ask for a verified account, against their record in the population register."
                .into(),
            legal_basis: legal_basis.into(),
            daily_calls: 100_000,
        }
    }
}

/// Where proofing stands after a setup.
#[derive(Clone, Debug, Serialize)]
pub struct ProofingSetupStatus {
    pub client_id: Uuid,
    pub key_id: String,
    /// The `X-Road-Client` of the identity provider's calls.
    pub client_header: String,
    pub service: String,
    pub agreement_id: Uuid,
    pub agreement_state: &'static str,
    pub purpose_id: Option<Uuid>,
    pub purpose_state: Option<&'static str>,
}

impl ProofingSetupStatus {
    /// Whether proofing can run: agreement and purpose active.
    pub fn ready(&self) -> bool {
        self.agreement_state == AgreementState::Active.as_str()
            && self.purpose_state == Some(PurposeState::Active.as_str())
    }
}

/// What binds a sealed proofing key to its client and key id.
pub(crate) fn key_aad(client_id: Uuid, key_id: &str) -> Vec<u8> {
    [b"publica-identity-proofing-key-v1:".as_slice(), client_id.as_bytes(), key_id.as_bytes()].concat()
}

fn exchange(identity: &Identity) -> Result<std::sync::Arc<Exchange>> {
    identity
        .kernel
        .get::<Exchange>()
        .ok_or_else(|| Error::Unavailable("the exchange block is not running: proofing needs it".into()))
}

impl Identity {
    /// Make the identity provider a consumer of the person lookup (idempotent); see the module.
    /// The agreement may wait for the provider's approval: run this again once it is approved
    /// to declare the purpose.
    pub async fn setup_proofing(&self, actor: &Actor, spec: &ProofingSetupSpec) -> Result<ProofingSetupStatus> {
        let exchange = exchange(self)?;
        let org = self.kernel.organisation(spec.operator_org).await?;
        let caller = Caller::new(org.id, org.kind, actor.clone());
        exchange.ensure_member(org.id).await?;
        let subsystem = match exchange.subsystem_by_code(org.id, &spec.subsystem).await? {
            Some(s) => s,
            None => exchange.create_subsystem(&caller, &spec.subsystem, "Identity provider").await?,
        };
        let eservice = exchange
            .eservices(None)
            .await?
            .into_iter()
            .find(|e| e.xroad_id == spec.service)
            .ok_or_else(|| Error::invalid("service", format!("no e-service {} in the catalogue", spec.service)))?;
        let agreement = agreement(&exchange, &caller, eservice.id, &subsystem).await?;
        let purpose = purpose(&exchange, &caller, &subsystem, spec, eservice.id, agreement.state).await?;
        let previous = store::setup(self.kernel.db()).await?;
        let (client_id, key_id, key_sealed) =
            self.proofing_client(&exchange, &caller, &subsystem, previous.as_ref()).await?;
        let now = Timestamp::now();
        let row = SetupRow {
            org_id: org.id,
            subsystem_id: subsystem.id,
            client_header: subsystem.xroad_id.clone(),
            client_id,
            key_id: key_id.clone(),
            key_sealed,
            eservice_id: eservice.id,
            service: eservice.xroad_id.clone(),
            agreement_id: Some(agreement.id),
            purpose_id: purpose.as_ref().map(|p| p.id),
            created_at: previous.as_ref().map_or(now, |p| p.created_at),
            updated_at: now,
        };
        let status = ProofingSetupStatus {
            client_id,
            key_id,
            client_header: row.client_header.clone(),
            service: row.service.clone(),
            agreement_id: agreement.id,
            agreement_state: agreement.state.as_str(),
            purpose_id: purpose.as_ref().map(|p| p.id),
            purpose_state: purpose.as_ref().map(|p| p.state.as_str()),
        };
        let unchanged = previous.as_ref().is_some_and(|p| SetupRow { updated_at: now, ..p.clone() } == row);
        if !unchanged {
            let mut tx = self.kernel.db().begin().await?;
            store::save_setup(&mut tx, &row).await?;
            let event = Event::new(actor, "identity.proofing.configured", "exchange_client", client_id)
                .org(org.id)
                .details(json!(status));
            self.kernel.audit(&mut tx, event).await?;
            tx.commit().await?;
            self.proofing.forget_voucher();
        }
        Ok(status)
    }

    /// The client and its key: the configured ones while the exchange still has them, else new.
    async fn proofing_client(
        &self,
        exchange: &Exchange,
        caller: &Caller,
        subsystem: &Subsystem,
        previous: Option<&SetupRow>,
    ) -> Result<(Uuid, String, Vec<u8>)> {
        if let Some(p) = previous.filter(|p| p.subsystem_id == subsystem.id) {
            let keys = match exchange.client_keys(caller, p.client_id).await {
                Ok(keys) => keys,
                Err(Error::NotFound(_)) => Vec::new(),
                Err(e) => return Err(e),
            };
            if keys.iter().any(|k| k.kid == p.key_id) {
                return Ok((p.client_id, p.key_id.clone(), p.key_sealed.clone()));
            }
        }
        let client = exchange.create_client(caller, subsystem.id, CLIENT_NAME).await?;
        let key = PrivateKey::generate(Alg::ES256).map_err(Error::internal)?;
        let jwk = key.public_jwk();
        let key_id = jwk_thumbprint(&jwk);
        exchange.add_client_key(caller, client.id, None, Some(&jwk), Some(&key_id)).await?;
        let pkcs8 = key.to_pkcs8().map_err(Error::internal)?;
        let sealed = self.kernel.keys().master().encrypt(&key_aad(client.id, &key_id), &pkcs8);
        Ok((client.id, key_id, sealed))
    }
}

/// The subsystem's live agreement for the e-service, asked for when there is none.
async fn agreement(
    exchange: &Exchange,
    caller: &Caller,
    eservice_id: Uuid,
    subsystem: &Subsystem,
) -> Result<Agreement> {
    let live = exchange.agreements(caller, Party::Consumer, None).await?.into_iter().find(|a| {
        a.eservice_id == eservice_id
            && a.consumer_subsystem_id == subsystem.id
            && matches!(a.state, AgreementState::Pending | AgreementState::Active | AgreementState::Suspended)
    });
    match live {
        Some(a) => Ok(a),
        None => exchange.request_agreement(caller, eservice_id, subsystem.id).await,
    }
}

/// The subsystem's purpose with this title for the e-service (not archived), declared when
/// there is none and the agreement is active (a purpose needs one).
async fn purpose(
    exchange: &Exchange,
    caller: &Caller,
    subsystem: &Subsystem,
    spec: &ProofingSetupSpec,
    eservice_id: Uuid,
    agreement: AgreementState,
) -> Result<Option<Purpose>> {
    let existing = exchange.purposes(caller, Party::Consumer, None).await?.into_iter().find(|p| {
        p.eservice_id == eservice_id
            && p.consumer_subsystem_id == subsystem.id
            && p.title == spec.purpose_title.trim()
            && p.state != PurposeState::Archived
    });
    if existing.is_some() || agreement != AgreementState::Active {
        return Ok(existing);
    }
    exchange
        .create_purpose(
            caller,
            NewPurpose {
                eservice_id,
                consumer_subsystem_id: subsystem.id,
                title: spec.purpose_title.clone(),
                description: spec.purpose_description.clone(),
                legal_basis: spec.legal_basis.clone(),
                daily_calls: spec.daily_calls,
                confidential_days: None,
            },
        )
        .await
        .map(Some)
}
