//! What an evidence request is: its state, the facts shown to the person (who asks, why, on
//! which legal basis), and the snapshot of the data the person previewed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where an evidence request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceStatus {
    /// Waiting for the person's decision.
    Pending,
    /// The person agreed; the data is released once to the consumer.
    Approved,
    /// The person refused; nothing is ever released.
    Refused,
    /// Nobody decided in time, or the approved data was not fetched in time.
    Expired,
}

impl EvidenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceStatus::Pending => "pending",
            EvidenceStatus::Approved => "approved",
            EvidenceStatus::Refused => "refused",
            EvidenceStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<EvidenceStatus> {
        [EvidenceStatus::Pending, EvidenceStatus::Approved, EvidenceStatus::Refused, EvidenceStatus::Expired]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The person's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Refuse,
}

impl Decision {
    /// The status the request takes, and the word sent back to the consumer's service.
    pub fn status(self) -> EvidenceStatus {
        match self {
            Decision::Approve => EvidenceStatus::Approved,
            Decision::Refuse => EvidenceStatus::Refused,
        }
    }
}

/// One evidence request as stored (the sealed snapshot stays in the store).
#[derive(Clone, Debug)]
pub struct EvidenceRequest {
    pub id: Uuid,
    pub created_at: Timestamp,
    /// The person decides before this instant.
    pub expires_at: Timestamp,
    /// The stored status; see [`EvidenceRequest::status_at`] for the one in force.
    pub status: EvidenceStatus,
    pub national_id: String,
    /// `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/path[?query]`.
    pub service_path: String,
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
    pub service: String,
    pub eservice_id: Uuid,
    pub eservice_title: String,
    pub provider_name: String,
    pub agreement_id: Uuid,
    pub purpose_id: Uuid,
    pub purpose_title: String,
    pub legal_basis: String,
    pub consumer_org: Uuid,
    pub consumer_name: String,
    /// The consumer subsystem's X-Road id.
    pub client: String,
    pub subsystem_title: String,
    pub requester_title: String,
    pub reason: String,
    pub return_url: String,
    pub snapshot_digest: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub release_until: Option<Timestamp>,
    pub released_at: Option<Timestamp>,
}

impl EvidenceRequest {
    /// The status in force at `now`: a pending request past its deadline, or an approved one
    /// not fetched before its release deadline, has expired even before housekeeping says so.
    pub fn status_at(&self, now: Timestamp) -> EvidenceStatus {
        match self.status {
            EvidenceStatus::Pending if now >= self.expires_at => EvidenceStatus::Expired,
            EvidenceStatus::Approved
                if self.released_at.is_none() && self.release_until.is_none_or(|until| now >= until) =>
            {
                EvidenceStatus::Expired
            }
            other => other,
        }
    }
}

/// The data as the person previewed it: exactly what is released after approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The provider's HTTP status.
    pub status: u16,
    pub content_type: Option<String>,
    /// The provider's answer, base64.
    pub body: String,
    /// National ids of the persons the answer concerns, as the back end reports them.
    pub persons: Vec<String>,
    /// What the answer gives (top-level fields, or the check's name).
    pub data_items: Vec<String>,
    pub fetched_at: Timestamp,
}

impl Snapshot {
    pub fn body_bytes(&self) -> Result<Vec<u8>> {
        STANDARD.decode(&self.body).map_err(|e| Error::internal(format!("evidence snapshot body: {e}")))
    }

    pub fn is_json(&self) -> bool {
        self.content_type.as_deref().is_some_and(|t| t.to_ascii_lowercase().contains("json"))
    }

    /// Why the person cannot approve this data, if they cannot: the provider gave no data, or
    /// the data names other persons and not them.
    pub fn refusal(&self, national_id: &str) -> Option<Unusable> {
        if !(200..300).contains(&self.status) {
            return Some(Unusable::NoData);
        }
        if !self.persons.is_empty() && !self.persons.iter().any(|p| p == national_id) {
            return Some(Unusable::NotYours);
        }
        None
    }
}

