//! `publica jobs`: list, retry and probe the durable job queue.

use std::process::ExitCode;

use clap::Subcommand;
use publica_kernel::Kernel;
use publica_kernel::jobs::{self, NewJob};
use uuid::Uuid;

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// queued, running, succeeded or dead
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead job back in the queue with fresh attempts.
    Retry { id: Uuid },
    /// Enqueue probe jobs that wait and succeed, to check the workers and measure throughput.
    Probe {
        #[arg(long, default_value_t = 1)]
        count: u32,
        #[arg(long, default_value_t = 0)]
        sleep_ms: u64,
    },
}

pub async fn run(kernel: Kernel, command: JobsCommand) -> anyhow::Result<ExitCode> {
    match command {
        JobsCommand::List { state, limit } => {
            if let Some(s) = &state
                && !["queued", "running", "succeeded", "dead"].contains(&s.as_str())
            {
                anyhow::bail!("--state must be one of queued, running, succeeded, dead");
            }
            let rows = jobs::list(kernel.db(), state.as_deref(), limit).await?;
            println!("{:<36}  {:<24}  {:<9}  {:>8}  {:<27}  last error", "id", "kind", "state", "attempts", "run at");
            for j in rows {
                println!(
                    "{:<36}  {:<24}  {:<9}  {:>4}/{:<3}  {:<27}  {}",
                    j.id,
                    j.kind,
                    j.state,
                    j.attempts,
                    j.max_attempts,
                    j.run_at.to_fixed(),
                    j.last_error.unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsCommand::Retry { id } => {
            jobs::retry(kernel.db(), id).await?;
            println!("job {id} queued again");
            Ok(ExitCode::SUCCESS)
        }
        JobsCommand::Probe { count, sleep_ms } => {
            let batch = Uuid::now_v7();
            let mut tx = kernel.db().begin().await?;
            for i in 0..count {
                let job =
                    NewJob::new("kernel.probe", format!("{batch}:{i}"), serde_json::json!({ "sleep_ms": sleep_ms }));
                kernel.enqueue(&mut tx, job).await?;
            }
            tx.commit().await?;
            println!("{count} probe jobs enqueued (batch {batch})");
            Ok(ExitCode::SUCCESS)
        }
    }
}
