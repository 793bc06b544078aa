//! Group commit: many callers' writes in one transaction, each caller answered only after that
//! transaction is durably committed. This is how high write rates are reached without weaker
//! durability (one fsync for a whole batch instead of one per request).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::db::{Db, Tx};
use crate::error::{Error, Result};

/// Writes a batch of items inside a transaction the group committer owns.
#[async_trait::async_trait]
pub trait BatchWriter<T: Send + Sync + 'static>: Send + Sync + 'static {
    async fn write(&self, tx: &mut Tx, items: &[T]) -> Result<()>;
    /// Runs after the commit, before the callers are answered (wake workers, update caches).
    async fn committed(&self, _items: &[T]) {}
}

type Waiter<T> = (T, oneshot::Sender<Result<()>>);

/// A handle to submit items; cheap to clone. The committing task ends when every handle is gone.
pub struct GroupCommit<T> {
    sender: mpsc::Sender<Waiter<T>>,
}

impl<T> Clone for GroupCommit<T> {
    fn clone(&self) -> Self {
        GroupCommit { sender: self.sender.clone() }
    }
}

impl<T: Send + Sync + 'static> GroupCommit<T> {
    /// Start the committing task: it takes whatever is waiting (up to `max_batch`) and writes it
    /// in one transaction.
    pub fn spawn(db: Db, max_batch: usize, writer: Arc<dyn BatchWriter<T>>) -> Self {
        let (sender, mut receiver) = mpsc::channel::<Waiter<T>>(max_batch * 4);
        let db = db.dedicated();
        tokio::spawn(async move {
            let mut batch: Vec<Waiter<T>> = Vec::with_capacity(max_batch);
            let mut expected = 1;
            while receiver.recv_many(&mut batch, max_batch).await > 0 {
                gather(&mut receiver, &mut batch, expected, max_batch).await;
                expected = batch.len();
                let (items, waiters): (Vec<T>, Vec<oneshot::Sender<Result<()>>>) = batch.drain(..).unzip();
                let outcome = commit(&db, writer.as_ref(), &items).await;
                if outcome.is_ok() {
                    writer.committed(&items).await;
                }
                metrics::histogram!("publica_group_commit_batch_size").record(items.len() as f64);
                for waiter in waiters {
                    let _ = waiter.send(outcome.as_ref().map(|_| ()).map_err(Error::clone));
                }
            }
        });
        GroupCommit { sender }
    }

    /// Write `item` with whatever else is waiting; returns once it is committed.
    pub async fn submit(&self, item: T) -> Result<()> {
        self.enqueue(item).await?.wait().await
    }

    /// Hand `item` to the committer without waiting for its commit, for a caller with work to do
    /// meanwhile; what it answers its own caller must still wait for [`Committed::wait`].
    pub async fn enqueue(&self, item: T) -> Result<Committed> {
        let (done, wait) = oneshot::channel();
        self.sender.send((item, done)).await.map_err(|_| stopped())?;
        Ok(Committed(wait))
    }
}

/// The commit of an item handed over with [`GroupCommit::enqueue`].
pub struct Committed(oneshot::Receiver<Result<()>>);

impl Committed {
    /// Once the item's transaction is committed (or has failed).
    pub async fn wait(self) -> Result<()> {
        self.0.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    Error::Unavailable("the writer has stopped".into())
}

/// How many turns in a row may bring no item before [`gather`] stops waiting for more.
const QUIET_TURNS: u32 = 8;

/// Wait for more items while fewer than `expected` (the previous batch's size: under a steady
/// load, about as many are on their way) are in the batch. Each turn lets every task that is
/// ready to run do so first (a request already read submits its item; the runtime polls the
/// sockets); the wait ends when `expected` are in, or after [`QUIET_TURNS`] turns in a row bring
/// nothing. So under load a batch grows to the number of requests in flight and one commit
/// serves them all, where starting at once would split them into a batch that is being written
/// and one that waits for it; an item submitted alone is written at once.
async fn gather<T>(receiver: &mut mpsc::Receiver<Waiter<T>>, batch: &mut Vec<Waiter<T>>, expected: usize, max: usize) {
    let mut quiet = 0;
    while batch.len() < expected.min(max) && quiet < QUIET_TURNS {
        let before = batch.len();
        tokio::task::yield_now().await;
        while batch.len() < max {
            match receiver.try_recv() {
                Ok(waiter) => batch.push(waiter),
                Err(_) => break,
            }
        }
        quiet = if batch.len() == before { quiet + 1 } else { 0 };
    }
}

async fn commit<T: Send + Sync + 'static>(db: &Db, writer: &dyn BatchWriter<T>, items: &[T]) -> Result<()> {
    let mut tx = db.begin().await?;
    writer.write(&mut tx, items).await?;
    tx.commit().await?;
    Ok(())
}
