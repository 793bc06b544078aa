//! The registry's integration tests, one module per area, each run on SQLite and (when
//! `PUBLICA_TEST_POSTGRES` is set) PostgreSQL.

mod bulk;
mod demo;
mod govstack;
mod migrate;
mod pages;
mod records;

use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::domain::{OrgKind, Slug};
use publica_kernel::testing::TestApp;
use publica_registry::{Registry, RegistryBlock};
use uuid::Uuid;

/// One app per backend with the registry block.
pub async fn apps() -> Vec<TestApp> {
    TestApp::each(&[Arc::new(RegistryBlock)]).await
}

pub fn registry(kernel: &Kernel) -> Arc<Registry> {
    kernel.get::<Registry>().expect("the registry block started")
}

/// An organisation with this slug, created if missing.
pub async fn org(kernel: &Kernel, slug: &str, kind: OrgKind) -> Uuid {
    if let Some(org) = kernel.organisation_by_slug(slug).await.expect("look up") {
        return org.id;
    }
    let slug = Slug::parse("slug", slug).expect("slug");
    kernel
        .create_organisation(&Actor::operator(), &slug, &format!("Test {}", slug.as_str()), kind)
        .await
        .expect("org")
        .id
}

/// The owners of the built-in registers: (civil registry, chamber of commerce).
pub async fn owners(kernel: &Kernel) -> (Uuid, Uuid) {
    (org(kernel, "civil-registry", OrgKind::Agency).await, org(kernel, "chamber-of-commerce", OrgKind::Agency).await)
}
