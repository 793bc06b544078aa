//! The `Registry` service: register definitions, bitemporal reads, search and the change feed
//! here; writes in [`write`]. Other blocks reach registers only through it.

mod batch;
mod config;
mod write;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use publica_kernel::Kernel;
use publica_kernel::audit::{Actor, Event};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use serde_json::{Value, json};

pub use batch::{BatchWriter, PreparedRecord};
pub use config::RegistryConfig;

use crate::domain::schema::CompiledRegister;
use crate::domain::{AsOf, BUSINESSES, ChangeKind, POPULATION, Record, RegisterInfo, builtin, register};
use crate::store;

/// Builds a built-in register's definition for its owner.
type Definition = fn(uuid::Uuid) -> RegisterInfo;

/// Most records one search page returns.
pub const MAX_SEARCH_LIMIT: i64 = 1000;
/// Most version rows one change feed page returns.
pub const MAX_FEED_LIMIT: i64 = 10_000;

/// The registers of the country: provided by `RegistryBlock::start`, fetched with
/// `kernel.get::<Registry>()`.
///
/// The built-in registers (`population`, `businesses`) are defined lazily, because their owner
/// organisations (configured by slug, see [`RegistryConfig`]) may not exist when the block
/// starts: [`Registry::ensure_builtin`] defines each one whose owner exists and that is not yet
/// defined. It runs at start, at demo seeding, and on the first look-up of a built-in register
/// (or of the list of registers) until both are defined.
pub struct Registry {
    kernel: Kernel,
    config: RegistryConfig,
    /// Compiled schemas by register name, each for the version it was compiled from.
    compiled: RwLock<HashMap<String, Arc<CompiledRegister>>>,
    /// Register names known to exist (registers are never removed).
    known: RwLock<HashSet<String>>,
    builtins_ready: AtomicBool,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    /// The service with the `[registry]` configuration section (its defaults when the section
    /// is unreadable; `RegistryBlock::start` reports a bad section before this runs).
    pub fn new(kernel: Kernel) -> Registry {
        let config = kernel.config().section::<RegistryConfig>("registry").unwrap_or_default();
        Registry::with_config(kernel, config)
    }

