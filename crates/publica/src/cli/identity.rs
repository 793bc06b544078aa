//! `publica identity clients list|create|show|delete|rotate-secret`: the OpenID Connect
//! provider's registered clients, managed by the operator (audited as `operator:cli`). Clients
//! print as JSON; a secret is printed once, when created or rotated.
//!
//! `publica identity accounts reset-factors --email ADDRESS`: the operator removes the second
//! factors of a person who lost them all (staff accounts cannot recover them by email).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use publica_identity::Identity;
use publica_identity::oidc::{ClientSettings, Manager, NewClient};
use publica_kernel::Kernel;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum IdentityCommand {
    /// The services that sign people in with Publica (OpenID Connect clients).
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// People's accounts.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// Remove every second factor of an account (authenticator app, security keys, phone,
    /// recovery codes), end its sessions and forget its devices, once you have checked who is
    /// asking by other means. The person then signs in with the password and sets up a
    /// second factor again. Audited.
    ResetFactors {
        /// The account's email address.
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// List clients, one JSON object per line.
    List {
        /// Only those of this organisation (its slug).
        #[arg(long)]
        org: Option<String>,
    },
    /// Register a client; prints it, with its secret (shown this once).
    Create(Box<CreateArgs>),
    /// Print one client.
    Show { client_id: String },
    /// Delete a client with every token and consent issued to it.
    Delete { client_id: String },
    /// Give a client a new secret (printed this once); the old one stops working.
    RotateSecret { client_id: String },
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The owning organisation's slug, e.g. `tax-office`.
    #[arg(long)]
    org: String,
    /// Shown to people on the consent page.
    #[arg(long)]
    name: String,
    /// A redirect URI, matched exactly (repeat for several).
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// Where the client may send people after logout (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are posted when a session ends.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// client_secret_basic (default), client_secret_post, private_key_jwt or none.
    #[arg(long)]
    auth_method: Option<String>,
    /// A file with the client's public keys as a JWK set (for private_key_jwt).
    #[arg(long, value_name = "FILE")]
    jwks: Option<PathBuf>,
    /// RS256 (default), ES256 or EdDSA.
    #[arg(long)]
    id_token_alg: Option<String>,
    /// Sign userinfo answers with RS256, ES256 or EdDSA.
    #[arg(long)]
    userinfo_alg: Option<String>,
    /// pairwise (default) or public.
    #[arg(long)]
    subject_type: Option<String>,
    /// A scope the client may ask for (repeatable; default openid profile email).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Allow refresh tokens.
    #[arg(long)]
    offline_access: bool,
    /// A resource server the client may name (RFC 8707 `resource`) as the audience of the
    /// tokens it asks for itself with client_credentials (repeatable).
    #[arg(long = "resource")]
    resources: Vec<String>,
    /// The acr value asked for when a request asks for less.
    #[arg(long)]
    default_acr: Option<String>,
    /// authorization_code, refresh_token or client_credentials (repeatable).
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Break the client's ID tokens on purpose (wrong_issuer, wrong_audience,
    /// bad_signature, expired, wrong_nonce, wrong_level) to test its error handling.
    #[arg(long)]
    simulate: Option<String>,
    /// A chosen client id (random otherwise).
    #[arg(long)]
    client_id: Option<String>,
    /// A file holding a chosen secret of at least 32 characters (random otherwise; a file
    /// keeps it out of the process list and the shell history).
    #[arg(long, value_name = "FILE")]
    client_secret_file: Option<PathBuf>,
}

pub async fn run(kernel: Kernel, command: IdentityCommand) -> anyhow::Result<ExitCode> {
    let Some(identity) = kernel.get::<Identity>() else {
        bail!("the identity block is not running in this process");
    };
    let command = match command {
        IdentityCommand::Clients { command } => command,
        IdentityCommand::Accounts { command: AccountsCommand::ResetFactors { email } } => {
            let removed = identity.reset_second_factors(&email, &publica_kernel::audit::Actor::operator()).await?;
            println!("{}", serde_json::to_string_pretty(&json!({ "email": email, "reset": removed }))?);
            return Ok(ExitCode::SUCCESS);
        }
    };
    let operator = Manager::operator();
    match command {
        ClientsCommand::List { org } => {
            let org_id = match org {
                Some(slug) => Some(org_id(&kernel, &slug).await?),
                None => None,
            };
            for client in identity.clients(&operator).await? {
                if org_id.is_none_or(|o| o == client.org_id) {
                    println!("{}", serde_json::to_string(&client)?);
                }
            }
        }
        ClientsCommand::Create(args) => {
            let CreateArgs {
                org,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                backchannel_logout_uri,
                auth_method,
                jwks,
                id_token_alg,
                userinfo_alg,
                subject_type,
                scopes,
                offline_access,
                resources,
                default_acr,
                grant_types,
                simulate,
                client_id,
                client_secret_file,
            } = *args;
            let org_id = org_id(&kernel, &org).await?;
            let jwks = match jwks {
                Some(path) => {
                    let text =
                        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                    Some(serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?)
                }
                None => None,
            };
            let settings = ClientSettings {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                backchannel_logout_uri,
                token_endpoint_auth_method: auth_method,
                jwks,
                id_token_signed_response_alg: id_token_alg,
                userinfo_signed_response_alg: userinfo_alg,
                subject_type,
                scopes: (!scopes.is_empty()).then_some(scopes),
                offline_access,
                default_acr,
                grant_types: (!grant_types.is_empty()).then_some(grant_types),
                simulate,
            };
            let client_secret = match client_secret_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?
                        .trim()
                        .to_string(),
                ),
                None => None,
            };
            let new = NewClient { settings, client_id, client_secret };
            let (client, secret) = identity.register_client_with_resources(&operator, org_id, new, &resources).await?;
            println!("{}", serde_json::to_string_pretty(&json!({ "client": client, "client_secret": secret }))?);
        }
        ClientsCommand::Show { client_id } => {
            println!("{}", serde_json::to_string_pretty(&identity.client(&client_id).await?)?);
        }
        ClientsCommand::Delete { client_id } => {
            identity.delete_client(&operator, &client_id).await?;
            println!("deleted {client_id}");
        }
        ClientsCommand::RotateSecret { client_id } => {
            let secret = identity.rotate_client_secret(&operator, &client_id).await?;
            println!("{}", serde_json::to_string_pretty(&json!({ "client_id": client_id, "client_secret": secret }))?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn org_id(kernel: &Kernel, slug: &str) -> anyhow::Result<uuid::Uuid> {
    match kernel.organisation_by_slug(slug).await? {
        Some(org) => Ok(org.id),
        None => bail!("no organisation `{slug}` (see `publica admin` for organisations)"),
    }
}
