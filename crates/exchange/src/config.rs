//! The exchange block's configuration section (`[exchange]` in `publica.toml`, `PUBLICA_EXCHANGE__…`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExchangeConfig {
    /// The X-Road instance identifier of this installation: the first part of every client and
    /// service identifier (`DL/GOV/70000001/population/persons`).
    pub instance: String,
    /// Keep request and response bodies in the message log, sealed under the master key.
    /// Off by default: the log keeps their SHA-512 hashes, which proves what was exchanged
    /// without holding the personal data a second time.
    pub log_bodies: bool,
    /// Seconds an HTTP back end may take to answer before the call fails with
    /// `Server.ServerProxy.ServiceFailed`.
    pub backend_timeout_seconds: u64,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig { instance: "DL".into(), log_bodies: false, backend_timeout_seconds: 30 }
    }
}

impl ExchangeConfig {
    /// Check the values a start-up must refuse; the message names the key and the fix.
    pub fn check(&self) -> Result<(), String> {
        crate::domain::ids::check_code(&self.instance).map_err(|m| format!("exchange.instance: {m}"))?;
        if self.backend_timeout_seconds == 0 {
            return Err("exchange.backend_timeout_seconds must be at least 1".into());
        }
        Ok(())
    }
}
