//! The registry block's configuration section (`[registry]` in `publica.toml`,
//! `PUBLICA_REGISTRY__…`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistryConfig {
    /// Slug of the organisation that keeps the population register.
    pub population_owner: String,
    /// Slug of the organisation that keeps the business register.
    pub businesses_owner: String,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig { population_owner: "civil-registry".into(), businesses_owner: "chamber-of-commerce".into() }
    }
}
