//! Command-line interface: `publica serve|migrate|demo|audit|config|jobs|keys|admin|registry|exchange|identity`.

mod admin;
mod exchange;
mod identity;
mod jobs;
mod keys;
mod registry;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use publica_kernel::config::{Config, Secret};
use publica_kernel::{Block, Kernel};

#[derive(Parser, Debug)]
#[command(name = "publica", version, about = "The digital public infrastructure of a country, in one binary.")]
pub struct Cli {
    /// Data directory (SQLite database, master key, demo credentials) [env: PUBLICA_DATA]
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// `postgres://…` or `sqlite://…`; default: SQLite in the data directory [env: PUBLICA_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run migrations, then serve every block over HTTP.
    Serve {
        /// Seed Demoland and show its credentials at /demo.
        #[arg(long)]
        demo: bool,
        /// Address to listen on [env: PUBLICA_LISTEN; default 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Comma-separated blocks to serve (default: all) [env: PUBLICA_BLOCKS]
        #[arg(long, value_name = "LIST")]
        blocks: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// The demo country, Demoland.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// The durable job queue.
    Jobs {
        #[command(subcommand)]
        command: jobs::JobsCommand,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Registers: bulk import and export (CSV, JSON Lines).
    Registry {
        #[command(subcommand)]
        command: registry::RegistryCommand,
    },
    /// The exchange: its signed message log and each person's data-usage log.
    Exchange {
        #[command(subcommand)]
        command: exchange::ExchangeCommand,
    },
    /// The identity provider: its OpenID Connect clients.
    Identity {
        #[command(subcommand)]
        command: identity::IdentityCommand,
    },
}

#[derive(Subcommand, Debug)]
enum DemoCommand {
    /// Seed Demoland (idempotently) and write its credentials to DIR/demo-credentials.json.
    Seed {
        /// Address the server will listen on, which the demo's links and client registrations
        /// name [env: PUBLICA_LISTEN; default 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Run by `publica serve --demo`, which has already reported configuration warnings.
        #[arg(long, hide = true)]
        for_serve: bool,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Check every entry, link, checkpoint and the signed head; exit 1 naming the first bad entry.
    Verify,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print the effective configuration, secrets redacted.
    Show,
}

/// Every block this binary carries, in start-up order.
pub fn blocks() -> Vec<Arc<dyn Block>> {
    vec![
        Arc::new(publica_kernel::block::KernelBlock),
        Arc::new(publica_notify::NotifyBlock),
        Arc::new(publica_registry::RegistryBlock),
        Arc::new(publica_exchange::ExchangeBlock),
        Arc::new(publica_identity::IdentityBlock),
    ]
}

fn block_refs(blocks: &[Arc<dyn Block>]) -> Vec<&dyn Block> {
    blocks.iter().map(|b| b.as_ref()).collect()
}

/// The configuration from file and environment, with command-line options on top.
/// Warnings (unknown variables) are returned for the caller to report once logging is set up.
fn load_config(cli: &Cli, blocks: &[Arc<dyn Block>]) -> anyhow::Result<(Config, Vec<String>)> {
    let sections: Vec<(&str, serde_json::Value)> =
        blocks.iter().map(|b| (b.name(), b.config_defaults())).filter(|(_, d)| !d.is_null()).collect();
    let loaded = Config::load(&sections)?;
    let mut config = loaded.config;
    if let Some(data) = &cli.data {
        config.data = data.clone();
    }
    if let Some(url) = &cli.database_url {
        config.database_url = Some(Secret::new(url.clone()));
    }
    Ok((config, loaded.warnings))
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let blocks = blocks();
    let (mut config, warnings) = load_config(&cli, &blocks)?;
    let reported = matches!(
        cli.command,
        Command::Serve { .. } | Command::Demo { command: DemoCommand::Seed { for_serve: true, .. } }
    );
    if !reported {
        for warning in &warnings {
            eprintln!("warning: {warning}");
        }
    }
    match cli.command {
        Command::Serve { demo, listen, blocks: served } => {
            config.demo |= demo;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if served.is_some() {
                config.blocks = served;
            }
            crate::serve::serve(config, &warnings, blocks).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            crate::serve::init_logging(&config);
            Kernel::open(config, &block_refs(&blocks)).await.context("migration failed")?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { command: DemoCommand::Seed { listen, for_serve } } => {
            crate::serve::init_logging(&config);
            // The demo's settings (local back-channel logout URIs, for one) apply while seeding.
            config.demo = true;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            let kernel = Kernel::open(config, &block_refs(&blocks)).await.context("cannot open the database")?;
            let path = crate::demo::seed(&kernel, &blocks).await;
            kernel.db().close().await;
            let path = path?;
            if !for_serve {
                println!("Demoland seeded; credentials in {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let kernel = open_existing(config, &blocks).await?;
            match publica_kernel::audit::verify(kernel.db(), kernel.keys()).await? {
                Ok(v) => {
                    println!(
                        "audit log intact: {} entries, {} signed checkpoints, signed head verified",
                        v.entries, v.checkpoints
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(tampered) => {
                    eprintln!("audit log TAMPERED: {tampered}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Config { command: ConfigCommand::Show } => {
            print!("{}", config.show());
            Ok(ExitCode::SUCCESS)
        }
        Command::Jobs { command } => jobs::run(open_existing(config, &blocks).await?, command).await,
        Command::Keys { command } => keys::run(open_existing(config, &blocks).await?, command).await,
        Command::Admin { command } => admin::run(open_existing(config, &blocks).await?, command).await,
        Command::Registry { command } => registry::run(open_existing(config, &blocks).await?, command).await,
        Command::Exchange { command: exchange::ExchangeCommand::VerifyBundle { file } } => {
            exchange::verify_bundle(&file)
        }
        Command::Exchange { command } => exchange::run(open_existing(config, &blocks).await?, command).await,
        Command::Identity { command } => identity::run(open_existing(config, &blocks).await?, command).await,
    }
}

/// Open the kernel for a maintenance command; the schema must already be migrated.
async fn open_existing(config: Config, blocks: &[Arc<dyn Block>]) -> anyhow::Result<Kernel> {
    Kernel::open_existing(config, &block_refs(blocks)).await.context("cannot open the database")
}
