//! The two group committers of the block: accepted notifications (with their delivery jobs)
//! and status changes (with their callbacks). Each answers its callers only after commit.

use publica_kernel::Kernel;
use publica_kernel::db::{BatchWriter, Tx};
use publica_kernel::error::Result;
use publica_kernel::jobs::NewJob;
use serde_json::json;

use crate::jobs::{CALLBACK, DELIVER};
use crate::store::{self, FileRow, NotificationRow, StatusUpdate};

/// A notification to store, with its files (a precompiled letter, files sent by email).
pub struct NewNotification {
    pub row: NotificationRow,
    pub files: Vec<FileRow>,
    /// Stored in a final state (test keys): post the delivery receipt callback.
    pub callback: bool,
}

pub struct AcceptWriter {
    kernel: Kernel,
}

impl AcceptWriter {
    pub fn new(kernel: Kernel) -> Self {
        AcceptWriter { kernel }
    }
}

#[async_trait::async_trait]
impl BatchWriter<NewNotification> for AcceptWriter {
    async fn write(&self, tx: &mut Tx, items: &[NewNotification]) -> Result<()> {
        let rows: Vec<&NotificationRow> = items.iter().map(|i| &i.row).collect();
        store::insert_notifications(tx, &rows).await?;
        let mut now_ids = Vec::new();
        for item in items {
            for file in &item.files {
                store::insert_file(tx, file).await?;
            }
            if item.row.status != "created" {
                if item.callback {
                    let key = format!("{}:{}", item.row.id, item.row.status);
                    self.kernel.enqueue(tx, NewJob::new(CALLBACK, key, json!({ "id": item.row.id }))).await?;
                }
                continue;
            }
            match item.row.scheduled_for {
                Some(at) => {
                    let job = NewJob { run_at: Some(at), ..deliver_job(&[item.row.id]) };
                    self.kernel.enqueue(tx, job).await?;
                }
                None => now_ids.push(item.row.id),
            }
        }
        // One job per few hundred notifications: the queue's cost is paid per batch, and a job
        // run after a crash sends only what is still waiting.
        for chunk in now_ids.chunks(256) {
            self.kernel.enqueue(tx, deliver_job(chunk)).await?;
        }
        Ok(())
    }

    /// The worker was woken when the jobs were enqueued, possibly before they were visible.
    async fn committed(&self, _items: &[NewNotification]) {
        self.kernel.job_wake().notify_one();
    }
}

fn deliver_job(ids: &[uuid::Uuid]) -> NewJob {
    let key = ids.first().map(|id| id.to_string()).unwrap_or_default();
    NewJob::new(DELIVER, key, json!({ "ids": ids }))
}

/// A status change; `callback` when the service has a delivery-receipt callback.
pub struct StatusChange {
    pub update: StatusUpdate,
    pub callback: bool,
}

pub struct StatusWriter {
    kernel: Kernel,
}

impl StatusWriter {
    pub fn new(kernel: Kernel) -> Self {
        StatusWriter { kernel }
    }
}

#[async_trait::async_trait]
impl BatchWriter<StatusChange> for StatusWriter {
    async fn write(&self, tx: &mut Tx, items: &[StatusChange]) -> Result<()> {
        for item in items {
            let moved = store::set_status_in(tx, &item.update).await?;
            if moved && item.callback && crate::domain::kinds::is_final(&item.update.status) {
                let key = format!("{}:{}", item.update.id, item.update.status);
                self.kernel.enqueue(tx, NewJob::new(CALLBACK, key, json!({ "id": item.update.id }))).await?;
            }
        }
        Ok(())
    }

    async fn committed(&self, _items: &[StatusChange]) {
        self.kernel.job_wake().notify_one();
    }
}
