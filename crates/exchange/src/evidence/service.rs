//! The steps of an explicit request before the release: the consumer creates it, the person
//! previews the data (fetched from the back end then, kept sealed) and decides.

use axum::body::Bytes;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use publica_kernel::audit::{Actor, Event};
use publica_kernel::citizen::Citizen;
use publica_kernel::crypto::sha256;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_registry::IdScheme;
use serde_json::json;
use uuid::Uuid;

use super::consumer;
use super::model::{Decision, EvidenceRequest, EvidenceStatus, NewEvidenceRequest, Snapshot};
use super::{DECISION_WINDOW, PAGE_PREFIX, RELEASE_WINDOW, store};
use crate::backend::{self, BackendCall};
use crate::domain::{AgreementState, EServiceState, PurposeState};
use crate::gateway::{self, Target, xroad};
use crate::service::{Exchange, text};

/// A new request.
pub struct Created {
    pub request: EvidenceRequest,
}

impl Created {
    /// `/exchange/evidence/{id}`: the person's page, where they sign in to see it.
    pub fn preview_url(&self) -> String {
        format!("{PAGE_PREFIX}/{}", self.request.id)
    }
}

/// Split a service path into its gateway target and query.
pub(super) fn target_of(service_path: &str) -> Result<(Target, Option<String>)> {
    let (path, query) = match service_path.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (service_path, None),
    };
    let target = gateway::parse_target(path).map_err(|e| Error::invalid("service_path", e.message))?;
    Ok((target, query))
}

/// The return address: an absolute http(s) URL with a host and no fragment.
fn return_url(text: &str) -> Result<String> {
    let text = text.trim();
    let url = url::Url::parse(text)
        .map_err(|e| Error::invalid("return_url", format!("not a URL ({e}), e.g. https://service.example/return")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::invalid("return_url", "use an http or https URL with a host"));
    }
    if url.fragment().is_some() {
        return Err(Error::invalid("return_url", "a return URL has no fragment (#…)"));
    }
    if text.len() > 2000 {
        return Err(Error::invalid("return_url", "at most 2000 characters"));
    }
    Ok(url.to_string())
}

/// Where the person's browser goes after deciding.
pub fn return_to(request: &EvidenceRequest, decision: Option<EvidenceStatus>) -> String {
    match url::Url::parse(&request.return_url) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("request", &request.id.to_string());
                if let Some(d) = decision {
                    query.append_pair("decision", d.as_str());
                }
            }
            url.to_string()
        }
        Err(_) => "/".to_string(),
    }
}

