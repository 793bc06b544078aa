//! Publica's kernel: what every block shares — configuration, the database on SQLite or
//! PostgreSQL, errors, organisations and API keys, staff sessions, the audit log, the job queue,
//! signing keys, the web shell with its translations, metrics and API documentation.
//!
//! A block (notify, registry, …) implements [`Block`] and receives a [`Kernel`], the handle to
//! all of the above.

pub mod api;
pub mod audit;
pub mod block;
pub mod citizen;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod jobs;
pub mod jose;
pub mod keys;
pub mod orgs;
pub mod sealed_keys;
pub mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod web;

use std::any::{Any, TypeId};
use std::sync::{Arc, RwLock};

pub use axum;
pub use utoipa;

use crate::config::Config;
use crate::crypto::MasterKey;
use crate::db::{BlockMigrations, Db, MigrationStatus, Tx};
use crate::error::Result;
use crate::keys::Keyring;

/// A building block of Publica: its tables, routes, API description, jobs and demo data.
#[async_trait::async_trait]
pub trait Block: Send + Sync + 'static {
    /// Lowercase name: the prefix of its tables, its API keys' scope, its OpenAPI file name.
    fn name(&self) -> &'static str;
    /// Defaults of the block's own configuration section (`[notify]`, `PUBLICA_NOTIFY__…`);
    /// `Null` when it has none. Read it with `kernel.config().section::<T>(name)`.
    fn config_defaults(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn migrations(&self) -> BlockMigrations;
    /// Links to the block's staff pages for the back office: `(message id, path)`.
    fn staff_links(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// The block's Fluent messages (`locales/{en,fr}/{block}.ftl`), added to the kernel's.
    fn locales(&self) -> &'static [(i18n::Lang, &'static str)] {
        &[]
    }
    /// Called once when the kernel opens, after migrations: check configuration and register
    /// the block's services with [`Kernel::provide`], so routes and jobs can [`Kernel::get`] them.
    async fn start(&self, _kernel: &Kernel) -> Result<()> {
        Ok(())
    }
    /// JSON API routes (authenticated by API keys or tokens; no CSRF).
    fn api_routes(&self, kernel: &Kernel) -> axum::Router;
    /// HTML pages (cookie sessions; CSRF-checked).
    fn page_routes(&self, kernel: &Kernel) -> axum::Router;
    fn openapi(&self) -> utoipa::openapi::OpenApi;
    fn job_handlers(&self, kernel: &Kernel) -> Vec<Arc<dyn jobs::JobHandler>>;
    /// Called about once a minute by every serving process: purge what is past its retention
    /// period, expire what is due. Must be safe to run from several processes at once.
    async fn housekeeping(&self, _kernel: &Kernel) -> Result<()> {
        Ok(())
    }
    /// Seed demo data idempotently; return what goes under this block's key in
    /// `demo-credentials.json`.
    async fn seed_demo(&self, kernel: &Kernel) -> Result<serde_json::Value>;
}

/// The handle every block holds: cheap to clone.
#[derive(Clone)]
pub struct Kernel {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: Db,
    keys: Keyring,
    i18n: i18n::I18n,
    blocks: Vec<&'static str>,
    migrations: Vec<BlockMigrations>,
    csrf_key: [u8; 32],
    demo: RwLock<Option<serde_json::Value>>,
    job_wake: Arc<tokio::sync::Notify>,
    services: RwLock<rustc_hash::FxHashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    staff_links: Vec<(&'static str, &'static str)>,
    /// `http.trusted_proxies`, parsed once (the configuration was checked when it was loaded).
    trusted_proxies: Vec<ipnet::IpNet>,
}

impl Kernel {
    /// Connect, run every block's migrations and open the keyring.
    pub async fn open(config: Config, blocks: &[&dyn Block]) -> Result<Kernel> {
        let db = Db::connect(&config).await?;
        let migrations: Vec<BlockMigrations> = blocks.iter().map(|b| b.migrations()).collect();
        for m in &migrations {
            m.run(&db).await?;
        }
        let kernel = Self::open_migrated(config, db, blocks, migrations).await?;
        kernel.start(blocks).await?;
        Ok(kernel)
    }

    async fn start(&self, blocks: &[&dyn Block]) -> Result<()> {
        for block in blocks {
            block.start(self).await?;
        }
        Ok(())
    }

    /// Connect without migrating (for maintenance commands such as `audit verify`); fails,
    /// naming the fix, when the database lacks migrations.
    pub async fn open_existing(config: Config, blocks: &[&dyn Block]) -> Result<Kernel> {
        let db = Db::connect(&config).await?;
        let migrations: Vec<BlockMigrations> = blocks.iter().map(|b| b.migrations()).collect();
        if let Some(problem) = MigrationStatus::of_all(&db, &migrations).await?.problem() {
            return Err(error::Error::Unavailable(problem));
        }
        let kernel = Self::open_migrated(config, db, blocks, migrations).await?;
        kernel.start(blocks).await?;
        Ok(kernel)
    }

