//! The durable job queue: jobs are enqueued in the transaction of the change that causes them,
//! claimed under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), retried with exponential
//! backoff, and parked as `dead` after too many failures. A worker that dies stops renewing its
//! lease, so its jobs run again elsewhere: execution is at least once, and each job carries an
//! idempotency key for its side effects.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use crate::db::{Db, DbError, Timestamp, Tx};
use crate::error::{Error, Result};
use crate::{on_db, on_tx};

/// What a job handler sees.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    /// 1 on the first run.
    pub attempt: i32,
}

/// Why a run failed: try again later, or never.
#[derive(Debug)]
pub enum JobFailure {
    Retry(String),
    Permanent(String),
}

/// Runs one kind of job. Handlers must be idempotent: a job may run more than once.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    fn kind(&self) -> &'static str;
    async fn run(&self, job: &JobContext) -> std::result::Result<(), JobFailure>;
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: String,
    pub idempotency_key: String,
    pub payload: serde_json::Value,
    pub run_at: Option<Timestamp>,
}

impl NewJob {
    pub fn new(kind: &str, idempotency_key: impl Into<String>, payload: serde_json::Value) -> Self {
        NewJob { kind: kind.into(), idempotency_key: idempotency_key.into(), payload, run_at: None }
    }
}

/// A job as listed by `publica jobs`.
#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// Enqueue inside the caller's transaction. Returns `None` when a job of this kind with this
/// idempotency key already exists (enqueueing twice is harmless).
pub async fn enqueue(tx: &mut Tx, job: NewJob, max_attempts: i32) -> Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    let now = Timestamp::now();
    let inserted = on_tx!(tx, c => sqlx::query(
        "INSERT INTO kernel_jobs (id, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, created_at)
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7) ON CONFLICT (kind, idempotency_key) DO NOTHING")
        .bind(id).bind(&job.kind).bind(job.payload.to_string()).bind(&job.idempotency_key)
        .bind(max_attempts).bind(job.run_at.unwrap_or(now)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok((inserted == 1).then_some(id))
}

/// Jobs by state, newest first.
pub async fn list(db: &Db, state: Option<&str>, limit: i64) -> Result<Vec<JobRow>> {
    let sql = "SELECT id, kind, state, attempts, max_attempts, run_at, last_error, created_at, finished_at
               FROM kernel_jobs WHERE ($1 IS NULL OR state = $1) ORDER BY created_at DESC LIMIT $2";
    let rows = on_db!(db, pool => {
        sqlx::query(sql).bind(state).bind(limit).fetch_all(pool).await?.into_iter().map(|r| Ok(JobRow {
            id: r.try_get(0)?, kind: r.try_get(1)?, state: r.try_get(2)?, attempts: r.try_get(3)?,
            max_attempts: r.try_get(4)?, run_at: r.try_get(5)?, last_error: r.try_get(6)?,
            created_at: r.try_get(7)?, finished_at: r.try_get(8)?,
        })).collect::<std::result::Result<Vec<_>, sqlx::Error>>()?
    });
    Ok(rows)
}

/// Put a dead (or failed-and-waiting) job back in the queue to run now, with fresh attempts.
pub async fn retry(db: &Db, id: Uuid) -> Result<()> {
    let n = on_db!(db, pool => sqlx::query(
        "UPDATE kernel_jobs SET state = 'queued', attempts = 0, run_at = $2, last_error = NULL, finished_at = NULL
         WHERE id = $1 AND state IN ('dead', 'queued')")
        .bind(id).bind(Timestamp::now()).execute(pool).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::not_found(format!("dead or queued job {id}")));
    }
    Ok(())
}

/// Delete succeeded jobs (and their runs) finished more than `days` ago. Dead jobs stay until
/// an operator retries or inspects them.
pub async fn purge_succeeded(db: &Db, days: i64) -> Result<u64> {
    let before = Timestamp::now().plus(time::Duration::days(-days));
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "DELETE FROM kernel_job_runs WHERE job_id IN (SELECT id FROM kernel_jobs WHERE state = 'succeeded' AND finished_at < $1)")
        .bind(before).execute(c).await.map(|_| ()))?;
    let n = on_tx!(&mut tx, c => sqlx::query("DELETE FROM kernel_jobs WHERE state = 'succeeded' AND finished_at < $1")
        .bind(before).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}

/// Jobs per state, for metrics.
pub async fn depth(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(
        on_db!(db, pool => sqlx::query_as("SELECT state, COUNT(*) FROM kernel_jobs GROUP BY state").fetch_all(pool).await)?,
    )
}

