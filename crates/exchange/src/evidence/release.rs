//! The consumer's second call: the status of its request and, once after approval, the data
//! exactly as the person previewed it, released through the message log.

use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use uuid::Uuid;

use super::consumer::{self, Authorised};
use super::model::{EvidenceAnswer, EvidenceRequest, EvidenceStatus, Snapshot};
use super::service::{open, target_of};
use super::store;
use crate::gateway::xroad;
use crate::log::{LogEntry, UsageRecord};
use crate::service::Exchange;

/// The consumer's second call: the request's status, and once after approval the data as the
/// person previewed it, released through the message log (with a usage record for the person)
/// before it is answered. If the release cannot be logged, nothing is released.
pub async fn answer(exchange: &Exchange, parts: &Parts, id: Uuid) -> Result<EvidenceAnswer> {
    let client = consumer::client_header(parts)?;
    let db = exchange.kernel().db();
    let request = store::get(db, id)
        .await?
        .filter(|r| r.client == client.to_string())
        .ok_or_else(|| Error::not_found("evidence request"))?;
    let (target, _) = target_of(&request.service_path)?;
    let entry = consumer::service_at(exchange, &target).await?;
    let authorised = consumer::authorise(exchange, parts, entry).await?;
    if authorised.grant.purpose.id != request.purpose_id {
        return Err(Error::Forbidden("the voucher is for another purpose than the request's".into()));
    }
    let now = Timestamp::now();
    match request.status_at(now) {
        EvidenceStatus::Approved if request.released_at.is_none() => {
            consumer::require_active(&authorised.entry)?;
            release(exchange, parts, &request, &authorised, now).await
        }
        EvidenceStatus::Expired if request.status != EvidenceStatus::Expired => {
            store::expire(db, id, now).await?;
            Ok(EvidenceAnswer::of(&request, now))
        }
        _ => Ok(EvidenceAnswer::of(&request, now)),
    }
}

async fn release(
    exchange: &Exchange,
    parts: &Parts,
    request: &EvidenceRequest,
    authorised: &Authorised,
    now: Timestamp,
) -> Result<EvidenceAnswer> {
    let db = exchange.kernel().db();
    let Some(sealed) = store::claim_release(db, request.id, now).await? else {
        // Another call released it (or its deadline passed) meanwhile.
        let current = store::get(db, request.id).await?.ok_or_else(|| Error::not_found("evidence request"))?;
        return Ok(EvidenceAnswer::of(&current, now));
    };
    let outcome = log_release(exchange, parts, request, authorised, &sealed).await;
    let (snapshot, body, seq) = match outcome {
        Ok(done) => done,
        Err(e) => {
            store::unclaim(db, request.id).await?;
            return Err(e);
        }
    };
    store::released(db, request.id, seq).await?;
    let mut answer = EvidenceAnswer::of(request, now);
    answer.released_at = Some(now);
    answer.release_until = None;
    if snapshot.is_json()
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
    {
        answer.data = Some(value);
    } else {
        answer.data_base64 = Some(STANDARD.encode(&body));
    }
    answer.content_type = snapshot.content_type.clone();
    answer.data_items = Some(snapshot.data_items.clone());
    answer.response_hash = Some(STANDARD.encode(xroad::sha512(&body)));
    Ok(answer)
}

/// Append the release to the message log, with a usage record for the person and for every
/// other person the data names.
async fn log_release(
    exchange: &Exchange,
    parts: &Parts,
    request: &EvidenceRequest,
    authorised: &Authorised,
    sealed: &[u8],
) -> Result<(Snapshot, Vec<u8>, i64)> {
    let snapshot = open(exchange, request.id, sealed)?;
    let body = snapshot.body_bytes()?;
    let grant = &authorised.grant;
    let mut persons = vec![request.national_id.clone()];
    for p in &snapshot.persons {
        if !persons.contains(p) {
            persons.push(p.clone());
        }
    }
    let usage = persons
        .into_iter()
        .map(|national_id| UsageRecord {
            national_id,
            consumer_org: request.consumer_org,
            consumer_name: request.consumer_name.clone(),
            client: request.client.clone(),
            eservice_id: request.eservice_id,
            eservice_title: request.eservice_title.clone(),
            purpose_id: request.purpose_id,
            purpose_title: request.purpose_title.clone(),
            legal_basis: request.legal_basis.clone(),
            data_items: snapshot.data_items.clone(),
            // The person asked for this exchange themselves: nothing to hide from them.
            embargo_until: None,
        })
        .collect();
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let log_bodies = exchange.config().log_bodies;
    let entry = LogEntry {
        request_id: request.id.to_string(),
        at: Timestamp::now(),
        client: request.client.clone(),
        service: request.service.clone(),
        eservice_id: request.eservice_id,
        agreement_id: grant.agreement.as_ref().map(|a| a.id).unwrap_or(request.agreement_id),
        purpose_id: request.purpose_id,
        method: "GET".into(),
        path: request.service_path.clone(),
        user_id: Some(request.national_id.clone()),
        issue: Some(format!("evidence-request:{}", request.id)),
        status: snapshot.status,
        request_hash: xroad::request_hash(parts.method.as_str(), path_and_query, &parts.headers, None, b""),
        response_hash: xroad::sha512(&body),
        request_body: None,
        response_body: log_bodies.then(|| body.clone()),
        usage,
    };
    let seq = exchange.log().record(entry).await.map_err(|e| {
        Error::Unavailable(format!(
            "the release could not be written to the message log, so nothing was released; try again: {e}"
        ))
    })?;
    Ok((snapshot, body, seq))
}
