//! `publica admin`: the operator's break-glass tasks.

use std::process::ExitCode;

use clap::Subcommand;
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::domain::Email;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Print a single-use, short-lived sign-in link for a member (audited).
    LoginLink {
        #[arg(long)]
        email: String,
        /// The organisation's slug, when the address belongs to members of several.
        #[arg(long)]
        org: Option<String>,
    },
}

pub async fn run(kernel: Kernel, command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::LoginLink { email, org } => {
            let email = Email::parse("email", &email).map_err(|e| anyhow::anyhow!("--{e}"))?;
            let mut memberships = kernel.memberships(&email).await?;
            if let Some(slug) = &org {
                let org = kernel
                    .organisation_by_slug(slug)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no organisation with slug `{slug}`"))?;
                memberships.retain(|m| m.org_id == org.id);
            }
            let member = match memberships.as_slice() {
                [] => anyhow::bail!(
                    "no active member with the address {email}{}",
                    org.map(|o| format!(" in {o}")).unwrap_or_default()
                ),
                [one] => one.clone(),
                _ => anyhow::bail!("{email} is a member of several organisations; name one with --org SLUG"),
            };
            let token = kernel.issue_login_link(&Actor::operator(), member.id).await?;
            println!("{}/signin/link/{token}", kernel.config().public_base());
            eprintln!(
                "valid once, for {} minutes, for {} ({})",
                kernel.config().session.login_link_ttl_minutes,
                member.name,
                member.email
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