    async fn open_migrated(
        config: Config,
        db: Db,
        blocks: &[&dyn Block],
        migrations: Vec<BlockMigrations>,
    ) -> Result<Kernel> {
        let locales: Vec<(i18n::Lang, &'static str)> =
            blocks.iter().flat_map(|b| b.locales().iter().copied()).collect();
        let master = MasterKey::load_or_create(config.master_key.as_ref().map(|s| s.expose()), &config.data)
            .map_err(error::Error::internal)?;
        let csrf_key = master.derive("publica-csrf-v1");
        let keys = Keyring::open(&db, master).await?;
        let trusted_proxies = config.http.trusted_proxy_networks().map_err(error::Error::internal)?;
        Ok(Kernel {
            inner: Arc::new(Inner {
                trusted_proxies,
                config,
                db,
                keys,
                i18n: i18n::I18n::load_with(&locales),
                blocks: blocks.iter().map(|b| b.name()).collect(),
                migrations,
                csrf_key,
                demo: RwLock::new(None),
                job_wake: Arc::new(tokio::sync::Notify::new()),
                services: RwLock::new(Default::default()),
                staff_links: blocks.iter().flat_map(|b| b.staff_links().iter().copied()).collect(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    /// The reverse proxies whose `X-Forwarded-For` is believed (`http.trusted_proxies`).
    pub fn trusted_proxies(&self) -> &[ipnet::IpNet] {
        &self.inner.trusted_proxies
    }
    pub fn db(&self) -> &Db {
        &self.inner.db
    }
    pub fn keys(&self) -> &Keyring {
        &self.inner.keys
    }
    pub fn i18n(&self) -> &i18n::I18n {
        &self.inner.i18n
    }
    pub(crate) fn csrf_key(&self) -> &[u8; 32] {
        &self.inner.csrf_key
    }
    pub fn block_names(&self) -> Vec<&'static str> {
        self.inner.blocks.clone()
    }
    /// Every block's links to its staff pages: `(message id, path)`.
    pub fn staff_links(&self) -> &[(&'static str, &'static str)] {
        &self.inner.staff_links
    }
    pub fn knows_block(&self, name: &str) -> bool {
        self.inner.blocks.contains(&name)
    }

    /// Record an audit event inside the caller's transaction.
    pub async fn audit(&self, tx: &mut Tx, event: audit::Event) -> Result<i64> {
        audit::append(tx, &self.inner.keys, event).await
    }

    /// Enqueue a job inside the caller's transaction and wake the local worker; if it looks
    /// before the caller commits, it finds the job at its next poll.
    pub async fn enqueue(&self, tx: &mut Tx, job: jobs::NewJob) -> Result<Option<uuid::Uuid>> {
        let id = jobs::enqueue(tx, job, self.inner.config.jobs.max_attempts).await?;
        self.inner.job_wake.notify_one();
        Ok(id)
    }

    /// Wakes this process's job worker; pass it to [`jobs::Worker::new`].
    pub fn job_wake(&self) -> Arc<tokio::sync::Notify> {
        self.inner.job_wake.clone()
    }

    /// Whether every block's migrations are applied.
    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        Ok(MigrationStatus::of_all(&self.inner.db, &self.inner.migrations).await?)
    }

    /// Register a block's service (one value per type), usually from [`Block::start`].
    pub fn provide<T: Send + Sync + 'static>(&self, service: T) {
        self.inner.services.write().unwrap_or_else(|e| e.into_inner()).insert(TypeId::of::<T>(), Arc::new(service));
    }

    /// A service registered with [`Kernel::provide`].
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let services = self.inner.services.read().unwrap_or_else(|e| e.into_inner());
        services.get(&TypeId::of::<T>()).cloned().and_then(|s| s.downcast::<T>().ok())
    }

    /// The service of type `T`, made by `make` and registered on first use; callers that race
    /// all get the one registered first.
    pub fn get_or_provide<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        if let Some(service) = self.get::<T>() {
            return service;
        }
        let mut services = self.inner.services.write().unwrap_or_else(|e| e.into_inner());
        let service = services.entry(TypeId::of::<T>()).or_insert_with(|| Arc::new(make())).clone();
        service.downcast::<T>().unwrap_or_else(|_| unreachable!("services are keyed by their type"))
    }

    /// The demo credentials, when this process seeded the demo.
    pub fn demo_credentials(&self) -> Option<serde_json::Value> {
        self.inner.demo.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn set_demo_credentials(&self, value: serde_json::Value) {
        *self.inner.demo.write().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }
}
