//! The provider's persistence, one code path for SQLite and PostgreSQL: clients, the
//! authorization flow (interactions, pushed requests, codes), tokens (refresh and access,
//! grouped by grant; client assertions already used), and what concerns people (consents,
//! the clients each browser session signed in to); and what the token endpoint keeps in memory
//! (clients, and the group committer of code spends).

pub mod clients;
pub mod flow;
pub mod hot;
pub mod people;
pub mod spend;
pub mod tokens;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::levels::Vocabulary;

/// What a grant carries from the authorization to every token issued under it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Grant {
    /// The browser session the person authorized in (the OpenID Connect `sid`'s source).
    pub session_id: Option<Uuid>,
    pub scopes: Vec<String>,
    /// The `claims` parameter of the request, if any.
    pub claims: Option<Value>,
    pub nonce: Option<String>,
    /// The level reported (`acr`, or `vot` for a `vtr` request).
    pub acr: Option<String>,
    pub vocabulary: Vocabulary,
    pub amr: Vec<String>,
    /// When the person authenticated (seconds since 1970).
    pub auth_time: i64,
}

impl Grant {
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// JSON text of a value for a TEXT column.
pub(crate) fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// A value back from a TEXT column; a malformed one is a defect of this module.
pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> publica_kernel::error::Result<T> {
    serde_json::from_str(text).map_err(|e| publica_kernel::error::Error::internal(format!("stored JSON: {e}")))
}