/// Register a consumer's request (its voucher and `X-Road-Client` checked as at the gateway,
/// one call counted against its quotas).
pub async fn create(exchange: &Exchange, parts: &Parts, body: NewEvidenceRequest) -> Result<Created> {
    let service_path = body.service_path.trim();
    if service_path.len() > 2000 {
        return Err(Error::invalid("service_path", "at most 2000 characters"));
    }
    let (target, _) = target_of(service_path)?;
    let entry = consumer::service_at(exchange, &target).await?;
    let authorised = consumer::authorise(exchange, parts, entry).await?;
    consumer::require_active(&authorised.entry)?;
    let national_id = body.national_id.trim().to_string();
    IdScheme::NationalId.validate(&national_id).map_err(|m| Error::invalid("national_id", m))?;
    let return_url = return_url(&body.return_url)?;
    let requester_title = text("requester_title", &body.requester_title, 200)?;
    let reason = text("reason", &body.reason, 1000)?;
    let (entry, grant) = (&authorised.entry, &authorised.grant);
    let agreement_id = grant
        .agreement
        .as_ref()
        .map(|a| a.id)
        .ok_or_else(|| Error::Forbidden("no agreement in force for this e-service".into()))?;
    consumer::take_quota(exchange, &authorised).await?;

    let eservice = &entry.eservice;
    let provider_name = exchange.kernel().organisation(eservice.provider_org).await?.name;
    let now = Timestamp::now();
    let request = EvidenceRequest {
        id: Uuid::now_v7(),
        created_at: now,
        expires_at: now.plus(DECISION_WINDOW),
        status: EvidenceStatus::Pending,
        national_id,
        service_path: service_path.to_string(),
        service: eservice.xroad_id.clone(),
        eservice_id: eservice.id,
        eservice_title: eservice.title.clone(),
        provider_name,
        agreement_id,
        purpose_id: grant.purpose.id,
        purpose_title: grant.purpose.title.clone(),
        legal_basis: grant.purpose.legal_basis.clone(),
        consumer_org: grant.consumer.org_id,
        consumer_name: grant.consumer_name.clone(),
        client: grant.consumer.xroad_id.clone(),
        subsystem_title: grant.consumer.title.clone(),
        requester_title,
        reason,
        return_url,
        snapshot_digest: None,
        decided_at: None,
        release_until: None,
        released_at: None,
    };
    let mut tx = exchange.kernel().db().begin().await?;
    store::insert(&mut tx, &request).await?;
    let event = Event::new(
        &Actor(format!("subsystem:{}", request.client)),
        "exchange.evidence.requested",
        "evidence_request",
        request.id,
    )
    .org(request.consumer_org)
    .details(json!({
        "service": request.service,
        "purpose_id": request.purpose_id,
        "national_id": request.national_id,
        "requester_title": request.requester_title,
        "expires_at": request.expires_at,
    }));
    exchange.kernel().audit(&mut tx, event).await?;
    tx.commit().await?;
    Ok(Created { request })
}

/// Why no data can be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The e-service is gone or suspended.
    ServiceClosed,
    /// The consumer's purpose or agreement is no longer in force.
    NotAuthorised,
    /// The provider did not answer.
    ProviderFailed(String),
}

/// What the preview page shows.
pub enum Preview {
    /// The data (kept sealed until the decision) and the digest the decision must name.
    Shown {
        snapshot: Snapshot,
        digest: String,
    },
    Unavailable(Unavailable),
}

fn aad(id: Uuid) -> String {
    format!("exchange-evidence:{id}")
}

/// Open a sealed snapshot.
pub fn open(exchange: &Exchange, id: Uuid, sealed: &[u8]) -> Result<Snapshot> {
    let plain = exchange
        .kernel()
        .keys()
        .master()
        .decrypt(aad(id).as_bytes(), sealed)
        .map_err(|e| Error::internal(format!("evidence request {id}: cannot open the snapshot: {e}")))?;
    serde_json::from_slice(&plain).map_err(|e| Error::internal(format!("evidence request {id}: snapshot: {e}")))
}

