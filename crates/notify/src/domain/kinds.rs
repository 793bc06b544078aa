//! The kinds Notify's API speaks of: notification types, key types and statuses.

use serde::{Deserialize, Serialize};

/// Email, SMS or letter; also the template type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Letter,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Letter => "letter",
        }
    }
    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            "letter" => Some(Channel::Letter),
            _ => None,
        }
    }
}

/// Notify's key types: `test` is never sent, `team` only to the team and guest list,
/// `normal` (shown as "live") to anyone once the service is out of trial mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Normal,
    Team,
    Test,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Normal => "normal",
            KeyType::Team => "team",
            KeyType::Test => "test",
        }
    }
    pub fn parse(text: &str) -> Option<KeyType> {
        match text {
            "normal" | "live" => Some(KeyType::Normal),
            "team" => Some(KeyType::Team),
            "test" => Some(KeyType::Test),
            _ => None,
        }
    }
    /// As Notify's rate-limit message names it (`TEAM`, `NORMAL`, `TEST`).
    pub fn upper(self) -> &'static str {
        match self {
            KeyType::Normal => "NORMAL",
            KeyType::Team => "TEAM",
            KeyType::Test => "TEST",
        }
    }
}

/// Every status a notification can have, as Notify names them on the wire.
pub const STATUSES: &[&str] = &[
    "created",
    "sending",
    "pending",
    "sent",
    "delivered",
    "permanent-failure",
    "temporary-failure",
    "technical-failure",
    "pending-virus-check",
    "virus-scan-failed",
    "validation-failed",
    "accepted",
    "received",
    "cancelled",
    "returned-letter",
];

/// Whether a status is final (no further delivery work).
pub fn is_final(status: &str) -> bool {
    matches!(
        status,
        "delivered"
            | "sent"
            | "permanent-failure"
            | "temporary-failure"
            | "technical-failure"
            | "virus-scan-failed"
            | "validation-failed"
            | "received"
            | "cancelled"
            | "returned-letter"
    )
}

/// The statuses a `status` filter value stands for in `GET /v2/notifications`.
pub fn filter_statuses(value: &str) -> Option<Vec<&'static str>> {
    Some(match value {
        "failed" => vec![
            "technical-failure",
            "temporary-failure",
            "permanent-failure",
            "validation-failed",
            "virus-scan-failed",
        ],
        "sending" => vec!["sending", "pending"],
        other => vec![*STATUSES.iter().find(|s| **s == other)?],
    })
}
