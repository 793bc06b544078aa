//! What the gateway checks on every call, cached in memory: e-services by path, clients and
//! purposes with their agreements. Every lifecycle change bumps a version number in the
//! database (in the change's own transaction); each process polls it twice a second and drops
//! its cache when it moved, and the process that made the change drops it at once. A
//! suspension therefore takes effect within about half a second everywhere, while calls do no
//! database reads for authorisation.
//!
//! Vouchers whose signature, issuer and form were checked are remembered by their SHA-256 until
//! they expire (at most [`MAX_VOUCHERS`]), so a client reusing its voucher costs one hash per
//! call instead of a signature verification; their times are checked again on every call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use publica_kernel::Kernel;
use publica_kernel::error::Result;
use uuid::Uuid;

use crate::domain::{Agreement, Client, EService, Purpose, Subsystem};
use crate::store;
use crate::token::voucher::{LEEWAY, VoucherClaims};

/// How often each process looks at the authorisation version.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Entries kept per map before the cache starts over (bounds unknown-path lookups).
const MAX_ENTRIES: usize = 50_000;

/// Verified vouchers remembered at most; past it, expired ones are dropped, then all.
pub const MAX_VOUCHERS: usize = 20_000;

/// An e-service as the gateway resolves it from a path.
#[derive(Debug)]
pub struct ServiceEntry {
    pub eservice: EService,
}

/// A client with the subsystem it calls for.
#[derive(Debug)]
pub struct ClientEntry {
    pub client: Client,
    pub subsystem: Subsystem,
}

/// A purpose with what decides whether it may be used now.
#[derive(Debug)]
pub struct PurposeEntry {
    pub purpose: Purpose,
    /// The consumer's pending, active or suspended agreement for the e-service, if any.
    pub agreement: Option<Agreement>,
    pub consumer: Subsystem,
    pub consumer_name: String,
}

type ServiceKey = (String, String, String, String);

#[derive(Default)]
struct Maps {
    services: HashMap<ServiceKey, Option<Arc<ServiceEntry>>>,
    clients: HashMap<Uuid, Option<Arc<ClientEntry>>>,
    purposes: HashMap<Uuid, Option<Arc<PurposeEntry>>>,
}

/// The cache; see the module documentation.
pub struct StateCache {
    kernel: Kernel,
    instance: String,
    maps: RwLock<Maps>,
    /// Bumped by every invalidation: a load that started before one is not kept.
    generation: AtomicU64,
    /// Verified vouchers by the SHA-256 of their compact form.
    vouchers: RwLock<HashMap<[u8; 32], Arc<VoucherClaims>>>,
}

impl StateCache {
    /// The cache and its watcher, which ends when the cache is dropped.
    pub fn start(kernel: Kernel, instance: String) -> Arc<StateCache> {
        let cache = Arc::new(StateCache {
            kernel,
            instance,
            maps: RwLock::default(),
            generation: AtomicU64::new(0),
            vouchers: RwLock::default(),
        });
        let weak = Arc::downgrade(&cache);
        tokio::spawn(watch(weak));
        cache
    }

