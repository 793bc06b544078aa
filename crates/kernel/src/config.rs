//! Configuration: defaults, then `publica.toml`, then `PUBLICA_*` environment variables.
//!
//! Nesting uses `__` (`PUBLICA_DATABASE__MAX_CONNECTIONS`). Any value may instead be read
//! from a file named by the same variable with `_FILE` appended (`PUBLICA_MASTER_KEY_FILE`),
//! which is how container secrets arrive. For that reason no configuration field itself ends
//! in `_file`: paths end in `_path`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::{Figment, Provider};
use serde::{Deserialize, Serialize};

/// Environment variables that start with `PUBLICA_` but are not configuration keys.
const NON_CONFIG_VARS: &[&str] = &["PUBLICA_CONFIG", "PUBLICA_TEST_POSTGRES"];

/// The effective configuration of one Publica process.
///
/// Unknown keys at the top level are reported as warnings rather than rejected, because
/// blocks add sections of their own (`[notify]`, `PUBLICA_NOTIFY__…`), kept in `sections`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Data directory: SQLite database, master key, demo credentials.
    pub data: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means SQLite in the data directory.
    pub database_url: Option<Secret>,
    pub database: DatabaseConfig,
    /// Public base URL (`https://gov.example`), used in links and to decide on HSTS.
    pub public_url: Option<String>,
    /// Base64 of 32 bytes; when absent it is generated once into `DATA/master.key`.
    pub master_key: Option<Secret>,
    /// Comma-separated blocks to serve; empty means all.
    pub blocks: Option<String>,
    /// Seed the demo country and show its credentials.
    pub demo: bool,
    pub log: LogConfig,
    pub keys: KeysConfig,
    pub jobs: JobsConfig,
    pub session: SessionConfig,
    pub http: HttpConfig,
    /// Blocks' own sections by block name, read with [`Config::section`].
    #[serde(skip)]
    pub sections: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Connections of the shared pool; each group committer (`db::GroupCommit`) has one more of
    /// its own.
    pub max_connections: u32,
    /// How long a request waits for a connection before it gets a 503.
    pub acquire_timeout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `publica=debug,sqlx=warn`.
    pub level: String,
    /// `auto` (human-readable on a terminal, JSON otherwise), `json` or `text`.
    pub format: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// How long a rotated-out signing key stays published in the JWKS.
    pub overlap_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Concurrent jobs per process; 0 disables the worker in this process.
    pub workers: usize,
    pub poll_interval_ms: u64,
    /// A claimed job whose worker stops renewing its lease for this long is run again.
    pub lease_seconds: u64,
    pub max_attempts: i32,
    /// Succeeded jobs and their run log are deleted after this many days.
    pub retention_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub ttl_minutes: i64,
    pub login_link_ttl_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub request_timeout_seconds: u64,
    pub body_limit_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed, as comma-separated addresses or
    /// CIDR ranges (`10.0.0.0/8, 192.0.2.10`). The client's address is then the right-most
    /// one in that header that is not itself a trusted proxy. Default: this machine only.
    pub trusted_proxies: String,
}

impl HttpConfig {
    /// The trusted proxies as networks; `Err` names the entry that is neither an address nor
    /// a CIDR range.
    pub fn trusted_proxy_networks(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                item.parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("http.trusted_proxies: `{item}` is neither an IP address nor a CIDR range"))
            })
            .collect()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("./publica-data"),
            database_url: None,
            database: DatabaseConfig { max_connections: 10, acquire_timeout_ms: 2_000 },
            public_url: None,
            master_key: None,
            blocks: None,
            demo: false,
            log: LogConfig { level: "info".into(), format: "auto".into() },
            keys: KeysConfig { overlap_days: 7 },
            jobs: JobsConfig {
                workers: 4,
                poll_interval_ms: 500,
                lease_seconds: 30,
                max_attempts: 10,
                retention_days: 7,
            },
            session: SessionConfig { ttl_minutes: 8 * 60, login_link_ttl_minutes: 15 },
            http: HttpConfig {
                request_timeout_seconds: 30,
                body_limit_bytes: 10 * 1024 * 1024,
                trusted_proxies: "127.0.0.0/8, ::1/128".into(),
            },
            sections: BTreeMap::new(),
        }
    }
}

