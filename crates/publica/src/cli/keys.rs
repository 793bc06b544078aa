//! `publica keys`: list and rotate signing keys.

use std::process::ExitCode;

use clap::Subcommand;
use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::Alg;
use publica_kernel::keys::Purpose;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List every key with its state.
    List,
    /// Make a new active key; the old one stays published for the overlap period.
    Rotate {
        /// RS256, ES256 or EdDSA
        #[arg(long)]
        alg: String,
        /// Rotate the audit-log signing key instead of a token-signing key (EdDSA only).
        #[arg(long)]
        audit: bool,
    },
}

pub async fn run(kernel: Kernel, command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::List => {
            println!("{:<44}  {:<6}  {:<8}  {:<27}  retires", "kid", "alg", "purpose", "created");
            for k in kernel.keys().list() {
                let retires = k.retire_at.map_or_else(|| "active".to_string(), |t| t.to_fixed());
                println!("{:<44}  {:<6}  {:<8}  {:<27}  {}", k.kid, k.alg, k.purpose, k.created_at.to_fixed(), retires);
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Rotate { alg, audit } => {
            let alg = Alg::parse(&alg).ok_or_else(|| anyhow::anyhow!("--alg must be RS256, ES256 or EdDSA"))?;
            let purpose = if audit { Purpose::Audit } else { Purpose::Signing };
            if audit && alg != Alg::EdDSA {
                anyhow::bail!("the audit key is EdDSA; use --alg EdDSA");
            }
            let overlap = time::Duration::days(i64::from(kernel.config().keys.overlap_days));
            let mut tx = kernel.db().begin().await?;
            let kid = kernel.keys().rotate(&mut tx, purpose, alg, overlap).await?;
            kernel.keys().reload(kernel.db()).await?;
            kernel
                .audit(
                    &mut tx,
                    Event::new(&Actor::operator(), "kernel.key.rotated", "key", &kid)
                        .details(serde_json::json!({ "alg": alg.as_str(), "purpose": purpose.as_str() })),
                )
                .await?;
            tx.commit().await?;
            println!(
                "new {alg} {} key {kid}; the previous one is published for {} more days",
                purpose.as_str(),
                overlap.whole_days()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
