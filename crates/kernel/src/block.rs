//! The kernel as a block: its migrations, API, jobs and the demo country's organisations.

use std::sync::Arc;

use crate::db::BlockMigrations;
use crate::error::Result;
use crate::jobs::{JobHandler, ProbeJob};
use crate::{Block, Kernel};

pub struct KernelBlock;

pub const MIGRATIONS: BlockMigrations = BlockMigrations {
    block: "kernel",
    sqlite: &[
        (1, "kernel", include_str!("../migrations/sqlite/0001_kernel.sql")),
        (2, "sealed api keys", include_str!("../migrations/sqlite/0002_sealed_api_keys.sql")),
    ],
    postgres: &[
        (1, "kernel", include_str!("../migrations/postgres/0001_kernel.sql")),
        (2, "sealed api keys", include_str!("../migrations/postgres/0002_sealed_api_keys.sql")),
    ],
};

#[async_trait::async_trait]
impl Block for KernelBlock {
    fn name(&self) -> &'static str {
        "kernel"
    }
    fn migrations(&self) -> BlockMigrations {
        MIGRATIONS
    }
    fn api_routes(&self, kernel: &Kernel) -> axum::Router {
        crate::api::routes(kernel.clone())
    }
    fn page_routes(&self, _kernel: &Kernel) -> axum::Router {
        // The kernel's pages are part of the web shell itself.
        axum::Router::new()
    }
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        <crate::api::KernelApi as utoipa::OpenApi>::openapi()
    }
    fn job_handlers(&self, _kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
        vec![Arc::new(ProbeJob)]
    }
    async fn seed_demo(&self, kernel: &Kernel) -> Result<serde_json::Value> {
        crate::demo::seed(kernel).await
    }
}
