//! `publica exchange`: check and archive the exchange's signed message log, and print a
//! person's data-usage log.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use publica_exchange::log;
use publica_kernel::Kernel;
use publica_kernel::db::Timestamp;

#[derive(Subcommand, Debug)]
pub enum ExchangeCommand {
    /// Check every entry, link and batch signature of the message log; exit 1 naming the
    /// first bad entry.
    VerifyLog,
    /// Write a signed archive bundle of the message log, verifiable offline.
    ExportLog {
        /// First entry (sequence number) of the bundle.
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// Last entry; default: the newest.
        #[arg(long)]
        to: Option<i64>,
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify an archive bundle offline (no database needed).
    VerifyBundle {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print a person's data-usage log, newest first, as JSON lines (embargoed entries hidden).
    Usage {
        #[arg(value_name = "NATIONAL_ID")]
        national_id: String,
        /// At most this many entries.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

/// `verify-bundle` needs no database; the caller runs it before opening the kernel.
pub fn verify_bundle(file: &PathBuf) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    match log::verify_bundle(&bytes) {
        Ok(report) => {
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            eprintln!("bundle INVALID: {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub async fn run(kernel: Kernel, command: ExchangeCommand) -> anyhow::Result<ExitCode> {
    match command {
        ExchangeCommand::VerifyLog => {
            let (intact, summary) = log::verify_summary(kernel.db(), kernel.keys()).await?;
            if intact {
                println!("{summary}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{summary}");
                Ok(ExitCode::FAILURE)
            }
        }
        ExchangeCommand::ExportLog { from, to, out } => {
            let bytes = log::export_bundle(kernel.db(), kernel.keys(), from, to).await?;
            std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {} ({} bytes); check it with `publica exchange verify-bundle`", out.display(), bytes.len());
            Ok(ExitCode::SUCCESS)
        }
        ExchangeCommand::VerifyBundle { file } => verify_bundle(&file),
        ExchangeCommand::Usage { national_id, limit } => {
            let mut cursor: Option<String> = None;
            let mut printed = 0;
            while printed < limit {
                let page = log::usage(
                    kernel.db(),
                    &national_id,
                    cursor.as_deref(),
                    (limit - printed).min(500),
                    Timestamp::now(),
                )
                .await?;
                for entry in &page.entries {
                    println!("{entry}");
                }
                printed += page.entries.len() as i64;
                match page.next_cursor {
                    Some(next) if !page.entries.is_empty() => cursor = Some(next),
                    _ => break,
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