    /// Forget everything cached.
    pub fn invalidate(&self) {
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        *maps = Maps::default();
        drop(maps);
        self.vouchers.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The claims of a voucher verified before (by [`StateCache::remember_voucher`]), if it is
    /// still within its times at `now` (Unix seconds). Anything else is verified afresh.
    pub fn verified_voucher(&self, digest: &[u8; 32], now: i64) -> Option<Arc<VoucherClaims>> {
        let vouchers = self.vouchers.read().unwrap_or_else(|e| e.into_inner());
        vouchers.get(digest).filter(|c| c.exp + LEEWAY > now && c.nbf - LEEWAY <= now).cloned()
    }

    /// Remember a voucher whose signature, issuer and form verified.
    pub fn remember_voucher(&self, digest: [u8; 32], claims: Arc<VoucherClaims>, now: i64) {
        let mut vouchers = self.vouchers.write().unwrap_or_else(|e| e.into_inner());
        if vouchers.len() >= MAX_VOUCHERS {
            vouchers.retain(|_, c| c.exp + LEEWAY > now);
            if vouchers.len() >= MAX_VOUCHERS {
                vouchers.clear();
            }
        }
        vouchers.insert(digest, claims);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Keep a loaded value unless the cache was invalidated since the load began.
    fn keep(&self, generation: u64, put: impl FnOnce(&mut Maps)) {
        let mut maps = self.maps.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            if maps.services.len() + maps.clients.len() + maps.purposes.len() > MAX_ENTRIES {
                *maps = Maps::default();
            }
            put(&mut maps);
        }
    }

    /// The e-service at `/r1/{instance}/{class}/{member}/{subsystem}/{code}`.
    pub async fn service(
        &self,
        class: &str,
        member: &str,
        subsystem: &str,
        code: &str,
    ) -> Result<Option<Arc<ServiceEntry>>> {
        let key = (class.to_string(), member.to_string(), subsystem.to_string(), code.to_string());
        if let Some(found) = self.read().services.get(&key) {
            return Ok(found.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let loaded = store::catalogue::by_path(self.kernel.db(), &self.instance, class, member, subsystem, code)
            .await?
            .map(|eservice| Arc::new(ServiceEntry { eservice }));
        self.keep(generation, |m| {
            m.services.insert(key, loaded.clone());
        });
        Ok(loaded)
    }

    /// A client and its subsystem.
    pub async fn client(&self, id: Uuid) -> Result<Option<Arc<ClientEntry>>> {
        if let Some(found) = self.read().clients.get(&id) {
            return Ok(found.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let db = self.kernel.db();
        let loaded = match store::members::client(db, id).await? {
            Some(client) => store::members::subsystem(db, &self.instance, client.subsystem_id)
                .await?
                .map(|subsystem| Arc::new(ClientEntry { client, subsystem })),
            None => None,
        };
        self.keep(generation, |m| {
            m.clients.insert(id, loaded.clone());
        });
        Ok(loaded)
    }

    /// A purpose with its agreement and consumer.
    pub async fn purpose(&self, id: Uuid) -> Result<Option<Arc<PurposeEntry>>> {
        if let Some(found) = self.read().purposes.get(&id) {
            return Ok(found.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let db = self.kernel.db();
        let loaded = match store::purposes::get(db, id).await? {
            Some(purpose) => {
                let agreement = store::agreements::live(db, purpose.eservice_id, purpose.consumer_subsystem_id).await?;
                let consumer = store::members::subsystem(db, &self.instance, purpose.consumer_subsystem_id).await?;
                match consumer {
                    Some(consumer) => {
                        let consumer_name = self.kernel.organisation(consumer.org_id).await?.name;
                        Some(Arc::new(PurposeEntry { purpose, agreement, consumer, consumer_name }))
                    }
                    None => None,
                }
            }
            None => None,
        };
        self.keep(generation, |m| {
            m.purposes.insert(id, loaded.clone());
        });
        Ok(loaded)
    }
}

/// Poll the authorisation version; drop the cache when another process changed something.
async fn watch(cache: Weak<StateCache>) {
    let mut seen: Option<i64> = None;
    loop {
        tokio::time::sleep(POLL_INTERVAL).await;
        let Some(cache) = cache.upgrade() else { return };
        match store::runtime::state_version(cache.kernel.db()).await {
            Ok(version) => {
                // The first reading also invalidates: something may have been cached before
                // a change that happened before the watcher first looked.
                if seen != Some(version) {
                    cache.invalidate();
                }
                seen = Some(version);
            }
            Err(e) => tracing::warn!(error = %e, "exchange: cannot read the authorisation version"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use publica_kernel::testing::TestApp;
    use uuid::Uuid;

    use super::*;

    fn claims(nbf: i64, exp: i64) -> Arc<VoucherClaims> {
        Arc::new(VoucherClaims {
            iss: "https://exchange.example/exchange".into(),
            aud: "persons".into(),
            sub: "client".into(),
            client_id: "client".into(),
            purpose_id: Uuid::nil(),
            agreement_id: Uuid::nil(),
            eservice_id: Uuid::nil(),
            producer_id: Uuid::nil(),
            consumer_id: Uuid::nil(),
            jti: Uuid::nil(),
            iat: nbf,
            nbf,
            exp,
        })
    }

    #[tokio::test]
    async fn verified_vouchers_are_remembered_within_their_times_only() {
        let app = TestApp::each(&[Arc::new(crate::ExchangeBlock)]).await.into_iter().next().expect("sqlite");
        let cache = StateCache::start(app.kernel.clone(), "DL".into());
        let now = 1_800_000_000;
        cache.remember_voucher([1; 32], claims(now - 10, now + 600), now);
        assert!(cache.verified_voucher(&[1; 32], now).is_some());
        assert!(cache.verified_voucher(&[2; 32], now).is_none(), "another voucher is verified afresh");
        assert!(cache.verified_voucher(&[1; 32], now + 600 + LEEWAY).is_none(), "expired");
        assert!(cache.verified_voucher(&[1; 32], now - 10 - LEEWAY - 1).is_none(), "not valid yet");
        cache.invalidate();
        assert!(cache.verified_voucher(&[1; 32], now).is_none(), "an invalidation forgets vouchers too");

        for i in 0..MAX_VOUCHERS + 10 {
            let mut digest = [0u8; 32];
            digest[..8].copy_from_slice(&(i as u64).to_be_bytes());
            cache.remember_voucher(digest, claims(now, now + 600), now);
        }
        let kept = cache.vouchers.read().expect("lock").len();
        assert!((1..=MAX_VOUCHERS).contains(&kept), "bounded: {kept}");
    }
}
