//! The JSON the data API reads and writes: GovStack's `write` / `query` / `content` wrappers and
//! answers, and the shapes of Publica's extensions (history, change feed).

use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::macros::format_description;
use utoipa::{IntoParams, ToSchema};

use super::error::GovError;
use crate::{AsOf, ChangeKind, Record};

/// `{"content": {...}}`: a record's data (or, in a query, the values to match).
#[derive(Deserialize, Serialize, ToSchema)]
pub struct Content {
    /// Field names and values as the register's schema defines them.
    #[schema(value_type = Object)]
    pub content: Value,
}

impl Content {
    /// The content as a JSON object, or a `400` naming `field`.
    pub fn object(&self, field: &str) -> Result<&Map<String, Value>, GovError> {
        self.content.as_object().ok_or_else(|| GovError::invalid(field, "give a JSON object of field names and values"))
    }
}

/// `create`: `{"write": {"content": {...}}}`.
#[derive(Deserialize, ToSchema)]
pub struct WriteBody {
    pub write: Content,
}

/// `read`, `exists`: `{"query": {"content": {...}}}`. The content holds the identifier field, or
/// searchable fields, and any other fields the record must also match.
#[derive(Deserialize, ToSchema)]
pub struct QueryBody {
    pub query: Content,
}

/// `update`, `update-or-create`: which record (`query`, or the identifier in `write.content`)
/// and the data to write over it: objects merge field by field, other values replace; `null`
/// clears a field that may be null and removes any other.
#[derive(Deserialize, ToSchema)]
pub struct QueryWriteBody {
    pub query: Option<Content>,
    pub write: Content,
}

/// `exists`: the answer.
#[derive(Serialize, ToSchema)]
pub struct ExistsBody {
    pub answer: Answer,
}

#[derive(Serialize, ToSchema)]
pub struct Answer {
    /// Whether a record matches the query.
    pub status: bool,
    pub message: String,
}

/// The list: this page of records, with links to the pages around it.
#[derive(Serialize, ToSchema)]
pub struct ListBody {
    /// Records on this page.
    pub count: usize,
    /// The next page, when there is one.
    pub next: Option<String>,
    /// The previous page, when this is not the first.
    pub previous: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<Value>,
}

/// `read-value` in JSON: the field's value (any JSON value).
#[derive(Serialize, ToSchema)]
pub struct ValueBody {
    pub value: Value,
}

/// One version of a record (Publica extension): its data over a valid interval, as recorded
/// over a transaction interval; `null` ends are open.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: String,
    /// The change feed's sequence number.
    pub seq: i64,
    pub kind: ChangeKind,
    pub reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_to: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub superseded_at: Option<Timestamp>,
    /// The data; `null` for a deletion.
    pub content: Value,
}

impl From<Record> for Version {
    fn from(r: Record) -> Version {
        Version {
            id: r.id,
            seq: r.seq,
            kind: r.kind,
            reason: r.reason,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            recorded_at: r.recorded_at,
            superseded_at: r.superseded_at,
            content: r.data,
        }
    }
}

/// A record's history (Publica extension).
#[derive(Serialize, ToSchema)]
pub struct HistoryBody {
    pub id: String,
    /// Every version row, in the order they were recorded.
    pub versions: Vec<Version>,
}

/// A page of the change feed (Publica extension).
#[derive(Serialize, ToSchema)]
pub struct ChangesBody {
    /// New facts, by ascending sequence number.
    pub changes: Vec<Version>,
    /// Pass as `after` to read on; equal to the request's `after` when nothing is new.
    pub next: i64,
}

/// Bitemporal reads (Publica extension).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AsOfParams {
    /// Valid time: what held at this instant (ISO 8601 date or date-time; default now).
    pub as_of: Option<String>,
    /// Transaction time: as the register knew it at this instant (default now).
    pub known_at: Option<String>,
}

impl AsOfParams {
    pub fn as_of(&self) -> Result<AsOf, GovError> {
        Ok(AsOf {
            valid_at: self.as_of.as_deref().map(|t| instant("asOf", t)).transpose()?,
            known_at: self.known_at.as_deref().map(|t| instant("knownAt", t)).transpose()?,
        })
    }
}

/// When a created record's facts became true (Publica extension).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct CreateParams {
    /// When the record's facts became true (ISO 8601; default now).
    pub valid_from: Option<String>,
}

impl CreateParams {
    pub fn valid_from(&self) -> Result<Option<Timestamp>, GovError> {
        self.valid_from.as_deref().map(|t| instant("validFrom", t)).transpose()
    }
}

/// How an update is recorded (Publica extension).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct WriteParams {
    /// When the new facts became true (ISO 8601; default now). Not with `correction`.
    pub valid_from: Option<String>,
    /// Record an update as a correction of a wrong fact (same valid time) with this reason,
    /// instead of a change in the world.
    pub correction: Option<String>,
}

impl WriteParams {
    pub fn valid_from(&self) -> Result<Option<Timestamp>, GovError> {
        self.valid_from.as_deref().map(|t| instant("validFrom", t)).transpose()
    }
}

/// How a deletion is recorded (Publica extension).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct DeleteParams {
    /// Why the record leaves the register (default: "deleted through the data API").
    pub reason: Option<String>,
    /// From when (ISO 8601; default now).
    pub valid_from: Option<String>,
}

/// An instant from a query parameter: an RFC 3339 date-time, or a date (midnight UTC).
pub fn instant(field: &str, text: &str) -> Result<Timestamp, GovError> {
    let text = text.trim();
    if let Ok(t) = Timestamp::parse(text) {
        return Ok(t);
    }
    time::Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map(|d| Timestamp::from(d.midnight().assume_utc()))
        .map_err(|_| GovError::invalid(field, "give an ISO 8601 date (2024-01-31) or date-time (2024-01-31T12:00:00Z)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_dates_or_date_times() {
        assert_eq!(instant("asOf", "2024-01-31").expect("date").to_fixed(), "2024-01-31T00:00:00.000000Z");
        assert_eq!(
            instant("asOf", "2024-01-31T12:00:00+01:00").expect("date-time").to_fixed(),
            "2024-01-31T11:00:00.000000Z"
        );
        assert!(instant("asOf", "31/01/2024").is_err());
    }
}
