//! The durable job queue through the real binary: nothing is lost to SIGKILL, and two
//! processes sharing one database never run the same job at the same time.

use std::collections::HashMap;
use std::time::Duration;

use crate::support::{Server, backends, eventually, publica};

#[tokio::test]
async fn jobs_running_when_the_process_is_killed_all_complete_after_restart() {
    for backend in backends().await {
        let env = [
            ("PUBLICA_JOBS__LEASE_SECONDS", "1"),
            ("PUBLICA_JOBS__WORKERS", "4"),
            ("PUBLICA_JOBS__POLL_INTERVAL_MS", "50"),
        ];
        publica(&backend, &["migrate"], &[]);
        let out = publica(&backend, &["jobs", "probe", "--count", "40", "--sleep-ms", "300"], &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let server = Server::start(&backend, &[], &env);
        let db = backend.connect().await;
        eventually(Duration::from_secs(20), "jobs to start", || async {
            db.scalar("SELECT COUNT(*) FROM kernel_job_runs").await >= 6
        })
        .await;
        server.kill();
        let unfinished = db.scalar("SELECT COUNT(*) FROM kernel_jobs WHERE state <> 'succeeded'").await;
        assert!(unfinished > 0, "{}: the kill should interrupt work", backend.name);
        let interrupted = db.scalar("SELECT COUNT(*) FROM kernel_jobs WHERE state = 'running'").await;
        assert!(interrupted > 0, "{}: some jobs were running when killed", backend.name);

        let server = Server::start(&backend, &[], &env);
        eventually(Duration::from_secs(60), "every job to succeed after restart", || async {
            db.scalar("SELECT COUNT(*) FROM kernel_jobs WHERE state = 'succeeded'").await == 40
        })
        .await;
        // The interrupted ones ran again: more runs than jobs.
        assert!(db.scalar("SELECT COUNT(*) FROM kernel_job_runs").await > 40);
        server.stop();
        db.close().await;
    }
}

#[tokio::test]
async fn two_processes_never_run_the_same_job_concurrently() {
    for backend in backends().await {
        let env = [("PUBLICA_JOBS__WORKERS", "8"), ("PUBLICA_JOBS__POLL_INTERVAL_MS", "20")];
        publica(&backend, &["migrate"], &[]);
        let out = publica(&backend, &["jobs", "probe", "--count", "1000", "--sleep-ms", "2"], &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let a = Server::start(&backend, &[], &env);
        let b = Server::start(&backend, &[], &env);
        let db = backend.connect().await;
        eventually(Duration::from_secs(120), "1,000 jobs to succeed", || async {
            db.scalar("SELECT COUNT(*) FROM kernel_jobs WHERE state = 'succeeded'").await == 1000
        })
        .await;
        a.stop();
        b.stop();
        let workers = db.scalar("SELECT COUNT(DISTINCT worker) FROM kernel_job_runs").await;
        assert_eq!(workers, 2, "{}: both processes took part", backend.name);
        let mut runs: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
        for (job, started, finished, _) in db.job_runs().await {
            runs.entry(job).or_default().push((started, finished));
        }
        assert_eq!(runs.len(), 1000);
        for (job, mut spans) in runs {
            spans.sort_by(|x, y| x.0.total_cmp(&y.0));
            for pair in spans.windows(2) {
                assert!(pair[1].0 >= pair[0].1, "{}: job {job} ran twice at once: {spans:?}", backend.name);
            }
        }
        db.close().await;
    }
}
