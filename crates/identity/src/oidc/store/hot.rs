//! What the token endpoint keeps in memory: registered clients, cached for at most
//! [`CLIENT_CACHE_TTL`] (and forgotten at once by the process that changes one), and the group
//! committer of code exchanges (`spend`): many requests to one transaction, each answered only
//! after that transaction is durably committed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use publica_kernel::Kernel;
use publica_kernel::db::{Db, GroupCommit};
use publica_kernel::error::Result;

use super::clients::{self, StoredClient};
use super::spend::{Exchange, ExchangeWriter, Outcome};

/// How long a process may answer from a client as it read it. A change made through this
/// process is seen at once; one made through another process sharing the database (or
/// directly in the database) is seen within this time: a deleted client, a rotated secret or
/// a changed setting may still be accepted that long by the other processes.
pub const CLIENT_CACHE_TTL: Duration = Duration::from_secs(2);

/// Most code exchanges written in one transaction.
const MAX_BATCH: usize = 256;

/// The token endpoint's in-memory state, one per kernel (kept with the kernel's services).
pub struct Hot {
    clients: RwLock<HashMap<String, Cached>>,
    /// Bumped by every [`Hot::forget`], so that a read that raced a change is not cached.
    generation: AtomicU64,
    exchanges: OnceLock<GroupCommit<Exchange>>,
}

struct Cached {
    client: Arc<StoredClient>,
    read_at: Instant,
}

/// Serialises the first creation of a kernel's [`Hot`].
static CREATING: Mutex<()> = Mutex::new(());

impl Hot {
    /// The kernel's, created on first use.
    pub fn of(kernel: &Kernel) -> Arc<Hot> {
        if let Some(hot) = kernel.get::<Hot>() {
            return hot;
        }
        let _creating = CREATING.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(hot) = kernel.get::<Hot>() {
                return hot;
            }
            kernel.provide(Hot {
                clients: RwLock::new(HashMap::new()),
                generation: AtomicU64::new(0),
                exchanges: OnceLock::new(),
            });
        }
    }

    /// A client, from memory when read less than [`CLIENT_CACHE_TTL`] ago.
    pub async fn client(&self, db: &Db, client_id: &str) -> Result<Option<Arc<StoredClient>>> {
        {
            let cached = self.clients.read().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = cached.get(client_id)
                && c.read_at.elapsed() < CLIENT_CACHE_TTL
            {
                return Ok(Some(c.client.clone()));
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let read_at = Instant::now();
        let Some(stored) = clients::get(db, client_id).await? else {
            self.clients.write().unwrap_or_else(|e| e.into_inner()).remove(client_id);
            return Ok(None);
        };
        let stored = Arc::new(stored);
        let mut cached = self.clients.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            cached.insert(client_id.to_string(), Cached { client: stored.clone(), read_at });
        }
        Ok(Some(stored))
    }

    /// Forget a client after a committed change (or deletion), so this process reads it again.
    pub fn forget(&self, client_id: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.clients.write().unwrap_or_else(|e| e.into_inner()).remove(client_id);
    }

    /// Exchange a code with whatever other exchanges are waiting, in one transaction (see
    /// `spend`); answered once that transaction is committed.
    pub async fn exchange(&self, db: &Db, exchange: Exchange) -> Result<Outcome> {
        let committer =
            self.exchanges.get_or_init(|| GroupCommit::spawn(db.clone(), MAX_BATCH, Arc::new(ExchangeWriter)));
        let outcome = exchange.outcome.clone();
        committer.submit(exchange).await?;
        let outcome = outcome.lock().unwrap_or_else(|e| e.into_inner()).take();
        outcome
            .ok_or_else(|| publica_kernel::error::Error::internal("the committer left an exchange without an outcome"))
    }
}

impl crate::service::Identity {
    /// The token endpoint's in-memory state.
    pub(crate) fn hot(&self) -> Arc<Hot> {
        Hot::of(&self.kernel)
    }
}
