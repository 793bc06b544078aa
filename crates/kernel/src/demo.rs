//! Demoland, the fictional country of the demo: its platform operator, agencies, a business
//! and their civil servants, seeded idempotently. API keys are derived from the master key, so
//! a re-seed finds the same tokens and `demo-credentials.json` stays valid.

use serde_json::json;

use crate::Kernel;
use crate::audit::Actor;
use crate::crypto::{b64url, hmac_sha256};
use crate::domain::{Email, OrgKind, Roles, Slug};
use crate::error::{Error, Result};

struct DemoOrg {
    slug: &'static str,
    name: &'static str,
    kind: OrgKind,
    members: &'static [(&'static str, &'static str, &'static [&'static str])],
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        slug: "demoland-digital",
        name: "Demoland Digital Agency",
        kind: OrgKind::Platform,
        members: &[("operator@digital.demoland.example", "Ada Operator", &["admin", "auditor", "member"])],
    },
    DemoOrg {
        slug: "interior",
        name: "Ministry of the Interior",
        kind: OrgKind::Agency,
        members: &[
            ("registrar@interior.demoland.example", "Rémi Registrar", &["admin", "member"]),
            ("clerk@interior.demoland.example", "Chloé Clerk", &["member"]),
        ],
    },
    DemoOrg {
        slug: "tax-office",
        name: "Demoland Tax Office",
        kind: OrgKind::Agency,
        members: &[
            ("inspector@tax.demoland.example", "Ines Inspector", &["admin", "member"]),
            ("auditor@tax.demoland.example", "Omar Auditor", &["auditor", "member"]),
        ],
    },
    DemoOrg {
        slug: "capital-city",
        name: "City of Demopolis",
        kind: OrgKind::Agency,
        members: &[("mayor-office@demopolis.demoland.example", "Maya Office", &["admin", "member"])],
    },
    DemoOrg {
        slug: "health-fund",
        name: "Demoland Health Insurance Fund",
        kind: OrgKind::Agency,
        members: &[("case-worker@health.demoland.example", "Hugo Caseworker", &["admin", "member"])],
    },
    DemoOrg {
        slug: "civil-registry",
        name: "Demoland Civil Registry",
        kind: OrgKind::Agency,
        members: &[("registrar@civil-registry.demoland.example", "Rosa Registrar", &["admin", "member"])],
    },
    DemoOrg {
        slug: "chamber-of-commerce",
        name: "Demoland Chamber of Commerce",
        kind: OrgKind::Agency,
        members: &[("clerk@chamber.demoland.example", "Claude Clerk", &["admin", "member"])],
    },
    DemoOrg {
        slug: "acme-bakery",
        name: "Acme Bakery Ltd",
        kind: OrgKind::Business,
        members: &[("owner@acme-bakery.example", "Béatrice Baker", &["admin", "member"])],
    },
];

/// Bytes derived from the master key for the demo datum named `label`: the same on every seed
/// of a data directory, so ids and keys in `demo-credentials.json` stay valid.
pub fn derived(kernel: &Kernel, label: &str) -> [u8; 32] {
    hmac_sha256(&kernel.keys().master().derive("publica-demo-v1"), label.as_bytes())
}

/// The demo API key of `block` for an organisation (`publica_{block}_…`, derived from `label`),
/// stored on the first seed.
pub async fn api_key(kernel: &Kernel, org_id: uuid::Uuid, block: &str, name: &str, label: &str) -> Result<String> {
    let token = format!("publica_{block}_{}", b64url(&derived(kernel, label)));
    match kernel.insert_api_key(&Actor::system("demo"), org_id, block, name, &token).await {
        Ok(_) | Err(Error::Conflict(_)) => Ok(token),
        Err(e) => Err(e),
    }
}

/// Seed Demoland's organisations, members and one kernel API key per organisation.
pub async fn seed(kernel: &Kernel) -> Result<serde_json::Value> {
    let actor = Actor::system("demo");
    let mut orgs = Vec::new();
    for demo in ORGS {
        let org = match kernel.organisation_by_slug(demo.slug).await? {
            Some(org) => org,
            None => kernel.create_organisation(&actor, &Slug::parse("slug", demo.slug)?, demo.name, demo.kind).await?,
        };
        let existing = kernel.members(org.id).await?;
        let mut members = Vec::new();
        for (email, name, roles) in demo.members {
            if !existing.iter().any(|m| m.email == *email) {
                let roles = Roles::parse_list("roles", &roles.iter().map(|r| r.to_string()).collect::<Vec<_>>())?;
                kernel.add_member(&actor, org.id, &Email::parse("email", email)?, name, &roles).await?;
            }
            members.push(json!({ "email": email, "name": name, "roles": roles }));
        }
        let token = api_key(kernel, org.id, "kernel", "Demo kernel key", &format!("kernel:{}", demo.slug)).await?;
        orgs.push(json!({
            "slug": demo.slug,
            "name": demo.name,
            "kind": demo.kind.as_str(),
            "members": members,
            "api_key": token,
        }));
    }
    Ok(json!({
        "organisations": orgs,
        "sign_in": "publica admin login-link --email operator@digital.demoland.example",
    }))
}
