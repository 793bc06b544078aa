//! The demo country: `publica demo seed`, and `publica serve --demo`, which runs that command
//! as a child process before it serves.
//!
//! Seeding is one-off work with a large footprint: it hashes every demo account's password with
//! Argon2id (19 MiB of working memory each) and writes thousands of register records. Done in a
//! child process, all of that memory and the code that does it go back to the system when the
//! child exits; the server process starts serving without carrying any of it.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use anyhow::Context;
use publica_kernel::config::Config;
use publica_kernel::{Block, Kernel};

/// Where the credentials of the seeded demo are written.
pub fn credentials_path(config: &Config) -> PathBuf {
    config.data.join("demo-credentials.json")
}

/// Seed every block's demo data (idempotently) and write the credentials file.
pub async fn seed(kernel: &Kernel, blocks: &[Arc<dyn Block>]) -> anyhow::Result<PathBuf> {
    let mut credentials = serde_json::Map::new();
    for block in blocks {
        let value = block.seed_demo(kernel).await.with_context(|| format!("seeding the {} demo", block.name()))?;
        credentials.insert(block.name().to_string(), value);
    }
    let credentials = serde_json::Value::Object(credentials);
    let path = credentials_path(kernel.config());
    std::fs::create_dir_all(&kernel.config().data)
        .with_context(|| format!("cannot create the data directory {}", kernel.config().data.display()))?;
    std::fs::write(&path, serde_json::to_string_pretty(&credentials)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Run `publica demo seed` as a child process with this process's effective settings (the
/// listening address is the one actually bound, so that links and token audiences in the
/// demo name it), then read back the credentials it wrote.
pub async fn seed_in_child(config: &Config) -> anyhow::Result<serde_json::Value> {
    let exe = std::env::current_exe().context("cannot find this program's path to run the demo seeding")?;
    let mut command = tokio::process::Command::new(exe);
    command
        .args(["demo", "seed", "--for-serve"])
        .env("PUBLICA_DATA", &config.data)
        .env("PUBLICA_LISTEN", config.listen.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    // Through the environment, not the command line, which any user can read in `ps`.
    if let Some(url) = &config.database_url {
        command.env("PUBLICA_DATABASE_URL", url.expose()).env_remove("PUBLICA_DATABASE_URL_FILE");
    }
    let status = command.status().await.context("cannot start the demo seeding process")?;
    if !status.success() {
        anyhow::bail!("seeding the demo failed ({status}); the messages above say why");
    }
    let path = credentials_path(config);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}