/// Why a snapshot cannot be released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// The provider answered an error (no record, bad identifier).
    NoData,
    /// The answer concerns other persons.
    NotYours,
}

/// Ask for evidence about a person (the first of the two calls of an explicit request).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvidenceRequest {
    /// The gateway path of the data, as for a gateway call:
    /// `/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/path[?query]`, e.g.
    /// `/r1/DL/GOV/70000001/population/persons/19850612344`. The voucher must be for this
    /// e-service. Only reads (GET) are made.
    pub service_path: String,
    /// The national id of the person the evidence is about, who previews and decides.
    pub national_id: String,
    /// Where the person's browser goes after deciding (http or https), with
    /// `request=<id>&decision=approved|refused` added to its query.
    pub return_url: String,
    /// What the consumer's service is, in the person's words (shown to them), e.g.
    /// "Housing benefit application".
    pub requester_title: String,
    /// Why the service needs the data (shown to them).
    pub reason: String,
}

/// The request is registered: send the person to `preview_url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceCreated {
    pub id: Uuid,
    /// Always `pending`.
    pub status: EvidenceStatus,
    /// The person's preview page, relative to this exchange's public address:
    /// `/exchange/evidence/{id}`. Only the person the request is about sees it, once signed in
    /// with a verified identity; the link opens nothing by itself.
    pub preview_url: String,
    /// The person decides before this instant.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// An evidence request as the consumer sees it (the second call of an explicit request).
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceAnswer {
    pub id: Uuid,
    pub status: EvidenceStatus,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// The deadline of the person's decision.
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<Timestamp>,
    /// An approved request's data is fetched before this instant, or expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub release_until: Option<Timestamp>,
    /// When the data was released (in this answer, or in an earlier one).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub released_at: Option<Timestamp>,
    /// The released data when the provider answered JSON: exactly what the person previewed.
    /// Present in one answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// The released data, base64, when the provider answered anything but JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
    /// The provider's content type of the released data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// What the released data gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_items: Option<Vec<String>>,
    /// Base64 SHA-512 of the released bytes, as the message log records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_hash: Option<String>,
}

impl EvidenceAnswer {
    /// The answer without released data.
    pub fn of(request: &EvidenceRequest, now: Timestamp) -> EvidenceAnswer {
        let status = request.status_at(now);
        EvidenceAnswer {
            id: request.id,
            status,
            created_at: request.created_at,
            expires_at: request.expires_at,
            decided_at: request.decided_at,
            release_until: request
                .release_until
                .filter(|_| status == EvidenceStatus::Approved && request.released_at.is_none()),
            released_at: request.released_at,
            data: None,
            data_base64: None,
            content_type: None,
            data_items: None,
            response_hash: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(status: u16, persons: &[&str]) -> Snapshot {
        Snapshot {
            status,
            content_type: Some("application/json".into()),
            body: STANDARD.encode(b"{}"),
            persons: persons.iter().map(|p| p.to_string()).collect(),
            data_items: Vec::new(),
            fetched_at: Timestamp::now(),
        }
    }

    #[test]
    fn only_a_successful_answer_about_the_person_can_be_approved() {
        assert_eq!(snapshot(200, &["1"]).refusal("1"), None);
        assert_eq!(snapshot(200, &[]).refusal("1"), None, "a provider that names nobody");
        assert_eq!(snapshot(200, &["2", "3"]).refusal("1"), Some(Unusable::NotYours));
        assert_eq!(snapshot(404, &["1"]).refusal("1"), Some(Unusable::NoData));
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["pending", "approved", "refused", "expired"] {
            assert_eq!(EvidenceStatus::parse(s).map(EvidenceStatus::as_str), Some(s));
        }
        assert_eq!(EvidenceStatus::parse("released"), None);
    }
}