/// A configuration value that must never be printed.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What went wrong while reading the configuration; the message names the key and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("configuration: cannot read {var} from {path}: {source}")]
    SecretFile { var: String, path: PathBuf, source: std::io::Error },
}

/// The result of loading: the configuration and the warnings to print at start.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// The public address of this deployment, without a trailing slash, for links in messages
    /// and token audiences: `public_url`, or `http://` and the listening address.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) if !url.is_empty() => url.trim_end_matches('/').to_string(),
            _ => format!("http://{}", self.listen),
        }
    }

    /// Load from `publica.toml` (or `$PUBLICA_CONFIG`) and the process environment; `sections`
    /// are the blocks' own sections with their defaults (`("notify", {...})`).
    pub fn load(sections: &[(&str, serde_json::Value)]) -> Result<Loaded, ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        let file = vars
            .iter()
            .find(|(k, _)| k == "PUBLICA_CONFIG")
            .map(|(_, v)| PathBuf::from(v))
            .unwrap_or_else(|| PathBuf::from("publica.toml"));
        Self::load_from(&file, &vars, sections)
    }

    /// Load from an explicit file and environment; the testable core of [`Config::load`].
    pub fn load_from(
        file: &Path,
        vars: &[(String, String)],
        sections: &[(&str, serde_json::Value)],
    ) -> Result<Loaded, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        for (name, defaults) in sections {
            figment = figment.merge(Serialized::default(name, defaults));
        }
        if file.exists() {
            figment = figment.merge(Toml::file_exact(file));
        }
        let known = known_keys(sections);
        let mut warnings = Vec::new();
        if let Ok(data) = figment.data() {
            for key in data.values().flat_map(|dict| dict.keys()) {
                if !known.contains(key) && !warnings.iter().any(|w: &String| w.contains(&format!("`{key}`"))) {
                    warnings.push(format!(
                        "unknown configuration key `{key}` in {} is ignored (`publica config show` lists the keys)",
                        file.display()
                    ));
                }
            }
        }
        let mut env_pairs = Vec::new();
        let mut file_pairs = Vec::new();
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix("PUBLICA_") else {
                continue;
            };
            if NON_CONFIG_VARS.contains(&name.as_str()) {
                continue;
            }
            let (rest, from_file) = match rest.strip_suffix("_FILE") {
                Some(base) => (base, true),
                None => (rest, false),
            };
            let key = rest.to_ascii_lowercase().replace("__", ".");
            if !known.contains(&key) {
                warnings.push(format!(
                    "unknown environment variable {name} is ignored (no configuration key `{key}`; \
                     `publica config show` lists the keys)"
                ));
                continue;
            }
            if from_file {
                let path = PathBuf::from(value);
                let content = std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile {
                    var: name.clone(),
                    path,
                    source,
                })?;
                file_pairs.push((key, content.trim_end_matches(['\n', '\r']).to_string()));
            } else {
                env_pairs.push((key, value.clone()));
            }
        }
        for (key, value) in env_pairs {
            // Parsed as figment's own environment provider does: numbers, booleans, strings.
            let value: figment::value::Value = value.parse().unwrap_or_else(|never| match never {});
            figment = figment.merge(Serialized::default(&key, value));
        }
        for (key, value) in file_pairs {
            figment = figment.merge(Serialized::default(&key, value));
        }
        let mut config: Config = figment.extract().map_err(|e| ConfigError::Invalid(describe(&e)))?;
        for (name, _) in sections {
            let value =
                figment.extract_inner::<serde_json::Value>(name).map_err(|e| ConfigError::Invalid(describe(&e)))?;
            config.sections.insert(name.to_string(), value);
        }
        config.check()?;
        Ok(Loaded { config, warnings })
    }

    fn check(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            let url = url.expose();
            if !url.is_empty()
                && !url.starts_with("sqlite:")
                && !url.starts_with("postgres://")
                && !url.starts_with("postgresql://")
            {
                return Err(ConfigError::Invalid(
                    "database_url must start with sqlite:, postgres:// or postgresql://".into(),
                ));
            }
        }
        if !["auto", "json", "text"].contains(&self.log.format.as_str()) {
            return Err(ConfigError::Invalid(format!("log.format is `{}`; use auto, json or text", self.log.format)));
        }
        if self.jobs.lease_seconds == 0 {
            return Err(ConfigError::Invalid("jobs.lease_seconds must be at least 1".into()));
        }
        self.http.trusted_proxy_networks().map_err(ConfigError::Invalid)?;
        Ok(())
    }

    /// A block's own section, with the block's defaults for anything not configured. Errors name
    /// the key and its environment variable.
    pub fn section<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, ConfigError> {
        let value = self.sections.get(name).cloned().unwrap_or_else(|| serde_json::json!({}));
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = format!("{name}.{}", e.path());
            let env_name = format!("PUBLICA_{}", path.to_ascii_uppercase().replace('.', "__"));
            ConfigError::Invalid(format!("`{path}` ({env_name}): {}", e.inner()))
        })
    }

    /// The database URL to use: the configured one or SQLite in the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.expose().is_empty() => url.expose().to_string(),
            _ => format!("sqlite://{}", self.data.join("publica.db").display()),
        }
    }

    /// The blocks this process serves, or `None` for all of them.
    pub fn block_list(&self) -> Option<Vec<String>> {
        self.blocks
            .as_ref()
            .filter(|b| !b.trim().is_empty())
            .map(|b| b.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
    }

    /// The configuration as TOML with every secret redacted, for `publica config show`.
    pub fn show(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            for key in ["master_key"] {
                if obj.get(key).is_some_and(|v| !v.is_null()) {
                    obj.insert(key.into(), "[redacted]".into());
                }
            }
            obj.insert("database_url".into(), redact_url(&self.effective_database_url()).into());
            for (name, section) in &self.sections {
                let mut section = section.clone();
                redact_secrets(&mut section);
                obj.insert(name.clone(), section);
            }
        }
        strip_nulls(&mut value);
        toml::to_string(&value).unwrap_or_default()
    }
}