/// Delay before attempt `attempt + 1`: 2^attempt seconds, at most an hour, plus up to a
/// quarter more at random so that jobs failing together do not retry together.
pub fn backoff(attempt: i32) -> time::Duration {
    let base_ms = 1000 * 2i64.saturating_pow(attempt.clamp(0, 12).unsigned_abs()).min(3600);
    let jitter_ms = base_ms / 4 * i64::from(crate::crypto::random_bytes::<1>()[0]) / 255;
    time::Duration::milliseconds(base_ms + jitter_ms)
}

/// Claim up to `$4` runnable jobs (queued and due, or running with an expired lease) for
/// worker `$1` until `$2`, as of `$3`; `$lock` is the engine's row-locking clause.
macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE kernel_jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM kernel_jobs
                          WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)
                          ORDER BY run_at LIMIT $4",
            $lock,
            ") RETURNING id, kind, payload, idempotency_key, attempts"
        )
    };
}

/// Settings of the worker in this process.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub poll_interval: Duration,
    pub lease: Duration,
}

/// The job worker of one process.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    settings: WorkerSettings,
    name: String,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(db: Db, handlers: Vec<Arc<dyn JobHandler>>, settings: WorkerSettings, wake: Arc<Notify>) -> Self {
        let handlers = handlers.into_iter().map(|h| (h.kind(), h)).collect();
        let name = format!("{}:{}:{}", hostname(), std::process::id(), &Uuid::new_v4().simple().to_string()[..8]);
        Worker { db, handlers: Arc::new(handlers), settings, name, wake }
    }

    /// Wake the worker now (after this process enqueued something).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Run until `shutdown` resolves; running jobs are then awaited briefly, and any left
    /// unfinished simply run again after their lease expires.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        let slots = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        tokio::pin!(shutdown);
        loop {
            let free = slots.available_permits();
            let claimed = if free > 0 { self.claim(free as i64).await } else { Ok(Vec::new()) };
            let idle = match claimed {
                Ok(jobs) => {
                    let none = jobs.is_empty();
                    for job in jobs {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            return;
                        };
                        let worker = self.clone();
                        tokio::spawn(async move {
                            worker.execute(job).await;
                            drop(permit);
                        });
                    }
                    none
                }
                Err(e) => {
                    tracing::warn!(error = %e, "job queue: cannot claim jobs");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                }
            } else if slots.available_permits() == 0 {
                // Busy: claim again as soon as a slot frees up, not at the next poll.
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = slots.clone().acquire_owned() => {}
                }
            }
        }
        let all = u32::try_from(self.settings.concurrency.max(1)).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all)).await;
    }

    async fn claim(&self, limit: i64) -> std::result::Result<Vec<JobContext>, sqlx::Error> {
        let now = Timestamp::now();
        let until = now.plus(time::Duration::try_from(self.settings.lease).unwrap_or(time::Duration::SECOND));
        // SQLite has one writer at a time, so its subquery and update cannot interleave;
        // PostgreSQL workers skip rows another worker is claiming.
        let sql = match &self.db {
            Db::Postgres(_) => claim_sql!(" FOR UPDATE SKIP LOCKED"),
            Db::Sqlite(_) => claim_sql!(""),
        };
        let rows = on_db!(&self.db, pool => sqlx::query(sql)
            .bind(&self.name).bind(until).bind(now).bind(limit)
            .fetch_all(pool).await?
            .iter().map(job_from_row).collect::<std::result::Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    async fn execute(&self, job: JobContext) {
        let started = Timestamp::now();
        let run_id = self.record_start(&job, started).await;
        let outcome = match self.handlers.get(job.kind.as_str()) {
            None => Err(JobFailure::Retry(format!("no handler for job kind `{}` in this process", job.kind))),
            Some(handler) => {
                let handler = handler.clone();
                let heartbeat = self.heartbeat(job.id);
                tokio::select! {
                    result = handler.run(&job) => result,
                    () = heartbeat => Err(JobFailure::Retry("lease lost".into())),
                }
            }
        };
        let elapsed = (Timestamp::now().inner() - started.inner()).as_seconds_f64();
        metrics::histogram!("publica_job_duration_seconds", "kind" => job.kind.clone()).record(elapsed);
        let (outcome_label, error) = match &outcome {
            Ok(()) => ("succeeded", None),
            Err(JobFailure::Retry(e)) => ("failed", Some(e.clone())),
            Err(JobFailure::Permanent(e)) => ("failed-permanently", Some(e.clone())),
        };
        metrics::counter!("publica_jobs_total", "kind" => job.kind.clone(), "outcome" => outcome_label).increment(1);
        if let Some(e) = &error {
            tracing::warn!(job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempt, error = %e, "job failed");
        }
        // Finishing must not be lost to a brief database outage: retry until it lands.
        for delay in [0u64, 100, 500, 2000, 5000] {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            match self.finish(&job, &outcome, run_id, outcome_label, error.as_deref()).await {
                Ok(()) => return,
                Err(DbError::Unavailable(_)) => continue,
                Err(e) => {
                    tracing::error!(job.id = %job.id, error = %e, "cannot record job outcome");
                    return;
                }
            }
        }
    }

    /// Renew the lease while the job runs; resolves only if the lease was taken away.
    async fn heartbeat(&self, id: Uuid) {
        let period = self.settings.lease / 3;
        loop {
            tokio::time::sleep(period).await;
            let until =
                Timestamp::now().plus(time::Duration::try_from(self.settings.lease).unwrap_or(time::Duration::SECOND));
            let result = on_db!(&self.db, pool => sqlx::query(
                "UPDATE kernel_jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND state = 'running'")
                .bind(until).bind(id).bind(&self.name).execute(pool).await.map(|r| r.rows_affected()));
            if let Ok(0) = result {
                return;
            }
        }
    }

    async fn record_start(&self, job: &JobContext, started: Timestamp) -> Option<i64> {
        let result: std::result::Result<i64, sqlx::Error> = on_db!(&self.db, pool => sqlx::query_scalar(
            "INSERT INTO kernel_job_runs (job_id, worker, attempt, started_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(job.id).bind(&self.name).bind(job.attempt).bind(started).fetch_one(pool).await);
        result.ok()
    }

    async fn finish(
        &self,
        job: &JobContext,
        outcome: &std::result::Result<(), JobFailure>,
        run_id: Option<i64>,
        label: &str,
        error: Option<&str>,
    ) -> std::result::Result<(), DbError> {
        let now = Timestamp::now();
        let mut tx = self.db.begin().await?;
        let (sql, run_at): (&'static str, Timestamp) = match outcome {
            Ok(()) => ("UPDATE kernel_jobs SET state = 'succeeded', finished_at = $3, locked_by = NULL, locked_until = NULL, last_error = NULL
                        WHERE id = $1 AND locked_by = $2", now),
            Err(JobFailure::Permanent(_)) => ("UPDATE kernel_jobs SET state = 'dead', finished_at = $3, locked_by = NULL, locked_until = NULL, last_error = $4
                        WHERE id = $1 AND locked_by = $2", now),
            Err(JobFailure::Retry(_)) => ("UPDATE kernel_jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
                        finished_at = CASE WHEN attempts >= max_attempts THEN $3 ELSE NULL END,
                        run_at = $5, locked_by = NULL, locked_until = NULL, last_error = $4
                        WHERE id = $1 AND locked_by = $2", now.plus(backoff(job.attempt))),
        };
        on_tx!(&mut tx, c => sqlx::query(sql).bind(job.id).bind(&self.name).bind(now).bind(error).bind(run_at)
            .execute(c).await.map(|_| ()))?;
        if let Some(run_id) = run_id {
            on_tx!(&mut tx, c => sqlx::query("UPDATE kernel_job_runs SET finished_at = $1, outcome = $2, error = $3 WHERE id = $4")
                .bind(now).bind(label).bind(error).bind(run_id).execute(c).await.map(|_| ()))?;
        }
        tx.commit().await
    }
}

fn job_from_row<R: Row>(r: &R) -> std::result::Result<JobContext, sqlx::Error>
where
    for<'a> Uuid: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i32: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let payload: String = r.try_get(2)?;
    Ok(JobContext {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        idempotency_key: r.try_get(3)?,
        attempt: r.try_get(4)?,
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into())
}

/// `kernel.probe`: waits `sleep_ms` and succeeds. Operators enqueue probes with
/// `publica jobs probe` to check that workers are alive and to measure queue throughput; the
/// run log (`kernel_job_runs`) then shows which worker ran each one and when.
pub struct ProbeJob;

#[async_trait::async_trait]
impl JobHandler for ProbeJob {
    fn kind(&self) -> &'static str {
        "kernel.probe"
    }
    async fn run(&self, job: &JobContext) -> std::result::Result<(), JobFailure> {
        let ms = job.payload.get("sleep_ms").and_then(serde_json::Value::as_u64).unwrap_or(0).min(60_000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(())
    }
}
