//! Group commit for the message log: calls made at the same time share one transaction, and
//! each is answered only after that transaction is durably committed.
//!
//! Unlike a committer that takes whatever is waiting, this one also knows which calls are on
//! their way ([`Announced`]: the gateway announces a call before it reads the register), and
//! waits for them (at most [`GATHER_WAIT`]) while its batch is smaller than the number still
//! on their way. On one core a committer that starts as soon as the first call arrives commits
//! batches of a few calls while the others are still reading, and pays a transaction, a
//! signature and an fsync for each; one that waited for every call on its way would leave the
//! processor idle during each fsync, with every call waiting on it. Stopping halfway keeps the
//! batches large and the processor busy: while one half commits, the other half reads. A call
//! alone (nothing announced) is committed at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use publica_kernel::db::Db;
use publica_kernel::error::{Error, Result};
use tokio::sync::{Notify, mpsc, oneshot};

use super::{MAX_BATCH, Pending, Writer};

/// How long the committer waits at most for announced calls.
pub const GATHER_WAIT: Duration = Duration::from_millis(1);

type Waiter = (Pending, oneshot::Sender<Result<i64>>);

/// The calls announced and not yet handed over.
#[derive(Default)]
struct Coming {
    count: AtomicUsize,
    changed: Notify,
}

impl Coming {
    fn arrived(&self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
        self.changed.notify_one();
    }
}

/// A handle to the committing task; cheap to clone.
#[derive(Clone)]
pub struct Committer {
    sender: mpsc::Sender<Waiter>,
    coming: Arc<Coming>,
}

/// A call the committer waits for: hand its entry over with [`super::MessageLog::record_announced`],
/// or drop it (the call ended without one).
pub struct Announced {
    coming: Option<Arc<Coming>>,
}

impl Announced {
    fn arrive(&mut self) {
        if let Some(coming) = self.coming.take() {
            coming.arrived();
        }
    }
}

impl Drop for Announced {
    fn drop(&mut self) {
        self.arrive();
    }
}

impl Committer {
    /// Start the committing task; it ends when every handle is gone.
    pub fn spawn(db: Db, writer: Writer) -> Committer {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let coming = Arc::new(Coming::default());
        tokio::spawn(run(db, writer, receiver, coming.clone()));
        Committer { sender, coming }
    }

    pub fn announce(&self) -> Announced {
        self.coming.count.fetch_add(1, Ordering::AcqRel);
        Announced { coming: Some(self.coming.clone()) }
    }

    /// Commit `item` with whatever else is waiting; its sequence number once durable.
    pub async fn submit(&self, item: Pending, mut announced: Option<Announced>) -> Result<i64> {
        let (done, wait) = oneshot::channel();
        let sent = self.sender.send((item, done)).await;
        if let Some(announced) = announced.as_mut() {
            announced.arrive();
        }
        sent.map_err(|_| Error::Unavailable("the message log's writer has stopped".into()))?;
        wait.await.map_err(|_| Error::Unavailable("the message log's writer has stopped".into()))?
    }
}

async fn run(db: Db, writer: Writer, mut receiver: mpsc::Receiver<Waiter>, coming: Arc<Coming>) {
    let mut batch: Vec<Waiter> = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        gather(&mut receiver, &mut batch, &coming).await;
        let (items, waiters): (Vec<Pending>, Vec<oneshot::Sender<Result<i64>>>) = batch.drain(..).unzip();
        let outcome = commit(&db, &writer, &items).await;
        for (i, waiter) in waiters.into_iter().enumerate() {
            let _ = waiter.send(outcome.as_ref().map(|first| first + i as i64).map_err(Error::clone));
        }
    }
}

/// Wait for announced calls to hand their entries over, until the batch is at least as large as
/// the number still on their way, or full, or [`GATHER_WAIT`] has passed.
async fn gather(receiver: &mut mpsc::Receiver<Waiter>, batch: &mut Vec<Waiter>, coming: &Coming) {
    let deadline = tokio::time::Instant::now() + GATHER_WAIT;
    while batch.len() < coming.count.load(Ordering::Acquire) && batch.len() < MAX_BATCH {
        tokio::select! {
            biased;
            received = receiver.recv_many(batch, MAX_BATCH - batch.len()) => {
                if received == 0 {
                    return;
                }
            }
            _ = coming.changed.notified() => {}
            _ = tokio::time::sleep_until(deadline) => return,
        }
    }
}

/// Write and commit one batch; the sequence number of its first entry.
async fn commit(db: &Db, writer: &Writer, items: &[Pending]) -> Result<i64> {
    let mut tx = db.begin().await?;
    let first = writer.write(&mut tx, items).await?;
    tx.commit().await?;
    Ok(first)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use publica_kernel::on_db;

    use crate::log::MessageLog;
    use crate::log::tests::{apps, entry};

    async fn batches(app: &publica_kernel::testing::TestApp) -> i64 {
        on_db!(app.kernel.db(), pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM exchange_log_batches")
            .fetch_one(pool).await)
        .expect("count")
    }

    #[tokio::test]
    async fn announced_calls_are_waited_for_and_share_one_transaction() {
        for app in apps().await {
            let log = MessageLog::start(app.kernel.clone(), false);
            let mut tasks = Vec::new();
            for n in 1..=4 {
                let (log, announced) = (log.clone(), log.announce());
                tasks.push(tokio::spawn(async move {
                    // The other calls are still busy when the first is handed over.
                    if n > 1 {
                        for _ in 0..5 {
                            tokio::task::yield_now().await;
                        }
                    }
                    log.record_announced(announced, entry(n)).await
                }));
            }
            let mut seqs = Vec::new();
            for task in tasks {
                seqs.push(task.await.expect("join").expect("record"));
            }
            seqs.sort_unstable();
            assert_eq!(seqs, vec![1, 2, 3, 4], "{}", app.backend);
            assert_eq!(batches(&app).await, 1, "{}: one transaction for the four calls", app.backend);
        }
    }

    #[tokio::test]
    async fn a_withdrawn_or_late_announcement_does_not_hold_a_call_back() {
        for app in apps().await {
            let log = MessageLog::start(app.kernel.clone(), false);
            let withdrawn = log.announce();
            let late = log.announce();
            let started = Instant::now();
            let first = {
                let log = log.clone();
                tokio::spawn(async move { log.record(entry(1)).await })
            };
            drop(withdrawn);
            assert_eq!(first.await.expect("join").expect("record"), 1);
            assert!(started.elapsed() < std::time::Duration::from_secs(2), "{}", app.backend);
            // `late` is still announced: the next call waits for it at most GATHER_WAIT.
            assert_eq!(log.record(entry(2)).await.expect("record"), 2);
            assert_eq!(log.record_announced(late, entry(3)).await.expect("record"), 3);
        }
    }
}
