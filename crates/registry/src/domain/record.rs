//! A record's versions on two time axes: when a fact holds (valid time) and when the register
//! knew it (transaction time).

use publica_kernel::db::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Valid time and transaction time of a bitemporal read. `None` means now.
///
/// "What was valid at X, as the register knew it at Y": a correction recorded after Y does not
/// change the answer; a change with effect after X does not either.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AsOf {
    pub valid_at: Option<Timestamp>,
    pub known_at: Option<Timestamp>,
}

impl AsOf {
    /// What holds now, as known now.
    pub fn now() -> AsOf {
        AsOf { valid_at: None, known_at: None }
    }

    /// What held at `valid_at`, as known now.
    pub fn valid_at(valid_at: Timestamp) -> AsOf {
        AsOf { valid_at: Some(valid_at), known_at: None }
    }
}

/// Why a version row exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The record entered the register.
    Created,
    /// A real-world change, valid from a point in time.
    Changed,
    /// The fact recorded before was wrong; this replaces it over the same valid time.
    Corrected,
    /// The record left the register (no data).
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Changed => "changed",
            ChangeKind::Corrected => "corrected",
            ChangeKind::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeKind> {
        match text {
            "created" => Some(ChangeKind::Created),
            "changed" => Some(ChangeKind::Changed),
            "corrected" => Some(ChangeKind::Corrected),
            "deleted" => Some(ChangeKind::Deleted),
            _ => None,
        }
    }
}

/// One version of a record: its data over a valid interval, as recorded over a transaction
/// interval. Intervals are half-open; `None` ends are open.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub register: String,
    pub id: String,
    /// `Null` for a `Deleted` version.
    pub data: Value,
    /// The version row's sequence number: the change feed's cursor.
    pub seq: i64,
    pub kind: ChangeKind,
    pub reason: Option<String>,
    pub valid_from: Timestamp,
    pub valid_to: Option<Timestamp>,
    pub recorded_at: Timestamp,
    pub superseded_at: Option<Timestamp>,
}

/// A record to insert in bulk: already validated, its id taken from its data.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRecord {
    pub id: String,
    pub data: Value,
    pub valid_from: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in [ChangeKind::Created, ChangeKind::Changed, ChangeKind::Corrected, ChangeKind::Deleted] {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).expect("json"), Value::String(kind.as_str().into()));
        }
        assert_eq!(ChangeKind::parse("Created"), None);
    }
}
