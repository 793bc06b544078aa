//! The jobs of legal notifications: validation, each recipient's workflow, reading back the
//! outcome of messages, the refinement sweep, recording accesses and cancellations. Every step
//! is idempotent: it records nothing it recorded before.

use std::sync::Arc;

use publica_kernel::Kernel;
use publica_kernel::jobs::{JobContext, JobFailure, JobHandler};

use super::Send;

pub const VALIDATE: &str = "notify.send.validate";
pub const RECIPIENT: &str = "notify.send.recipient";
pub const FEEDBACK: &str = "notify.send.feedback";
pub const REFINE: &str = "notify.send.refine";
pub const VIEWED: &str = "notify.send.viewed";
pub const CANCEL: &str = "notify.send.cancel";

const KINDS: [&str; 6] = [VALIDATE, RECIPIENT, FEEDBACK, REFINE, VIEWED, CANCEL];

/// One handler per kind, all dispatching to the [`Send`] service.
struct SendJob {
    kernel: Kernel,
    kind: &'static str,
}

/// The handlers to register with the job worker.
pub fn handlers(kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
    KINDS.iter().map(|kind| Arc::new(SendJob { kernel: kernel.clone(), kind }) as Arc<dyn JobHandler>).collect()
}

fn retry(e: impl std::fmt::Display) -> JobFailure {
    JobFailure::Retry(e.to_string())
}

#[async_trait::async_trait]
impl JobHandler for SendJob {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn run(&self, job: &JobContext) -> Result<(), JobFailure> {
        let send = self.kernel.get::<Send>().ok_or_else(|| retry("legal notifications have not started"))?;
        let p = &job.payload;
        let iun = p["iun"].as_str().unwrap_or_default();
        let rec = p["rec"].as_i64().unwrap_or(0) as i32;
        match self.kind {
            VALIDATE => send.validate(iun).await.map_err(retry),
            RECIPIENT => send.start_recipient(iun, rec).await.map_err(retry),
            FEEDBACK => send.feedback(p).await.map(|_| ()).map_err(retry),
            REFINE => send.sweep().await.map_err(retry),
            VIEWED => {
                let at = serde_json::from_value(p["at"].clone())
                    .map_err(|e| JobFailure::Permanent(format!("bad payload: {e}")))?;
                send.record_view(iun, rec, at).await.map_err(retry)
            }
            _ => send.cancel(iun).await.map_err(retry),
        }
    }
}