    pub fn with_config(kernel: Kernel, config: RegistryConfig) -> Registry {
        Registry {
            kernel,
            config,
            compiled: RwLock::new(HashMap::new()),
            known: RwLock::new(HashSet::new()),
            builtins_ready: AtomicBool::new(false),
        }
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Every register, by name.
    pub async fn registers(&self) -> Result<Vec<RegisterInfo>> {
        if !self.builtins_ready.load(Ordering::Acquire) {
            self.ensure_builtin().await?;
        }
        store::registers::all(self.kernel.db()).await
    }

    /// One register's definition (read afresh: another process may have defined a new version).
    pub async fn register(&self, name: &str) -> Result<RegisterInfo> {
        if let Some(info) = store::registers::get(self.kernel.db(), name).await? {
            write_lock(&self.known).insert(info.name.clone());
            return Ok(info);
        }
        if (name == POPULATION || name == BUSINESSES) && !self.builtins_ready.load(Ordering::Acquire) {
            self.ensure_builtin().await?;
            if let Some(info) = store::registers::get(self.kernel.db(), name).await? {
                return Ok(info);
            }
        }
        Err(Error::not_found(format!("register `{name}`")))
    }

    /// Fail with NotFound unless the register exists.
    async fn ensure_exists(&self, name: &str) -> Result<()> {
        if read(&self.known).contains(name) {
            return Ok(());
        }
        self.register(name).await.map(|_| ())
    }

    /// Define a register, or a new version of one. Idempotent: the same definition again
    /// changes nothing. A `(name, version)` is never redefined differently (Conflict): give a
    /// changed definition a new version. When the searchable fields change, the search index
    /// is rebuilt from every record's latest version. Audited as `registry.register.defined`.
    pub async fn define(&self, actor: &Actor, info: RegisterInfo) -> Result<()> {
        info.check()?;
        let compiled = Arc::new(CompiledRegister::new(&info)?);
        match self.kernel.organisation(info.owner_org).await {
            Ok(_) => {}
            Err(Error::NotFound(_)) => return Err(Error::invalid("owner_org", "no organisation has this id")),
            Err(e) => return Err(e),
        }
        let mut tx = self.kernel.db().begin().await?;
        let existing = store::registers::get_for_update(&mut tx, &info.name).await?;
        if let Some(existing) = &existing {
            if *existing == info {
                write_lock(&self.known).insert(info.name.clone());
                return Ok(());
            }
            if existing.version == info.version {
                return Err(Error::Conflict(format!(
                    "register `{}` version {} is defined differently; give the new definition a new version",
                    info.name, info.version
                )));
            }
        }
        store::registers::upsert(&mut tx, &info, Timestamp::now()).await?;
        if let Some(existing) = &existing
            && existing.index_fields() != compiled.index_fields
        {
            write::rebuild_index(&mut tx, &info.name, &compiled.index_fields).await?;
        }
        self.kernel
            .audit(
                &mut tx,
                Event::new(actor, "registry.register.defined", "register", &info.name).org(info.owner_org).details(
                    json!({
                        "version": info.version,
                        "previous_version": existing.as_ref().map(|e| e.version.clone()),
                        "title": info.title,
                        "owner_org": info.owner_org,
                    }),
                ),
            )
            .await?;
        tx.commit().await?;
        write_lock(&self.known).insert(info.name.clone());
        write_lock(&self.compiled).insert(info.name.clone(), compiled);
        Ok(())
    }

    /// Define each built-in register whose owner organisation exists and that is not defined
    /// yet (with [`RegistryConfig`]'s owners). An existing definition is left as it is, even if
    /// the configured owner changed: that takes a new version through [`Registry::define`].
    pub async fn ensure_builtin(&self) -> Result<()> {
        if self.builtins_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let builtins: [(&str, &str, Definition); 2] = [
            (POPULATION, &self.config.population_owner, builtin::population),
            (BUSINESSES, &self.config.businesses_owner, builtin::businesses),
        ];
        let mut ready = true;
        for (name, owner_slug, definition) in builtins {
            if store::registers::get(self.kernel.db(), name).await?.is_some() {
                continue;
            }
            match self.kernel.organisation_by_slug(owner_slug).await? {
                Some(org) => self.define(&Actor::system("registry"), definition(org.id)).await?,
                None => {
                    tracing::debug!(register = name, owner = owner_slug, "built-in register waits for its owner");
                    ready = false;
                }
            }
        }
        if ready {
            self.builtins_ready.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// The compiled checks of a register version, compiled on first use.
    pub(crate) fn compiled(&self, info: &RegisterInfo) -> Result<Arc<CompiledRegister>> {
        if let Some(compiled) = read(&self.compiled).get(&info.name)
            && compiled.version == info.version
        {
            return Ok(compiled.clone());
        }
        let compiled = Arc::new(CompiledRegister::new(info)?);
        write_lock(&self.compiled).insert(info.name.clone(), compiled.clone());
        Ok(compiled)
    }

    /// Validate one record's data against the register (identifier, then schema) and return
    /// its identifier. The error names the JSON pointer of the field and the problem. Cheap:
    /// compiled schemas are cached per register version, so pass definitions as
    /// [`Registry::register`] returns them.
    pub fn validate(&self, register: &RegisterInfo, data: &Value) -> Result<String> {
        self.compiled(register)?.validate(data)
    }

    /// A record as of a valid time and a transaction time (`None`: now). `None` when it did
    /// not exist then, or was deleted.
    pub async fn get(&self, register: &str, id: &str, as_of: &AsOf) -> Result<Option<Record>> {
        self.ensure_exists(register).await?;
        let db = self.kernel.db();
        let valid_at = as_of.valid_at.unwrap_or_else(Timestamp::now);
        let record = match as_of.known_at {
            None => store::current(db, register, id, valid_at).await?,
            Some(known_at) => store::known(db, register, id, valid_at, known_at).await?,
        };
        Ok(record.filter(|r| r.kind != ChangeKind::Deleted))
    }

    /// Whether a record holds now.
    pub async fn exists(&self, register: &str, id: &str) -> Result<bool> {
        self.ensure_exists(register).await?;
        store::exists(self.kernel.db(), register, id, Timestamp::now()).await
    }

    /// Every version row of a record, by sequence number, including closed and superseded
    /// ones and the deletion. NotFound when the register never held the record.
    pub async fn history(&self, register: &str, id: &str) -> Result<Vec<Record>> {
        self.ensure_exists(register).await?;
        let rows = store::history(self.kernel.db(), register, id).await?;
        if rows.is_empty() {
            return Err(Error::not_found(format!("{register} record {id}")));
        }
        Ok(rows)
    }

    /// Exact-match search on searchable fields (all filters must match), by identifier after
    /// `after_id`, at most `limit` (1 to [`MAX_SEARCH_LIMIT`]). It returns each matching
    /// record's latest version, deleted records excluded; with no filter, every record. A
    /// filter names a field by its short name (see [`RegisterInfo`]).
    pub async fn search(
        &self,
        register: &str,
        filters: &[(String, String)],
        after_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Record>> {
        let info = self.register(register).await?;
        self.search_in(&info, filters, after_id, limit).await
    }

    /// [`Registry::search`] in a register whose definition the caller has just read (as
    /// [`Registry::register`] returns it), so that paging through results reads it once.
    pub async fn search_in(
        &self,
        info: &RegisterInfo,
        filters: &[(String, String)],
        after_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Record>> {
        let register = info.name.as_str();
        let compiled = self.compiled(info)?;
        let fields = &compiled.index_fields;
        for (field, value) in filters {
            if !fields.iter().any(|f| &f.name == field) {
                let names = fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ");
                return Err(Error::invalid(
                    field,
                    format!("not a searchable field of register `{register}`; searchable: {names}"),
                ));
            }
            if value.len() > register::MAX_INDEXED_VALUE_LEN {
                return Err(Error::invalid(field, "too long to be a searchable value"));
            }
        }
        let limit = limit.clamp(1, MAX_SEARCH_LIMIT);
        store::search(self.kernel.db(), register, filters, after_id.unwrap_or(""), limit).await
    }

    /// The change feed: version rows that record a new fact (created, changed, corrected,
    /// deleted), with `seq > after`, ascending, at most `limit` (1 to [`MAX_FEED_LIMIT`]).
    /// Follow it with the last `seq` seen as the next `after`.
    pub async fn changes(&self, register: &str, after: i64, limit: i64) -> Result<Vec<Record>> {
        self.ensure_exists(register).await?;
        store::changes(self.kernel.db(), register, after.max(0), limit.clamp(1, MAX_FEED_LIMIT)).await
    }

    /// Whether a register holds any record (in any version).
    pub async fn has_records(&self, register: &str) -> Result<bool> {
        self.ensure_exists(register).await?;
        store::has_records(self.kernel.db(), register).await
    }
}
