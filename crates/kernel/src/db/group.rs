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
        tokio::spawn(async move {
            let mut batch: Vec<Waiter<T>> = Vec::with_capacity(max_batch);
            while receiver.recv_many(&mut batch, max_batch).await > 0 {
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
        let (done, wait) = oneshot::channel();
        self.sender.send((item, done)).await.map_err(|_| Error::Unavailable("the writer has stopped".into()))?;
        wait.await.map_err(|_| Error::Unavailable("the writer has stopped".into()))?
    }
}

async fn commit<T: Send + Sync + 'static>(db: &Db, writer: &dyn BatchWriter<T>, items: &[T]) -> Result<()> {
    let mut tx = db.begin().await?;
    writer.write(&mut tx, items).await?;
    tx.commit().await?;
    Ok(())
}
