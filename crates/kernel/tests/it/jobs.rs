//! The job queue in-process: idempotent enqueue, retries with backoff, the dead-letter state,
//! and `retry` bringing a dead job back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use publica_kernel::jobs::{self, JobContext, JobFailure, JobHandler, NewJob, Worker, WorkerSettings};
use publica_kernel::testing::TestApp;

/// Fails until it has been called `succeed_on` times.
struct Flaky {
    calls: Arc<AtomicU32>,
    succeed_on: u32,
}

#[async_trait::async_trait]
impl JobHandler for Flaky {
    fn kind(&self) -> &'static str {
        "test.flaky"
    }
    async fn run(&self, _job: &JobContext) -> Result<(), JobFailure> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.succeed_on { Ok(()) } else { Err(JobFailure::Retry(format!("attempt {n} failed"))) }
    }
}

async fn state(app: &TestApp, kind: &str) -> (String, i32, Option<String>) {
    let rows = jobs::list(app.kernel.db(), None, 10).await.expect("list");
    let job = rows.into_iter().find(|j| j.kind == kind).expect("the job");
    (job.state, job.attempts, job.last_error)
}

#[tokio::test]
async fn enqueueing_twice_with_one_key_makes_one_job() {
    for app in TestApp::each(&[]).await {
        let mut tx = app.kernel.db().begin().await.expect("begin");
        let first = app
            .kernel
            .enqueue(&mut tx, NewJob::new("test.flaky", "same", serde_json::json!({})))
            .await
            .expect("enqueue");
        let second = app
            .kernel
            .enqueue(&mut tx, NewJob::new("test.flaky", "same", serde_json::json!({})))
            .await
            .expect("enqueue");
        tx.commit().await.expect("commit");
        assert!(first.is_some() && second.is_none(), "{}", app.backend);
        assert_eq!(jobs::list(app.kernel.db(), Some("queued"), 10).await.expect("list").len(), 1);
    }
}

#[tokio::test]
async fn a_failing_job_is_retried_then_dead_lettered_then_retried_by_hand() {
    for app in TestApp::each_with(&[], |c| c.jobs.max_attempts = 2).await {
        let calls = Arc::new(AtomicU32::new(0));
        let handler = Arc::new(Flaky { calls: calls.clone(), succeed_on: 3 });
        let mut tx = app.kernel.db().begin().await.expect("begin");
        app.kernel.enqueue(&mut tx, NewJob::new("test.flaky", "k1", serde_json::json!({}))).await.expect("enqueue");
        tx.commit().await.expect("commit");

        let settings =
            WorkerSettings { concurrency: 1, poll_interval: Duration::from_millis(20), lease: Duration::from_secs(5) };
        let worker = Worker::new(app.kernel.db().clone(), vec![handler], settings, app.kernel.job_wake());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));

        // Attempt 1 fails and waits its backoff (about 2 s); attempt 2 fails and is the last.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while state(&app, "test.flaky").await.0 != "dead" {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: never dead-lettered: {:?}",
                app.backend,
                state(&app, "test.flaky").await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, attempts, error) = state(&app, "test.flaky").await;
        assert_eq!(attempts, 2);
        assert_eq!(error.as_deref(), Some("attempt 2 failed"));

        let id = jobs::list(app.kernel.db(), Some("dead"), 1).await.expect("list")[0].id;
        jobs::retry(app.kernel.db(), id).await.expect("retry");
        app.kernel.job_wake().notify_one();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while state(&app, "test.flaky").await.0 != "succeeded" {
            assert!(std::time::Instant::now() < deadline, "{}: retried job never ran", app.backend);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(jobs::retry(app.kernel.db(), id).await.is_err(), "a succeeded job is not retried");
        assert_eq!(jobs::purge_succeeded(app.kernel.db(), 1).await.expect("purge"), 0, "recent jobs are kept");
        assert_eq!(jobs::purge_succeeded(app.kernel.db(), -1).await.expect("purge"), 1, "old ones go");
        let _ = stop.send(());
        running.await.expect("worker stops");
    }
}

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    let seconds = |a| jobs::backoff(a).whole_seconds();
    assert!((2..=3).contains(&seconds(1)));
    assert!((16..=20).contains(&seconds(4)));
    assert!(seconds(30) <= 3600 + 900);
    assert!(seconds(30) >= 3600);
}
