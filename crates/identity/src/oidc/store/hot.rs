//! What the token endpoint keeps in memory: registered clients, cached for at most
//! [`CLIENT_CACHE_TTL`] (and forgotten at once by the process that changes one), and the group
//! committer of code exchanges (`spend`): many requests to one transaction, each answered only
//! after that transaction is durably committed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use publica_kernel::Kernel;
use publica_kernel::db::{Committed, Db, GroupCommit};
use publica_kernel::error::Result;
use tokio::sync::oneshot;

use super::clients::{self, StoredClient};
use super::spend::{Exchange, ExchangeWriter, Outcome, Queued};

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
    exchanges: OnceLock<GroupCommit<Queued>>,
}

struct Cached {
    client: Arc<StoredClient>,
    read_at: Instant,
}

impl Hot {
    /// The kernel's, created on first use.
    pub fn of(kernel: &Kernel) -> Arc<Hot> {
        kernel.get_or_provide(|| Hot {
            clients: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            exchanges: OnceLock::new(),
        })
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

    /// Hand a code exchange to the committer, to be written with whatever other exchanges are
    /// waiting in one transaction (see `spend`).
    pub async fn exchange(&self, db: &Db, exchange: Exchange) -> Result<Pending> {
        let committer =
            self.exchanges.get_or_init(|| GroupCommit::spawn(db.clone(), MAX_BATCH, Arc::new(ExchangeWriter)));
        let (queued, outcome) = Queued::new(exchange);
        Ok(Pending { outcome, committed: committer.enqueue(queued).await? })
    }
}

/// A code exchange handed to the committer.
pub struct Pending {
    outcome: oneshot::Receiver<Outcome>,
    committed: Committed,
}

impl Pending {
    /// What the committer found, known before its transaction is committed: nothing that
    /// depends on it may reach the client before [`Committed::wait`].
    pub async fn outcome(self) -> Result<(Outcome, Committed)> {
        match self.outcome.await {
            Ok(outcome) => Ok((outcome, self.committed)),
            Err(_) => {
                // The batch failed before this exchange was looked at: its error is the commit's.
                self.committed.wait().await?;
                Err(publica_kernel::error::Error::internal("the committer left an exchange without an outcome"))
            }
        }
    }
}

impl crate::service::Identity {
    /// The token endpoint's in-memory state.
    pub(crate) fn hot(&self) -> Arc<Hot> {
        Hot::of(&self.kernel)
    }
}