/// Fetch the data from the back end for the person to see, and keep it sealed: it is what an
/// approval releases. Fetching again (a reload) replaces the kept data.
pub async fn preview(exchange: &Exchange, request: &EvidenceRequest) -> Result<Preview> {
    let (target, query) = target_of(&request.service_path)?;
    let entry =
        match exchange.state().service(&target.class, &target.member, &target.subsystem, &target.service).await? {
            Some(e) if e.eservice.state == EServiceState::Active && e.eservice.id == request.eservice_id => e,
            _ => return Ok(Preview::Unavailable(Unavailable::ServiceClosed)),
        };
    let in_force = exchange.state().purpose(request.purpose_id).await?.is_some_and(|g| {
        g.purpose.state == PurposeState::Active
            && g.agreement.as_ref().is_some_and(|a| a.id == request.agreement_id && a.state == AgreementState::Active)
    });
    if !in_force {
        return Ok(Preview::Unavailable(Unavailable::NotAuthorised));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (xroad::X_ROAD_CLIENT, request.client.as_str()),
        (xroad::X_ROAD_ID, &request.id.to_string()),
        (xroad::X_ROAD_USER_ID, request.national_id.as_str()),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    let call = BackendCall {
        method: &Method::GET,
        path: &target.rest,
        query: query.as_deref(),
        headers: &headers,
        body: Bytes::new(),
    };
    let answer = match backend::call(exchange, &entry.eservice.backend, call).await {
        Ok(answer) => answer,
        Err(failed) => return Ok(Preview::Unavailable(Unavailable::ProviderFailed(failed.0))),
    };
    let content_type = answer
        .headers
        .iter()
        .find(|(n, _)| *n == axum::http::header::CONTENT_TYPE)
        .and_then(|(_, v)| v.to_str().ok())
        .map(str::to_string);
    let snapshot = Snapshot {
        status: answer.status.as_u16(),
        content_type,
        body: STANDARD.encode(&answer.body),
        persons: answer.persons,
        data_items: answer.data_items,
        fetched_at: Timestamp::now(),
    };
    let plain = serde_json::to_vec(&snapshot).map_err(Error::internal)?;
    let digest = URL_SAFE_NO_PAD.encode(sha256(&plain));
    let sealed = exchange.kernel().keys().master().encrypt(aad(request.id).as_bytes(), &plain);
    if !store::save_snapshot(exchange.kernel().db(), request.id, &sealed, &digest, Timestamp::now()).await? {
        return Err(Error::Conflict("the request is no longer waiting for a decision".into()));
    }
    Ok(Preview::Shown { snapshot, digest })
}

/// What became of a decision.
#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    /// Recorded.
    Done(EvidenceStatus),
    /// The data was previewed again since the page the person answered: they must look again.
    Stale,
    /// Decided or expired already.
    Closed(EvidenceStatus),
}

/// Record the decision of `person` (signed in, already checked to be the request's person;
/// audited with how they signed in). An approval names the digest of the preview it answers,
/// so what is released is exactly what the person saw.
pub async fn decide(
    exchange: &Exchange,
    request: &EvidenceRequest,
    person: &Citizen,
    decision: Decision,
    digest: Option<&str>,
) -> Result<Decided> {
    let db = exchange.kernel().db();
    let now = Timestamp::now();
    let status = request.status_at(now);
    if status != EvidenceStatus::Pending {
        if status == EvidenceStatus::Expired {
            store::expire(db, request.id, now).await?;
        }
        return Ok(Decided::Closed(status));
    }
    let mut details = json!({
        "national_id": request.national_id,
        "service": request.service,
        "purpose_id": request.purpose_id,
        "authenticated_by": super::person::METHOD,
        "account_id": person.account_id,
        "aal": person.aal.as_str(),
        "auth_time": person.auth_time,
    });
    let mut tx = db.begin().await?;
    let changed = match decision {
        Decision::Approve => {
            let digest = match digest {
                Some(d) if request.snapshot_digest.as_deref() == Some(d) => d,
                _ => return Ok(Decided::Stale),
            };
            let sealed = store::snapshot(db, request.id).await?.ok_or_else(|| Error::internal("no snapshot"))?;
            let snapshot = open(exchange, request.id, &sealed)?;
            if snapshot.refusal(&request.national_id).is_some() {
                return Err(Error::Conflict("this data cannot be shared: refuse the request instead".into()));
            }
            details["data_items"] = json!(snapshot.data_items);
            details["snapshot_digest"] = json!(digest);
            store::approve(&mut tx, request.id, digest, now, now.plus(RELEASE_WINDOW)).await?
        }
        Decision::Refuse => store::refuse(&mut tx, request.id, now).await?,
    };
    if !changed {
        drop(tx);
        let current = store::get(db, request.id).await?.ok_or_else(|| Error::not_found("evidence request"))?;
        return Ok(match current.status_at(now) {
            EvidenceStatus::Pending => Decided::Stale,
            other => Decided::Closed(other),
        });
    }
    let action = match decision {
        Decision::Approve => "exchange.evidence.approved",
        Decision::Refuse => "exchange.evidence.refused",
    };
    let event = Event::new(&super::person::actor(&request.national_id), action, "evidence_request", request.id)
        .org(request.consumer_org)
        .details(details);
    exchange.kernel().audit(&mut tx, event).await?;
    tx.commit().await?;
    Ok(Decided::Done(decision.status()))
}