/// In blocks' sections, values under keys that name secrets are hidden and URLs lose their
/// passwords.
fn redact_secrets(value: &mut serde_json::Value) {
    if let Some(obj) = value.as_object_mut() {
        for (key, v) in obj.iter_mut() {
            let secret = ["token", "password", "secret", "private_key", "key"]
                .iter()
                .any(|s| key == s || key.ends_with(&format!("_{s}")));
            if secret && !v.is_null() {
                *v = "[redacted]".into();
            } else if let Some(url) = v.as_str().filter(|_| key == "url" || key.ends_with("_url")) {
                *v = redact_url(url).into();
            } else {
                redact_secrets(v);
            }
        }
    }
}

fn strip_nulls(value: &mut serde_json::Value) {
    if let Some(obj) = value.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
        obj.values_mut().for_each(strip_nulls);
    }
}

/// Replace the password of a database URL, if any.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("[redacted]"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// Every dotted key path the configuration accepts.
fn known_keys(sections: &[(&str, serde_json::Value)]) -> BTreeSet<String> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
        if let Some(obj) = value.as_object() {
            for (k, v) in obj {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                walk(&path, v, out);
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk("", &serde_json::to_value(Config::default()).unwrap_or_default(), &mut out);
    for (name, defaults) in sections {
        out.insert(name.to_string());
        walk(name, defaults, &mut out);
    }
    out
}

fn describe(error: &figment::Error) -> String {
    error
        .clone()
        .into_iter()
        .map(|e| {
            let path = e.path.join(".");
            let env_name = format!("PUBLICA_{}", path.to_ascii_uppercase().replace('.', "__"));
            if path.is_empty() { e.kind.to_string() } else { format!("`{path}` ({env_name}): {}", e.kind) }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("publica.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\n[database]\nmax_connections = 3\nacquire_timeout_ms = 7\n")
            .expect("write");
        let loaded = Config::load_from(&file, &vars(&[("PUBLICA_DATABASE__MAX_CONNECTIONS", "5")]), &[]).expect("load");
        assert_eq!(loaded.config.listen.port(), 9000, "file overrides default");
        assert_eq!(loaded.config.database.max_connections, 5, "environment overrides file");
        assert_eq!(loaded.config.database.acquire_timeout_ms, 7, "file value kept");
        assert_eq!(loaded.config.jobs.workers, 4, "default kept");
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn unknown_variables_are_reported() {
        let loaded = Config::load_from(
            Path::new("/nonexistent/publica.toml"),
            &vars(&[("PUBLICA_LISTN", "x"), ("PUBLICA_TEST_POSTGRES", "postgres://x"), ("OTHER", "1")]),
            &[],
        )
        .expect("load");
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("PUBLICA_LISTN"));
    }

    #[test]
    fn secrets_come_from_files_and_are_never_shown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("key");
        std::fs::write(&secret, "c2VjcmV0LW1hc3Rlci1rZXk=\n").expect("write");
        let loaded = Config::load_from(
            Path::new("/nonexistent"),
            &vars(&[
                ("PUBLICA_MASTER_KEY_FILE", secret.to_str().expect("utf-8")),
                ("PUBLICA_DATABASE_URL", "postgres://app:hunter2@db/publica"),
            ]),
            &[],
        )
        .expect("load");
        assert_eq!(loaded.config.master_key.as_ref().map(Secret::expose), Some("c2VjcmV0LW1hc3Rlci1rZXk="));
        let shown = loaded.config.show();
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!format!("{:?}", loaded.config).contains("hunter2"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = Config::load_from(Path::new("/nonexistent"), &vars(&[("PUBLICA_JOBS__WORKERS", "many")]), &[])
            .expect_err("must fail");
        assert!(err.to_string().contains("jobs.workers"), "{err}");
        assert!(err.to_string().contains("PUBLICA_JOBS__WORKERS"), "{err}");
    }

    #[derive(Debug, serde::Deserialize)]
    struct Mail {
        relay_url: Option<String>,
        limit: u32,
        sms: Sms,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Sms {
        token: Option<String>,
    }

    #[test]
    fn blocks_have_sections_of_their_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("publica.toml");
        std::fs::write(&file, "[mail]\nlimit = 7\n[mial]\nlimit = 1\n").expect("write");
        let defaults = serde_json::json!({"relay_url": null, "limit": 3, "sms": {"token": null}});
        let loaded = Config::load_from(
            &file,
            &vars(&[
                ("PUBLICA_MAIL__RELAY_URL", "smtp://user:hunter2@relay:25"),
                ("PUBLICA_MAIL__SMS__TOKEN", "s3cret"),
                ("PUBLICA_MAIL__NOPE", "1"),
            ]),
            &[("mail", defaults)],
        )
        .expect("load");
        let mail: Mail = loaded.config.section("mail").expect("section");
        assert_eq!(mail.relay_url.as_deref(), Some("smtp://user:hunter2@relay:25"));
        assert_eq!(mail.limit, 7, "file overrides the block's default");
        assert_eq!(mail.sms.token.as_deref(), Some("s3cret"));
        assert!(loaded.warnings.iter().any(|w| w.contains("PUBLICA_MAIL__NOPE")), "{:?}", loaded.warnings);
        assert!(loaded.warnings.iter().any(|w| w.contains("`mial`")), "{:?}", loaded.warnings);
        let shown = loaded.config.show();
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("[mail]"), "{shown}");
        let bad = Config::load_from(
            Path::new("/nonexistent"),
            &vars(&[("PUBLICA_MAIL__LIMIT", "many")]),
            &[("mail", serde_json::json!({"relay_url": null, "limit": 3, "sms": {"token": null}}))],
        )
        .expect("load");
        let err = bad.config.section::<Mail>("mail").expect_err("limit is not a number");
        assert!(err.to_string().contains("mail.limit") && err.to_string().contains("PUBLICA_MAIL__LIMIT"), "{err}");
    }
}
